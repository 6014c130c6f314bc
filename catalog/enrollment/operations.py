"""The enrollment rules: capacity, waitlist, offers, cancellation, attendance.

Every entry point (page, CLI, the benchmark, later the LMS) calls these
functions; every state change goes through :func:`transition`, which checks
the allowed transitions, writes the audit log and queues the mail.

Seats are given out under :func:`lock_offering`: a row lock on PostgreSQL,
SQLite's write lock (taken at BEGIN IMMEDIATE) on SQLite, so the seat count
read under it stays true until commit.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload, selectinload
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.enrollment import mails
from catalog.enrollment.models import (CONFIRMED_STATES, SEAT_STATES, TRANSITIONS, Attendance, Enrollment,
                                       EnrollmentState)
from catalog.offerings.models import Offering, OfferingStatus, TargetGroup
from events import operations as events_ops
from events.models import Session, SessionStatus
from lms.audit import operations as audit
from lms.audit.models import AuditEntry
from lms.auth.operations import require
from lms.db import begin_writing, db
from lms.i18n import fmt_datetime
from lms.people.models import Membership, Role, User
from lms.settings import operations as settings

OFFER_HOURS = settings.register("catalog.offer_hours", int, 48,
                                _l("Timer en tilbudt plass holdes før den går videre"), minimum=0)
REMINDER_DAYS = settings.register("catalog.reminder_days", int, 2,
                                  _l("Dager før en økt deltakerne får en påminnelse (0: ingen)"), minimum=0)
ATTENDANCE_OPENS_MINUTES = settings.register(
    "catalog.attendance_opens_minutes", int, 15, _l("Minutter før en økt starter at oppmøte kan føres"), minimum=0)
NEW_HIRE_MONTHS = settings.register("catalog.new_hire_months", int, 12,
                                    _l("Måneder en ansatt regnes som nyansatt"), minimum=1)

signals = Namespace()
#: Sent by :func:`transition` after every enrollment state change, with
#: ``enrollment``, ``from_state``, ``to_state`` and ``now``. Calendar feeds
#: and reports listen to it.
enrollment_changed = signals.signal("enrollment-changed")

STAFF_ROLES = frozenset({Role.TEACHER, Role.LEADER, Role.LIGHTHOUSE})
TEACHING_ROLES = frozenset({Role.TEACHER, Role.LIGHTHOUSE})


class EnrollmentError(Exception):
    """An enrollment action the rules refuse; the message is for the user."""


class OfferingNotFound(EnrollmentError):
    """No offering has the id asked for."""


# --- capacity ---------------------------------------------------------------

def seats_left(offering: Offering) -> int:
    """Return how many seats are free to take now (everything holding a seat counts)."""
    return offering.seats_left


def count_seats(offering_id: int) -> tuple[int, int]:
    """Count (seats held, people waiting) from the enrollments themselves."""
    taken, waiting = db.session.execute(
        sa.select(sa.func.count().filter(Enrollment.state.in_(SEAT_STATES)),
                  sa.func.count().filter(Enrollment.state == EnrollmentState.WAITLISTED))
        .where(Enrollment.offering_id == offering_id)).one()
    return taken, waiting


def recount_seats(offering: Offering) -> bool:
    """Set the offering's seat and waitlist counters from its enrollments; return whether they were off."""
    counted = count_seats(offering.id)
    off = counted != (offering.seats_taken, offering.waitlist_length)
    offering.seats_taken, offering.waitlist_length = counted
    return off


