"""The booking rules: free times, requests, answers, cancellation, follow-up.

THIS FILE IS THE CONTRACT between the booking operations and the booking
pages. Every function below keeps its name, arguments and meaning.

Rules:
- A booking holds the fyrtårn's time from the request on (REQUESTED,
  PROPOSED, CONFIRMED, COMPLETED: :data:`HOLDING_STATES`), so two schools
  can never hold the same time, and it draws on the release time of the
  semester it falls in, which it can never exceed.
- Held bookings and the fyrtårn's own catalogue sessions (offerings whose
  ``responsible_id`` is the fyrtårn) never overlap, ``buffer_minutes``
  included. Checked under the fyrtårn's lock (their profile row; SQLite's
  write lock), and the partial unique index ``uq_booking_held_start``
  refuses two held bookings on one start in any case.
- Every state change goes through :func:`transition`, which checks
  :data:`TRANSITIONS`, writes the audit log (``lighthouse.booking``) and
  queues the mails.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.offerings.models import Offering, OfferingStatus
from events import operations as events
from events.calendar import build_calendar
from events.models import Session, SessionStatus
from lighthouse.bookings import calendar, mails
from lighthouse.bookings.models import (HOLDING_STATES, TRANSITIONS, AvailabilityWindow, BookableOffering, Booking,
                                        BookingParticipant, BookingSide, BookingState, Venue)
from lighthouse.profiles.models import LighthouseProfile, ReleaseTime, semester_of
from lms.audit import operations as audit
from lms.db import begin_writing, db, now_utc
from lms.i18n import OSLO, WallTimeError, fmt_datetime, oslo_wall_time
from lms.people.models import Membership, School, User
from lms.settings import operations as settings

#: Hours before the start after which neither side can cancel (admins can).
CANCEL_HOURS = settings.register("lighthouse.cancel_hours", int, 48,
                                 _l("Timer før start en fyrtårnbestilling senest kan avlyses"), minimum=0)

#: What the audit log calls a booking.
AUDIT_TYPE = "lighthouse.booking"
#: What the calendar kernel calls a booking's schedule.
SCHEDULE_KIND = "lighthouse.booking"

signals = Namespace()
#: Sent by :func:`transition` after every booking state change, with
#: ``booking``, ``from_state``, ``to_state`` and ``now``.
booking_changed = signals.signal("booking-changed")

#: States in which the school or the fyrtårn can still cancel.
CANCELLABLE_STATES = frozenset({BookingState.REQUESTED, BookingState.PROPOSED, BookingState.CONFIRMED})
#: What the fyrtårn may answer a request with.
ANSWER_STATES = frozenset({BookingState.CONFIRMED, BookingState.DECLINED, BookingState.PROPOSED})
#: States whose session has (or had) taken place: feedback and the fyrtårn's record.
FOLLOW_UP_STATES = frozenset({BookingState.CONFIRMED, BookingState.COMPLETED})


class BookingError(Exception):
    """A booking the rules refuse; the message (translated, Norwegian first) is for the user."""


class BookingNotAllowed(BookingError):
    """The actor may not do this to this booking (the views answer 403)."""


class BookingNotFound(BookingError):
    """No booking, offering or school has the id asked for (the views answer 404)."""


@dataclass(frozen=True)
class FreeTime:
    starts_at: datetime
    ends_at: datetime


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise BookingError(_("Tidspunktet mangler tidssone."))
    return value.astimezone(timezone.utc)


class TimeTaken(BookingError):
    """The time was free when the page was shown but another booking holds it now (the views answer 409)."""


def _taken() -> TimeTaken:
    return TimeTaken(_("Tidspunktet er nettopp tatt av en annen skole. Velg et annet."))


# --- free times -------------------------------------------------------------------

def _window_starts(profile_id: int, duration: timedelta, first: date, last: date) -> list[datetime]:
    """Return every start (UTC) the windows give between two Oslo dates, each slot inside its window."""
    windows = db.session.scalars(sa.select(AvailabilityWindow).where(
        AvailabilityWindow.profile_id == profile_id, AvailabilityWindow.valid_from <= last,
        AvailabilityWindow.valid_until >= first)).all()
    by_weekday: dict[int, list[AvailabilityWindow]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append(window)
    starts = set()
    day = first
    while day <= last:
        for window in by_weekday.get(day.weekday(), ()):
            if not window.valid_from <= day <= window.valid_until:
                continue
            # Wall-clock times in Oslo, turned into UTC one by one: 12:00 stays
            # 12:00 on both sides of a daylight-saving change.
            local = datetime.combine(day, window.start_time)
            closes = datetime.combine(day, window.end_time)
            while local + duration <= closes:
                try:
                    starts.add(oslo_wall_time(day, local.time()).astimezone(timezone.utc))
                except WallTimeError:
                    pass  # a time the clock skips or repeats that night is offered by no one
                local += duration
        day += timedelta(days=1)
    return sorted(starts)


@dataclass(frozen=True)
class _Busy:
    """Times the fyrtårn is taken, with the buffer each keeps around it, sorted by start."""

    starts: list[datetime]
    items: list[tuple[datetime, datetime, int]]
    #: The longest busy time and the largest buffer: how far from a slot a clash can start.
    longest: timedelta
    widest: int

    def clashes(self, starts_at: datetime, ends_at: datetime, buffer: int) -> bool:
        reach = timedelta(minutes=max(buffer, self.widest))
        # Only what starts within reach of the slot can touch it (bisect on the sorted starts).
        limit = bisect.bisect_left(self.starts, ends_at + reach)
        lower = bisect.bisect_right(self.starts, starts_at - self.longest - reach)
        for busy_start, busy_end, busy_buffer in self.items[lower:limit]:
            gap = timedelta(minutes=max(buffer, busy_buffer))
            if busy_start < ends_at + gap and starts_at < busy_end + gap:
                return True
        return False


def _busy(profile: LighthouseProfile, start: datetime, end: datetime,
          exclude_booking_id: int | None = None, *, with_sessions: bool = True) -> _Busy:
    """Return the fyrtårn's held bookings and (``with_sessions``) own catalogue sessions near ``start``..``end``."""
    # Wide enough to catch anything whose buffer reaches into the range.
    lo, hi = start - timedelta(hours=24), end + timedelta(hours=24)
    bookings = (sa.select(Booking.starts_at, Booking.ends_at, BookableOffering.buffer_minutes)
                .join(BookableOffering, BookableOffering.id == Booking.offering_id)
                .where(Booking.profile_id == profile.id, Booking.state.in_(list(HOLDING_STATES)),
                       Booking.starts_at < hi, Booking.ends_at > lo))
    if exclude_booking_id is not None:
        bookings = bookings.where(Booking.id != exclude_booking_id)
    sessions = (sa.select(Session.starts_at, Session.ends_at, sa.literal(0))
                .join(Offering, Offering.schedule_id == Session.schedule_id)
                .where(Offering.responsible_id == profile.user_id, Offering.status != OfferingStatus.CANCELLED,
                       Session.status == SessionStatus.SCHEDULED, Session.starts_at < hi, Session.ends_at > lo))
    items = sorted([tuple(row) for row in db.session.execute(bookings)]
                   + ([tuple(row) for row in db.session.execute(sessions)] if with_sessions else []))
    longest = max((e - s for s, e, _b in items), default=timedelta(0))
    return _Busy(starts=[s for s, _e, _b in items], items=items, longest=longest,
                 widest=max((b for _s, _e, b in items), default=0))


