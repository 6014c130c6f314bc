"""The catalogue's dates in calendars: feed sources, single `.ics` files and mail attachments.

Each offering's session is one calendar event. Who sees it decides its UID:
a person (their own seat), a school (its staff take part) or the public (the
catalogue and one offering's feed). The UID stays the same for that session
and audience, so a calendar that got it from a feed, a download and a mail
keeps one event and updates it.

SEQUENCE is the session's own, one value for every audience, in feeds, downloads
and mail alike: it rises with every change of time, place or status, and with
every enrollment change that shows or hides the event in someone's calendar
(:func:`catalog.enrollment.operations.transition` raises it). A stored counter
that only rises, so it never goes down when someone leaves a school. A mail
carries the values of the moment it was queued (never more than the feed), so
a cancellation sent after an invitation always has the higher one.

Content depends on the calendar day (cancelled events are kept for 30 days,
history for a year), so every cut-off is the start of a day in Oslo. A feed's
validator is the hash of what it prints (:func:`events.calendar.body_etag`),
so there is no separate version to keep in step with the events.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _

from catalog.enrollment.models import CONFIRMED_STATES, Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingStatus
from catalog.offerings.search import CatalogFilter, offering_conditions
from events.calendar import CalendarEvent
from events.feeds import CANCELLED_KEEP_DAYS, FeedSource
from events.models import Session, SessionStatus
from lms.db import db
from lms.i18n import OSLO
from lms.links import absolute_url, public_host
from lms.markdown import plain_text
from lms.people.models import Membership, User

#: How far back feeds show sessions that took place.
HISTORY_DAYS = 365
#: The most sessions a public feed carries (the soonest first).
PUBLIC_FEED_LIMIT = 1000

_CONFIRMED = [s.value for s in CONFIRMED_STATES]


def _day_start(now: datetime) -> datetime:
    """Return the start of today in Oslo (as an aware datetime) for ``now``."""
    today = now.astimezone(OSLO).date()
    return datetime.combine(today, time(0), tzinfo=OSLO)


def _cutoffs(now: datetime) -> tuple[datetime, datetime]:
    """Return (keep cancelled since, show sessions since) for feeds made at ``now``."""
    day = _day_start(now)
    return day - timedelta(days=CANCELLED_KEEP_DAYS), day - timedelta(days=HISTORY_DAYS)


def session_uid(session_id: int, audience: str, host: str | None = None) -> str:
    """Return the UID of a session shown to ``audience`` (``person-7``, ``school-3`` or ``public``)."""
    return f"kp-session-{session_id}-{audience}@{host or public_host()}"


@dataclass(frozen=True)
class _Offering:
    """The offering columns an event needs."""

    id: int
    title: str
    description: str
    organiser: str
    location: str
    online_url: str
    status: OfferingStatus
    updated_at: datetime
    schedule_id: int
    responsible_name: str | None
    responsible_email: str | None


# Feeds are read every hour by every subscribed calendar, so their queries are
# built once, select plain columns and run on the connection (no ORM objects).
_SESSION_COLUMNS = (Session.id, Session.schedule_id, Session.starts_at, Session.ends_at, Session.title,
                    Session.location, Session.online_url, Session.status, Session.sequence, Session.updated_at)
_OFFERING_COLUMNS = (Offering.id.label("o_id"), Offering.title.label("o_title"), Offering.description,
                     Offering.organiser, Offering.location.label("o_location"),
                     Offering.online_url.label("o_online_url"), Offering.status.label("o_status"),
                     Offering.updated_at.label("o_updated_at"), Offering.schedule_id.label("o_schedule_id"),
                     User.name, User.email)
_N_SESSION = len(_SESSION_COLUMNS)
_CONFIRMED_SEAT = Enrollment.confirmed_at.is_not(None)


def _staff(owner) -> sa.ScalarSelect:
    return sa.select(Membership.user_id).where(Membership.school_id == owner).scalar_subquery()


@lru_cache(maxsize=None)
def _statements() -> dict[str, sa.Executable]:
    """Build the feeds' statements once (their parameters are bound per request)."""
    person = Enrollment.user_id == sa.bindparam("owner")
    school = Enrollment.user_id.in_(_staff(sa.bindparam("owner")))

    def seats(who):
        # Every enrollment, not only confirmed seats: a cancelled one still shows as cancelled.
        return (sa.select(Enrollment.user_id, Enrollment.offering_id, Enrollment.state, Enrollment.updated_at,
                          Enrollment.id, _CONFIRMED_SEAT.label("confirmed")).where(who).order_by(Enrollment.id))

    return {
        "person_seats": seats(person), "school_seats": seats(school),
        "sessions": (sa.select(*_SESSION_COLUMNS, *_OFFERING_COLUMNS)
                     .join(Offering, Offering.schedule_id == Session.schedule_id)
                     .outerjoin(User, User.id == Offering.responsible_id)
                     .where(Offering.id.in_(sa.bindparam("offerings", expanding=True)),
                            Session.ends_at >= sa.bindparam("since"))),
    }


