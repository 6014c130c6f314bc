"""Creating, changing, publishing and cancelling offerings and their sessions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.enrollment import mails
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import Enrollment
from catalog.offerings import mails as offering_mails
from catalog.offerings.models import (Offering, OfferingKind, OfferingSeries, OfferingStatus, OfferingTargetGroup,
                                      OnboardingCohort, TargetGroup)
from events import operations as events_ops
from events.models import Session, SessionStatus
from lms.audit import operations as audit
from lms.auth.operations import require
from lms.db import db
from lms.i18n import to_oslo
from lms.people.models import Membership, Role, User
from lms.settings import operations as settings

GO_NO_GO_NOTICE_DAYS = settings.register(
    "catalog.go_no_go_notice_days", int, 3,
    _l("Dager før beslutningsdatoen arrangøren får vite hvor mange som er påmeldt (0: ingen varsel)"), minimum=0)

#: Audit object type of offerings taken out altogether.
AUDIT_TYPE = "catalog.offering"


signals = Namespace()
#: Sent by every operation here that creates, changes, publishes or cancels an
#: offering or one of its sessions, with the offering, in the transaction that
#: changed it. Cached catalogue pages and (later) calendar feeds listen to it,
#: and parent events (:mod:`catalog.parents.operations`), whose parents are not
#: enrollments and so are not mailed here. Where the time or place of the
#: offering's sessions changed it carries ``sessions_changed=True`` and ``now``;
#: where one session was called off, ``called_off`` (the session), the
#: organiser's ``reason`` and ``now``.
offering_changed = signals.signal("offering-changed")


class OfferingError(ValueError):
    """An offering that cannot be saved or changed as asked; the message is for the user."""


@dataclass
class OfferingData:
    """The editable fields of an offering, as a form or a content file gives them."""

    title: str
    kind: OfferingKind
    capacity: int
    school_year: int
    theme: str = ""
    description: str = ""
    organiser: str = ""
    target_groups: list[TargetGroup] = field(default_factory=list)
    target_group_text: str = ""
    timing: str = ""
    plan_area: int | None = None
    min_participants: int = 0
    go_no_go_date: date | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    cancellation_deadline: datetime | None = None
    location: str = ""
    online_url: str = ""
    onboarding_cohort: OnboardingCohort | None = None
    responsible_id: int | None = None


def audience_problem(target_groups: list[TargetGroup], plan_area: int | None) -> str | None:
    """Say what is wrong with the target groups and plan area of a programme row (offering or scheme), if anything."""
    if not target_groups:
        return _("Velg minst én målgruppe.")
    if plan_area not in (None, 4, 6):
        return _("Planområde må være 4, 6 eller ingen.")
    return None


def target_group_rows(rows: list, wanted: list[TargetGroup], make_row: Callable[[TargetGroup], object]) -> list:
    """Return the association rows for exactly the wanted target groups, keeping those there already."""
    wanted = list(dict.fromkeys(wanted))
    kept = [row for row in rows if row.group in wanted]
    have = {row.group for row in kept}
    return kept + [make_row(group) for group in wanted if group not in have]


def _check(data: OfferingData) -> None:
    if not data.title.strip():
        raise OfferingError(_("Tilbudet må ha en tittel."))
    if problem := audience_problem(data.target_groups, data.plan_area):
        raise OfferingError(problem)
    if data.capacity < 1:
        raise OfferingError(_("Kapasiteten må være minst 1."))
    if data.min_participants > data.capacity:
        raise OfferingError(_("Minste antall deltakere kan ikke være større enn kapasiteten."))
    if (data.registration_opens_at and data.registration_closes_at
            and data.registration_closes_at <= data.registration_opens_at):
        raise OfferingError(_("Påmeldingen må stenge etter at den åpner."))
    if data.kind == OfferingKind.ONBOARDING and data.onboarding_cohort is None:
        raise OfferingError(_("Et oppstartskurs må si hvilke nyansatte det er for."))


def _apply(offering: Offering, data: OfferingData) -> None:
    for name in ("title", "kind", "school_year", "theme", "description", "organiser", "target_group_text",
                 "timing", "plan_area",
                 "min_participants", "go_no_go_date", "registration_opens_at", "registration_closes_at",
                 "cancellation_deadline", "location", "online_url", "onboarding_cohort", "responsible_id"):
        setattr(offering, name, getattr(data, name))
    offering.title = offering.title.strip()
    offering.target_group_rows = target_group_rows(offering.target_group_rows, data.target_groups,
                                                   lambda group: OfferingTargetGroup(group=group))


def may_create(actor: User, responsible_id: int | None) -> bool:
    """Whether ``actor`` may create an offering with this responsible person."""
    return actor.is_admin or (actor.has_role(Role.LIGHTHOUSE) and responsible_id == actor.id)


def create_offering(data: OfferingData, *, actor: User, now: datetime, source_key: str | None = None,
                    publish: bool = False) -> Offering:
    """Create an offering (a draft unless ``publish``) with an empty schedule.

    Programme admins create any offering; a fyrtårn creates the open courses
    they run themselves (responsible: the fyrtårn).
    """
    if not may_create(actor, data.responsible_id):
        raise OfferingError(_("Bare programadministratorer kan opprette tilbud."))
    _check(data)
    offering = Offering(capacity=data.capacity, schedule=events_ops.new_schedule("catalog.offering"),
                        created_at=now, updated_at=now, source_key=source_key,
                        status=OfferingStatus.PUBLISHED if publish else OfferingStatus.DRAFT)
    _apply(offering, data)
    if offering.responsible_id is None:
        offering.responsible_id = actor.id
    db.session.add(offering)
    db.session.flush()
    offering_changed.send(offering)
    return offering


def update_offering(offering: Offering, data: OfferingData, *, actor: User, now: datetime) -> None:
    """Save changes to an offering; a new capacity goes through the waitlist rules."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke endre dette tilbudet."))
    if offering.status == OfferingStatus.CANCELLED:
        raise OfferingError(_("Et avlyst tilbud kan ikke endres."))
    _check(data)
    if data.responsible_id is None:
        data.responsible_id = offering.responsible_id
    moved = (offering.location, offering.online_url) != (data.location, data.online_url)
    _apply(offering, data)
    offering.updated_at = now
    if moved:
        # Sessions without a place of their own take the offering's.
        events_ops.place_changed(offering.schedule, now)
    db.session.flush()
    if moved and offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.CHANGED, now)
    if data.capacity != offering.capacity:
        try:
            enrollment_ops.change_capacity(offering, data.capacity, actor=actor, now=now)
        except enrollment_ops.EnrollmentError as err:
            raise OfferingError(str(err)) from None
    offering_changed.send(offering, sessions_changed=moved, now=now)