def waitlist(offering_id: int, limit: int | None = None) -> list[Enrollment]:
    """Return the waitlist (or its first ``limit`` places) in the order it is served."""
    query = (sa.select(Enrollment)
             .where(Enrollment.offering_id == offering_id, Enrollment.state == EnrollmentState.WAITLISTED)
             .order_by(Enrollment.waitlisted_at, Enrollment.id))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _place_on_waitlist(waiting) -> sa.ScalarSelect:
    """Return the 1-based waitlist place of ``waiting`` (the Enrollment entity or an alias) as a subquery."""
    ahead = aliased(Enrollment)
    return (sa.select(sa.func.count() + 1).select_from(ahead).where(
        ahead.offering_id == waiting.offering_id, ahead.state == EnrollmentState.WAITLISTED,
        sa.or_(ahead.waitlisted_at < waiting.waitlisted_at,
               sa.and_(ahead.waitlisted_at == waiting.waitlisted_at, ahead.id < waiting.id)))
            .correlate(waiting).scalar_subquery())


def waitlist_position(enrollment: Enrollment) -> int | None:
    """Return the 1-based place on the waitlist, or None if not waiting."""
    if enrollment.state != EnrollmentState.WAITLISTED:
        return None
    return db.session.scalar(sa.select(_place_on_waitlist(Enrollment)).where(Enrollment.id == enrollment.id))


def waitlist_places(user_id: int) -> list[tuple[Enrollment, int]]:
    """Return the person's places on waitlists with their offerings, in one query, soonest offering first."""
    rows = db.session.execute(
        sa.select(Enrollment, _place_on_waitlist(Enrollment)).join(Enrollment.offering)
        .where(Enrollment.user_id == user_id, Enrollment.state == EnrollmentState.WAITLISTED)
        .options(contains_eager(Enrollment.offering))
        .order_by(Offering.first_starts_at, Enrollment.id))
    return [(enrollment, place) for enrollment, place in rows]


def offered_seats(user_id: int) -> list[Enrollment]:
    """Return the seats offered to the person from a waitlist, with their offerings, soonest deadline first."""
    return list(db.session.scalars(
        sa.select(Enrollment).join(Enrollment.offering)
        .where(Enrollment.user_id == user_id, Enrollment.state == EnrollmentState.OFFERED)
        .options(contains_eager(Enrollment.offering))
        .order_by(Enrollment.offer_expires_at, Enrollment.id)))


def lock_offering(offering_id: int) -> Offering:
    """Load an offering under a lock that serialises everyone taking its seats."""
    begin_writing()
    # The seat counters are read afresh under the lock; the target groups are
    # not what it guards, so they are loaded again only where asked for. The
    # schedule comes along: every change of a seat mails its sessions.
    offering = db.session.scalar(
        sa.select(Offering).where(Offering.id == offering_id)
        .with_for_update(of=Offering)
        .options(lazyload(Offering.target_group_rows), joinedload(Offering.schedule, innerjoin=True))
        .execution_options(populate_existing=True))
    if offering is None:
        raise OfferingNotFound(_("Tilbudet finnes ikke."))
    return offering


def _active(offering_id: int, user_id: int) -> tuple:
    """The conditions of the person's enrollment in the offering that is not cancelled (there is one at most)."""
    return (Enrollment.offering_id == offering_id, Enrollment.user_id == user_id,
            Enrollment.state != EnrollmentState.CANCELLED)


#: The statement of :func:`active_enrollment`, built once: every signed-in offering page runs it, and
#: building it (and its cache key) per call cost twice what running it does.
_ACTIVE_ENROLLMENT = sa.select(Enrollment).where(*_active(sa.bindparam("offering_id"), sa.bindparam("user_id")))


def active_enrollment(offering_id: int, user_id: int) -> Enrollment | None:
    """Return the person's enrollment in the offering that is not cancelled."""
    return db.session.scalar(_ACTIVE_ENROLLMENT, {"offering_id": offering_id, "user_id": user_id})




# --- permissions and eligibility --------------------------------------------

def can_manage(user: User | None, offering: Offering) -> bool:
    """Return whether the user organises this offering or administers the programme."""
    return user is not None and (user.is_admin or offering.responsible_id == user.id)


def can_act_for(actor: User, person: User) -> bool:
    """Return whether ``actor`` may enroll or cancel on behalf of ``person``."""
    if actor.id == person.id or actor.is_admin:
        return True
    led = actor.led_school_ids()
    return any(m.school_id in led for m in person.memberships)