def _oslo_date(value: datetime) -> date:
    return value.astimezone(OSLO).date()


def _semester(starts_at: datetime) -> str:
    return semester_of(_oslo_date(starts_at))


def free_times(offering: BookableOffering, *, start: datetime, end: datetime, now: datetime,
               exclude: Booking | None = None) -> list[FreeTime]:
    """Return the times a school can ask for between ``start`` and ``end``, earliest first.

    Start times step by the offering's duration from each availability
    window's start (Oslo local time, so across the daylight-saving changes
    too), at least ``min_notice_hours`` after ``now``, clear of held
    bookings and the fyrtårn's own sessions with buffers, and only while the
    semester's approved release time still has the minutes. With
    ``exclude``, that booking's own hold counts as free (the times the
    fyrtårn may propose instead of it).
    """
    return _free_times(offering, _utc(start), _utc(end), _utc(now), exclude)


def _free_times(offering: BookableOffering, start: datetime, end: datetime, now: datetime,
                exclude: Booking | None = None) -> list[FreeTime]:
    profile = offering.profile
    if not (offering.active and profile.active) or end <= start:
        return []
    start = max(start, now + timedelta(hours=offering.min_notice_hours))
    if end <= start:
        return []
    duration = timedelta(minutes=offering.duration_minutes)
    candidates = [s for s in _window_starts(profile.id, duration, _oslo_date(start), _oslo_date(end))
                  if start <= s and s + duration <= end]
    if not candidates:
        return []
    busy = _busy(profile, candidates[0], candidates[-1] + duration, exclude.id if exclude is not None else None)
    left: dict[str, int] = {}
    free = []
    for starts_at in candidates:
        semester = _semester(starts_at)
        if semester not in left:
            left[semester] = release_time_left(profile.id, semester)
            if exclude is not None and exclude.semester == semester and exclude.state in HOLDING_STATES:
                left[semester] += exclude.minutes
        if left[semester] < offering.duration_minutes:
            continue
        ends_at = starts_at + duration
        if not busy.clashes(starts_at, ends_at, offering.buffer_minutes):
            free.append(FreeTime(starts_at, ends_at))
    return free