def publish(offering: Offering, *, actor: User, now: datetime) -> None:
    """Make a draft visible in the catalogue; it needs at least one session."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke publisere dette tilbudet."))
    if offering.status != OfferingStatus.DRAFT:
        raise OfferingError(_("Bare utkast kan publiseres."))
    if not offering.live_sessions:
        raise OfferingError(_("Legg til minst én økt før tilbudet publiseres."))
    offering.status = OfferingStatus.PUBLISHED
    offering.updated_at = now
    db.session.flush()
    offering_changed.send(offering)


def cancel_offering(offering: Offering, *, actor: User, now: datetime, reason: str) -> int:
    """Cancel an offering and its sessions; everyone enrolled or waiting is told. Return how many."""
    offering = enrollment_ops.lock_offering(offering.id)
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke avlyse dette tilbudet."))
    if offering.status == OfferingStatus.CANCELLED:
        raise OfferingError(_("Tilbudet er allerede avlyst."))
    offering.status = OfferingStatus.CANCELLED
    offering.cancel_reason = reason.strip()
    offering.updated_at = now
    for session in offering.sessions:
        events_ops.cancel_session(session, now)
    offering_changed.send(offering)
    return enrollment_ops.cancel_everyone(offering, actor=actor, now=now, reason=offering.cancel_reason)


def delete_offering(offering: Offering, *, actor: User, now: datetime, note: str = "") -> None:
    """Delete an offering nobody ever enrolled in, with its sessions; one with enrollments is cancelled instead."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke slette dette tilbudet."))
    if db.session.scalar(sa.select(Enrollment.id).where(Enrollment.offering_id == offering.id).limit(1)):
        raise OfferingError(_("Noen har vært påmeldt tilbudet, så det kan bare avlyses."))
    audit.record(object_type=AUDIT_TYPE, object_id=offering.id, from_state=offering.status.value, to_state="deleted",
                 actor_id=actor.id, at=now, note=note or offering.title)
    schedule = offering.schedule
    db.session.delete(offering)
    db.session.flush()
    db.session.delete(schedule)
    db.session.flush()
    offering_changed.send(offering)


