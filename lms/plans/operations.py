"""The rules of the development plan: who reads and edits it, saving sections, its review and its evidence."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload, selectinload
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms import plugins
from lms.mail import operations as mail
from lms.audit import operations as audit
from lms.auth.operations import require
from lms.db import db
from lms.people.models import Membership, Role, School, User
from lms.plans.mails import MILESTONE_REMINDER
from lms.plans.models import (
    EDITABLE_STATES, LONGEST_PERIOD, OPEN_MILESTONE, SECTION_KEYS, SECTION_TITLES, STRUCTURED_AREAS, TRANSITIONS, Body,
    InformationKind, Milestone, MilestoneStatus, Plan, PlanComment, PlanGoal, PlanInformation, PlanMeasure,
    PlanMeasureLink, PlanSection, PlanState, PlanTargetGroup, PlanTreatment, PlanVersion, milestone_dependency,
)

OSLO = ZoneInfo("Europe/Oslo")
AUDIT_TYPE = "plan"
#: The kinds of link a measure may have; what each counts comes from the evidence sources (lms.plugins).
LINK_KINDS = ("offering", "plan_area", "lighthouse_offering", "network", "parent_event")
#: The sections of areas 4 and 6, which other schools' leaders may read in approved plans.
SHARED_SECTIONS = tuple(f"area{n}" for n in STRUCTURED_AREAS)


class PlanError(Exception):
    """A plan rule the person can act on; ``field`` names the form field it is about, if one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleSection(PlanError):
    """The section was saved by someone else since this person opened it; ``section`` is the newer one."""

    def __init__(self, section: PlanSection):
        super().__init__(_("Noen andre har lagret dette avsnittet mens du skrev. Teksten din er beholdt i "
                           "skjemaet; den lagrede teksten står over. Slå dem sammen og lagre igjen."))
        self.section = section


class StaleItem(PlanError):
    """The goal, measure, treatment, information measure or milestone was changed by someone else since this
    person opened it; ``item`` is as it is saved now."""

    def __init__(self, item):
        super().__init__(_("Noen andre har endret dette mens du hadde det åpent. Det du skrev, er beholdt i "
                           "skjemaet; det som er lagret nå, står over. Se over og lagre igjen."))
        self.item = item


# --- who may do what ---------------------------------------------------------

def is_staff_of(user: User | None, school_id: int) -> bool:
    return user is not None and any(m.school_id == school_id for m in user.memberships)


def may_edit(user: User | None, plan: Plan) -> bool:
    """Return whether the person is a leader of the plan's school (admins review, they do not write)."""
    return user is not None and user.has_role(Role.LEADER, plan.school_id)


def may_review(user: User | None) -> bool:
    return user is not None and user.is_admin


def may_read(user: User | None, plan: Plan) -> bool:
    """Return whether the person may read the whole plan: the school's staff and the programme admins."""
    return user is not None and (user.is_admin or is_staff_of(user, plan.school_id))


def may_read_shared(user: User | None, plan: Plan) -> bool:
    """Return whether the person may read areas 4 and 6: other schools' leaders, of approved plans."""
    return may_read(user, plan) or (user is not None and bool(user.led_school_ids())
                                    and plan.state == PlanState.APPROVED)


def may_see_lists(user: User | None, plan: Plan) -> bool:
    """Return whether the person may follow a figure to the list of people behind it."""
    return user is not None and (user.is_admin or user.has_role(Role.LEADER, plan.school_id))


def visible_plans(user: User) -> list[Plan]:
    """Return the plans the person may open, their own schools' first, then by school and period."""
    query = sa.select(Plan).join(School, School.id == Plan.school_id)
    if not user.is_admin:
        own = {m.school_id for m in user.memberships if m.school_id}
        condition = Plan.school_id.in_(own)
        if user.led_school_ids():
            condition = condition | (Plan.state == PlanState.APPROVED)
        query = query.where(condition)
    plans = list(db.session.scalars(query.order_by(School.name, Plan.start_year.desc())))
    own = {m.school_id for m in user.memberships}
    return sorted(plans, key=lambda p: p.school_id not in own)