def new_hire_window(today: date) -> tuple[date, date]:
    """Return the earliest and the latest hire date of the people who count as new hires today.

    The latest lies two months ahead: someone hired for the coming school start is already new.
    """
    months = settings.get(NEW_HIRE_MONTHS.key)
    return today - timedelta(days=months * 31), today + timedelta(days=62)


def is_new_hire(person: User, today: date) -> bool:
    """Return whether the person was hired recently enough to count as new."""
    if person.hire_date is None:
        return False
    earliest, latest = new_hire_window(today)
    return earliest <= person.hire_date <= latest


def eligible(person: User, offering: Offering, today: date) -> bool:
    """Return whether the person belongs to one of the offering's target groups."""
    roles = person.roles()
    checks = {
        TargetGroup.ALL_STAFF: lambda: bool(roles & STAFF_ROLES) or Role.ADMIN in roles,
        TargetGroup.TEACHERS: lambda: bool(roles & TEACHING_ROLES),
        TargetGroup.LEADERS: lambda: Role.LEADER in roles,
        TargetGroup.DIGITAL_SUPERVISORS: lambda: person.is_digital_supervisor,
        TargetGroup.NEW_HIRES: lambda: is_new_hire(person, today),
        TargetGroup.PARENTS: lambda: False,  # parents sign up without an account
        TargetGroup.PUPILS: lambda: False,  # pupils take part through their school
    }
    return any(checks[group]() for group in offering.target_groups)


def registration_problem(offering: Offering, now: datetime) -> str | None:
    """Return why enrollment is closed now, or None when it is open."""
    if offering.status == OfferingStatus.CANCELLED:
        return _("Tilbudet er avlyst.")
    if offering.status != OfferingStatus.PUBLISHED:
        return _("Tilbudet er ikke publisert ennå.")
    if offering.registration_opens_at and now < offering.registration_opens_at:
        return _("Påmeldingen åpner %(when)s.", when=fmt_datetime(offering.registration_opens_at))
    if offering.registration_closes_at and now >= offering.registration_closes_at:
        return _("Påmeldingsfristen er ute.")
    if started(offering, now):
        return _("Tilbudet har allerede startet.")
    return None


def started(offering: Offering, now: datetime) -> bool:
    """Return whether the first session has begun (the cut-off for promotion)."""
    return offering.first_starts_at is not None and now >= offering.first_starts_at


def sessions_ahead(offering: Offering, now: datetime) -> list[Session]:
    """Return the offering's live sessions that have not ended yet, soonest first."""
    return [s for s in offering.live_sessions if s.ends_at > now]


def deadline_passed(offering: Offering, now: datetime) -> bool:
    """Return whether participants may no longer give up their seat themselves."""
    return offering.cancellation_deadline is not None and now >= offering.cancellation_deadline


#: States a person may cancel from: a seat not yet used, an offer, a place on the waitlist.
CANCELLABLE_STATES = frozenset({EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED, EnrollmentState.OFFERED})


def may_cancel_self(enrollment: Enrollment, now: datetime) -> bool:
    """Return whether the person may cancel this enrollment themselves now (what the buttons offer)."""
    if enrollment.state not in CANCELLABLE_STATES:
        return False
    return enrollment.state not in SEAT_STATES or not deadline_passed(enrollment.offering, now)


# --- the one transition -------------------------------------------------------

def _calendar_status(state: EnrollmentState | None) -> str | None:
    """Return how the person's calendar shows the offering's sessions in ``state`` (None: not at all)."""
    if state in CONFIRMED_STATES:
        return "confirmed"
    if state in (EnrollmentState.WAITLISTED, EnrollmentState.OFFERED):
        return "tentative"
    return None if state is None else "cancelled"


