"""The catalogue's evidence for development plans: staff enrolled in and completing what the measures link to.

Answers :class:`lms.plugins.EvidenceQuery` in at most six queries however
many schools, measures and links: the staff, the linked offerings, their
target groups, the staff's enrollments in them, completions in offerings
tagged with a linked plan area, and the completions in the period.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from catalog.enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentState
from catalog.enrollment.operations import STAFF_ROLES, TEACHING_ROLES, is_new_hire
from catalog.offerings.models import Offering, OfferingKind, OfferingTargetGroup, TargetGroup
from lms.db import db, now_utc
from lms.i18n import to_oslo
from lms.people.models import Membership, Role, User
from lms.plugins import EvidenceFigure, EvidenceQuery

#: The area a figure about staff competence belongs to.
COMPETENCE_AREA = 4


#: Above this many schools the queries read every school's staff and keep the asked ones in Python: with a
#: long ``IN`` list SQLite plans the join from every person instead (11 s instead of 0.04 s for 3,000 schools).
MANY_SCHOOLS = 200


def _at_schools(column, school_ids):
    """Return the condition that ``column`` is one of the schools, or none when they are many (see above)."""
    return column.in_(school_ids) if len(school_ids) <= MANY_SCHOOLS else sa.true()


def _staff(school_ids, today) -> dict[int, dict[TargetGroup, set[int]]]:
    """Return each school's staff by target group, from one query."""
    groups: dict[int, dict[TargetGroup, set[int]]] = defaultdict(lambda: defaultdict(set))
    new_hire: dict = {}  # by hire date: the rule reads a setting, and the municipality has few distinct dates
    rows = db.session.execute(
        sa.select(Membership.school_id, Membership.role, User.id, User.is_digital_supervisor, User.hire_date)
        .join(User, User.id == Membership.user_id)
        .where(_at_schools(Membership.school_id, school_ids), Membership.role.in_(STAFF_ROLES),
               User.active.is_(True)))
    for school_id, role, user_id, supervisor, hire_date in rows:
        if school_id not in school_ids:
            continue
        mine = groups[school_id]
        mine[TargetGroup.ALL_STAFF].add(user_id)
        if role in TEACHING_ROLES:
            mine[TargetGroup.TEACHERS].add(user_id)
        if role == Role.LEADER:
            mine[TargetGroup.LEADERS].add(user_id)
        if supervisor:
            mine[TargetGroup.DIGITAL_SUPERVISORS].add(user_id)
        if hire_date is not None and hire_date not in new_hire:
            new_hire[hire_date] = is_new_hire(User(hire_date=hire_date), today)
        if hire_date is not None and new_hire[hire_date]:
            mine[TargetGroup.NEW_HIRES].add(user_id)
    return groups


