"""Forms of the fyrtårn pages: profiles, release time, bookable offerings, availability, open courses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField,
                     URLField)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.forms import (FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE, REQUIRED, ClockField, MultiCheckboxField, check_wall_time,
                       coerce_id)
from catalog.offerings.models import TargetGroup
from lighthouse.bookings.models import BookableKind, Venue
from lighthouse.profiles.models import GradeLevel, Subject
from lighthouse.profiles.operations import MAX_RELEASE_HOURS

WEEKDAYS = (_l("mandag"), _l("tirsdag"), _l("onsdag"), _l("torsdag"), _l("fredag"), _l("lørdag"), _l("søndag"))


def _choices(enum_cls):
    return [SelectChoice(m.value, m.label) for m in enum_cls]


def _subject_choices():
    return sorted(_choices(Subject), key=lambda c: str(c.label))


class ProfileForm(FlaskForm):
    subjects = MultiCheckboxField(_l("Fagområder"), validators=[DataRequired(_l("Velg minst ett fagområde."))])
    grades = MultiCheckboxField(_l("Trinn"), validators=[DataRequired(_l("Velg minst ett trinn."))])
    presentation = TextAreaField(_l("Presentasjon (Markdown)"), validators=[
        Optional(), Length(max=10000, message=_l("Presentasjonen kan ha høyst 10 000 tegn."))])
    active = BooleanField(_l("Vis profilen på Fyrtårn-siden og ta imot bestillinger"), default=True)
    home_school_id = SelectField(_l("Hjemmeskole"), coerce=coerce_id,
                                 validators=[InputRequired(_l("Velg hjemmeskolen."))])

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subjects.choices = _subject_choices()
        self.grades.choices = _choices(GradeLevel)
        if schools is None:
            # Only admins choose the home school.
            del self.home_school_id
        else:
            self.home_school_id.choices = [SelectChoice(s.id, s.name) for s in schools]


class NewProfileForm(ProfileForm):
    person_id = SelectField(_l("Fyrtårn"), coerce=coerce_id, validators=[InputRequired(_l("Velg en person."))])

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.person_id.choices = [SelectChoice(p.id, f"{p.name} ({p.email})") for p in people]


class ReleaseRequestForm(FlaskForm):
    semester = SelectField(_l("Semester"), validators=[InputRequired(REQUIRED)])
    hours = IntegerField(_l("Timer"), validators=[
        InputRequired(_l("Skriv antall timer.")),
        NumberRange(min=1, max=MAX_RELEASE_HOURS, message=_l("Skriv et antall timer fra 1 til %(max)d."))])


class ApproveForm(FlaskForm):
    hours = IntegerField(_l("Godkjente timer"), validators=[
        InputRequired(_l("Skriv antall timer.")),
        NumberRange(min=0, max=MAX_RELEASE_HOURS, message=_l("Skriv et antall timer fra 0 til %(max)d."))])


class BookableForm(FlaskForm):
    kind = SelectField(_l("Type"), validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Tittel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Beskrivelse (Markdown)"), validators=[Optional(), Length(max=20000)])
    subject = SelectField(_l("Fagområde"), validators=[InputRequired(REQUIRED)])
    audience = StringField(_l("Målgruppe"), validators=[Optional(), Length(max=200)])
    duration_minutes = IntegerField(_l("Varighet (minutter)"), default=90, validators=[
        InputRequired(REQUIRED),
        NumberRange(min=15, max=600, message=_l("Varigheten må være fra 15 til 600 minutter."))])
    max_participants = IntegerField(_l("Maks antall deltakere"), default=15, validators=[
        InputRequired(REQUIRED),
        NumberRange(min=1, max=100000, message=_l("Maks antall deltakere må være minst 1."))])
    venue = SelectField(_l("Sted"), validators=[InputRequired(REQUIRED)])
    buffer_minutes = IntegerField(_l("Buffer før og etter (minutter)"), default=15, validators=[
        InputRequired(REQUIRED),
        NumberRange(min=0, max=240, message=_l("Buffer må være fra 0 til 240 minutter."))])
    min_notice_hours = IntegerField(_l("Minste varsel (timer)"), default=48, validators=[
        InputRequired(REQUIRED),
        NumberRange(min=0, max=2160, message=_l("Varsel må være fra 0 til 2160 timer (90 dager)."))])
    active = BooleanField(_l("Kan bestilles"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(BookableKind)
        self.subject.choices = _subject_choices()
        self.venue.choices = _choices(Venue)


class WindowForm(FlaskForm):
    weekday = SelectField(_l("Ukedag"), coerce=int, choices=[SelectChoice(i, d) for i, d in enumerate(WEEKDAYS)],
                          validators=[InputRequired(_l("Velg en ukedag."))])
    start = ClockField(_l("Fra klokken"), validators=[InputRequired(_l("Skriv når tiden starter."))])
    end = ClockField(_l("Til klokken"), validators=[InputRequired(_l("Skriv når tiden slutter."))])
    valid_from = DateField(_l("Gjelder fra"), validators=[InputRequired(_l("Velg en dato."))])
    valid_until = DateField(_l("Gjelder til"), validators=[InputRequired(_l("Velg en dato."))])

    def validate_valid_from(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(str(OUT_OF_RANGE))

    def validate_valid_until(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(str(OUT_OF_RANGE))
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("«Gjelder til» kan ikke være før «Gjelder fra»."))

    def validate_end(self, field):
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("Sluttid må være etter starttid."))


class OpenCourseForm(FlaskForm):
    title = StringField(_l("Tittel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Innhold (Markdown)"), validators=[Optional(), Length(max=20000)])
    subject = SelectField(_l("Tema (fagområde)"), validators=[InputRequired(REQUIRED)])
    target_groups = MultiCheckboxField(_l("Målgrupper"), validators=[DataRequired(_l("Velg minst én målgruppe."))])
    capacity = IntegerField(_l("Antall plasser"), default=25, validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=100000, message=_l("Skriv et tall fra 1 til 100 000."))])
    day = DateField(_l("Dato"), validators=[InputRequired(_l("Velg en dato."))])
    start = ClockField(_l("Fra klokken"), validators=[InputRequired(_l("Skriv når kurset starter."))])
    end = ClockField(_l("Til klokken"), validators=[InputRequired(_l("Skriv når kurset slutter."))])
    location = StringField(_l("Sted"), validators=[Optional(), Length(max=300)])
    online_url = URLField(_l("Lenke til nettmøte"), validators=[
        Optional(), URL(message=_l("Skriv en fullstendig nettadresse som begynner med https://.")), Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject.choices = _subject_choices()
        self.target_groups.choices = _choices(TargetGroup)

    def validate_day(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(str(OUT_OF_RANGE))

    def validate_start(self, field):
        check_wall_time(self.day.data, field.data)

    def validate_end(self, field):
        check_wall_time(self.day.data, field.data)
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("Sluttid må være etter starttid."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Optional() ends the field's own validators on an empty value, so the pair is checked here.
        if not (self.location.data or "").strip() and not (self.online_url.data or "").strip():
            self.location.errors = [*self.location.errors,
                                    str(_l("Skriv hvor kurset holdes, eller en lenke til nettmøtet."))]
            return False
        return valid
