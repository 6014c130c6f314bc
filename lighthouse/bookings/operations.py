"""The booking rules: free times, requests, answers, cancellation, follow-up.

THIS FILE IS THE CONTRACT between the booking operations and the booking
pages; the bodies are being written (issue 4). Every function below keeps
its name, arguments and meaning.

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

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import sqlalchemy as sa

from lighthouse.bookings.models import HOLDING_STATES, BookableOffering, Booking, BookingState, Venue
from lighthouse.profiles.models import ReleaseTime
from lms.db import db
from lms.people.models import User


class BookingError(Exception):
    """A booking the rules refuse; the message (translated, Norwegian first) is for the user."""


class BookingNotAllowed(BookingError):
    """The actor may not do this to this booking (the views answer 403)."""


@dataclass(frozen=True)
class FreeTime:
    starts_at: datetime
    ends_at: datetime


def free_times(offering: BookableOffering, *, start: datetime, end: datetime, now: datetime) -> list[FreeTime]:
    """Return the times a school can ask for between ``start`` and ``end``, earliest first.

    Start times step by the offering's duration from each availability
    window's start (Oslo local time, so across the daylight-saving changes
    too), at least ``min_notice_hours`` after ``now``, clear of held
    bookings and the fyrtårn's own sessions with buffers, and only while the
    semester's approved release time still has the minutes.
    """
    raise NotImplementedError


def held_minutes(profile_id: int, semester: str) -> int:
    """Return the minutes of a fyrtårn's semester that bookings hold (requested, proposed, confirmed, done)."""
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Booking.minutes), 0))
        .where(Booking.profile_id == profile_id, Booking.semester == semester,
               Booking.state.in_(list(HOLDING_STATES)))) or 0)


def approved_minutes(profile_id: int, semester: str) -> int:
    """Return the release time the principal approved for a fyrtårn's semester (0 when none)."""
    return int(db.session.scalar(
        sa.select(ReleaseTime.approved_minutes)
        .where(ReleaseTime.profile_id == profile_id, ReleaseTime.semester == semester)) or 0)


def release_time_left(profile_id: int, semester: str) -> int:
    """Return the approved minutes of a semester not yet held by bookings (0 when none are approved)."""
    return max(approved_minutes(profile_id, semester) - held_minutes(profile_id, semester), 0)


def request_booking(offering_id: int, school_id: int, *, actor: User, starts_at: datetime,
                    participants_count: int, now: datetime, note: str = "", venue: Venue | None = None,
                    participant_ids: Iterable[int] = ()) -> Booking:
    """Ask for an offering for a school at one of its free times; the time is held from now on.

    The actor leads the school (or is an admin). Raises :class:`BookingError`
    when the time is no longer free, outside the windows, too soon, over the
    release time or over the offering's maximum participants.
    """
    raise NotImplementedError


def confirm_booking(booking: Booking, *, actor: User, now: datetime, location: str = "",
                    online_url: str = "") -> None:
    """The fyrtårn confirms a requested booking: its session enters the calendars."""
    raise NotImplementedError


def decline_booking(booking: Booking, *, actor: User, now: datetime, reason: str,
                    for_capacity: bool = False) -> None:
    """The fyrtårn declines with a reason; ``for_capacity`` marks "no time or hours left"."""
    raise NotImplementedError


def propose_time(booking: Booking, *, actor: User, now: datetime, starts_at: datetime, answer: str = "") -> None:
    """The fyrtårn proposes another free time instead; it is held until the school answers."""
    raise NotImplementedError


def accept_proposal(booking: Booking, *, actor: User, now: datetime) -> None:
    """The school accepts the proposed time: the booking is confirmed."""
    raise NotImplementedError


def reject_proposal(booking: Booking, *, actor: User, now: datetime, reason: str = "") -> None:
    """The school turns the proposed time down: the time is free again."""
    raise NotImplementedError


def cancellation_deadline(booking: Booking) -> datetime:
    """Return the last moment either side may cancel a held booking."""
    raise NotImplementedError


def cancel_booking(booking: Booking, *, actor: User, now: datetime, reason: str) -> None:
    """Either side cancels before the deadline; the side is the actor's, the reason is required."""
    raise NotImplementedError


def name_participants(booking: Booking, participant_ids: Iterable[int], *, actor: User, now: datetime) -> None:
    """The school names (or changes) who takes part; they must be staff of the school."""
    raise NotImplementedError


def give_feedback(booking: Booking, *, actor: User, now: datetime, rating: int, comment: str = "") -> None:
    """The school rates a held booking (1 to 5) once its session is over; it becomes COMPLETED."""
    raise NotImplementedError


def record_work(booking: Booking, *, actor: User, now: datetime, text: str) -> None:
    """The fyrtårn records what was done once the session is over; it becomes COMPLETED."""
    raise NotImplementedError


def complete_past_bookings(now: datetime) -> int:
    """Mark confirmed bookings whose session is over as COMPLETED (for cron); return how many."""
    raise NotImplementedError


def transition(booking: Booking, to_state: BookingState, *, actor: User | None, now: datetime,
               note: str = "") -> None:
    """Move a booking to a new state, if allowed, with an audit entry and its mails."""
    raise NotImplementedError


def get_booking(booking_id: int, actor: User) -> Booking:
    """Return a booking the actor may see (its school's leaders, its fyrtårn, admins); 404 / 403 otherwise."""
    raise NotImplementedError


def may_book_for(actor: User, school_id: int) -> bool:
    """Whether the actor may book for the school: a leader there, or an admin."""
    raise NotImplementedError


def is_lighthouse_of(actor: User, booking: Booking) -> bool:
    """Whether the actor is the booking's fyrtårn (or an admin)."""
    raise NotImplementedError


def bookings_for_schools(school_ids: Iterable[int]) -> list[Booking]:
    """Return the schools' bookings, newest start first."""
    raise NotImplementedError


def booking_ics(booking: Booking, *, cancel: bool = False) -> bytes:
    """Return a confirmed (or, with ``cancel``, a cancelled) booking as one .ics file, with the feeds' UID."""
    raise NotImplementedError


def bookings_for_profile(profile_id: int) -> list[Booking]:
    """Return a fyrtårn's bookings, open requests first, then by start."""
    raise NotImplementedError