def why_no_free_times(offering: BookableOffering, *, start: datetime, end: datetime) -> str:
    """Say why :func:`free_times` found nothing between ``start`` and ``end``."""
    windows = db.session.scalar(sa.select(sa.func.count()).select_from(AvailabilityWindow).where(
        AvailabilityWindow.profile_id == offering.profile_id,
        AvailabilityWindow.valid_until >= _oslo_date(start),
        AvailabilityWindow.valid_from <= _oslo_date(end)))
    if not windows:
        return _("Fyrtårnet har ikke lagt inn tider de kan bestilles i denne perioden. Se etter senere tider, "
                 "eller ta kontakt med fyrtårnet.")
    if release_time_left(offering.profile_id, _semester(start)) < offering.duration_minutes:
        return _("Fyrtårnets frikjøpte tid dette semesteret er brukt opp. Se etter tider i neste semester.")
    return _("Alle tidene i denne perioden er bestilt, eller for nær i tid. Se etter senere tider.")


def _slot_problem(offering: BookableOffering, starts_at: datetime, now: datetime,
                  exclude: Booking | None = None) -> BookingError | None:
    """Return the error that says why ``starts_at`` cannot be booked now, or None when it is free."""
    if not (offering.active and offering.profile.active):
        return BookingError(_("Tilbudet kan ikke bestilles nå."))
    duration = timedelta(minutes=offering.duration_minutes)
    if starts_at < now + timedelta(hours=offering.min_notice_hours):
        return BookingError(_("Tidspunktet må være minst %(hours)d timer frem i tid.", hours=offering.min_notice_hours))
    if _free_times(offering, starts_at, starts_at + duration, now, exclude):
        return None
    day = _oslo_date(starts_at)
    if starts_at not in _window_starts(offering.profile_id, duration, day, day):
        return BookingError(_("Tidspunktet er ikke et av fyrtårnets ledige tider. Velg en tid fra listen."))
    left = release_time_left(offering.profile_id, _semester(starts_at))
    if exclude is not None and exclude.semester == _semester(starts_at) and exclude.state in HOLDING_STATES:
        left += exclude.minutes
    if left < offering.duration_minutes:
        return BookingError(_("Fyrtårnet har ikke flere timer igjen dette semesteret."))
    return _taken()


def _held(profile_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(Booking.profile_id == profile_id, Booking.state.in_(list(HOLDING_STATES)))


def held_minutes(profile_id: int, semester: str) -> int:
    """Return the minutes of a fyrtårn's semester that bookings hold (requested, proposed, confirmed, done)."""
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Booking.minutes), 0))
        .where(_held(profile_id), Booking.semester == semester)) or 0)


def held_minutes_by_semester(profile_id: int) -> dict[str, int]:
    """Return :func:`held_minutes` for every semester of a fyrtårn in one query."""
    return {semester: int(minutes) for semester, minutes in db.session.execute(
        sa.select(Booking.semester, sa.func.sum(Booking.minutes)).where(_held(profile_id))
        .group_by(Booking.semester))}


def approved_minutes(profile_id: int, semester: str) -> int:
    """Return the release time the principal approved for a fyrtårn's semester (0 when none)."""
    return int(db.session.scalar(
        sa.select(ReleaseTime.approved_minutes)
        .where(ReleaseTime.profile_id == profile_id, ReleaseTime.semester == semester)) or 0)


def release_time_left(profile_id: int, semester: str) -> int:
    """Return the approved minutes of a semester not yet held by bookings (0 when none are approved)."""
    return max(approved_minutes(profile_id, semester) - held_minutes(profile_id, semester), 0)


# --- the lock -------------------------------------------------------------------------

def _lock_profile(profile_id: int) -> LighthouseProfile:
    """Take the fyrtårn's lock: their profile row on PostgreSQL, the write lock on SQLite."""
    begin_writing()
    profile = db.session.scalar(
        sa.select(LighthouseProfile).where(LighthouseProfile.id == profile_id)
        .with_for_update(of=LighthouseProfile).execution_options(populate_existing=True))
    if profile is None:
        raise BookingNotFound(_("Fyrtårnet finnes ikke."))
    return profile


def session_clash(offering: Offering, starts_at: datetime, ends_at: datetime) -> str | None:
    """Say why a session of a fyrtårn's own catalogue course cannot be at this time, or None.

    The catalogue asks before it adds or moves a session (see
    ``catalog.offerings.operations.register_session_check``): a school's
    held booking of the fyrtårn, buffer included, keeps the time. Checked
    under the fyrtårn's lock, so no booking takes the time before the commit.
    """
    if offering.responsible_id is None:
        return None
    profile_id = db.session.scalar(sa.select(LighthouseProfile.id)
                                   .where(LighthouseProfile.user_id == offering.responsible_id))
    if profile_id is None:
        return None
    profile = _lock_profile(profile_id)
    if _busy(profile, starts_at, ends_at, with_sessions=False).clashes(starts_at, ends_at, 0):
        return _("Fyrtårnet har en bestilling fra en skole som overlapper dette tidspunktet (buffer medregnet).")
    return None