# --- the plan and its text ---------------------------------------------------

def period_bounds(plan: Plan) -> tuple[datetime, datetime]:
    """Return the plan period in UTC: 1 August of the first school year to 1 August after the last."""
    def start(year: int) -> datetime:
        return datetime.combine(date(year, 8, 1), time(0), OSLO).astimezone(ZoneInfo("UTC"))
    return start(plan.start_year), start(plan.end_year + 1)


def create_plan(school_id: int, start_year: int, end_year: int, *, actor: User, now: datetime) -> Plan:
    """Begin a school's plan for a period, as a draft with empty sections."""
    require(actor.has_role(Role.LEADER, school_id))
    if end_year < start_year:
        raise PlanError(_("Planperioden kan ikke slutte før den begynner."), "end_year")
    if end_year - start_year >= LONGEST_PERIOD:
        raise PlanError(_("En planperiode kan vare høyst %(years)d skoleår.", years=LONGEST_PERIOD), "end_year")
    if db.session.scalar(sa.select(Plan.id).where(Plan.school_id == school_id, Plan.start_year == start_year)):
        raise PlanError(_("Skolen har allerede en plan som begynner dette skoleåret."), "start_year")
    plan = Plan(school_id=school_id, start_year=start_year, end_year=end_year, state=PlanState.DRAFT,
                created_at=now, updated_at=now)
    plan.sections = [PlanSection(key=key, body="", version=1, updated_at=now) for key in SECTION_KEYS]
    db.session.add(plan)
    db.session.flush()
    audit.record(object_type=AUDIT_TYPE, object_id=plan.id, from_state=None, to_state=PlanState.DRAFT,
                 actor_id=actor.id, at=now)
    return plan


FROZEN = _l("Planen er sendt inn og kan ikke endres før den er sendt tilbake.")
#: What the school may add and change also after the plan is sent in: it records its bodies' treatments and
#: follows up its milestones all through the period. The rest waits until the plan is returned.
CHANGEABLE_WHEN_FROZEN = frozenset({PlanTreatment, Milestone})


def _require_editable(plan: Plan, actor: User) -> None:
    require(may_edit(actor, plan))
    if plan.state not in EDITABLE_STATES:
        raise PlanError(str(FROZEN))


def may_change(user: User | None, plan: Plan, model) -> bool:
    """Return whether the person may add or change a goal, measure... (``model``) of the plan in its state."""
    return may_edit(user, plan) and (model in CHANGEABLE_WHEN_FROZEN or plan.state in EDITABLE_STATES)


def _require_changeable(plan: Plan, model, actor: User) -> None:
    require(may_edit(actor, plan))
    if not may_change(actor, plan, model):
        raise PlanError(str(FROZEN))


def save_section(plan: Plan, key: str, body: str, version: int, *, actor: User, now: datetime) -> PlanSection:
    """Save a section's text if nobody has saved it since ``version``; else raise :class:`StaleSection`.

    The version check and the write are one UPDATE, so of two people saving
    from the same version exactly one succeeds, whatever the timing.
    """
    _require_editable(plan, actor)
    section = plan.section(key)
    if section is None:
        raise PlanError(_("Planen har ikke dette avsnittet."))
    result = db.session.execute(
        sa.update(PlanSection).where(PlanSection.id == section.id, PlanSection.version == version)
        .values(body=body, version=PlanSection.version + 1, updated_at=now, updated_by_id=actor.id)
        .execution_options(synchronize_session=False))
    db.session.refresh(section)
    if result.rowcount != 1:
        raise StaleSection(section)
    plan.updated_at = now
    db.session.flush()
    return section


# --- the structured parts of areas 4 and 6 -------------------------------------

def _check_area(area: int) -> None:
    if area not in STRUCTURED_AREAS:
        raise PlanError(_("Bare område 4 og 6 har mål og tiltak her."))


