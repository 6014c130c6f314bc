"""Forms of the booking pages: the school's request and every answer to it."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.forms import REQUIRED, HttpsURLField, LineField, MultiCheckboxField, coerce_id
from lighthouse.bookings.models import Venue

NOT_A_NUMBER = _l("Skriv et helt tall.")
CHOOSE_TIME = _l("Velg et av de ledige tidspunktene.")
URL_MESSAGE = _l("Skriv en fullstendig nettadresse som begynner med https://.")


class MomentField(StringField):
    """A moment chosen among the free times, sent as an ISO 8601 string with its offset; kept as UTC."""

    def process_formdata(self, valuelist):
        self.data = None
        self.raw_data = valuelist
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(str(CHOOSE_TIME)) from None
        if moment.tzinfo is None or not 2000 <= moment.year <= 2100:
            raise ValueError(str(CHOOSE_TIME))
        self.data = moment.astimezone(timezone.utc)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class NumberField(IntegerField):
    """A whole number with a Norwegian message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(NOT_A_NUMBER)) from None


class SchoolField(SelectField):
    """The school a booking is for; an id no column can hold is no choice."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", coerce_id)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Velg en skole fra listen."))) from None

    def pre_validate(self, form):
        if self.data is None or self.data not in {c[0] if isinstance(c, tuple) else c.value for c in self.choices}:
            raise ValidationError(str(_l("Velg en skole fra listen.")))


class ParticipantsField(MultiCheckboxField):
    """Staff of the school, named now or later; unknown ids are refused in Norwegian."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", coerce_id)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError(str(_l("Velg bare blant de ansatte i listen."))) from None

    def pre_validate(self, form):
        allowed = {c[0] if isinstance(c, tuple) else c.value for c in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(str(_l("Velg bare blant de ansatte i listen.")))


class BookingForm(FlaskForm):
    """A school leader asks for an offering at one of its free times."""

    school_id = SchoolField(_l("Skole"))
    starts_at = MomentField(_l("Tidspunkt"), validators=[DataRequired(CHOOSE_TIME)])
    participants_count = NumberField(_l("Antall deltakere"), validators=[InputRequired(REQUIRED)])
    venue = SelectField(_l("Hvor"), validators=[Optional()])
    note = TextAreaField(_l("Melding til fyrtårnet"), validators=[Optional(), Length(max=4000)])
    participant_ids = ParticipantsField(_l("Deltakere (valgfritt)"), validators=[Optional()])

    def __init__(self, *args, max_participants: int = 1000, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants_count.validators = [
            InputRequired(REQUIRED),
            NumberRange(min=1, max=max_participants,
                        message=_l("Skriv et tall fra 1 til %(n)d.", n=max_participants))]
        self.venue.choices = [SelectChoice(Venue.AT_SCHOOL.value, Venue.AT_SCHOOL.label),
                              SelectChoice(Venue.ONLINE.value, Venue.ONLINE.label)]

    def chosen_venue(self) -> Venue | None:
        return Venue(self.venue.data) if self.venue.data in (Venue.AT_SCHOOL.value, Venue.ONLINE.value) else None


class ConfirmForm(FlaskForm):
    location = LineField(_l("Sted"), validators=[Optional(), Length(max=300)])
    online_url = HttpsURLField(_l("Lenke til nettmøte"),
                               validators=[Optional(), URL(message=URL_MESSAGE), Length(max=500)])


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Begrunnelse til skolen"), validators=[
        DataRequired(_l("Skriv en kort begrunnelse til skolen.")), Length(max=2000)])
    for_capacity = BooleanField(_l("Jeg mangler kapasitet (tid eller frikjøpte timer)"))


class ProposeForm(FlaskForm):
    starts_at = MomentField(_l("Nytt tidspunkt"), validators=[DataRequired(CHOOSE_TIME)])
    answer = TextAreaField(_l("Melding til skolen"), validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Begrunnelse (valgfritt)"), validators=[Optional(), Length(max=2000)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Begrunnelse"), validators=[
        DataRequired(_l("Skriv hvorfor bestillingen avlyses.")), Length(max=2000)])


class ParticipantsForm(FlaskForm):
    participant_ids = ParticipantsField(_l("Deltakere"), validators=[Optional()])


class RatingField(RadioField):
    """A rating from 1 to 5, refused in Norwegian when it is anything else."""

    def pre_validate(self, form):
        if self.data not in {c.value for c in self.choices}:
            raise ValidationError(str(_l("Velg en karakter fra 1 til 5.")))


class FeedbackForm(FlaskForm):
    rating = RatingField(_l("Hvor nyttig var det?"), choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
                        validators=[InputRequired(_l("Velg en karakter fra 1 til 5."))])
    comment = TextAreaField(_l("Kommentar (valgfritt)"), validators=[Optional(), Length(max=4000)])


class RecordForm(FlaskForm):
    text = TextAreaField(_l("Hva ble gjort"), validators=[
        DataRequired(_l("Skriv kort hva som ble gjort.")), Length(max=4000)])