def _staff_enrollments(school_ids, *columns) -> sa.Select:
    """Select the enrollments of the schools' staff with the school: joined, not a list of people's ids,
    which for the whole municipality would be more values than a query can carry."""
    return (sa.select(Membership.school_id, *columns).join(Enrollment, Enrollment.user_id == Membership.user_id)
            .where(_at_schools(Membership.school_id, school_ids), Membership.role.in_(STAFF_ROLES)).distinct())


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return enrolled and completed staff per linked offering, the share with a completed activity, onboarding."""
    if not query.school_ids:
        return []
    now = query.now or now_utc()
    today = to_oslo(now).date()
    staff = _staff(query.school_ids, today)
    everyone = {uid for groups in staff.values() for uid in groups[TargetGroup.ALL_STAFF]}
    figures: list[EvidenceFigure] = []

    offering_ids = set(query.links.get("offering", ()))
    areas = set(query.links.get("plan_area", ())) & {4, 6}
    offerings: dict[int, tuple[str, int | None]] = {}
    targets: dict[int, set[TargetGroup]] = defaultdict(set)
    people: dict[tuple[int, int], set[tuple[int, EnrollmentState]]] = defaultdict(set)
    if offering_ids and everyone:
        offerings = {oid: (title, area) for oid, title, area in db.session.execute(
            sa.select(Offering.id, Offering.title, Offering.plan_area).where(Offering.id.in_(offering_ids)))}
        for offering_id, group in db.session.execute(sa.select(OfferingTargetGroup.offering_id, OfferingTargetGroup.group)
                                                     .where(OfferingTargetGroup.offering_id.in_(offerings))):
            targets[offering_id].add(group)
        for school_id, offering_id, user_id, state in db.session.execute(
                _staff_enrollments(query.school_ids, Enrollment.offering_id, Enrollment.user_id, Enrollment.state)
                .where(Enrollment.offering_id.in_(offerings), Enrollment.state.in_(ACTIVE_STATES))):
            if school_id in staff and user_id in staff[school_id][TargetGroup.ALL_STAFF]:  # active, asked-for staff
                people[(school_id, offering_id)].add((user_id, state))
    # Every offering tagged with an area counts together: the people who completed one, not each offering.
    tagged: dict[tuple[int, int], set[int]] = defaultdict(set)
    if areas and everyone:
        for school_id, area, user_id in db.session.execute(
                _staff_enrollments(query.school_ids, Offering.plan_area, Enrollment.user_id)
                .join(Offering, Offering.id == Enrollment.offering_id)
                .where(Offering.plan_area.in_(areas), Enrollment.state == EnrollmentState.COMPLETED)):
            if school_id in staff and user_id in staff[school_id][TargetGroup.ALL_STAFF]:
                tagged[(school_id, area)].add(user_id)

    def group_size(school_id: int, offering_id: int) -> int:
        wanted = targets.get(offering_id) or {TargetGroup.ALL_STAFF}
        return len(set().union(*(staff[school_id][g] for g in wanted)))

    def counted(school_id: int, offering_id: int, link: tuple[str, int]) -> None:
        title, area = offerings[offering_id]
        rows = people.get((school_id, offering_id), set())
        of = group_size(school_id, offering_id)
        url = url_for("enrollment.participants", offering_id=offering_id)
        figures.append(EvidenceFigure(school_id, area or COMPETENCE_AREA, "enrolled",
                                      _("%(title)s: påmeldte ansatte", title=title),
                                      len({u for u, s in rows if s != EnrollmentState.WAITLISTED}), of, url, link))
        figures.append(EvidenceFigure(school_id, area or COMPETENCE_AREA, "completed",
                                      _("%(title)s: fullført", title=title),
                                      len({u for u, s in rows if s == EnrollmentState.COMPLETED}), of, url, link))

    for school_id in query.school_ids:
        for offering_id in sorted(offering_ids & set(offerings)):
            counted(school_id, offering_id, ("offering", offering_id))
        for area in sorted(areas):
            figures.append(EvidenceFigure(
                school_id, area, "plan_area_completed",
                _("Ansatte som har fullført kurs merket område %(area)d", area=area),
                len(tagged.get((school_id, area), ())), len(staff[school_id][TargetGroup.ALL_STAFF]), None,
                ("plan_area", area)))

    completed: dict[int, set[int]] = defaultdict(set)
    onboarded: set[int] = set()
    if everyone:
        for school_id, user_id, kind in db.session.execute(
                _staff_enrollments(query.school_ids, Enrollment.user_id, Offering.kind)
                .join(Offering, Offering.id == Enrollment.offering_id)
                .where(Enrollment.state == EnrollmentState.COMPLETED, Enrollment.completed_at >= query.starts_at,
                       Enrollment.completed_at < query.ends_at)):
            if school_id not in staff or user_id not in staff[school_id][TargetGroup.ALL_STAFF]:
                continue
            completed[school_id].add(user_id)
            if kind == OfferingKind.ONBOARDING:
                onboarded.add(user_id)
    for school_id in sorted(query.school_ids):
        groups = staff.get(school_id)
        if not groups or not groups[TargetGroup.ALL_STAFF]:
            continue
        figures.append(EvidenceFigure(
            school_id, COMPETENCE_AREA, "staff_completed", _("Ansatte med fullført kompetansetiltak i planperioden"),
            len(completed[school_id]), len(groups[TargetGroup.ALL_STAFF])))
        new = groups[TargetGroup.NEW_HIRES]
        if new:
            figures.append(EvidenceFigure(
                school_id, COMPETENCE_AREA, "new_hires_onboarded", _("Nyansatte som har fullført oppstartskurs"),
                len(new & onboarded), len(new), url_for("onboarding.index", skole=school_id)))
    return figures