def add_goal(plan: Plan, area: int, indicator: str, target: str, *, actor: User, now: datetime) -> PlanGoal:
    """Add a goal with its indicator and target to area 4 or 6."""
    _require_changeable(plan, PlanGoal, actor)
    _check_area(area)
    goal = PlanGoal(plan_id=plan.id, area=area, indicator=indicator, target=target)
    db.session.add(goal)
    plan.updated_at = now
    db.session.flush()
    return goal


def _checked_links(links: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Return the links without repeats, in the order typed; refuse a kind no evidence source knows."""
    for kind, _ref in links:
        if kind not in LINK_KINDS:
            raise PlanError(_("Ukjent type kobling."), "links")
    return list(dict.fromkeys(links))


def add_measure(plan: Plan, area: int, title: str, target_group: PlanTargetGroup, responsible: str, timing: str,
                links: list[tuple[str, int]], *, actor: User, now: datetime) -> PlanMeasure:
    """Add a measure to area 4 or 6 with the links to what carries it."""
    _require_changeable(plan, PlanMeasure, actor)
    _check_area(area)
    measure = PlanMeasure(plan_id=plan.id, area=area, title=title, target_group=target_group,
                          responsible=responsible, timing=timing,
                          links=[PlanMeasureLink(kind=kind, ref_id=ref) for kind, ref in _checked_links(links)])
    db.session.add(measure)
    plan.updated_at = now
    db.session.flush()
    return measure


def add_treatment(plan: Plan, body: Body, treated_on: date, decision: str, *, actor: User,
                  now: datetime) -> PlanTreatment:
    """Record that a body of the school treated the plan or its progress, and what it decided."""
    _require_changeable(plan, PlanTreatment, actor)
    treatment = PlanTreatment(plan_id=plan.id, body=body, treated_on=treated_on, decision=decision)
    db.session.add(treatment)
    plan.updated_at = now
    db.session.flush()
    return treatment


def add_information(plan: Plan, kind: InformationKind, title: str, audience: PlanTargetGroup, informed_on: date,
                    *, actor: User, now: datetime) -> PlanInformation:
    """Add an information measure (letter, meeting, web page) of area 6."""
    _require_changeable(plan, PlanInformation, actor)
    item = PlanInformation(plan_id=plan.id, kind=kind, title=title, audience=audience, informed_on=informed_on)
    db.session.add(item)
    plan.updated_at = now
    db.session.flush()
    return item


def school_staff(school_id: int) -> list[sa.Row]:
    """Return the active people of a school, who may be responsible for a milestone: (id, name) by name.

    Plain rows: the plan page lists them in its milestone form, and a school has dozens.
    """
    return list(db.session.execute(
        sa.select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, User.active.is_(True)).distinct().order_by(User.name, User.id)))


def _check_responsible(plan: Plan, responsible_id: int | None) -> None:
    if responsible_id is not None and responsible_id not in {p.id for p in school_staff(plan.school_id)}:
        raise PlanError(_("Den ansvarlige må være ansatt ved skolen."), "responsible_id")


def _dependencies(plan: Plan, depends_on_ids: list[int], milestone: Milestone | None = None) -> list[Milestone]:
    """Return the milestones a milestone is to depend on: the plan's own, and none that depends on it."""
    if not depends_on_ids:
        return []
    depends_on = list(db.session.scalars(sa.select(Milestone).where(
        Milestone.id.in_(depends_on_ids), Milestone.plan_id == plan.id)))
    if len(depends_on) != len(set(depends_on_ids)):
        raise PlanError(_("En milepæl kan bare avhenge av milepæler i samme plan."), "depends_on")
    if milestone is None:
        return depends_on  # a new milestone: nothing depends on it yet
    if milestone.id in depends_on_ids:
        raise PlanError(_("En milepæl kan ikke avhenge av seg selv."), "depends_on")
    # Follow what the chosen milestones depend on, without this one's own dependencies (they are replaced):
    # reaching this milestone would make a circle.
    edges: dict[int, set[int]] = defaultdict(set)
    for source, target in db.session.execute(
            sa.select(milestone_dependency.c.milestone_id, milestone_dependency.c.depends_on_id)
            .join(Milestone, Milestone.id == milestone_dependency.c.milestone_id)
            .where(Milestone.plan_id == plan.id, Milestone.id != milestone.id)):
        edges[source].add(target)
    seen, todo = set(), list(depends_on_ids)
    while todo:
        current = todo.pop()
        if current == milestone.id:
            raise PlanError(_("En milepæl kan ikke avhenge av en milepæl som selv venter på den."), "depends_on")
        if current not in seen:
            seen.add(current)
            todo.extend(edges[current])
    return depends_on


def add_milestone(plan: Plan, what: str, responsible_id: int | None, deadline: date, evaluation: str,
                  depends_on_ids: list[int], *, actor: User, now: datetime) -> Milestone:
    """Add a milestone; its responsible person is one of the school's staff, its dependencies the plan's own."""
    _require_changeable(plan, Milestone, actor)
    _check_responsible(plan, responsible_id)
    depends_on = _dependencies(plan, depends_on_ids)
    milestone = Milestone(plan_id=plan.id, what=what, responsible_id=responsible_id, deadline=deadline,
                          evaluation=evaluation, status=MilestoneStatus.PLANNED, depends_on=depends_on)
    db.session.add(milestone)
    plan.updated_at = now
    db.session.flush()
    return milestone


def set_milestone_status(plan: Plan, milestone: Milestone, status: MilestoneStatus, *, actor: User,
                         now: datetime) -> None:
    """Change a milestone's status (planned, in progress, reached, not reached)."""
    require(may_edit(actor, plan) and milestone.plan_id == plan.id)
    if milestone.status != status:
        _audit_status(milestone, milestone.status, status, actor, now)
        milestone.status = status
        # A form opened on the milestone before this is told it changed, rather than undoing the status.
        milestone.version = Milestone.version + 1
        plan.updated_at = now
    db.session.flush()


def _audit_status(milestone: Milestone, before: MilestoneStatus, after: MilestoneStatus, actor: User,
                  now: datetime) -> None:
    audit.record(object_type="milestone", object_id=milestone.id, from_state=before, to_state=after,
                 actor_id=actor.id, at=now)


#: What a leader may remove from the plan, by the name used in its address.
REMOVABLE = {"mal": PlanGoal, "tiltak": PlanMeasure, "informasjon": PlanInformation, "milepael": Milestone,
             "behandling": PlanTreatment}


def remove_item(plan: Plan, kind: str, item_id: int, *, actor: User, now: datetime) -> None:
    """Remove a goal, measure, information measure, milestone or treatment from the plan."""
    _require_editable(plan, actor)
    model = REMOVABLE[kind]
    item = db.session.get(model, item_id)
    if item is None or item.plan_id != plan.id:
        raise PlanError(_("Finnes ikke lenger i planen."))
    db.session.delete(item)
    plan.updated_at = now
    db.session.flush()


# --- changing what was added ---------------------------------------------------------------
#
# An item may be changed by whom and in the states it may be added in
# (:func:`may_change`): goals, measures and information measures while the
# plan is a draft, treated or returned; the bodies' treatments and the
# milestones also after it is sent in. A submitted version keeps what it froze.

def _in_plan(plan: Plan, item) -> None:
    if item is None or item.plan_id != plan.id:
        raise PlanError(_("Finnes ikke lenger i planen."))


def _save_item(plan: Plan, item, version: int, values: dict, now: datetime) -> None:
    """Write ``values`` to the item if nobody has changed it since ``version``; else raise :class:`StaleItem`.

    As for sections, the version check and the write are one UPDATE, so of two
    leaders saving from the same version exactly one succeeds, whatever the timing.
    """
    model = type(item)
    result = db.session.execute(
        sa.update(model).where(model.id == item.id, model.version == version)
        .values(version=model.version + 1, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        current = db.session.scalars(sa.select(model).where(model.id == item.id)
                                     .execution_options(populate_existing=True)).one_or_none()
        if current is None:
            raise PlanError(_("Finnes ikke lenger i planen."))
        raise StaleItem(current)
    db.session.refresh(item)
    plan.updated_at = now


def update_goal(plan: Plan, goal: PlanGoal, indicator: str, target: str, version: int, *, actor: User,
                now: datetime) -> PlanGoal:
    """Change a goal's indicator and target, if nobody has changed it since ``version``."""
    _require_changeable(plan, PlanGoal, actor)
    _in_plan(plan, goal)
    _save_item(plan, goal, version, {"indicator": indicator, "target": target}, now)
    db.session.flush()
    return goal


def update_measure(plan: Plan, measure: PlanMeasure, title: str, target_group: PlanTargetGroup, responsible: str,
                   timing: str, links: list[tuple[str, int]], version: int, *, actor: User,
                   now: datetime) -> PlanMeasure:
    """Change a measure and what carries it; its figures follow the new links."""
    _require_changeable(plan, PlanMeasure, actor)
    _in_plan(plan, measure)
    wanted = _checked_links(links)
    _save_item(plan, measure, version, {"title": title, "target_group": target_group, "responsible": responsible,
                                        "timing": timing}, now)
    # The links kept stay the same rows; a removed one and a new one with the same kind and id never meet
    # in one flush, where the unique constraint would refuse them.
    kept = [link for link in measure.links if (link.kind, link.ref_id) in wanted]
    have = {(link.kind, link.ref_id) for link in kept}
    measure.links = kept + [PlanMeasureLink(kind=kind, ref_id=ref) for kind, ref in wanted if (kind, ref) not in have]
    db.session.flush()
    return measure


def update_treatment(plan: Plan, treatment: PlanTreatment, body: Body, treated_on: date, decision: str,
                     version: int, *, actor: User, now: datetime) -> PlanTreatment:
    """Change a body's treatment of the plan: which body, when, and what it decided."""
    _require_changeable(plan, PlanTreatment, actor)
    _in_plan(plan, treatment)
    _save_item(plan, treatment, version, {"body": body, "treated_on": treated_on, "decision": decision}, now)
    db.session.flush()
    return treatment


def update_information(plan: Plan, item: PlanInformation, kind: InformationKind, title: str,
                       audience: PlanTargetGroup, informed_on: date, version: int, *, actor: User,
                       now: datetime) -> PlanInformation:
    """Change an information measure: its form, what, for whom and when."""
    _require_changeable(plan, PlanInformation, actor)
    _in_plan(plan, item)
    _save_item(plan, item, version, {"kind": kind, "title": title, "audience": audience, "informed_on": informed_on},
               now)
    db.session.flush()
    return item


def update_milestone(plan: Plan, milestone: Milestone, what: str, responsible_id: int | None, deadline: date,
                     evaluation: str, depends_on_ids: list[int], status: MilestoneStatus, version: int, *,
                     actor: User, now: datetime) -> Milestone:
    """Change a milestone, its dependencies and its status (audited as a status change).

    A new deadline or a new responsible person is reminded again, once, before
    the deadline; a reminder queued for the old one is not sent (see
    :mod:`lms.plans.mails`). The calendar feed shows the milestone as it is.
    """
    _require_changeable(plan, Milestone, actor)
    _in_plan(plan, milestone)
    if responsible_id != milestone.responsible_id:
        # Who is responsible and has left the school stays so until someone else is chosen.
        _check_responsible(plan, responsible_id)
    depends_on = _dependencies(plan, depends_on_ids, milestone)
    before = milestone.status
    values = {"what": what, "responsible_id": responsible_id, "deadline": deadline, "evaluation": evaluation,
              "status": status}
    if deadline != milestone.deadline or responsible_id != milestone.responsible_id:
        values["reminded_at"] = None
    _save_item(plan, milestone, version, values, now)
    if status != before:
        _audit_status(milestone, before, status, actor, now)
    milestone.depends_on = depends_on
    db.session.flush()
    return milestone


# --- what the plan holds, read in a fixed number of queries -------------------------------

@dataclass
class PlanContent:
    plan: Plan
    goals: list[PlanGoal]
    measures: list[PlanMeasure]
    treatments: list[PlanTreatment]
    information: list[PlanInformation]
    milestones: list[Milestone]

    def goals_of(self, area: int) -> list[PlanGoal]:
        return [g for g in self.goals if g.area == area]

    def measures_of(self, area: int) -> list[PlanMeasure]:
        return [m for m in self.measures if m.area == area]


#: What the plan shows of its milestones: the responsible person's name, and the milestones each depends on,
#: which are the plan's own and loaded with it. Without these options the responsible people's roles were
#: loaded too, and the milestones depended on asked again for their own dependencies and responsible people:
#: three statements more on every view of the plan, none of them shown.
_MILESTONE_LOADING = (joinedload(Milestone.responsible).lazyload(User.memberships),
                      selectinload(Milestone.depends_on).options(lazyload(Milestone.depends_on),
                                                                 lazyload(Milestone.responsible)))


def content_of(plan: Plan) -> PlanContent:
    """Return the structured parts of the plan, each kind in one query."""
    def rows(model, *order, options=()):
        return list(db.session.scalars(sa.select(model).where(model.plan_id == plan.id).order_by(*order)
                                       .options(*options)))
    return PlanContent(plan, rows(PlanGoal, PlanGoal.area, PlanGoal.id),
                       rows(PlanMeasure, PlanMeasure.area, PlanMeasure.id),
                       rows(PlanTreatment, PlanTreatment.treated_on, PlanTreatment.id),
                       rows(PlanInformation, PlanInformation.informed_on, PlanInformation.id),
                       rows(Milestone, Milestone.deadline, Milestone.id, options=_MILESTONE_LOADING))


# --- evidence --------------------------------------------------------------

@dataclass
class Evidence:
    """The figures for one school's plan: by linked thing, and school-wide by area."""

    by_link: dict[tuple[str, int], list[plugins.EvidenceFigure]] = field(default_factory=dict)
    by_area: dict[int, list[plugins.EvidenceFigure]] = field(default_factory=dict)

    def for_measure(self, measure: PlanMeasure) -> list[plugins.EvidenceFigure]:
        return [f for link in measure.links for f in self.by_link.get((link.kind, link.ref_id), [])]

    def for_area(self, area: int) -> list[plugins.EvidenceFigure]:
        return self.by_area.get(area, [])


def evidence_query(school_ids, starts_at: datetime, ends_at: datetime, measures: list[PlanMeasure],
                   now: datetime) -> plugins.EvidenceQuery:
    links: dict[str, set[int]] = defaultdict(set)
    for measure in measures:
        for link in measure.links:
            links[link.kind].add(link.ref_id)
    return plugins.EvidenceQuery(frozenset(school_ids), starts_at, ends_at,
                                 {kind: frozenset(ids) for kind, ids in links.items()}, now)


def evidence_for(content: PlanContent, now: datetime) -> Evidence:
    """Ask every enabled feature for the plan's live figures, in one call to each source."""
    starts_at, ends_at = period_bounds(content.plan)
    query = evidence_query({content.plan.school_id}, starts_at, ends_at, content.measures, now)
    evidence = Evidence()
    for figure in plugins.plan_evidence(current_app, query):
        if figure.school_id != content.plan.school_id:
            continue
        if figure.link is not None:
            evidence.by_link.setdefault(figure.link, []).append(figure)
        else:
            evidence.by_area.setdefault(figure.area, []).append(figure)
    return evidence


# --- review ----------------------------------------------------------------

#: Who performs each transition: the school's leaders, or the reviewers (programme admins).
SCHOOL_STEPS = frozenset({PlanState.DRAFT, PlanState.TREATED, PlanState.SUBMITTED})
REVIEW_STEPS = frozenset({PlanState.UNDER_REVIEW, PlanState.RETURNED, PlanState.APPROVED})


def transition(plan: Plan, to: PlanState, *, actor: User, now: datetime, treated_on: date | None = None,
               decision: str = "", note: str = "") -> None:
    """Move the plan to another state, if the table allows it and the person may; audit it.

    Treated by Driftsstyret records the treatment (date and decision);
    submitting freezes a new version; returning needs at least one comment
    on the submitted version saying what must be improved.
    """
    if to in SCHOOL_STEPS:
        require(may_edit(actor, plan))
    else:
        require(may_review(actor))
    if to not in TRANSITIONS[plan.state]:
        raise PlanError(_("Planen kan ikke gå fra «%(from)s» til «%(to)s».", **{"from": plan.state.label, "to": to.label}))
    if to == PlanState.TREATED:
        if treated_on is None or not decision.strip():
            raise PlanError(_("Skriv inn datoen Driftsstyret behandlet planen og hva som ble vedtatt."), "decision")
        db.session.add(PlanTreatment(plan_id=plan.id, body=Body.DRIFTSSTYRET, treated_on=treated_on,
                                     decision=decision.strip()))
    if to == PlanState.SUBMITTED:
        _freeze(plan, actor, now)
    if to == PlanState.RETURNED:
        current = latest_version_number(plan)
        if not db.session.scalar(sa.select(PlanComment.id).where(
                PlanComment.plan_id == plan.id, PlanComment.version_number == current,
                PlanComment.must_improve.is_(True)).limit(1)):
            raise PlanError(_("Skriv først minst én kommentar om hva som må forbedres."))
    audit.record(object_type=AUDIT_TYPE, object_id=plan.id, from_state=plan.state, to_state=to,
                 actor_id=actor.id, at=now, note=note or decision)
    plan.state = to
    plan.updated_at = now
    db.session.flush()


def latest_version_number(plan: Plan) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(PlanVersion.number), 0))
                             .where(PlanVersion.plan_id == plan.id))