def transition(enrollment: Enrollment, to_state: EnrollmentState, *, actor: User | None, now: datetime,
               note: str = "", notify: bool = True) -> None:
    """Move an enrollment to a new state, audit it, queue its mail and signal it."""
    from_state = enrollment.state if enrollment.id is not None else None
    if to_state not in TRANSITIONS[from_state]:
        raise EnrollmentError(_("Kan ikke endre fra «%(a)s» til «%(b)s».",
                                a=from_state.label if from_state else "-", b=to_state.label))
    enrollment.state = to_state
    enrollment.updated_at = now
    offering = enrollment.offering
    offering.seats_taken += (to_state in SEAT_STATES) - (from_state in SEAT_STATES)
    offering.waitlist_length += (to_state == EnrollmentState.WAITLISTED) - (from_state == EnrollmentState.WAITLISTED)
    if to_state == EnrollmentState.WAITLISTED and enrollment.waitlisted_at is None:
        enrollment.waitlisted_at = now
    if to_state != EnrollmentState.OFFERED:
        enrollment.offer_expires_at = None
    if to_state in CONFIRMED_STATES and enrollment.confirmed_at is None:
        enrollment.confirmed_at = now
    if to_state == EnrollmentState.COMPLETED:
        enrollment.completed_at = now
    elif enrollment.completed_at is not None:
        enrollment.completed_at = None
    if _calendar_status(from_state) != _calendar_status(to_state) and offering.schedule_id is not None:
        # The event changes in the person's calendar (and their school's): one SEQUENCE for all, only rising.
        events_ops.raise_sequence(offering.schedule_id)
    db.session.add(enrollment)
    db.session.flush()
    audit.record(object_type="enrollment", object_id=enrollment.id,
                 from_state=from_state.value if from_state else None, to_state=to_state.value,
                 actor_id=actor.id if actor else None, at=now, note=note)
    if notify:
        _queue_mail(enrollment, from_state, to_state, now, note)
    enrollment_changed.send(enrollment, from_state=from_state, to_state=to_state, now=now)


def _queue_mail(enrollment: Enrollment, from_state, to_state, now: datetime, note: str) -> None:
    if to_state not in (EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED, EnrollmentState.OFFERED,
                        EnrollmentState.CANCELLED):
        return
    params = {"from": from_state.value if from_state else None, "to": to_state.value, "note": note}
    if to_state == EnrollmentState.WAITLISTED:
        # Whoever joins the waitlist joins it last (see _waitlist_arrival).
        params["position"] = (enrollment.offering.waitlist_length if from_state is None
                              else waitlist_position(enrollment))
    if to_state == EnrollmentState.OFFERED:
        params["offer_expires_at"] = enrollment.offer_expires_at.isoformat()
    mails.queue(mails.ENROLLMENT, enrollment, now, **params)


# --- operations ---------------------------------------------------------------

def _may_not_act_for() -> str:
    return _("Du kan bare melde på deg selv eller ansatte ved din skole.")


def person_to_enroll(actor: User, person_id: int | None) -> User:
    """Return whom ``actor`` signs up: themself (no id), or the person with ``person_id`` they may act for.

    An id nobody has is refused exactly like a person the actor may not act
    for, so that nobody can find out which ids exist.
    """
    person = actor if person_id is None else db.session.get(User, person_id)
    require(person is not None and can_act_for(actor, person), _may_not_act_for)
    return person