def _is_taken(err: sa.exc.IntegrityError) -> bool:
    """Tell whether an insert or update failed on the one-held-start index (by name on PostgreSQL, columns on SQLite)."""
    text = str(err.orig)
    return "uq_booking_held_start" in text or "lighthouse_booking.profile_id, lighthouse_booking.starts_at" in text


# --- permissions ------------------------------------------------------------------------

def may_book_for(actor: User, school_id: int) -> bool:
    """Whether the actor may book for the school: a leader there, or an admin."""
    return actor is not None and (actor.is_admin or school_id in actor.led_school_ids())


def is_lighthouse_of(actor: User, booking: Booking) -> bool:
    """Whether the actor is the booking's fyrtårn (or an admin)."""
    return actor is not None and (actor.is_admin or booking.offering.profile.user_id == actor.id)


def _require(condition: bool, message: str | None = None) -> None:
    if not condition:
        raise BookingNotAllowed(message or _("Du har ikke tilgang til denne bestillingen."))


def bookable_schools(actor: User) -> list[School]:
    """Return the schools the actor may book for (see :func:`may_book_for`), by name."""
    query = sa.select(School).order_by(School.name)
    if not actor.is_admin:
        led = actor.led_school_ids()
        if not led:
            return []
        query = query.where(School.id.in_(led))
    return list(db.session.scalars(query))


def staff_of(school_id: int | None) -> list[User]:
    """Return the active people of a school, by name: those who can be named as participants."""
    if school_id is None:
        return []
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, User.active.is_(True)).distinct().order_by(User.name, User.id)))


def _staff_ids(school_id: int, user_ids: Iterable[int]) -> list[int]:
    """Return the given ids, each once and in order, after checking they are active staff of the school."""
    wanted = list(dict.fromkeys(int(i) for i in user_ids))
    if not wanted:
        return []
    staff = {person.id for person in staff_of(school_id)}
    if set(wanted) - staff:
        raise BookingError(_("Deltakerne må være ansatte ved skolen."))
    return wanted


# --- the one transition -------------------------------------------------------------------

def transition(booking: Booking, to_state: BookingState, *, actor: User | None, now: datetime,
               note: str = "") -> None:
    """Move a booking to a new state, if allowed, with an audit entry and its mails."""
    from_state = booking.state if booking.id is not None else None
    if to_state not in TRANSITIONS[from_state]:
        raise BookingError(_("Bestillingen kan ikke endres fra «%(a)s» til «%(b)s».",
                             a=from_state.label if from_state else "-", b=to_state.label))
    booking.state = to_state
    booking.updated_at = now
    if _is_answer(booking, from_state, to_state):
        booking.answered_at = now
    if from_state is None:
        # Only the insert can meet the one-held-start index; its savepoint
        # keeps the rest of the transaction usable when it does.
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    else:
        db.session.flush()
    audit.record(object_type=AUDIT_TYPE, object_id=booking.id,
                 from_state=from_state.value if from_state else None, to_state=to_state.value,
                 actor_id=actor.id if actor else None, at=now, note=note)
    mails.queue_transition(booking, from_state, to_state, now, note=note)
    booking_changed.send(booking, from_state=from_state, to_state=to_state, now=now)


def _is_answer(booking: Booking, from_state: BookingState | None, to_state: BookingState) -> bool:
    """Whether a transition is the fyrtårn side's answer to the school, for its leaders to read."""
    if from_state == BookingState.REQUESTED and to_state in ANSWER_STATES:
        return True
    # Cancelled by the fyrtårn (or an admin for them), or lapsed unanswered: not the school's own doing.
    return to_state == BookingState.CANCELLED and booking.cancelled_by != BookingSide.SCHOOL


def _record_change(booking: Booking, *, actor: User, now: datetime, note: str) -> None:
    """Audit a change that keeps the state (participants, feedback, the fyrtårn's record)."""
    booking.updated_at = now
    db.session.flush()
    audit.record(object_type=AUDIT_TYPE, object_id=booking.id, from_state=booking.state.value,
                 to_state=booking.state.value, actor_id=actor.id, at=now, note=note)


# --- requests ------------------------------------------------------------------------------

def _venue_for(offering: BookableOffering, venue: Venue | None) -> Venue:
    if venue is None or venue == Venue.EITHER:
        return Venue.AT_SCHOOL if offering.venue == Venue.EITHER else offering.venue
    if offering.venue != Venue.EITHER and venue != offering.venue:
        raise BookingError(_("Dette tilbudet gis bare %(venue)s.", venue=str(offering.venue.label).lower()))
    return venue