def snapshot(plan: Plan) -> dict:
    """Return the plan's content as plain data, as a version keeps it."""
    content = content_of(plan)
    return {
        "sections": {s.key: s.body for s in plan.sections},
        "goals": [{"area": g.area, "indicator": g.indicator, "target": g.target} for g in content.goals],
        "measures": [{"area": m.area, "title": m.title, "target_group": m.target_group.value,
                      "responsible": m.responsible, "timing": m.timing,
                      "links": [[link.kind, link.ref_id] for link in m.links]} for m in content.measures],
        "treatments": [{"body": t.body.value, "treated_on": t.treated_on.isoformat(), "decision": t.decision}
                       for t in content.treatments],
        "information": [{"kind": i.kind.value, "title": i.title, "audience": i.audience.value,
                         "informed_on": i.informed_on.isoformat()} for i in content.information],
        "milestones": [{"what": m.what, "responsible": m.responsible.name if m.responsible else "",
                        "deadline": m.deadline.isoformat(), "evaluation": m.evaluation, "status": m.status.value}
                       for m in content.milestones],
    }


def _freeze(plan: Plan, actor: User, now: datetime) -> PlanVersion:
    version = PlanVersion(plan_id=plan.id, number=latest_version_number(plan) + 1, submitted_at=now,
                          submitted_by_id=actor.id, content=json.dumps(snapshot(plan), ensure_ascii=False))
    db.session.add(version)
    db.session.flush()
    return version


