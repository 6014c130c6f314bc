"""The catalogue's evidence for development plans: staff enrolled in and completing what the measures link to.

Answers :class:`lms.plugins.EvidenceQuery` in at most six queries however
many schools, measures and links, each counting per school in the database
(``GROUP BY``), so the rows read grow with the schools and links asked about,
not with their staff: the staff by target group with whether each completed
something in the period and whether each is a new hire who completed an
onboarding course (one query, see :func:`_staff`), the linked offerings and
their target groups, the staff enrolled in and completing them, and the staff
who completed an offering tagged with a linked plan area.
"""
from __future__ import annotations

import functools
from collections import Counter, defaultdict
from typing import NamedTuple
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from catalog.enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentState
from catalog.enrollment.operations import STAFF_ROLES, TEACHING_ROLES, new_hire_window
from catalog.offerings.models import Offering, OfferingKind, OfferingTargetGroup, TargetGroup
from lms.db import db, now_utc
from lms.i18n import to_oslo
from lms.people.models import Membership, Role, User
from lms.plugins import EvidenceFigure, EvidenceQuery, school_values, schools_parameter

#: The area a figure about staff competence belongs to.
COMPETENCE_AREA = 4


# Above lms.plugins.MANY_SCHOOLS schools the queries read every school's staff and keep the asked ones in
# Python: with a long ``IN`` list SQLite plans the join from every person instead (11 s instead of 0.04 s for
# 3,000 schools).


def _flag(condition):
    """1 when any of a person's rows meets the condition, else 0 (an aggregate, so both databases group on it)."""
    return sa.func.max(sa.case((condition, 1), else_=0))


def _completed(many: bool, *conditions):
    """The condition that the person (``Membership.user_id``) completed an offering in the period (meeting
    ``conditions``).

    For many schools it is a set the database builds once (PostgreSQL a hashed subplan, SQLite an ephemeral
    index) and looks each person up in; for a few, a probe per person in the index on (person, state,
    completed_at), which does not read the municipality's completions for one school's staff.
    """
    period = (Enrollment.state == EnrollmentState.COMPLETED, Enrollment.completed_at >= sa.bindparam("starts_at"),
              Enrollment.completed_at < sa.bindparam("ends_at"))
    if many:
        return Membership.user_id.in_(sa.select(Enrollment.user_id).where(*period, *conditions))
    return (sa.exists().where(Enrollment.user_id == Membership.user_id, *period, *conditions)
            .correlate_except(Enrollment, Offering))


#: A school's staff as :func:`_staff` counts them: (target groups, completed in the period, onboarded).
Staff = Counter

#: The target groups a person can be in besides all staff and new hires, in the order of the staff query's flags.
_FLAGGED = (TargetGroup.TEACHERS, TargetGroup.LEADERS, TargetGroup.DIGITAL_SUPERVISORS)


@functools.cache
def _staff_statement(many: bool) -> sa.Select:
    """Count the schools' active staff per school and combination of the groups they are in, whether they
    completed something in the period, whether they are new hires and whether they completed onboarding.

    Built once (it is the dearest statement to build, a few milliseconds of a plan page), with its values as
    parameters: ``schools`` (unless ``many``, see :data:`lms.plugins.MANY_SCHOOLS`), ``starts_at``, ``ends_at``, and the
    new hires' ``earliest`` and ``latest`` hire dates. Grouped per person and school in the order of the
    unique index on memberships (person, school, role), so PostgreSQL reads them in order and sorts nothing;
    for many schools the completions are two sets looked up per person, not a subquery run per person
    (see :func:`_completed`).
    """
    flags = [_flag(Membership.role.in_(TEACHING_ROLES)).label("teaching"),
             _flag(Membership.role == Role.LEADER).label("leading"),
             _flag(User.is_digital_supervisor.is_(True)).label("supervisor"),
             _flag(_completed(many)).label("completed"),
             _flag(User.hire_date.between(sa.bindparam("earliest"), sa.bindparam("latest"))).label("new"),
             _flag(_completed(many, Enrollment.offering_id.in_(
                 sa.select(Offering.id).where(Offering.kind == OfferingKind.ONBOARDING)))).label("onboarded")]
    conditions = [Membership.role.in_(STAFF_ROLES), User.active.is_(True), schools_parameter(Membership.school_id, many)]
    person = (sa.select(Membership.school_id, *flags).join(User, User.id == Membership.user_id).where(*conditions)
              .group_by(Membership.user_id, Membership.school_id).subquery())
    columns = [person.c[flag.name] for flag in flags]
    return sa.select(person.c.school_id, *columns, sa.func.count()).group_by(person.c.school_id, *columns)