def enroll(offering_id: int, person: User, *, actor: User, now: datetime) -> Enrollment:
    """Give the person a seat, or a place on the waitlist when the offering is full."""
    # The refusals' messages are translated only when one is given: this is the rush's hot path.
    require(can_act_for(actor, person), _may_not_act_for)
    # Who may enroll does not depend on the seats: check it before taking the
    # lock, so everyone else waits for as short a time as possible.
    offering = db.session.scalars(sa.select(Offering).where(Offering.id == offering_id)
                                  .options(joinedload(Offering.target_group_rows))).unique().one_or_none()
    if offering is None:
        raise OfferingNotFound(_("Tilbudet finnes ikke."))
    problem = registration_problem(offering, now)
    if problem:
        raise EnrollmentError(problem)
    if not eligible(person, offering, now.date()):
        raise EnrollmentError(_("Tilbudet er ikke for din målgruppe (%(groups)s).",
                                groups=", ".join(g.label for g in offering.target_groups)))
    # Written now: after a refused insert the session's objects (the person's language too) cannot be read.
    already = (_("%(name)s er allerede påmeldt eller på ventelisten.", name=person.name)
               if actor.id != person.id else _("Du er allerede påmeldt eller på ventelisten."))
    # One look at the offering's enrollments: the person's own, and any offers out. An offer made after
    # this look has its whole time to run, so only offers seen now can have expired once the lock is ours.
    enrolled_already, offers_out = db.session.execute(sa.select(
        sa.exists().where(*_active(offering_id, person.id)),
        sa.exists().where(Enrollment.offering_id == offering_id, Enrollment.state == EnrollmentState.OFFERED),
    )).one()
    if enrolled_already:
        raise EnrollmentError(already)
    offering = lock_offering(offering_id)
    problem = registration_problem(offering, now)  # again: it may have been cancelled meanwhile
    if problem:
        raise EnrollmentError(problem)
    if offers_out:
        _expire_offers_locked(offering, now)
    enrollment = Enrollment(offering=offering, user=person, created_at=now,
                            enrolled_by_id=actor.id if actor.id != person.id else None)
    # Someone already waiting goes first, even if a seat has just come free.
    full = seats_left(offering) <= 0 or offering.waitlist_length > 0
    if full:
        enrollment.waitlisted_at = _waitlist_arrival(offering.id, now)
    try:
        transition(enrollment, EnrollmentState.WAITLISTED if full else EnrollmentState.ENROLLED, actor=actor,
                   now=now)
    except sa.exc.IntegrityError as err:
        # The same person's other request got in between the look above and
        # the lock; the one-active-enrollment index turned this one away.
        if not _is_second_enrollment(err):
            raise
        raise EnrollmentError(already) from None
    if full:
        promote_from_waitlist(offering, now)
    return enrollment


def _is_second_enrollment(err: sa.exc.IntegrityError) -> bool:
    """Tell whether an insert failed on the one-active-enrollment index (named on PostgreSQL, by columns on SQLite)."""
    text = str(err.orig)
    return "uq_enrollment_active" in text or "enrollment.offering_id, enrollment.user_id" in text


def _waitlist_arrival(offering_id: int, now: datetime) -> datetime:
    """Return the time to queue someone at, no earlier than the last one queued.

    ``now`` is read before the offering's lock is granted, so a request that
    got the lock first can carry a later time. Queueing behind it keeps the
    waitlist in the order people really joined it (ties are served by id),
    and the position each was told stays true.
    """
    last = db.session.scalar(sa.select(sa.func.max(Enrollment.waitlisted_at))
                             .where(Enrollment.offering_id == offering_id))
    return max(now, last) if last is not None else now


def cancel_enrollment(enrollment: Enrollment, *, actor: User, now: datetime, note: str = "") -> None:
    """Cancel a seat or leave the waitlist; a freed seat goes to the first waiting."""
    offering = lock_offering(enrollment.offering_id)
    db.session.refresh(enrollment)
    manager = can_manage(actor, offering)
    require(manager or can_act_for(actor, enrollment.user), _("Du kan ikke melde av denne personen."))
    if enrollment.state not in CANCELLABLE_STATES:
        raise EnrollmentError(_("Denne påmeldingen kan ikke avmeldes (%(state)s).", state=enrollment.state.label))
    holds_seat = enrollment.state in SEAT_STATES
    if holds_seat and not manager and deadline_passed(offering, now):
        raise EnrollmentError(_("Avmeldingsfristen var %(when)s. Kontakt arrangøren.",
                                when=fmt_datetime(offering.cancellation_deadline)))
    transition(enrollment, EnrollmentState.CANCELLED, actor=actor, now=now, note=note)
    if holds_seat:
        promote_from_waitlist(offering, now)