def _sync_first_start(offering: Offering, **change) -> None:
    """Keep the offering's first and last start, and tell the listeners of ``offering_changed`` what ``change``d."""
    db.session.flush()
    db.session.refresh(offering.schedule)
    offering.first_starts_at = offering.schedule.first_start()
    offering.last_starts_at = offering.schedule.last_start()
    db.session.flush()
    offering_changed.send(offering, **change)


_SESSION_CHECKS = "kp_session_checks"


def register_session_check(app, check: Callable[[Offering, datetime, datetime], str | None]) -> None:
    """Let a plugin refuse a time for an offering's session.

    The hook: *who calls it* is a feature plugin in its ``init_app`` (the
    fyrtårn scheme, so that a fyrtårn's own course never overlaps a school's
    booking of them); *what it carries* is ``check(offering, starts_at,
    ends_at)``, called before a session is added or moved, returning a
    message for the organiser or None. A check may take locks: it runs in the
    transaction that saves the session.
    """
    app.extensions.setdefault(_SESSION_CHECKS, []).append(check)


def _check_session_time(offering: Offering, starts_at: datetime, ends_at: datetime) -> None:
    for check in current_app.extensions.get(_SESSION_CHECKS, []):
        problem = check(offering, starts_at, ends_at)
        if problem:
            raise OfferingError(problem)


def add_session(offering: Offering, *, actor: User, now: datetime, starts_at: datetime, ends_at: datetime,
                title: str = "", location: str = "", online_url: str = "") -> Session:
    """Add a dated session to an offering."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke endre dette tilbudet."))
    _check_session_time(offering, starts_at, ends_at)
    try:
        session = events_ops.add_session(offering.schedule, starts_at=starts_at, ends_at=ends_at, now=now,
                                         title=title, location=location, online_url=online_url)
    except events_ops.ScheduleError as err:
        raise OfferingError(str(err)) from None
    _sync_first_start(offering, sessions_changed=True, now=now)
    if offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.CHANGED, now)
    return session


def update_session(offering: Offering, session: Session, *, actor: User, now: datetime, starts_at: datetime,
                   ends_at: datetime, title: str = "", location: str = "", online_url: str = "") -> None:
    """Move or change one of an offering's sessions."""
    if not enrollment_ops.can_manage(actor, offering) or session.schedule_id != offering.schedule_id:
        raise OfferingError(_("Du kan ikke endre denne økten."))
    if (starts_at, ends_at) != (session.starts_at, session.ends_at):
        _check_session_time(offering, starts_at, ends_at)
    try:
        changed = events_ops.update_session(session, starts_at=starts_at, ends_at=ends_at, now=now, title=title,
                                            location=location, online_url=online_url)
    except events_ops.ScheduleError as err:
        raise OfferingError(str(err)) from None
    _sync_first_start(offering, sessions_changed=changed, now=now)
    if changed and offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.CHANGED, now)