def versions(plan: Plan) -> list[PlanVersion]:
    return list(db.session.scalars(sa.select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                                   .order_by(PlanVersion.number)))


PART_TITLES = {"goals": "Mål", "measures": "Tiltak", "treatments": "Behandlinger", "information": "Informasjonstiltak",
               "milestones": "Milepæler"}


def changes(before: dict | None, after: dict) -> list[str]:
    """Return the titles of what changed from one version to the next (all of it for the first)."""
    changed = []
    for key in SECTION_KEYS:
        if before is None and after["sections"].get(key) or \
                before is not None and before["sections"].get(key, "") != after["sections"].get(key, ""):
            changed.append(str(SECTION_TITLES[key]))
    labels = part_labels()
    for part in PART_TITLES:
        if (before or {}).get(part, []) != after.get(part, []):
            changed.append(labels[part])
    return changed


def part_labels() -> dict[str, str]:
    return {"goals": _("Mål"), "measures": _("Tiltak"), "treatments": _("Behandlinger i skolens organer"),
            "information": _("Informasjonstiltak"), "milestones": _("Milepæler")}


def add_comment(plan: Plan, section_key: str, body: str, must_improve: bool, *, actor: User,
                now: datetime) -> PlanComment:
    """Comment as a reviewer on one section of the submitted version."""
    require(may_review(actor))
    if plan.state not in (PlanState.SUBMITTED, PlanState.UNDER_REVIEW):
        raise PlanError(_("Kommentarer skrives mens planen er til behandling."))
    if section_key not in SECTION_KEYS:
        raise PlanError(_("Velg et avsnitt i planen."), "section_key")
    comment = PlanComment(plan_id=plan.id, version_number=latest_version_number(plan), section_key=section_key,
                          author_id=actor.id, body=body, must_improve=must_improve, created_at=now)
    db.session.add(comment)
    db.session.flush()
    return comment