def _run(name: str, **params) -> sa.CursorResult:
    return db.session.connection().execute(_statements()[name], params)


def _sessions_of(offering_ids, since: datetime | None = None) -> list[tuple]:
    """Return (session row, offering) for the offerings' sessions ending from ``since`` on, soonest first."""
    if not offering_ids:
        return []
    rows = _run("sessions", offerings=list(offering_ids), since=since or _EPOCH).all()
    # Sorted here, not in SQL: asked to sort, SQLite walks every session in
    # date order instead of looking up the few offerings' own.
    rows.sort(key=lambda row: (row.starts_at, row.id))
    return [(row, _Offering(*row[_N_SESSION:])) for row in rows]


_EPOCH = datetime(1970, 1, 1, tzinfo=OSLO)


class _Writer:
    """Turns sessions into events for one feed, with the links and host worked out once."""

    def __init__(self, audience: str):
        self.audience = audience
        self.host = public_host()
        # One address per offering: every event links back to its offering's page.
        marker = 999_999_937
        self.link = absolute_url("offerings.show", offering_id=marker).replace(str(marker), "{}")
        self.online_label = _("Nettmøte: %(url)s", url="{}")

    def event(self, session, offering: _Offering, *, sequence: int | None = None, cancelled: bool = False,
              tentative: bool = False, changed_at: datetime | None = None, note: str = "") -> CalendarEvent:
        link = self.link.format(offering.id)
        summary = f"{offering.title}: {session.title}" if session.title else offering.title
        place = session.location or offering.location
        online = session.online_url or offering.online_url
        description = "\n\n".join(part for part in (note, plain_text(offering.description),
                                                    online and self.online_label.replace("{}", online), link) if part)
        return CalendarEvent(
            uid=session_uid(session.id, self.audience, self.host),
            starts_at=session.starts_at, ends_at=session.ends_at,
            summary=summary, description=description,
            location=place or online, url=link,
            organizer_name=offering.organiser or offering.responsible_name or "",
            organizer_email=offering.responsible_email or "",
            sequence=session.sequence if sequence is None else sequence,
            cancelled=cancelled or session.status == SessionStatus.CANCELLED
            or offering.status == OfferingStatus.CANCELLED,
            tentative=tentative,
            last_modified=max(t for t in (session.updated_at, offering.updated_at, changed_at) if t is not None),
        )


def _visible(event: CalendarEvent, keep_since: datetime) -> bool:
    """Return whether an event belongs in a feed: live, or cancelled less than 30 days ago."""
    return not event.cancelled or event.last_modified >= keep_since


# --- one person ------------------------------------------------------------------

def _seat_history(rows) -> dict[tuple[int, int], list[tuple]]:
    """Return enrollments (rows of user, offering, state, changed, id, confirmed) by (person, offering), oldest first."""
    history: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for user_id, offering_id, state, updated_at, enrollment_id, confirmed in rows:
        history[(user_id, offering_id)].append((state, updated_at, enrollment_id, bool(confirmed)))
    return history


def _in_calendar(history: list[tuple]) -> bool:
    """Tell whether the person's enrollments put the offering in their calendar (a seat, now or before)."""
    return any(confirmed for *_rest, confirmed in history)


