"""Bookings in the calendar feeds: the fyrtårn's, the school's and the named participants'.

A booking is one calendar event. Its UID depends on whose calendar shows
it (``person-7`` or ``school-3``), and stays the same in the feed, a
download and a mail, so a calendar keeps one event and updates it.

- The fyrtårn's personal feed has every booking that holds their time:
  requests and proposals as TENTATIVE, confirmed and completed ones as
  CONFIRMED, and for 30 days those that ended otherwise, as CANCELLED.
- A named participant's personal feed, and the school's feed, have the
  confirmed (and completed) bookings, and cancelled ones for 30 days.

SEQUENCE only rises: 0 while requested, 1 once another time is proposed,
then 2 plus the session's own sequence from confirmation on (which rises
when the session is cancelled or its participants change); a booking that
ends without a session gets 2.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from events.calendar import CalendarEvent
from events.feeds import CANCELLED_KEEP_DAYS, FeedSource, register_feed_source
from events.models import Session
from lighthouse.bookings.models import (Booking, BookingParticipant, BookingState)
from lighthouse.profiles.models import LighthouseProfile
from lms.db import db
from lms.i18n import OSLO
from lms.links import absolute_url, public_host
from lms.people.models import User

#: How far back feeds show bookings that took place.
HISTORY_DAYS = 365

#: The fyrtårn's time is held: shown as tentative in their own calendar.
TENTATIVE_STATES = frozenset({BookingState.REQUESTED, BookingState.PROPOSED})
#: In everyone's calendar.
LIVE_STATES = frozenset({BookingState.CONFIRMED, BookingState.COMPLETED})
#: Shown as cancelled for 30 days.
ENDED_STATES = frozenset({BookingState.CANCELLED, BookingState.DECLINED, BookingState.REJECTED})


def booking_uid(booking_id: int, audience: str, host: str | None = None) -> str:
    """Return the UID of a booking shown to ``audience`` (``person-7`` or ``school-3``)."""
    return f"kp-booking-{booking_id}-{audience}@{host or public_host()}"


def booking_sequence(state: BookingState, session_sequence: int | None) -> int:
    """Return the booking's SEQUENCE; ``session_sequence`` is None while it has no session."""
    if session_sequence is not None:
        return 2 + session_sequence
    return {BookingState.REQUESTED: 0, BookingState.PROPOSED: 1}.get(state, 2)


def audience_for(booking: Booking, user: User | None) -> str:
    """Return whose feed's UID a download or mail for ``user`` carries: their own if the booking is in it."""
    if user is not None and (user.id == booking.offering.profile.user_id
                             or any(row.user_id == user.id for row in booking.participant_rows)):
        return f"person-{user.id}"
    return f"school-{booking.school_id}"


def booking_link(booking_id: int) -> str:
    """Return the address of the booking's page (the bookings list until the page exists)."""
    try:
        return absolute_url("bookings.show", booking_id=booking_id)
    except BuildError:
        return absolute_url("bookings.index")


def _session_of(booking: Booking) -> Session | None:
    if booking.schedule_id is None:
        return None
    return db.session.scalar(sa.select(Session).where(Session.schedule_id == booking.schedule_id).limit(1))


def event_for(booking: Booking, audience: str, *, cancelled: bool = False,
              session: Session | None = None, link: str | None = None) -> CalendarEvent:
    """Return a booking as ``audience``'s calendar shows it (``cancelled`` forces STATUS:CANCELLED)."""
    session = session if session is not None else _session_of(booking)
    offering = booking.offering
    lighthouse = offering.profile.user
    own = audience == f"person-{lighthouse.id}"
    if own:
        summary = _("%(title)s – %(school)s", title=offering.title, school=booking.school.name)
    else:
        summary = _("%(title)s med fyrtårn %(name)s", title=offering.title, name=lighthouse.name)
    # The booking's page is for its school's leaders and its fyrtårn; a participant's calendar has no link to it.
    if link is None:
        link = booking_link(booking.id) if own or audience.startswith("school-") else ""
    names = sorted(row.user.name for row in booking.participant_rows)
    parts = [
        booking.note if own else "",
        _("Deltakere: %(names)s", names=", ".join(names)) if names else
        _("Antall deltakere: %(n)d", n=booking.participants_count),
        _("Nettmøte: %(url)s", url=booking.online_url) if booking.online_url else "",
        link,
    ]
    changed = [booking.updated_at] + ([session.updated_at] if session is not None else [])
    return CalendarEvent(
        uid=booking_uid(booking.id, audience),
        starts_at=booking.starts_at, ends_at=booking.ends_at,
        summary=summary, description="\n\n".join(p for p in parts if p),
        location=booking.location or booking.online_url, url=link,
        organizer_name=lighthouse.name, organizer_email=lighthouse.email,
        sequence=booking_sequence(booking.state, session.sequence if session is not None else None),
        cancelled=cancelled or booking.state in ENDED_STATES,
        tentative=booking.state in TENTATIVE_STATES,
        last_modified=max(t for t in changed if t is not None),
    )


# --- feeds -----------------------------------------------------------------------------

def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(OSLO).date(), time(0), tzinfo=OSLO)


def _own(owner) -> sa.ColumnElement[bool]:
    return Booking.profile_id.in_(sa.select(LighthouseProfile.id).where(LighthouseProfile.user_id == owner))


def _named(owner) -> sa.ColumnElement[bool]:
    return Booking.id.in_(sa.select(BookingParticipant.booking_id).where(BookingParticipant.user_id == owner))


def _shown(keep_since: datetime, *, with_tentative: bool) -> sa.ColumnElement[bool]:
    live = list(LIVE_STATES | (TENTATIVE_STATES if with_tentative else frozenset()))
    ended = Booking.state.in_(list(ENDED_STATES)) & (Booking.updated_at >= keep_since)
    if not with_tentative:
        ended = ended & Booking.schedule_id.is_not(None)  # only what was ever in this calendar
    return Booking.state.in_(live) | ended


def _events(where, audience_of, now: datetime) -> list[CalendarEvent]:
    day = _day_start(now)
    rows = db.session.execute(
        sa.select(Booking, Session).outerjoin(Session, Session.schedule_id == Booking.schedule_id)
        .where(where, Booking.ends_at >= day - timedelta(days=HISTORY_DAYS))
        .order_by(Booking.starts_at, Booking.id)).unique().all()
    return [event_for(booking, audience_of(booking), session=session) for booking, session in rows]


def person_events(user_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the bookings in a person's calendar: their own as fyrtårn and those they are named in."""
    keep_since = _day_start(now) - timedelta(days=CANCELLED_KEEP_DAYS)
    where = ((_own(user_id) & _shown(keep_since, with_tentative=True))
             | (_named(user_id) & _shown(keep_since, with_tentative=False)))
    return _events(where, lambda _booking: f"person-{user_id}", now)


def school_events(school_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the school's confirmed bookings (and cancelled ones for 30 days)."""
    keep_since = _day_start(now) - timedelta(days=CANCELLED_KEEP_DAYS)
    where = (Booking.school_id == school_id) & _shown(keep_since, with_tentative=False)
    return _events(where, lambda _booking: f"school-{school_id}", now)


PERSON_SOURCE = FeedSource(name="lighthouse", events=person_events)
SCHOOL_SOURCE = FeedSource(name="lighthouse", events=school_events)


def init_app(app: Flask) -> None:
    """Register the booking feed sources for persons and schools."""
    register_feed_source(app, "person", PERSON_SOURCE)
    register_feed_source(app, "school", SCHOOL_SOURCE)