def accept_offer(enrollment: Enrollment, *, actor: User, now: datetime) -> None:
    """Take the seat the person was offered, if the offer still stands."""
    offering = lock_offering(enrollment.offering_id)
    db.session.refresh(enrollment)
    require(can_act_for(actor, enrollment.user), _("Du kan bare svare på dine egne tilbud."))
    _expire_offers_locked(offering, now)
    if enrollment.state != EnrollmentState.OFFERED:
        raise EnrollmentError(_("Tilbudet om plass gjelder ikke lenger."))
    transition(enrollment, EnrollmentState.ENROLLED, actor=actor, now=now)


def decline_offer(enrollment: Enrollment, *, actor: User, now: datetime) -> None:
    """Turn down an offered seat; it passes to the next on the waitlist."""
    if enrollment.state != EnrollmentState.OFFERED:
        raise EnrollmentError(_("Tilbudet om plass gjelder ikke lenger."))
    cancel_enrollment(enrollment, actor=actor, now=now, note=_("Takket nei til tilbudt plass."))


def promote_from_waitlist(offering: Offering, now: datetime) -> list[Enrollment]:
    """Offer free seats to the first on the waitlist; nothing once the offering has started.

    With an offer time of 0 hours the seat is given at once instead.
    The caller holds the offering's lock.
    """
    free = seats_left(offering)
    if not free or not offering.waitlist_length or started(offering, now) \
            or offering.status != OfferingStatus.PUBLISHED:
        return []
    hours = settings.get(OFFER_HOURS.key)
    promoted = []
    for enrollment in waitlist(offering.id, limit=free):
        if hours <= 0:
            transition(enrollment, EnrollmentState.ENROLLED, actor=None, now=now)
        else:
            expires = now + timedelta(hours=hours)
            if offering.first_starts_at is not None:
                expires = min(expires, offering.first_starts_at)
            enrollment.offer_expires_at = expires
            transition(enrollment, EnrollmentState.OFFERED, actor=None, now=now)
        promoted.append(enrollment)
    return promoted


def _expire_offers_locked(offering: Offering, now: datetime) -> int:
    expired = list(db.session.scalars(sa.select(Enrollment).where(
        Enrollment.offering_id == offering.id, Enrollment.state == EnrollmentState.OFFERED,
        Enrollment.offer_expires_at <= now)))
    for enrollment in expired:
        transition(enrollment, EnrollmentState.CANCELLED, actor=None, now=now,
                   note=_("Tilbudet om plass ble ikke besvart i tide."))
    if expired:
        promote_from_waitlist(offering, now)
    return len(expired)


def expire_offers(now: datetime) -> int:
    """Pass on every offered seat whose time ran out; return how many expired."""
    offering_ids = db.session.scalars(sa.select(Enrollment.offering_id).distinct().where(
        Enrollment.state == EnrollmentState.OFFERED, Enrollment.offer_expires_at <= now)).all()
    return sum(_expire_offers_locked(lock_offering(oid), now) for oid in offering_ids)


def change_capacity(offering: Offering, capacity: int, *, actor: User, now: datetime) -> None:
    """Set a new capacity; extra seats go to the waitlist at once."""
    offering = lock_offering(offering.id)
    require(can_manage(actor, offering), _("Du kan ikke endre dette tilbudet."))
    taken = offering.seats_taken
    if capacity < max(taken, 1):
        raise EnrollmentError(_("Kapasiteten kan ikke settes lavere enn antall tildelte plasser (%(n)d).", n=taken))
    offering.capacity = capacity
    offering.updated_at = now
    db.session.flush()
    promote_from_waitlist(offering, now)


def cancel_everyone(offering: Offering, *, actor: User, now: datetime, reason: str) -> int:
    """Cancel every active enrollment in a cancelled offering, telling each person why."""
    active = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.offering_id == offering.id,
        Enrollment.state.in_([EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED, EnrollmentState.OFFERED]))).all()
    note = _("Tilbudet er avlyst.") + (f" {reason}" if reason else "")
    for enrollment in active:
        transition(enrollment, EnrollmentState.CANCELLED, actor=actor, now=now, note=note)
    return len(active)