def request_booking(offering_id: int, school_id: int, *, actor: User, starts_at: datetime,
                    participants_count: int, now: datetime, note: str = "", venue: Venue | None = None,
                    participant_ids: Iterable[int] = ()) -> Booking:
    """Ask for an offering for a school at one of its free times; the time is held from now on.

    The actor leads the school (or is an admin). Raises :class:`BookingError`
    when the time is no longer free, outside the windows, too soon, over the
    release time or over the offering's maximum participants.
    """
    _require(may_book_for(actor, school_id), _("Du kan bare bestille for skoler du leder."))
    # Everything that does not depend on the fyrtårn's other bookings is
    # checked before the lock, so a rush waits only for the short part.
    offering = db.session.get(BookableOffering, offering_id)
    if offering is None:
        raise BookingNotFound(_("Tilbudet finnes ikke."))
    if db.session.get(School, school_id) is None:
        raise BookingNotFound(_("Skolen finnes ikke."))
    starts_at, now = _utc(starts_at), _utc(now)
    if not 1 <= participants_count <= offering.max_participants:
        raise BookingError(_("Antall deltakere må være mellom 1 og %(n)d.", n=offering.max_participants))
    venue = _venue_for(offering, venue)
    people = _staff_ids(school_id, participant_ids)
    if len(people) > offering.max_participants:
        raise BookingError(_("Tilbudet har plass til høyst %(n)d deltakere.", n=offering.max_participants))
    problem = _slot_problem(offering, starts_at, now)
    if problem:
        raise problem
    profile_id = offering.profile_id
    _lock_profile(profile_id)
    db.session.refresh(offering)
    problem = _slot_problem(offering, starts_at, now)  # again, under the lock
    if problem:
        raise problem
    ends_at = starts_at + timedelta(minutes=offering.duration_minutes)
    booking = Booking(offering_id=offering.id, profile_id=profile_id, school_id=school_id,
                      requested_by_id=actor.id, starts_at=starts_at, ends_at=ends_at,
                      requested_starts_at=starts_at, semester=_semester(starts_at),
                      minutes=offering.duration_minutes, participants_count=max(participants_count, len(people)),
                      venue=venue, note=note.strip(), created_at=now)
    booking.participant_rows = [BookingParticipant(user_id=user_id) for user_id in people]
    try:
        transition(booking, BookingState.REQUESTED, actor=actor, now=now)
    except sa.exc.IntegrityError as err:
        if not _is_taken(err):
            raise
        raise _taken() from None
    return booking


# --- the fyrtårn answers ----------------------------------------------------------------------

def _reload(booking: Booking) -> Booking:
    """Take the fyrtårn's lock and read the booking as it is now."""
    _lock_profile(booking.profile_id)
    db.session.refresh(booking)
    return booking


def _require_state(booking: Booking, states, message: str) -> None:
    if booking.state not in states:
        raise BookingError(message + " " + _("Den er nå «%(state)s».", state=booking.state.label))


def _create_session(booking: Booking, now: datetime) -> None:
    """Put a booking's time into the calendar kernel (once)."""
    if booking.schedule_id is not None:
        return
    schedule = events.new_schedule(SCHEDULE_KIND)
    events.add_session(schedule, starts_at=booking.starts_at, ends_at=booking.ends_at, now=now,
                       title=booking.offering.title, location=booking.location, online_url=booking.online_url)
    booking.schedule = schedule
    db.session.flush()


def _session(booking: Booking) -> Session | None:
    if booking.schedule_id is None:
        return None
    return db.session.scalar(sa.select(Session).where(Session.schedule_id == booking.schedule_id)
                             .order_by(Session.id).limit(1))


def confirm_booking(booking: Booking, *, actor: User, now: datetime, location: str = "",
                    online_url: str = "") -> None:
    """The fyrtårn confirms a requested booking: its session enters the calendars."""
    _require(is_lighthouse_of(actor, booking), _("Bare fyrtårnet kan bekrefte bestillingen."))
    _reload(booking)
    _require_state(booking, {BookingState.REQUESTED}, _("Bestillingen kan ikke bekreftes."))
    if booking.starts_at <= now:
        raise BookingError(_("Tidspunktet har allerede vært."))
    online_url = online_url.strip()
    if online_url and not online_url.startswith("https://"):
        raise BookingError(_("Lenken til nettmøtet må begynne med https://."))
    booking.location = location.strip() or (booking.school.name if booking.venue == Venue.AT_SCHOOL else "")
    booking.online_url = online_url
    _create_session(booking, now)
    transition(booking, BookingState.CONFIRMED, actor=actor, now=now)


