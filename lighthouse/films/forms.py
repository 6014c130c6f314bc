"""Forms of the learning films: writing a film (its publish buttons are the shared ActionForm)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from lms.forms import REQUIRED, HttpsURLField, LineField, MultiCheckboxField
from lighthouse.films import operations as film_ops
from lighthouse.films.models import DEFAULT_LICENCE
from lighthouse.profiles.models import GradeLevel, Subject


def _id(value) -> int | None:
    """Return a profile id from the form; what is not one is None (then refused as not a choice)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


class FilmForm(FlaskForm):
    title = LineField(_l("Tittel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    summary = TextAreaField(_l("Kort om filmen"), validators=[
        Optional(), Length(max=500, message=_l("Skriv høyst 500 tegn."))])
    video_url = HttpsURLField(_l("Adressen til filmen"), validators=[InputRequired(REQUIRED)])
    tasks = TextAreaField(_l("Oppgaver (Markdown)"), validators=[
        Optional(), Length(max=20000, message=_l("Skriv høyst 20 000 tegn."))])
    subject = SelectField(_l("Fag"), validate_choice=False, validators=[InputRequired(REQUIRED)])
    grades = MultiCheckboxField(_l("Trinn"), validators=[DataRequired(_l("Velg minst ett trinn."))])
    licence = SelectField(_l("Lisens"), default=DEFAULT_LICENCE, validate_choice=False,
                          validators=[InputRequired(REQUIRED)])
    #: Shown to admins only: the fyrtårn the film is by.
    profile_id = SelectField(_l("Fyrtårn"), coerce=_id, validators=[InputRequired(_l("Velg et fyrtårn."))])

    def __init__(self, *args, profiles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject.choices = [SelectChoice("", _l("Velg fag"))] + [
            SelectChoice(s.value, s.label) for s in sorted(Subject, key=lambda s: str(s.label))]
        self.grades.choices = [SelectChoice(g.value, g.label) for g in GradeLevel]
        self.licence.choices = [SelectChoice(lic.code, lic.label) for lic in film_ops.LICENCES]
        if profiles is None:
            del self.profile_id
        else:
            self.profile_id.choices = [SelectChoice(p.id, f"{p.user.name} ({p.home_school.name})")
                                       for p in profiles]

    def validate_video_url(self, field):
        if problem := film_ops.video_url_problem(field.data or ""):
            raise ValidationError(problem)

    def validate_subject(self, field):
        if field.data not in {s.value for s in Subject}:
            raise ValidationError(_l("Velg et fag fra listen."))

    def validate_licence(self, field):
        if field.data not in {lic.code for lic in film_ops.LICENCES}:
            raise ValidationError(_l("Velg en lisens fra listen."))

    def data_for_operation(self) -> film_ops.FilmData:
        """Return what the form holds as the operation takes it."""
        return film_ops.FilmData(
            title=self.title.data or "", summary=self.summary.data or "", video_url=(self.video_url.data or "").strip(),
            tasks=self.tasks.data or "", subject=Subject(self.subject.data),
            grades=[GradeLevel(v) for v in self.grades.data], licence=self.licence.data,
            profile_id=self.profile_id.data if "profile_id" in self else None)
