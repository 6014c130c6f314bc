"""Forms of parent events: the parent's sign-up (at most four fields), the manage page, the organiser's event."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, RadioField, SelectChoice, SelectField,
                     TextAreaField)
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from catalog.parents.models import GRADES, AttendanceMode, ParentEvent, ParentEventKind
from catalog.parents.operations import (NAME_LENGTH, QUESTION_LENGTH, EventData, asks_grade, asks_school,
                                        grade_choices)
from lms.forms import (FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE, REQUIRED, ClockField, DayAndTimes, HttpsURLField,
                       LineField, MultiCheckboxField, whole_number)


def _optional_number(value) -> int | None:
    """Return the chosen number (a school's id, a grade); an empty or odd choice is none."""
    if isinstance(value, int):
        return value
    return whole_number(value)


def grade_label(grade: int) -> str:
    return str(_l("%(n)d. trinn", n=grade))


def _mode_choices() -> list[SelectChoice]:
    return [SelectChoice(AttendanceMode.HALL.value, AttendanceMode.HALL.label),
            SelectChoice(AttendanceMode.STREAM.value, AttendanceMode.STREAM.label)]


class SignupForm(FlaskForm):
    """A parent's sign-up: name, e-mail, the child's school and grade where asked, hall or stream.

    ``nettside`` is the honeypot: hidden from people, filled in by bots.
    """

    name = LineField(_l("Navnet ditt"), validators=[DataRequired(_l("Skriv navnet ditt.")),
                                                      Length(max=NAME_LENGTH, message=_l("Navnet er for langt."))])
    email = EmailField(_l("E-postadressen din"), validators=[
        DataRequired(_l("Skriv e-postadressen din.")), Length(max=254, message=_l("E-postadressen er for lang.")),
        Email(message=_l("Skriv en gyldig e-postadresse, for eksempel navn@example.no."), check_deliverability=False)])
    school_id = SelectField(_l("Skolen barnet går på"), coerce=_optional_number, validate_choice=False,
                            validators=[Optional()])
    grade = SelectField(_l("Trinnet barnet går på"), coerce=_optional_number, validate_choice=False,
                        validators=[Optional()])
    mode = RadioField(_l("Hvordan vil du delta?"), validate_choice=False, validators=[Optional()])
    party_size = RadioField(_l("Hvor mange kommer?"), coerce=_optional_number, validate_choice=False,
                            validators=[Optional()], choices=[SelectChoice(1, _l("1 person")), SelectChoice(2, _l("2 personer"))], default=1)
    nettside = LineField(_l("La dette feltet stå tomt"), validators=[Optional()])

    def for_event(self, event: ParentEvent, schools) -> SignupForm:
        """Offer only what the event asks; leave out the rest."""
        if asks_school(event):
            self.school_id.choices = [SelectChoice("", _l("Velg skole"))] + [
                SelectChoice(s.id, s.name) for s in schools]
            self.school_id.validators = [DataRequired(_l("Velg skolen barnet ditt går på."))]
        else:
            del self.school_id
        if asks_grade(event):
            self.grade.choices = [SelectChoice("", _l("Velg trinn"))] + [
                SelectChoice(g, grade_label(g)) for g in grade_choices(event)]
            self.grade.validators = [DataRequired(_l("Velg trinnet barnet ditt går på."))]
        else:
            del self.grade
        if event.mode == AttendanceMode.BOTH:
            self.mode.choices = _mode_choices()
            self.mode.validators = [DataRequired(_l("Velg om du kommer i salen eller følger strømmingen."))]
        else:
            del self.mode
        if not event.has_hall:
            del self.party_size
        return self

    def validate_mode(self, field):
        if field.data and field.data not in (AttendanceMode.HALL.value, AttendanceMode.STREAM.value):
            raise ValidationError(str(_l("Velg om du kommer i salen eller følger strømmingen.")))

    def validate_party_size(self, field):
        if field.data not in (1, 2):
            raise ValidationError(str(_l("Velg 1 eller 2 personer.")))

    def validate_school_id(self, field):
        if field.data is None or field.data not in {c[0] for c in field.iter_choices() if c[0] != ""}:
            raise ValidationError(str(_l("Velg skolen barnet ditt går på.")))

    def validate_grade(self, field):
        if field.data is None or field.data not in GRADES:
            raise ValidationError(str(_l("Velg trinnet barnet ditt går på.")))

    def chosen_mode(self, event: ParentEvent) -> AttendanceMode:
        if "mode" in self:
            return AttendanceMode(self.mode.data)
        return AttendanceMode.HALL if event.mode == AttendanceMode.HALL else AttendanceMode.STREAM


class ChangeForm(FlaskForm):
    """On the manage page: hall or stream, and how many come."""

    mode = RadioField(_l("Hvordan vil du delta?"), validate_choice=False, validators=[
        DataRequired(_l("Velg om du kommer i salen eller følger strømmingen."))])
    party_size = RadioField(_l("Hvor mange kommer?"), coerce=_optional_number, validate_choice=False,
                            validators=[Optional()], choices=[SelectChoice(1, _l("1 person")), SelectChoice(2, _l("2 personer"))], default=1)

    def for_event(self, event: ParentEvent) -> ChangeForm:
        self.mode.choices = _mode_choices()
        return self

    def validate_mode(self, field):
        if field.data not in (AttendanceMode.HALL.value, AttendanceMode.STREAM.value):
            raise ValidationError(str(_l("Velg om du kommer i salen eller følger strømmingen.")))

    def validate_party_size(self, field):
        if self.mode.data == AttendanceMode.HALL.value and field.data not in (1, 2):
            raise ValidationError(str(_l("Velg 1 eller 2 personer.")))


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Spørsmålet ditt"), validators=[
        DataRequired(_l("Skriv spørsmålet ditt.")),
        Length(max=QUESTION_LENGTH, message=_l("Spørsmålet kan ha høyst %(n)d tegn.", n=QUESTION_LENGTH))])
    nettside = LineField(_l("La dette feltet stå tomt"), validators=[Optional()])


