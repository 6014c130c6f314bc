"""Forms of the network pages; every one is checked on the server and keeps what was typed."""
from __future__ import annotations


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from catalog.networks.composition import LastYear
from catalog.networks.models import NetworkKind
from lms.forms import (FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE, ClockField, DayAndTimes, HttpsURLField, LineField,
                       MultiCheckboxField, coerce_id)


def kind_choices() -> list[SelectChoice]:
    """The kinds of network, labelled in the reader's language (called per form, not once at import)."""
    return [SelectChoice(k.value, k.label) for k in NetworkKind]


LAST_YEAR_CHOICES = [
    SelectChoice(LastYear.IGNORE.value, _l("Ta ikke hensyn til fjorårets grupper")),
    SelectChoice(LastYear.APART.value, _l("Hold fjorårets partnere fra hverandre")),
    SelectChoice(LastYear.TOGETHER.value, _l("Hold fjorårets partnere sammen")),
]


def id_or_none(value) -> int:
    """Return the id a choice carries, or 0 (no choice) for anything else, so the operation explains it."""
    try:
        return coerce_id(value)
    except (TypeError, ValueError):
        return 0


def _in_range(form, field):
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(str(OUT_OF_RANGE))


class NetworkForm(FlaskForm):
    name = LineField(_l("Navn"), validators=[DataRequired(_l("Skriv inn nettverkets navn.")), Length(max=200)])
    kind = SelectField(_l("Type"), choices=kind_choices, default=NetworkKind.MUNICIPALITY.value)
    school_year = IntegerField(_l("Skoleår (første år, for samarbeidsgrupper)"), validators=[
        Optional(), NumberRange(FIRST_YEAR, LAST_YEAR, _l("Skriv et år mellom 2000 og 2100."))])
    description = TextAreaField(_l("Beskrivelse (Markdown)"), validators=[Optional(), Length(max=10000)])
    target_group_text = LineField(_l("Målgruppe"), validators=[Optional(), Length(max=300)])
    timing = LineField(_l("Når"), validators=[Optional(), Length(max=200)])
    organiser = LineField(_l("Arrangør"), validators=[Optional(), Length(max=200)])
    coordinator_id = SelectField(_l("Koordinator"), coerce=id_or_none, default=0, validate_choice=False)
    include_leaders = BooleanField(_l("Skoleledere deltar"), default=True)
    include_digital_supervisors = BooleanField(_l("Digitale veiledere deltar"))
    include_environment_teachers = BooleanField(_l("Miljølærere deltar"))
    include_teachers = BooleanField(_l("Alle lærere deltar"))
    school_ids = MultiCheckboxField(_l("Medlemsskoler"), coerce=coerce_id)

    def validate_school_year(self, field):
        if self.kind.data == NetworkKind.GROUP.value and field.data is None:
            raise ValidationError(_l("En samarbeidsgruppe hører til et skoleår."))

    def validate_kind(self, field):
        if field.data not in {k.value for k in NetworkKind}:
            raise ValidationError(_l("Velg en type fra listen."))


class ResourceForm(FlaskForm):
    title = LineField(_l("Tittel"), validators=[DataRequired(_l("Gi ressursen en tittel.")), Length(max=200)])
    url = HttpsURLField(_l("Lenke"), validators=[
        Optional(), URL(message=_l("Skriv en fullstendig nettadresse som begynner med https://.")), Length(max=500)])
    note = TextAreaField(_l("Notat (Markdown)"), validators=[Optional(), Length(max=20000)])

    def validate_note(self, field):
        if not (self.url.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("Skriv en lenke eller et notat."))


class GatheringForm(DayAndTimes, FlaskForm):
    day = DateField(_l("Dato"), validators=[InputRequired(_l("Velg en dato.")), _in_range])
    start = ClockField(_l("Fra klokken"), validators=[InputRequired(_l("Skriv når samlingen starter."))])
    end = ClockField(_l("Til klokken"), validators=[InputRequired(_l("Skriv når samlingen slutter."))])
    host_school_id = SelectField(_l("Vertsskole"), coerce=id_or_none, default=0, validate_choice=False)
    location = LineField(_l("Sted"), validators=[Optional(), Length(max=300)])



class MinutesForm(FlaskForm):
    text = TextAreaField(_l("Referat (Markdown)"), validators=[DataRequired(_l("Skriv referatet.")),
                                                               Length(max=50000)])


class AdditionForm(FlaskForm):
    text = TextAreaField(_l("Tillegg til referatet"), validators=[DataRequired(_l("Skriv det du vil legge til.")),
                                                                   Length(max=10000)])


class CarriedBackForm(FlaskForm):
    school_id = SelectField(_l("Skole"), coerce=id_or_none, default=0, validate_choice=False)
    shared_on = DateField(_l("Når ble det delt på skolen"), validators=[InputRequired(_l("Velg en dato.")),
                                                                       _in_range])
    place = LineField(_l("Hvor (for eksempel fellestid eller trinnmøte)"), validators=[
        DataRequired(_l("Skriv hvor det ble delt.")), Length(max=200)])
    reached = IntegerField(_l("Hvor mange som var med"), validators=[
        InputRequired(_l("Skriv hvor mange som var med.")),
        NumberRange(0, 10000, _l("Skriv et tall mellom 0 og 10 000."))])
    note = TextAreaField(_l("Kort om hva som ble delt (valgfritt)"), validators=[Optional(), Length(max=5000)])


class ComposeForm(FlaskForm):
    school_year = IntegerField(_l("Skoleår (første år)"), validators=[
        InputRequired(_l("Skriv skoleåret.")), NumberRange(FIRST_YEAR, LAST_YEAR, _l("Skriv et år mellom 2000 og 2100."))])
    last_year = SelectField(_l("Fjorårets grupper"), choices=LAST_YEAR_CHOICES, default=LastYear.APART.value)

    def validate_last_year(self, field):
        if field.data not in {m.value for m in LastYear}:
            raise ValidationError(_l("Velg et alternativ fra listen."))


class MoveForm(FlaskForm):
    school_id = SelectField(_l("Skole"), coerce=id_or_none, default=0, validate_choice=False)
    to_network_id = SelectField(_l("Flytt til gruppe"), coerce=id_or_none, default=0, validate_choice=False)


class RoundForm(FlaskForm):
    title = LineField(_l("Navn på runden"), validators=[DataRequired(_l("Gi runden et navn.")), Length(max=200)])
    school_year = IntegerField(_l("Skoleår (første år)"), validators=[
        InputRequired(_l("Skriv skoleåret.")), NumberRange(FIRST_YEAR, LAST_YEAR, _l("Skriv et år mellom 2000 og 2100."))])
    window_start = DateField(_l("Første dag"), validators=[InputRequired(_l("Velg en dato.")), _in_range])
    window_end = DateField(_l("Siste dag"), validators=[InputRequired(_l("Velg en dato.")), _in_range])

    def validate_window_end(self, field):
        if field.data and self.window_start.data and field.data < self.window_start.data:
            raise ValidationError(_l("Siste dag må være etter første dag."))