def comments(plan: Plan) -> list[PlanComment]:
    return list(db.session.scalars(sa.select(PlanComment).where(PlanComment.plan_id == plan.id)
                                   .order_by(PlanComment.version_number.desc(), PlanComment.id)))


# --- across schools -----------------------------------------------------------

def focus_areas_of(school_ids) -> dict[int, list[str]]:
    """Return each school's focus areas: those written for the school, then its latest plan's measure titles.

    For composing collaboration groups; two queries, however many schools.
    """
    ids = set(school_ids)
    result: dict[int, list[str]] = {school_id: [] for school_id in ids}
    for school in db.session.scalars(sa.select(School).where(School.id.in_(ids))):
        result[school.id].extend(school.focus_areas)
    latest = (sa.select(Plan.school_id, sa.func.max(Plan.start_year).label("start_year"))
              .where(Plan.school_id.in_(ids)).group_by(Plan.school_id).subquery())
    rows = db.session.execute(
        sa.select(Plan.school_id, PlanMeasure.title).join(PlanMeasure, PlanMeasure.plan_id == Plan.id)
        .join(latest, sa.and_(latest.c.school_id == Plan.school_id, latest.c.start_year == Plan.start_year))
        .order_by(Plan.school_id, PlanMeasure.area, PlanMeasure.id))
    for school_id, title in rows:
        if title not in result[school_id]:
            result[school_id].append(title)
    return result