def decline_booking(booking: Booking, *, actor: User, now: datetime, reason: str,
                    for_capacity: bool = False) -> None:
    """The fyrtårn declines with a reason; ``for_capacity`` marks "no time or hours left"."""
    _require(is_lighthouse_of(actor, booking), _("Bare fyrtårnet kan avslå bestillingen."))
    reason = (reason or "").strip()
    if not reason:
        raise BookingError(_("Skriv en begrunnelse for avslaget."))
    _reload(booking)
    _require_state(booking, {BookingState.REQUESTED}, _("Bestillingen kan ikke avslås."))
    booking.answer = reason
    booking.declined_for_capacity = bool(for_capacity)
    transition(booking, BookingState.DECLINED, actor=actor, now=now, note=reason)


def propose_time(booking: Booking, *, actor: User, now: datetime, starts_at: datetime, answer: str = "") -> None:
    """The fyrtårn proposes another free time instead; it is held until the school answers."""
    _require(is_lighthouse_of(actor, booking), _("Bare fyrtårnet kan foreslå et nytt tidspunkt."))
    starts_at, now = _utc(starts_at), _utc(now)
    _require_state(booking, {BookingState.REQUESTED}, _("Det kan ikke foreslås et nytt tidspunkt nå."))
    if starts_at == booking.starts_at:
        raise BookingError(_("Foreslå et annet tidspunkt enn det skolen ba om."))
    offering = booking.offering
    problem = _slot_problem(offering, starts_at, now, exclude=booking)
    if problem:
        raise problem
    _reload(booking)
    _require_state(booking, {BookingState.REQUESTED}, _("Det kan ikke foreslås et nytt tidspunkt nå."))
    problem = _slot_problem(offering, starts_at, now, exclude=booking)
    if problem:
        raise problem
    old = (booking.starts_at, booking.ends_at, booking.semester)
    booking.answer = (answer or "").strip()
    try:
        # The new time inside the savepoint: begin_nested() flushes what is pending before it starts, and an
        # UPDATE that meets the one-held-start index there would undo the whole transaction, not the savepoint.
        with db.session.begin_nested():
            booking.starts_at, booking.ends_at = starts_at, starts_at + timedelta(minutes=booking.minutes)
            booking.semester = _semester(starts_at)
            db.session.flush()
    except sa.exc.IntegrityError as err:
        booking.starts_at, booking.ends_at, booking.semester = old
        if not _is_taken(err):
            raise
        raise TimeTaken(_("Tidspunktet er nettopp tatt. Velg et annet.")) from None
    transition(booking, BookingState.PROPOSED, actor=actor, now=now,
               note=_("Foreslått %(when)s.", when=fmt_datetime(starts_at)))


# --- the school answers a proposal ------------------------------------------------------------

def accept_proposal(booking: Booking, *, actor: User, now: datetime) -> None:
    """The school accepts the proposed time: the booking is confirmed."""
    _require(may_book_for(actor, booking.school_id), _("Bare skolens ledere kan svare på forslaget."))
    _reload(booking)
    _require_state(booking, {BookingState.PROPOSED}, _("Forslaget kan ikke godtas."))
    if booking.starts_at <= now:
        raise BookingError(_("Det foreslåtte tidspunktet har allerede vært."))
    if booking.venue == Venue.AT_SCHOOL and not booking.location:
        booking.location = booking.school.name
    _create_session(booking, now)
    transition(booking, BookingState.CONFIRMED, actor=actor, now=now, note=_("Forslaget er godtatt."))


def reject_proposal(booking: Booking, *, actor: User, now: datetime, reason: str = "") -> None:
    """The school turns the proposed time down: the time is free again."""
    _require(may_book_for(actor, booking.school_id), _("Bare skolens ledere kan svare på forslaget."))
    _reload(booking)
    _require_state(booking, {BookingState.PROPOSED}, _("Forslaget kan ikke avvises."))
    reason = (reason or "").strip()
    if reason:
        booking.cancel_reason = reason
    transition(booking, BookingState.REJECTED, actor=actor, now=now, note=reason)


# --- cancellation -------------------------------------------------------------------------

def cancellation_deadline(booking: Booking) -> datetime:
    """Return the last moment either side may cancel a held booking."""
    return booking.starts_at - timedelta(hours=settings.get(CANCEL_HOURS.key))


def cancel_side(actor: User, booking: Booking) -> BookingSide | None:
    """Return the side the actor cancels for: the fyrtårn, the school's leader (an admin for the fyrtårn)."""
    if booking.offering.profile.user_id == actor.id:
        return BookingSide.LIGHTHOUSE
    if booking.school_id in actor.led_school_ids():
        return BookingSide.SCHOOL
    if actor.is_admin:
        return BookingSide.LIGHTHOUSE
    return None