@functools.cache
def _groups(*flags: int) -> frozenset[TargetGroup]:
    """The target groups of a person with the flags of :data:`_FLAGGED` (cached: there are eight)."""
    return frozenset({TargetGroup.ALL_STAFF} | {g for g, on in zip(_FLAGGED, flags) if on})


def _staff(school_ids, today, starts_at, ends_at) -> dict[int, Staff]:
    """Return, per school, how many of its active staff are in each combination of target groups, and whether
    they completed something in the period and (new hires) an onboarding course.

    Counted per school and person first, so a person with two roles at a school counts once, in the union of
    their groups; the size of a target group, or of several together, is the sum over the combinations that
    meet them. One query for the staff and the new hires together, so the new-hire setting is read on every
    call (:func:`~catalog.enrollment.operations.new_hire_window`, as ``is_new_hire`` reads it).
    """
    many, values = school_values(school_ids)
    earliest, latest = new_hire_window(today)
    values |= {"starts_at": starts_at, "ends_at": ends_at, "earliest": earliest, "latest": latest}
    staff: dict[int, Staff] = defaultdict(Counter)
    for school_id, *flags, completed, new, onboarded, n in db.session.execute(_staff_statement(many), values):
        if school_id in school_ids:
            groups = _groups(*flags) | {TargetGroup.NEW_HIRES} if new else _groups(*flags)
            # Onboarding counts for the new hires only.
            staff[school_id][groups, bool(completed), bool(new and onboarded)] += n
    return staff


def _size(staff: Staff, wanted, completed: bool = False, onboarded: bool = False) -> int:
    """How many people are in at least one of the wanted target groups (and completed, onboarded, if asked)."""
    return sum(n for (groups, did_complete, did_onboard), n in staff.items()
               if groups & wanted and (did_complete or not completed) and (did_onboard or not onboarded))