class EventForm(DayAndTimes, FlaskForm):
    """The organiser's parent event: what, for whom, when, where and how (the times in Oslo, see DayAndTimes)."""

    title = LineField(_l("Tittel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Type"), choices=[SelectChoice(k.value, label) for k, label in ParentEventKind.LABELS().items()],
                       validate_choice=False,
                       validators=[InputRequired(REQUIRED)])
    school_id = SelectField(_l("Arrangør"), validate_choice=False, validators=[InputRequired(REQUIRED)])
    grades = MultiCheckboxField(_l("Trinn (ingen valgt: alle trinn)"), coerce=str,
                                choices=[SelectChoice(str(g), _l("%(n)d. trinn", n=g)) for g in GRADES])
    day = DateField(_l("Dato"), validators=[InputRequired(_l("Velg en dato."))])
    start = ClockField(_l("Fra klokken"), validators=[InputRequired(_l("Skriv når arrangementet starter."))])
    end = ClockField(_l("Til klokken"), validators=[InputRequired(_l("Skriv når arrangementet slutter."))])
    mode = SelectField(_l("Deltakelse"), choices=[SelectChoice(m.value, label) for m, label in AttendanceMode.LABELS().items()],
                       validate_choice=False,
                       validators=[InputRequired(REQUIRED)])
    location = LineField(_l("Sted (salen)"), validators=[Optional(), Length(max=300)])
    hall_capacity = IntegerField(_l("Plasser i salen"), validators=[
        Optional(), NumberRange(min=1, max=100000, message=_l("Skriv et tall fra 1 til 100 000."))])
    stream_capacity = IntegerField(_l("Plasser på strømmingen (tomt: ingen grense)"), validators=[
        Optional(), NumberRange(min=1, max=1000000, message=_l("Skriv et tall fra 1 til 1 000 000."))])
    stream_url = HttpsURLField(_l("Lenke til strømmingen (sendes bare til de påmeldte)"), validators=[
        Optional(), URL(message=_l("Skriv en fullstendig nettadresse som begynner med https://.")), Length(max=500)])
    takes_questions = BooleanField(_l("Ta imot spørsmål på forhånd"))
    description = TextAreaField(_l("Om arrangementet"), validators=[Optional(), Length(max=5000)])

    def for_schools(self, schools, municipality: bool) -> EventForm:
        self.school_id.choices = ([SelectChoice("", _l("Kommunen (alle skoler)"))] if municipality else []) + [
            SelectChoice(str(s.id), s.name) for s in schools]
        return self

    def validate_school_id(self, field):
        if field.data not in {str(c[0]) for c in field.iter_choices()}:
            raise ValidationError(str(_l("Velg bare blant alternativene.")))

    def validate_kind(self, field):
        if field.data not in {k.value for k in ParentEventKind}:
            raise ValidationError(str(_l("Velg bare blant alternativene.")))

    def validate_mode(self, field):
        if field.data not in {m.value for m in AttendanceMode}:
            raise ValidationError(str(_l("Velg bare blant alternativene.")))

    def validate_day(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(str(OUT_OF_RANGE))

    def event_data(self) -> EventData:
        starts, ends = self.oslo_times()
        return EventData(
            title=self.title.data or "", kind=ParentEventKind(self.kind.data),
            school_id=whole_number(self.school_id.data), starts_at=starts, ends_at=ends,
            mode=AttendanceMode(self.mode.data), hall_capacity=self.hall_capacity.data,
            stream_capacity=self.stream_capacity.data, stream_url=self.stream_url.data or "",
            location=self.location.data or "", description=self.description.data or "",
            grades=[int(g) for g in self.grades.data or [] if g.isdecimal() and int(g) in GRADES],
            takes_questions=bool(self.takes_questions.data))
