"""Forms of the development plan: the period, a section's text, goals, measures, treatments, milestones, review."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.forms import (FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE, REQUIRED, LineField, MultiCheckboxField, coerce_id,
                       whole_number)
from lms.plans.models import (SECTION_KEYS, SECTION_TITLES, Body, InformationKind, MilestoneStatus, PlanTargetGroup)

YEAR = [InputRequired(REQUIRED), NumberRange(min=FIRST_YEAR, max=LAST_YEAR,
                                             message=_l("Skriv et årstall, for eksempel 2026."))]
#: How a link is typed on a measure: kind and id, e.g. ``offering:12``.
LINK_HELP = _l("Én per linje: type og nummer, for eksempel offering:12 (kurs), plan_area:4 (alle kurs merket "
               "område 4), lighthouse_offering:3 (fyrtårntilbud).")


def _choices(enum_cls) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_cls]


def _in_range(form, field):
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(str(OUT_OF_RANGE))


class PlanForm(FlaskForm):
    school_id = SelectField(_l("Skole"), coerce=coerce_id, validators=[InputRequired(REQUIRED)])
    start_year = IntegerField(_l("Første skoleår (startår)"), validators=YEAR)
    end_year = IntegerField(_l("Siste skoleår (startår)"), validators=YEAR)

    def __init__(self, schools, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.school_id.choices = [(s.id, s.name) for s in schools]


class OpenedAt:
    """The version of the section or item the form was opened at, for optimistic versioning.

    Adding an item leaves it empty; changing one sends it back, and the
    operation refuses the save if someone saved the item since.
    """

    version = HiddenField()

    def started_from(self) -> int:
        return whole_number(self.version.data) or 0


class SectionForm(OpenedAt, FlaskForm):
    body = TextAreaField(_l("Tekst (Markdown)"), validators=[Optional(), Length(max=50000)])


class GoalForm(OpenedAt, FlaskForm):
    indicator = LineField(_l("Indikator (hva som måles)"), validators=[DataRequired(REQUIRED), Length(max=300)])
    target = LineField(_l("Mål (hva som skal nås, og når)"), validators=[DataRequired(REQUIRED), Length(max=300)])


class MeasureForm(OpenedAt, FlaskForm):
    title = LineField(_l("Tiltak"), validators=[DataRequired(REQUIRED), Length(max=300)])
    target_group = SelectField(_l("Målgruppe"), validators=[InputRequired(REQUIRED)])
    responsible = LineField(_l("Ansvarlig"), validators=[DataRequired(REQUIRED), Length(max=200)])
    timing = LineField(_l("Tidspunkt"), validators=[DataRequired(REQUIRED), Length(max=200)])
    links = TextAreaField(_l("Koblinger til tilbud i portalen"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_group.choices = _choices(PlanTargetGroup)
        #: The links as (kind, id), read by ``validate_links`` (empty when none were typed).
        self.parsed_links: list[tuple[str, int]] = []

    def validate_links(self, field):
        self.parsed_links = []
        for line in (field.data or "").splitlines():
            if not line.strip():
                continue
            kind, _sep, number = line.strip().partition(":")
            ref = whole_number(number.strip())
            if ref is None or not kind.strip():
                raise ValidationError(_l("Skriv hver kobling som type:nummer, for eksempel offering:12."))
            self.parsed_links.append((kind.strip(), ref))


class TreatmentForm(OpenedAt, FlaskForm):
    body = SelectField(_l("Organ"), validators=[InputRequired(REQUIRED)])
    treated_on = DateField(_l("Behandlet dato"), validators=[InputRequired(_l("Velg en dato.")), _in_range])
    decision = TextAreaField(_l("Vedtak eller konklusjon"), validators=[DataRequired(REQUIRED), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.body.choices = _choices(Body)


class InformationForm(OpenedAt, FlaskForm):
    kind = SelectField(_l("Form"), validators=[InputRequired(REQUIRED)])
    title = LineField(_l("Hva"), validators=[DataRequired(REQUIRED), Length(max=300)])
    audience = SelectField(_l("For hvem"), validators=[InputRequired(REQUIRED)])
    informed_on = DateField(_l("Dato"), validators=[InputRequired(_l("Velg en dato.")), _in_range])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(InformationKind)
        self.audience.choices = _choices(PlanTargetGroup)


class MilestoneForm(OpenedAt, FlaskForm):
    what = LineField(_l("Hva skal være nådd"), validators=[DataRequired(REQUIRED), Length(max=300)])
    responsible_id = SelectField(_l("Ansvarlig"), coerce=coerce_id, validators=[InputRequired(REQUIRED)])
    deadline = DateField(_l("Frist"), validators=[InputRequired(_l("Velg en dato.")), _in_range])
    evaluation = LineField(_l("Hvordan det evalueres"), validators=[Optional(), Length(max=500)])
    depends_on = MultiCheckboxField(_l("Avhenger av"), coerce=coerce_id, validators=[Optional()])
    #: Shown when a milestone is changed; a new one is planned.
    status = SelectField(_l("Status"), default=MilestoneStatus.PLANNED.value, validators=[Optional()])

    def __init__(self, staff, milestones, *args, former=None, **kwargs):
        """``milestones`` are those it may depend on; ``former`` a responsible person who is no longer staff."""
        super().__init__(*args, **kwargs)
        self.responsible_id.choices = [(p.id, p.name) for p in staff]
        if former is not None and former.id not in {p.id for p in staff}:
            self.responsible_id.choices.insert(0, (former.id, _l("%(name)s (ikke lenger ved skolen)",
                                                                 name=former.name)))
        self.depends_on.choices = [(m.id, m.what) for m in milestones]
        self.status.choices = _choices(MilestoneStatus)

    def chosen_status(self) -> MilestoneStatus:
        return MilestoneStatus(self.status.data or MilestoneStatus.PLANNED.value)


class MilestoneStatusForm(FlaskForm):
    status = SelectField(_l("Status"), validators=[InputRequired(REQUIRED)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _choices(MilestoneStatus)


class TreatedForm(FlaskForm):
    """Driftsstyret's treatment, which moves the plan to "treated"."""

    treated_on = DateField(_l("Dato for behandling i Driftsstyret"),
                           validators=[InputRequired(_l("Velg en dato.")), _in_range])
    decision = TextAreaField(_l("Driftsstyrets vedtak"), validators=[DataRequired(REQUIRED), Length(max=5000)])


class CommentForm(FlaskForm):
    section_key = SelectField(_l("Avsnitt"), validators=[InputRequired(REQUIRED)])
    body = TextAreaField(_l("Kommentar"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    must_improve = BooleanField(_l("Må forbedres før planen kan godkjennes"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_key.choices = [SelectChoice(key, SECTION_TITLES[key]) for key in SECTION_KEYS]