def cancel_session(offering: Offering, session: Session, *, actor: User, now: datetime, reason: str = "") -> int:
    """Cancel one session of an offering (the offering itself goes on); return how many were told.

    Everyone holding a seat gets the organiser's ``reason`` (it may be empty)
    in the mail.
    """
    if not enrollment_ops.can_manage(actor, offering) or session.schedule_id != offering.schedule_id:
        raise OfferingError(_("Du kan ikke endre denne økten."))
    if session.status == SessionStatus.CANCELLED:
        raise OfferingError(_("Økten er allerede avlyst."))
    events_ops.cancel_session(session, now)
    _sync_first_start(offering, called_off=session, reason=reason.strip(), now=now)
    if offering.status != OfferingStatus.PUBLISHED:
        return 0
    return enrollment_ops.notify_participants(offering, mails.SESSION_CANCELLED, now, session_id=session.id,
                                              reason=reason.strip())


# --- series: meetings joined one by one ------------------------------------------------

def series_of(offering: Offering, *, with_drafts: bool = False) -> list[Offering]:
    """Return the meetings of the offering's series (itself included), soonest first; none outside a series."""
    if offering.series_id is None:
        return []
    shown = [OfferingStatus.PUBLISHED, OfferingStatus.CANCELLED] + ([OfferingStatus.DRAFT] if with_drafts else [])
    return list(db.session.scalars(
        sa.select(Offering).where(Offering.series_id == offering.series_id, Offering.status.in_(shown))
        .order_by(Offering.first_starts_at.is_(None), Offering.first_starts_at, Offering.id)))


def add_next_in_series(offering: Offering, *, actor: User, now: datetime) -> Offering:
    """Make a draft of the series' next meeting from this one (starting the series if need be).

    The draft has the same content, audience and capacity, no sessions and
    no dates: the organiser gives it its day and publishes it, and people
    sign up for it on its own.
    """
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke endre dette tilbudet."))
    if offering.series is None:
        offering.series = OfferingSeries(title=offering.title, created_at=now)
    data = OfferingData(
        title=offering.title, kind=offering.kind, capacity=offering.capacity, school_year=offering.school_year,
        theme=offering.theme, description=offering.description, organiser=offering.organiser,
        target_groups=list(offering.target_groups), plan_area=offering.plan_area,
        min_participants=offering.min_participants, location=offering.location, online_url=offering.online_url,
        onboarding_cohort=offering.onboarding_cohort, responsible_id=offering.responsible_id)
    draft = create_offering(data, actor=actor, now=now)
    draft.series = offering.series
    db.session.flush()
    return draft


# --- the minimum number of participants -------------------------------------------------

def _oslo_today(now: datetime) -> date:
    return to_oslo(now).date()


def undecided(now: datetime) -> sa.ColumnElement[bool]:
    """Select offerings waiting for a person's go/no-go decision.

    Published, their go/no-go day come, fewer seats taken than the minimum,
    nobody has decided to go ahead, and they have not taken place. They are
    never cancelled by themselves: an organiser goes ahead or cancels.
    """
    return sa.and_(Offering.status == OfferingStatus.PUBLISHED, Offering.min_participants > 0,
                   Offering.go_no_go_date.is_not(None), Offering.go_no_go_date <= _oslo_today(now),
                   Offering.seats_taken < Offering.min_participants, Offering.go_ahead_at.is_(None),
                   Offering.last_starts_at >= now)


@dataclass(frozen=True)
class MinimumStatus:
    """Where an offering with a minimum number of participants stands against it (for its organiser)."""

    minimum: int
    signed_up: int
    waiting: int
    decide_on: date | None
    go_ahead_at: datetime | None
    #: The go/no-go day has come, too few have signed up and nobody has decided.
    undecided: bool

    @property
    def below(self) -> bool:
        return self.signed_up < self.minimum


