"""Forms of the offerings: an offering, its sessions, cancelling it."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput

from catalog.offerings.models import OfferingKind, OnboardingCohort, TargetGroup
from lms.forms import (FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE, REQUIRED, ClockField, DayAndTimes, HttpsURLField,
                       LineField, MultiCheckboxField)
from lms.i18n import OSLO, WallTimeError, oslo_wall_time


class OsloDateTimeField(StringField):
    """A date and time typed in Oslo time (``datetime-local``), stored as aware UTC."""

    widget = DateTimeLocalInput()

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_data = valuelist
        if not raw:
            return
        for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"):
            try:
                moment = datetime.strptime(raw, fmt)
            except ValueError:
                continue
            if not FIRST_YEAR <= moment.year <= LAST_YEAR:
                raise ValueError(str(OUT_OF_RANGE))
            try:
                self.data = oslo_wall_time(moment.date(), moment.time())
            except WallTimeError as err:
                raise ValueError(str(err)) from None
            return
        raise ValueError(str(_l("Skriv dato og klokkeslett som dd.mm.åååå tt:mm.")))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M") if self.data else ""


_ISO_WEEK = re.compile(r"(\d{4}) ?-? ?w ?(\d{1,2})")
_WEEK_WORDS = re.compile(r"(?:(?:uke|veke|week|wk|w|u|v)\.? ?)?(\d{1,2})(?: ?[,/-]? ?(\d{4}))?")


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


def parse_week(raw: str | None, today: date) -> tuple[int, int] | None:
    """Read an ISO week as people type it; return (year, week), None when blank, or raise ValueError.

    Browsers that show ``type=week`` as a plain text box (Safari, Firefox)
    send what was typed: "41", "uke 41", "veke 41", "week 41", "2026-W41",
    in any case and spacing. A week without a year is the coming one: this
    year's if it has not ended yet, otherwise next year's.
    """
    text = " ".join((raw or "").lower().split())
    if not text:
        return None
    if m := _ISO_WEEK.fullmatch(text):
        candidates = [(int(m[1]), int(m[2]))]
    elif m := _WEEK_WORDS.fullmatch(text):
        week = int(m[1])
        this_year = today.isocalendar().year
        candidates = [(int(m[2]), week)] if m[2] else [(this_year, week), (this_year + 1, week)]
    else:
        raise ValueError(raw)
    for year, week in candidates:
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= week <= _weeks_in(year):
            if len(candidates) == 1 or date.fromisocalendar(year, week, 7) >= today:
                return year, week
    raise ValueError(raw)


def _choices(enum_cls):
    return [SelectChoice(m.value, m.label) for m in enum_cls]


class OfferingForm(FlaskForm):
    title = LineField(_l("Tittel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Type"), validators=[InputRequired(REQUIRED)])
    theme = LineField(_l("Tema"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Innhold (Markdown)"), validators=[Optional(), Length(max=20000)])
    organiser = LineField(_l("Arrangør"), validators=[Optional(), Length(max=200)])
    target_groups = MultiCheckboxField(_l("Målgrupper"), validators=[DataRequired(_l("Velg minst én målgruppe."))])
    target_group_text = LineField(_l("Målgruppe med programmets ord"), validators=[Optional(), Length(max=300)])
    timing = LineField(_l("Når i skoleåret, med programmets ord"), validators=[Optional(), Length(max=200)])
    # No Optional() on the choices: it would let " " past the choice check (blank is the choice "").
    plan_area = SelectField(_l("Område i utviklingsplanen"), default="", choices=[
        SelectChoice("", _l("Ingen")), SelectChoice("4", _l("4 – Kompetanseheving")),
        SelectChoice("6", _l("6 – Informasjon og forankring"))])
    capacity = IntegerField(_l("Antall plasser"), validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=100000, message=_l("Skriv et tall fra 1 til 100 000."))])
    min_participants = IntegerField(_l("Minste antall deltakere"), default=0, validators=[
        Optional(), NumberRange(min=0, max=100000, message=_l("Skriv et tall fra 0 til 100 000."))])
    go_no_go_date = DateField(_l("Dato for beslutning om gjennomføring"), validators=[Optional()])
    registration_opens_at = OsloDateTimeField(_l("Påmeldingen åpner"), validators=[Optional()])
    registration_closes_at = OsloDateTimeField(_l("Påmeldingsfrist"), validators=[Optional()])
    cancellation_deadline = OsloDateTimeField(_l("Avmeldingsfrist"), validators=[Optional()])
    location = LineField(_l("Sted"), validators=[Optional(), Length(max=300)])
    online_url = HttpsURLField(_l("Lenke til nettmøte"), validators=[
        Optional(), URL(message=_l("Skriv en fullstendig nettadresse som begynner med https://.")), Length(max=500)])
    school_year = IntegerField(_l("Skoleår (startår)"), validators=[
        InputRequired(REQUIRED), NumberRange(min=2000, max=2100, message=_l("Skriv et årstall, for eksempel 2026."))])
    onboarding_cohort = SelectField(_l("For nyansatte (oppstartskurs)"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(OfferingKind)
        self.target_groups.choices = _choices(TargetGroup)
        self.onboarding_cohort.choices = [SelectChoice("", _l("Ikke et oppstartskurs"))] + _choices(OnboardingCohort)

    def validate_registration_closes_at(self, field):
        opens = self.registration_opens_at.data
        if field.data and opens and field.data <= opens:
            raise ValidationError(_l("Påmeldingsfristen må være etter at påmeldingen åpner."))

    def validate_min_participants(self, field):
        if field.data and self.capacity.data and field.data > self.capacity.data:
            raise ValidationError(_l("Kan ikke være større enn antall plasser."))


class SessionForm(DayAndTimes, FlaskForm):
    day = DateField(_l("Dato"), validators=[InputRequired(_l("Velg en dato."))])
    start = ClockField(_l("Fra klokken"), validators=[InputRequired(_l("Skriv når økten starter."))])
    end = ClockField(_l("Til klokken"), validators=[InputRequired(_l("Skriv når økten slutter."))])
    title = LineField(_l("Navn på økten (valgfritt)"), validators=[Optional(), Length(max=200)])
    location = LineField(_l("Sted"), validators=[Optional(), Length(max=300)])
    online_url = HttpsURLField(_l("Lenke til nettmøte"), validators=[
        Optional(), URL(message=_l("Skriv en fullstendig nettadresse som begynner med https://.")), Length(max=500)])

    def validate_day(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(str(OUT_OF_RANGE))



class CancelOfferingForm(FlaskForm):
    reason = TextAreaField(_l("Begrunnelse til deltakerne"), validators=[
        DataRequired(_l("Skriv en kort begrunnelse til deltakerne.")), Length(max=2000)])


class CancelSessionForm(FlaskForm):
    reason = TextAreaField(_l("Begrunnelse til deltakerne (valgfritt)"), validators=[Optional(), Length(max=2000)])