def cancel_booking(booking: Booking, *, actor: User, now: datetime, reason: str) -> None:
    """Either side cancels before the deadline; the side is the actor's, the reason is required."""
    side = cancel_side(actor, booking)
    _require(side is not None, _("Du kan ikke avlyse denne bestillingen."))
    reason = (reason or "").strip()
    if not reason:
        raise BookingError(_("Skriv hvorfor bestillingen avlyses."))
    _reload(booking)
    _require_state(booking, CANCELLABLE_STATES, _("Bestillingen kan ikke avlyses."))
    deadline = cancellation_deadline(booking)
    if now >= deadline and not actor.is_admin:
        raise BookingError(_("Fristen for å avlyse var %(when)s. Ta kontakt direkte.", when=fmt_datetime(deadline)))
    booking.cancelled_by = side
    booking.cancel_reason = reason
    session = _session(booking)
    if session is not None:
        events.cancel_session(session, now)  # its SEQUENCE rises, so calendars drop it
    transition(booking, BookingState.CANCELLED, actor=actor, now=now, note=reason)


# --- participants and follow-up ---------------------------------------------------------------

def name_participants(booking: Booking, participant_ids: Iterable[int], *, actor: User, now: datetime) -> None:
    """The school names (or changes) who takes part; they must be staff of the school."""
    _require(may_book_for(actor, booking.school_id), _("Bare skolens ledere kan velge deltakere."))
    _require_state(booking, CANCELLABLE_STATES, _("Deltakerne kan ikke endres."))
    if now >= booking.starts_at:
        raise BookingError(_("Økten har begynt, så deltakerne kan ikke endres lenger."))
    people = _staff_ids(booking.school_id, participant_ids)
    if len(people) > booking.offering.max_participants:
        raise BookingError(_("Tilbudet har plass til høyst %(n)d deltakere.", n=booking.offering.max_participants))
    before = {row.user_id for row in booking.participant_rows}
    if before == set(people):
        return
    kept = [row for row in booking.participant_rows if row.user_id in people]
    booking.participant_rows = kept + [BookingParticipant(user_id=i) for i in people if i not in before]
    booking.participants_count = max(booking.participants_count, len(people))
    added, removed = [i for i in people if i not in before], sorted(before - set(people))
    session = _session(booking)
    if session is not None and booking.state == BookingState.CONFIRMED:
        # A changed invitation: everyone's copy must be newer than the last.
        session.sequence += 1
        session.updated_at = now
    _record_change(booking, actor=actor, now=now,
                   note=_("Deltakere endret (%(added)d lagt til, %(removed)d fjernet).",
                          added=len(added), removed=len(removed)))
    if booking.state == BookingState.CONFIRMED:
        mails.queue_participants_changed(booking, added, removed, now)


def give_feedback(booking: Booking, *, actor: User, now: datetime, rating: int, comment: str = "") -> None:
    """The school rates a held booking (1 to 5) once its session is over; it becomes COMPLETED."""
    _require(may_book_for(actor, booking.school_id), _("Bare skolens ledere kan gi tilbakemelding."))
    _require_state(booking, FOLLOW_UP_STATES, _("Bestillingen kan ikke få tilbakemelding."))
    if now < booking.ends_at:
        raise BookingError(_("Du kan gi tilbakemelding når økten er over."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise BookingError(_("Velg en vurdering fra 1 til 5."))
    booking.feedback_rating, booking.feedback_comment, booking.feedback_at = rating, (comment or "").strip(), now
    _finish(booking, actor=actor, now=now, note=_("Tilbakemelding: %(n)d av 5.", n=rating))


def record_work(booking: Booking, *, actor: User, now: datetime, text: str) -> None:
    """The fyrtårn records what was done once the session is over; it becomes COMPLETED."""
    _require(is_lighthouse_of(actor, booking), _("Bare fyrtårnet kan føre hva som ble gjort."))
    _require_state(booking, FOLLOW_UP_STATES, _("Bestillingen kan ikke få en rapport."))
    if now < booking.ends_at:
        raise BookingError(_("Du kan føre hva som ble gjort når økten er over."))
    text = (text or "").strip()
    if not text:
        raise BookingError(_("Skriv hva som ble gjort."))
    booking.work_record, booking.recorded_at = text, now
    _finish(booking, actor=actor, now=now, note=_("Fyrtårnet har ført hva som ble gjort."))


def _finish(booking: Booking, *, actor: User, now: datetime, note: str) -> None:
    if booking.state == BookingState.CONFIRMED:
        transition(booking, BookingState.COMPLETED, actor=actor, now=now, note=note)
    else:
        _record_change(booking, actor=actor, now=now, note=note)


def complete_past_bookings(now: datetime) -> int:
    """Mark confirmed bookings whose session is over as COMPLETED (for cron); return how many."""
    due = db.session.scalars(sa.select(Booking).where(
        Booking.state == BookingState.CONFIRMED, Booking.ends_at <= now).order_by(Booking.id)).all()
    for booking in due:
        transition(booking, BookingState.COMPLETED, actor=None, now=now)
    return len(due)


def expire_unanswered(now: datetime) -> int:
    """Cancel requests and proposals nobody answered before their time came, freeing the release time."""
    due = db.session.scalars(sa.select(Booking).where(
        Booking.state.in_([BookingState.REQUESTED, BookingState.PROPOSED]), Booking.starts_at <= now)
        .order_by(Booking.id)).all()
    for booking in due:
        booking.cancel_reason = _("Ble ikke besvart før tidspunktet.")
        transition(booking, BookingState.CANCELLED, actor=None, now=now, note=booking.cancel_reason)
    return len(due)


# --- reading ---------------------------------------------------------------------------------

def get_booking(booking_id: int, actor: User) -> Booking:
    """Return a booking the actor may see (its school's leaders, its fyrtårn, admins); 404 / 403 otherwise."""
    booking = db.session.get(Booking, booking_id) if 0 < booking_id <= 2**31 - 1 else None
    if booking is None:
        raise BookingNotFound(_("Bestillingen finnes ikke."))
    _require(actor is not None and (is_lighthouse_of(actor, booking) or may_book_for(actor, booking.school_id)))
    return booking


def bookings_for_schools(school_ids: Iterable[int]) -> list[Booking]:
    """Return the schools' bookings, newest start first."""
    ids = list(school_ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Booking).where(Booking.school_id.in_(ids))
                                   .order_by(Booking.starts_at.desc(), Booking.id.desc())))