def _staff_enrollments(many: bool, *columns) -> sa.Select:
    """Select per school the enrollments of its active staff: joined, not a list of people's ids, which for
    the whole municipality would be more values than a query can carry. Group it by the school (and more).

    Unless ``many`` (see :data:`lms.plugins.MANY_SCHOOLS`), the schools are the parameter ``schools``.
    """
    return (sa.select(Membership.school_id, *columns).join(Enrollment, Enrollment.user_id == Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(schools_parameter(Membership.school_id, many), Membership.role.in_(STAFF_ROLES),
                   User.active.is_(True)))


class _Linked(NamedTuple):
    """The statements for linked offerings: their titles and areas, target groups, and staff counts."""

    offerings: sa.Select
    targets: sa.Select
    counts: sa.Select


@functools.cache
def _linked_statements(many: bool) -> _Linked:
    """Built once, as :func:`_staff_statement` is (building them cost more than running them on a plan
    page), with the parameters ``offerings`` (the linked ids, then the ones found) and ``schools``."""
    return _Linked(
        sa.select(Offering.id, Offering.title, Offering.plan_area)
        .where(Offering.id.in_(sa.bindparam("offerings", expanding=True))),
        sa.select(OfferingTargetGroup.offering_id, OfferingTargetGroup.group)
        .where(OfferingTargetGroup.offering_id.in_(sa.bindparam("offerings", expanding=True))),
        _staff_enrollments(many, Enrollment.offering_id, _people(Enrollment.state != EnrollmentState.WAITLISTED),
                           _people(Enrollment.state == EnrollmentState.COMPLETED))
        .where(Enrollment.offering_id.in_(sa.bindparam("offerings", expanding=True)),
               Enrollment.state.in_(ACTIVE_STATES))
        .group_by(Membership.school_id, Enrollment.offering_id))


@functools.cache
def _tagged_statement(many: bool) -> sa.Select:
    """The staff who completed an offering tagged with one of the ``areas`` (parameter) in the plan period
    (``starts_at``, ``ends_at``, as the staff's completions are counted), per school and area."""
    return (_staff_enrollments(many, Offering.plan_area, sa.func.count(sa.distinct(Enrollment.user_id)))
            .join(Offering, Offering.id == Enrollment.offering_id)
            .where(Offering.plan_area.in_(sa.bindparam("areas", expanding=True)),
                   Enrollment.state == EnrollmentState.COMPLETED,
                   Enrollment.completed_at >= sa.bindparam("starts_at"), Enrollment.completed_at < sa.bindparam("ends_at"))
            .group_by(Membership.school_id, Offering.plan_area))


def _people(condition):
    """The number of distinct people whose enrollment meets the condition."""
    return sa.func.count(sa.distinct(sa.case((condition, Enrollment.user_id))))


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return enrolled and completed staff per linked offering, the share with a completed activity, onboarding."""
    if not query.school_ids:
        return []
    now = query.now or now_utc()
    today = to_oslo(now).date()
    staff = _staff(query.school_ids, today, query.starts_at, query.ends_at)
    figures: list[EvidenceFigure] = []

    offering_ids = set(query.links.get("offering", ()))
    areas = set(query.links.get("plan_area", ())) & {4, 6}
    offerings: dict[int, tuple[str, int | None]] = {}
    targets: dict[int, set[TargetGroup]] = defaultdict(set)
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    many, schools = school_values(query.school_ids)
    if offering_ids and staff:
        statements = _linked_statements(many)
        offerings = {oid: (title, area) for oid, title, area in db.session.execute(
            statements.offerings, {"offerings": sorted(offering_ids)})}
        found = {"offerings": sorted(offerings)}
        for offering_id, group in db.session.execute(statements.targets, found):
            targets[offering_id].add(group)
        for school_id, offering_id, enrolled, completed in db.session.execute(statements.counts, found | schools):
            counts[(school_id, offering_id)] = (enrolled, completed)
    # Every offering tagged with an area counts together: the people who completed one, not each offering.
    tagged: dict[tuple[int, int], int] = {}
    if areas and staff:
        period = {"starts_at": query.starts_at, "ends_at": query.ends_at}
        for school_id, area, n in db.session.execute(_tagged_statement(many),
                                                     {"areas": sorted(areas)} | period | schools):
            tagged[(school_id, area)] = n

    linked = []  # per linked offering, what every school's figures share: computed once, not per school
    for offering_id in sorted(offering_ids & set(offerings)):
        title, area = offerings[offering_id]
        linked.append((offering_id, area or COMPETENCE_AREA, targets.get(offering_id) or {TargetGroup.ALL_STAFF},
                       url_for("enrollment.participants", offering_id=offering_id),
                       _("%(title)s: påmeldte ansatte", title=title), _("%(title)s: fullført", title=title)))
    area_label = {area: _("Ansatte som har fullført kurs merket område %(area)d", area=area) for area in areas}
    for school_id in query.school_ids:
        for offering_id, area, wanted, url, enrolled_label, completed_label in linked:
            enrolled, completed = counts.get((school_id, offering_id), (0, 0))
            of = _size(staff[school_id], wanted)
            link = ("offering", offering_id)
            figures.append(EvidenceFigure(school_id, area, "enrolled", enrolled_label, enrolled, of, url, link))
            figures.append(EvidenceFigure(school_id, area, "completed", completed_label, completed, of, url, link))
        for area in sorted(areas):
            figures.append(EvidenceFigure(
                school_id, area, "plan_area_completed", area_label[area], tagged.get((school_id, area), 0),
                _size(staff[school_id], {TargetGroup.ALL_STAFF}), None, ("plan_area", area)))

    completed_label = _("Ansatte med fullført kompetansetiltak i planperioden")
    onboarded_label = _("Nyansatte som har fullført oppstartskurs")
    onboarding = url_for("onboarding.index")  # once: the address of 3,000 schools' lists differs in ?skole= only
    everyone, new_hires = {TargetGroup.ALL_STAFF}, {TargetGroup.NEW_HIRES}
    for school_id in sorted(query.school_ids):
        mine = staff.get(school_id)
        if not mine:
            continue
        figures.append(EvidenceFigure(school_id, COMPETENCE_AREA, "staff_completed", completed_label,
                                      _size(mine, everyone, completed=True), _size(mine, everyone)))
        new = _size(mine, new_hires)
        if new:
            figures.append(EvidenceFigure(
                school_id, COMPETENCE_AREA, "new_hires_onboarded", onboarded_label,
                _size(mine, new_hires, onboarded=True), new, f"{onboarding}?{urlencode({'skole': school_id})}"))
    return figures