def person_events(user_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the sessions of every offering the person has (or recently had) a seat in."""
    keep_since, history_since = _cutoffs(now)
    seats = _seat_history(_run("person_seats", owner=user_id))
    by_offering = {offering_id: _latest(history) for (_user, offering_id), history in seats.items()
                   if _in_calendar(history)}
    writer = _Writer(f"person-{user_id}")
    events = []
    for session, offering in _sessions_of(by_offering, history_since):
        state, changed_at = by_offering[offering.id]
        event = writer.event(session, offering,
                             cancelled=state not in CONFIRMED_STATES, changed_at=changed_at)
        if _visible(event, keep_since):
            events.append(event)
    return events


def _latest(history: list[tuple]) -> tuple:
    """Return (state, changed) of a person's latest enrollment in one offering."""
    state, changed_at, _enrollment_id, _confirmed = history[-1]
    return state, changed_at


# --- one school ------------------------------------------------------------------

def school_events(school_id: int, now: datetime) -> list[CalendarEvent]:
    """Return each session the school's staff take part in, once, with who takes part."""
    keep_since, history_since = _cutoffs(now)
    seats = _seat_history(_run("school_seats", owner=school_id))
    per_offering: dict[int, dict[int, list[tuple]]] = defaultdict(dict)
    for (user_id, offering_id), history in seats.items():
        per_offering[offering_id][user_id] = history
    per_offering = {offering_id: people for offering_id, people in per_offering.items()
                    if any(_in_calendar(history) for history in people.values())}
    names = dict(db.session.execute(sa.select(User.id, User.name).where(
        User.id.in_({user_id for user_id, _offering_id in seats}))).all()) if seats else {}
    writer = _Writer(f"school-{school_id}")
    events = []
    for session, offering in _sessions_of(per_offering, history_since):
        people = per_offering[offering.id]
        taking_part = sorted(names.get(user_id, "") for user_id, history in people.items()
                             if history[-1][0] in CONFIRMED_STATES)
        event = writer.event(session, offering, cancelled=not taking_part, changed_at=max(h[-1][1] for h in people.values()),
                             note=_participants_note(taking_part))
        if _visible(event, keep_since):
            events.append(event)
    return events


def _participants_note(names: list[str]) -> str:
    return _("Fra skolen: %(names)s", names=", ".join(names)) if names else ""


PERSON_SOURCE = FeedSource(name="catalog", events=person_events)
SCHOOL_SOURCE = FeedSource(name="catalog", events=school_events)


# --- the public catalogue and one offering -----------------------------------------

def _public_where(f: CatalogFilter):
    # Cancelled offerings stay in the feed, so that calendars learn of it.
    return sa.and_(Offering.status.in_([OfferingStatus.PUBLISHED, OfferingStatus.CANCELLED]), *offering_conditions(f))


def public_events(f: CatalogFilter, now: datetime) -> list[CalendarEvent]:
    """Return the sessions of the published offerings that match the filter, soonest first."""
    keep_since, _history = _cutoffs(now)
    rows = db.session.connection().execute(
        sa.select(*_SESSION_COLUMNS, *_OFFERING_COLUMNS)
        .join(Offering, Offering.schedule_id == Session.schedule_id)
        .outerjoin(User, User.id == Offering.responsible_id)
        .where(_public_where(f), Session.ends_at >= keep_since)
        .order_by(Session.starts_at, Session.id).limit(PUBLIC_FEED_LIMIT))
    writer = _Writer("public")
    events = (writer.event(row, _Offering(*row[_N_SESSION:])) for row in rows)
    return [event for event in events if _visible(event, keep_since)]


def offering_events(offering_id: int, now: datetime) -> list[CalendarEvent]:
    """Return every session of one offering as the public sees it (cancelled ones for 30 days)."""
    keep_since, _history = _cutoffs(now)
    writer = _Writer("public")
    events = (writer.event(session, offering) for session, offering in _sessions_of([offering_id]))
    return [event for event in events if _visible(event, keep_since)]


def _own_seats(user_id: int, offering_id: int) -> list[tuple]:
    rows = db.session.connection().execute(_statements()["person_seats"].where(Enrollment.offering_id == offering_id),
                                           {"owner": user_id})
    return _seat_history(rows).get((user_id, offering_id), [])


#: What a mail about an enrollment does to the person's calendar.
CONFIRM, HOLD, WITHDRAW = "confirm", "hold", "withdraw"


def enrollment_events(enrollment: Enrollment, *, intent: str,
                      sequences: dict[str, int] | None = None) -> list[CalendarEvent]:
    """Return the sessions of an enrollment's offering for the person's calendar (for mail).

    ``intent`` is what the mail announces, whatever has happened since it was
    queued: ``CONFIRM`` a seat, ``HOLD`` the dates while waiting or offered
    (STATUS:TENTATIVE), or ``WITHDRAW`` them (a cancellation). ``sequences``
    are the sessions' SEQUENCE when the mail was queued (by session id, see
    :func:`session_sequences`); a session added since has its own.
    """
    sequences = sequences or {}
    writer = _Writer(f"person-{enrollment.user_id}")
    return [writer.event(session, offering, sequence=sequences.get(str(session.id)), cancelled=intent == WITHDRAW,
                         tentative=intent == HOLD, changed_at=enrollment.updated_at)
            for session, offering in _sessions_of([enrollment.offering_id])]


def session_sequences(sessions) -> dict[str, int]:
    """Return the sessions' SEQUENCE now, by id (a mail keeps them from when it was queued)."""
    return {str(session.id): session.sequence for session in sessions}


def session_event_for(session: Session, offering_id: int, user: User | None) -> CalendarEvent:
    """Return one session as the person downloading it should get it.

    A signed-in person gets the event of their own calendar, whether or not
    they have enrolled yet: the same UID as their feed and their invitations,
    so enrolling later updates the event they downloaded instead of adding a
    second one. Only someone not signed in gets the public event.
    """
    ((_row, offering),) = [(row, o) for row, o in _sessions_of([offering_id]) if row.id == session.id]
    if user is not None:
        history = _own_seats(user.id, offering_id)
        state = history[-1][0] if history else None
        return _Writer(f"person-{user.id}").event(
            session, offering, tentative=state in (EnrollmentState.WAITLISTED, EnrollmentState.OFFERED),
            changed_at=history[-1][1] if history else None)
    return _Writer("public").event(session, offering)