def minimum_status(offering: Offering, now: datetime) -> MinimumStatus | None:
    """Return how the offering stands against its minimum, or None when it has none."""
    if not offering.min_participants:
        return None
    db.session.flush()
    waiting = db.session.scalar(sa.select(sa.exists().where(Offering.id == offering.id, undecided(now))))
    return MinimumStatus(minimum=offering.min_participants, signed_up=offering.seats_taken,
                         waiting=offering.waitlist_length, decide_on=offering.go_no_go_date,
                         go_ahead_at=offering.go_ahead_at, undecided=bool(waiting))


def awaiting_decision(now: datetime) -> list[Offering]:
    """Return every offering waiting for a go/no-go decision, the oldest decision day first."""
    return list(db.session.scalars(sa.select(Offering).where(undecided(now))
                                   .order_by(Offering.go_no_go_date, Offering.first_starts_at, Offering.id)))


def decisions_coming(now: datetime) -> list[Offering]:
    """Return the offerings whose go/no-go day is within the notice days and still below their minimum."""
    today = _oslo_today(now)
    days = settings.get(GO_NO_GO_NOTICE_DAYS.key)
    return list(db.session.scalars(sa.select(Offering).where(*_coming_decision(today, days, now),
                                                             Offering.seats_taken < Offering.min_participants)
                                   .order_by(Offering.go_no_go_date, Offering.id)))


def _coming_decision(today: date, days: int, now: datetime) -> tuple:
    return (Offering.status == OfferingStatus.PUBLISHED, Offering.min_participants > 0,
            Offering.go_no_go_date > today, Offering.go_no_go_date <= today + timedelta(days=days),
            Offering.last_starts_at >= now)


def go_ahead(offering: Offering, *, actor: User, now: datetime) -> None:
    """Record an organiser's decision that the offering runs although fewer than the minimum signed up."""
    offering = enrollment_ops.lock_offering(offering.id)
    require(enrollment_ops.can_manage(actor, offering), _("Du kan ikke bestemme over dette tilbudet."))
    if offering.status != OfferingStatus.PUBLISHED:
        raise OfferingError(_("Bare et publisert tilbud kan gjennomføres."))
    if offering.go_ahead_at is not None:
        raise OfferingError(_("Det er allerede bestemt at tilbudet gjennomføres."))
    offering.go_ahead_at = now
    offering.updated_at = now
    db.session.flush()
    audit.record(object_type="offering", object_id=offering.id, from_state="undecided", to_state="go_ahead",
                 actor_id=actor.id, at=now,
                 note=f"{offering.seats_taken}/{offering.min_participants}")
    offering_changed.send(offering)


def organisers(offering: Offering) -> list[User]:
    """Return who decides about an offering: its responsible person, or the programme admins without one."""
    if offering.responsible is not None and offering.responsible.active:
        return [offering.responsible]
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.ADMIN, User.active.is_(True)).distinct().order_by(User.id)))


def queue_minimum_mails(now: datetime) -> tuple[int, int]:
    """Tell organisers how their offerings stand against the minimum; return (notices, decisions due) queued.

    Within the notice days before the go/no-go day each organiser is told the
    numbers once; from the day on, an offering still below its minimum asks
    them once for a decision. Each mail is queued once per offering and
    person, however often this runs (the outbox's once-only key).
    """
    today = _oslo_today(now)
    days = settings.get(GO_NO_GO_NOTICE_DAYS.key)
    notices = due = 0
    if days > 0:
        for offering in db.session.scalars(sa.select(Offering).where(*_coming_decision(today, days, now))
                                           .order_by(Offering.id)):
            notices += _tell_organisers(offering_mails.MINIMUM_NOTICE, offering, now)
    for offering in awaiting_decision(now):
        due += _tell_organisers(offering_mails.DECISION_DUE, offering, now)
    return notices, due


def _tell_organisers(kind: str, offering: Offering, now: datetime) -> int:
    queued = 0
    for person in organisers(offering):
        queued += offering_mails.queue(kind, offering, person, now)
    return queued