#: How many days before a milestone's deadline its responsible person is reminded.
REMIND_DAYS_BEFORE = 7


def queue_milestone_reminders(now: datetime, days: int = REMIND_DAYS_BEFORE) -> int:
    """Queue one reminder per open milestone whose deadline is within ``days``; return how many were queued.

    Each milestone is reminded once per deadline and responsible person: a
    moved deadline or a new person empties ``reminded_at`` and is reminded
    again, unless that same deadline was reminded to that same person before.
    Two overlapping runs of the job send one: the outbox's dedupe key refuses
    the second. The mail carries the deadline and the person it was queued
    for, so a reminder still in the outbox when either changes is not sent.
    """
    today = now.astimezone(OSLO).date()
    due = db.session.scalars(sa.select(Milestone).where(
        Milestone.status.in_(list(OPEN_MILESTONE)), Milestone.responsible_id.is_not(None),
        Milestone.reminded_at.is_(None),
        Milestone.deadline >= today, Milestone.deadline <= today + timedelta(days=days)))
    count = 0
    for milestone in due:
        if milestone.responsible is None or not milestone.responsible.active:
            continue
        deadline = milestone.deadline.isoformat()
        queued = mail.queue_event(
            MILESTONE_REMINDER, milestone.responsible,
            {"milestone_id": milestone.id, "deadline": deadline, "responsible_id": milestone.responsible_id}, now,
            dedupe_key=f"milestone-reminder-{milestone.id}-{deadline}-person-{milestone.responsible_id}")
        if queued is not None:
            milestone.reminded_at = now
            count += 1
    db.session.flush()
    return count