def seat_holders() -> sa.Select:
    """Select the enrollments told of everything about the offering's coming sessions.

    Everyone who holds a seat: enrolled, offered one, and those whose
    attendance is already recorded (attended, no-show, even completed), who
    still have the sessions ahead. A moved or cancelled session and every
    reminder go to exactly these people; nobody on the waitlist.
    """
    return sa.select(Enrollment).where(Enrollment.state.in_(SEAT_STATES))


def notify_participants(offering: Offering, kind: str, now: datetime, **params) -> int:
    """Queue a mail of ``kind`` (see :mod:`catalog.enrollment.mails`) to every seat holder; return how many."""
    holders = db.session.scalars(
        seat_holders().where(Enrollment.offering_id == offering.id).order_by(Enrollment.id)).all()
    for enrollment in holders:
        mails.queue(kind, enrollment, now, **params)
    return len(holders)


def queue_reminders(now: datetime) -> int:
    """Queue a reminder for every session starting within the reminder days; return how many are new.

    Each person is reminded once per session (the outbox's once-only key),
    however often this runs; whoever got their seat inside the window has
    just had the confirmation and is not reminded again.
    """
    days = settings.get(REMINDER_DAYS.key)
    if days <= 0:
        return 0
    horizon = now + timedelta(days=days)
    rows = db.session.execute(
        seat_holders().add_columns(Session.id, Session.starts_at)
        .join(Offering, Offering.id == Enrollment.offering_id)
        .join(Session, Session.schedule_id == Offering.schedule_id)
        .where(Offering.status == OfferingStatus.PUBLISHED,
               Session.status == SessionStatus.SCHEDULED, Session.starts_at > now, Session.starts_at <= horizon)
        .order_by(Session.starts_at, Enrollment.id)).all()
    queued = 0
    for enrollment, session_id, starts_at in rows:
        if enrollment.confirmed_at is not None and enrollment.confirmed_at > starts_at - timedelta(days=days):
            continue
        if mails.queue(mails.REMINDER, enrollment, now, session_id=session_id,
                       dedupe_key=f"catalog.reminder:{session_id}:{enrollment.user_id}"):
            queued += 1
    return queued


def participants(offering: Offering) -> list[Enrollment]:
    """Return one enrollment per person who ever signed up for the offering: the current one.

    A person who cancelled and signed up again is one row, in their state
    now; the earlier sign-ups are in :func:`participant_history`.
    """
    current: dict[int, Enrollment] = {}
    for enrollment in db.session.scalars(
            sa.select(Enrollment).where(Enrollment.offering_id == offering.id)
            .options(selectinload(Enrollment.user), selectinload(Enrollment.enrolled_by)).order_by(Enrollment.id)):
        # Only one enrollment per person is ever active, and it is their newest.
        current[enrollment.user_id] = enrollment
    return list(current.values())


def participant_history(offering: Offering) -> dict[int, list[AuditEntry]]:
    """Return every sign-up, offer, cancellation and attendance change in the offering, by person, oldest first."""
    owners = dict(db.session.execute(sa.select(Enrollment.id, Enrollment.user_id)
                                     .where(Enrollment.offering_id == offering.id)).all())
    history: dict[int, list[AuditEntry]] = {}
    if not owners:
        return history
    for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "enrollment",
                                        AuditEntry.object_id.in_(list(owners)))
            .options(selectinload(AuditEntry.actor)).order_by(AuditEntry.at, AuditEntry.id)):
        history.setdefault(owners[entry.object_id], []).append(entry)
    return history


#: Who takes part in the sessions, and so has attendance recorded.
ATTENDING_STATES = (EnrollmentState.ENROLLED, EnrollmentState.ATTENDED, EnrollmentState.NO_SHOW,
                    EnrollmentState.COMPLETED)


