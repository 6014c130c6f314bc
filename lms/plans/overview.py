"""The municipality's overview of development plans: every school's status, overdue milestones, coverage, anchoring.

A fixed number of queries however many schools: the schools, their latest
plans, overdue milestones and bodies treated per plan, and one call to each
evidence source for all the schools at once.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms import plugins
from lms.db import db
from lms.i18n import to_oslo
from lms.links import addresses_of
from lms.people.models import School
from lms.plans.models import Body, Milestone, OPEN_MILESTONE, Plan, PlanState, PlanTreatment
from lms.plans.operations import OSLO
from lms.schoolyear import school_year_of

#: The figure keys the overview reads from the evidence sources.
COVERAGE_KEY = "staff_completed"
PARENTS_KEY = "parents_reached"


@dataclass(frozen=True)
class PlanSummary:
    """What the overview shows of a plan: read as plain rows, since 3,000 ORM objects (and the garbage
    collections they set off) cost more than the rest of the overview's own work."""

    id: int
    school_id: int
    start_year: int
    end_year: int
    state: PlanState

    period_label = Plan.period_label


@dataclass
class OverviewRow:
    #: The school's id, name and district.
    school: sa.Row
    plan: PlanSummary | None
    overdue: int
    #: Staff with a completed competence activity this school year, and the staff.
    completed: int | None
    staff: int | None
    bodies_treated: int
    parents_reached: int | None
    #: The plan's state as the reader reads it ("Ingen plan" without one), and the address of the plan.
    status: str = ""
    url: str | None = None

    @property
    def coverage(self) -> float | None:
        return self.completed / self.staff if self.staff else None

    @property
    def coverage_percent(self) -> int | None:
        return round(100 * self.coverage) if self.coverage is not None else None


def districts() -> list[str]:
    return list(db.session.scalars(sa.select(School.district).where(School.district != "").distinct()
                                   .order_by(School.district)))


def overview(now: datetime, district: str | None = None) -> list[OverviewRow]:
    """Return one row per school (in the district, if one is given), by name."""
    query = sa.select(School.id, School.name, School.district).order_by(School.name, School.id)
    if district:
        query = query.where(School.district == district)
    schools = db.session.execute(query).all()
    ids = [s.id for s in schools]
    if not ids:
        return []
    # Each school's newest plan, and its milestones and treatments through that same subquery: no list of
    # 3,000 ids to send, parse and plan for each (see plugins.MANY_SCHOOLS); a school not asked about is
    # left out when the rows are put together below.
    newest = (sa.select(Plan.school_id, sa.func.max(Plan.start_year).label("start_year"))
              .where(plugins.at_schools(Plan.school_id, ids)).group_by(Plan.school_id).subquery())
    chosen = (sa.select(Plan.id, Plan.school_id, Plan.start_year, Plan.end_year, Plan.state)
              .join(newest, sa.and_(newest.c.school_id == Plan.school_id, newest.c.start_year == Plan.start_year)))
    plans = {p.school_id: p for p in (PlanSummary(*row) for row in db.session.execute(chosen))}
    chosen_ids = sa.select(chosen.subquery().c.id)
    today = to_oslo(now).date()
    overdue: dict[int, int] = {}
    bodies: dict[int, int] = {}
    if plans:
        overdue = dict(db.session.execute(
            sa.select(Milestone.plan_id, sa.func.count()).where(
                Milestone.plan_id.in_(chosen_ids), Milestone.deadline < today,
                Milestone.status.in_(list(OPEN_MILESTONE)))
            .group_by(Milestone.plan_id)).all())
        bodies = dict(db.session.execute(
            sa.select(PlanTreatment.plan_id, sa.func.count(sa.distinct(PlanTreatment.body)))
            .where(PlanTreatment.plan_id.in_(chosen_ids)).group_by(PlanTreatment.plan_id)).all())
    year = school_year_of(today)
    starts = datetime(year, 8, 1, tzinfo=OSLO)
    ends = datetime(year + 1, 8, 1, tzinfo=OSLO)
    figures: dict[tuple[int, str], plugins.EvidenceFigure] = {}
    parents: dict[int, int] = defaultdict(int)
    for figure in plugins.plan_evidence(current_app, plugins.EvidenceQuery(frozenset(ids), starts, ends, {}, now)):
        if figure.link is None and figure.key == COVERAGE_KEY:
            figures[(figure.school_id, figure.key)] = figure
        if figure.key == PARENTS_KEY:
            parents[figure.school_id] += int(figure.value)
    # Translated and built once, not per school: for 3,000 schools a label and an address each cost more
    # than the rest of the row.
    labels = {state: state.label for state in PlanState}
    no_plan = _("Ingen plan")
    plan_url = addresses_of("plans.show", "plan_id")
    rows = []
    for school in schools:
        plan = plans.get(school.id)
        coverage = figures.get((school.id, COVERAGE_KEY))
        rows.append(OverviewRow(school, plan, overdue.get(plan.id, 0) if plan else 0,
                                int(coverage.value) if coverage else None, coverage.of if coverage else None,
                                bodies.get(plan.id, 0) if plan else 0,
                                parents.get(school.id) if school.id in parents else None,
                                labels[plan.state] if plan else no_plan, plan_url(plan.id) if plan else None))
    return rows


def state_counts(rows: list[OverviewRow]) -> list[tuple[str, str, int]]:
    """Return (key, label, number of schools) per plan state, and for schools without a plan, for the chart."""
    counts = defaultdict(int)
    for row in rows:
        counts[row.plan.state.value if row.plan else "none"] += 1
    return [("none", _("Ingen plan"), counts["none"])] + [(s.value, s.label, counts[s.value]) for s in PlanState]


BODIES = len(Body)


def export_header() -> list[str]:
    return [_("Skole"), _("Område"), _("Planperiode"), _("Status"), _("Forfalte milepæler"),
            _("Ansatte med fullført kompetansetiltak"), _("Ansatte"), _("Andel (%)"),
            _("Organer som har behandlet planen"), _("Foresatte nådd")]


def export_rows(rows: list[OverviewRow]) -> list[list]:
    return [[v for v in (
        r.school.name, r.school.district, r.plan.period_label if r.plan else "", r.status, r.overdue, r.completed if r.completed is not None else "", r.staff if r.staff is not None
        else "", r.coverage_percent if r.coverage_percent is not None else "", f"{r.bodies_treated}/{BODIES}",
        r.parents_reached if r.parents_reached is not None else "")] for r in rows]