def has_unread_answer(booking: Booking) -> bool:
    """Whether the fyrtårn side has answered since a leader of the school last opened the booking."""
    return booking.answered_at is not None and (booking.school_read_at is None
                                                or booking.school_read_at < booking.answered_at)


def unread_answers(school_ids: Iterable[int], limit: int) -> list[Booking]:
    """Return the schools' bookings with an answer no leader has opened yet, newest answer first."""
    ids = list(school_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Booking).where(Booking.school_id.in_(ids), Booking.answered_at.is_not(None),
                                 sa.or_(Booking.school_read_at.is_(None), Booking.school_read_at < Booking.answered_at))
        .order_by(Booking.answered_at.desc(), Booking.id.desc()).limit(limit)))


def mark_answer_read(booking: Booking, *, actor: User, now: datetime) -> bool:
    """Note that a leader of the booking's school has seen its latest answer; return whether there was one.

    A read receipt, not a change of the booking: no audit entry, no mail.
    """
    if booking.school_id not in actor.led_school_ids() or not has_unread_answer(booking):
        return False
    begin_writing()  # on a page that only reads, SQLite's write lock is taken for this one statement
    db.session.execute(sa.update(Booking).where(Booking.id == booking.id).values(school_read_at=now))
    return True


def requests_to_answer(profile_id: int, now: datetime, limit: int) -> list[Booking]:
    """Return the fyrtårn's requests still waiting for their answer, soonest first."""
    return list(db.session.scalars(
        sa.select(Booking).where(Booking.profile_id == profile_id, Booking.state == BookingState.REQUESTED,
                                 Booking.ends_at > now)
        .order_by(Booking.starts_at, Booking.id).limit(limit)))


def bookings_page(state: BookingState | None, page: int, per_page: int) -> tuple[list[Booking], int, int]:
    """Return one page of every booking (for admins), latest start first, as ``(bookings, page, pages)``."""
    query = sa.select(Booking)
    if state is not None:
        query = query.where(Booking.state == state)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    bookings = list(db.session.scalars(
        query.order_by(Booking.starts_at.desc(), Booking.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return bookings, page, pages


def bookings_for_profile(profile_id: int) -> list[Booking]:
    """Return a fyrtårn's bookings, open requests first, then by start."""
    order = sa.case((Booking.state == BookingState.REQUESTED, 0), (Booking.state == BookingState.PROPOSED, 1),
                    else_=2)
    return list(db.session.scalars(sa.select(Booking).where(Booking.profile_id == profile_id)
                                   .order_by(order, Booking.starts_at, Booking.id)))


def booking_ics(booking: Booking, *, cancel: bool = False, user: User | None = None) -> bytes:
    """Return a confirmed (or, with ``cancel``, a cancelled) booking as one .ics file, with the feeds' UID.

    The UID is that of ``user``'s own feed when the booking is in it (the
    fyrtårn, a named participant), otherwise that of the school's feed.
    """
    event = calendar.event_for(booking, calendar.audience_for(booking, user), cancelled=cancel)
    return build_calendar([event], name=booking.offering.title, stamp=now_utc())