def attendance_list(offering: Offering) -> list[Enrollment]:
    """Return the participants whose attendance is recorded, by name."""
    return list(db.session.scalars(
        sa.select(Enrollment).join(Enrollment.user)
        .where(Enrollment.offering_id == offering.id, Enrollment.state.in_(ATTENDING_STATES))
        .order_by(User.name, Enrollment.id)))


def attendance_opens_at(session: Session) -> datetime:
    """Return when attendance for a session may first be recorded: shortly before it starts (a setting)."""
    return session.starts_at - timedelta(minutes=settings.get(ATTENDANCE_OPENS_MINUTES.key))


def attendance_problem(session: Session, now: datetime) -> str | None:
    """Return why attendance cannot be recorded for the session now, or None when it can."""
    if session.status == SessionStatus.CANCELLED:
        return _("Økten er avlyst, så det føres ikke oppmøte for den.")
    opens = attendance_opens_at(session)
    if now < opens:
        return _("Oppmøte kan føres fra %(when)s, like før økten starter.", when=fmt_datetime(opens))
    return None


def record_attendance(session: Session, offering: Offering, present_ids: set[int], *, actor: User,
                      now: datetime) -> None:
    """Record who was present at a session and update each participant's state."""
    require(can_manage(actor, offering), _("Du kan ikke føre oppmøte for dette tilbudet."))
    problem = attendance_problem(session, now)
    if problem:
        raise EnrollmentError(problem)
    participants = attendance_list(offering)
    existing = {(a.enrollment_id): a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id == session.id))}
    for enrollment in participants:
        present = enrollment.id in present_ids
        row = existing.get(enrollment.id)
        if row is None:
            db.session.add(Attendance(enrollment_id=enrollment.id, session_id=session.id, present=present,
                                      recorded_at=now))
        else:
            row.present, row.recorded_at = present, now
    db.session.flush()
    for enrollment in participants:
        if enrollment.state == EnrollmentState.COMPLETED:
            continue
        any_present = db.session.scalar(sa.select(sa.func.count()).select_from(Attendance).where(
            Attendance.enrollment_id == enrollment.id, Attendance.present.is_(True))) or 0
        target = EnrollmentState.ATTENDED if any_present else EnrollmentState.NO_SHOW
        if enrollment.state != target:
            transition(enrollment, target, actor=actor, now=now, notify=False)


def present_at(session_id: int) -> set[int]:
    """Return the ids of enrollments recorded as present at a session."""
    return set(db.session.scalars(sa.select(Attendance.enrollment_id).where(
        Attendance.session_id == session_id, Attendance.present.is_(True))))


def mark_completed(offering: Offering, enrollment_ids: set[int], *, actor: User, now: datetime) -> int:
    """Mark the chosen participants as having completed the offering; return how many changed."""
    require(can_manage(actor, offering), _("Du kan ikke registrere fullføring for dette tilbudet."))
    changed = 0
    for enrollment in db.session.scalars(sa.select(Enrollment).where(
            Enrollment.offering_id == offering.id, Enrollment.id.in_(enrollment_ids))):
        if enrollment.state in (EnrollmentState.ENROLLED, EnrollmentState.ATTENDED, EnrollmentState.NO_SHOW):
            transition(enrollment, EnrollmentState.COMPLETED, actor=actor, now=now, notify=False)
            changed += 1
    return changed


def staff_of_led_schools(leader: User) -> list[User]:
    """Return the people at the schools the leader leads, by name."""
    led = leader.led_school_ids()
    if not led:
        return []
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id.in_(led), User.active.is_(True)).distinct().order_by(User.name)))


def staff_to_enroll(leader: User, offering: Offering, now: datetime) -> list[User]:
    """Return whom a leader may enroll in the offering: their staff in its target groups, by name.

    The offering's own organiser (a fyrtårn running an open course, say) is
    not among them: they run it, they do not take it.
    """
    return [p for p in staff_of_led_schools(leader)
            if p.id != offering.responsible_id and eligible(p, offering, now.date())]
