"""The catalogue's dates in calendars: feed sources, single `.ics` files and mail attachments.

Each offering's session is one calendar event. Who sees it decides its UID:
a person (their own seat), a school (its staff take part) or the public (the
catalogue and one offering's feed). The UID stays the same for that session
and audience, so a calendar that got it from a feed, a download and a mail
keeps one event and updates it.

SEQUENCE is the session's own (it rises with every change of time, place or
status) plus, for a person or a school, one for every confirmed seat and one
for every cancelled one. Seats are never un-cancelled, so the number only
rises: a cancellation, or a new seat after one, always reaches the calendar.

Content depends on the calendar day (cancelled events are kept for 30 days,
history for a year), so every cut-off is the start of a day in Oslo and the
feeds' versions include that day.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _

from catalog.enrollment.models import CONFIRMED_STATES, Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingStatus, OfferingTargetGroup
from events.calendar import CalendarEvent
from events.feeds import CANCELLED_KEEP_DAYS, FeedSource
from events.models import Session, SessionStatus
from lms.db import db
from lms.i18n import OSLO
from lms.links import absolute_url, public_host
from lms.markdown import plain_text
from lms.people.models import Membership, User

if TYPE_CHECKING:  # the offerings' operations use the enrollment mails, which use this module
    from catalog.offerings.operations import CatalogFilter

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


def session_uid(session_id: int, audience: str) -> str:
    """Return the UID of a session shown to ``audience`` (``person-7``, ``school-3`` or ``public``)."""
    return f"kp-session-{session_id}-{audience}@{public_host()}"


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


_OFFERING_COLUMNS = (Offering.id, Offering.title, Offering.description, Offering.organiser, Offering.location,
                     Offering.online_url, Offering.status, Offering.updated_at, Offering.schedule_id,
                     User.name, User.email)


def _offerings(where) -> dict[int, _Offering]:
    rows = db.session.execute(
        sa.select(*_OFFERING_COLUMNS).outerjoin(User, User.id == Offering.responsible_id).where(where))
    return {row[0]: _Offering(*row) for row in rows}


def _sessions(schedule_ids, since: datetime | None = None) -> list[Session]:
    """Return the sessions of the schedules, those ending before ``since`` left out."""
    if not schedule_ids:
        return []
    query = sa.select(Session).where(Session.schedule_id.in_(schedule_ids)).order_by(Session.starts_at, Session.id)
    if since is not None:
        query = query.where(Session.ends_at >= since)
    return list(db.session.scalars(query))


def _event(session: Session, offering: _Offering, *, audience: str, extra_sequence: int = 0,
           cancelled: bool = False, changed_at: datetime | None = None, note: str = "") -> CalendarEvent:
    link = absolute_url("catalog.offering", offering_id=offering.id)
    summary = f"{offering.title}: {session.title}" if session.title else offering.title
    place = session.location or offering.location
    online = session.online_url or offering.online_url
    description = "\n\n".join(part for part in (note, plain_text(offering.description),
                                                online and _("Nettmøte: %(url)s", url=online), link) if part)
    return CalendarEvent(
        uid=session_uid(session.id, audience),
        starts_at=session.starts_at, ends_at=session.ends_at,
        summary=summary, description=description,
        location=place or online, url=link,
        organizer_name=offering.organiser or offering.responsible_name or "",
        organizer_email=offering.responsible_email or "",
        sequence=session.sequence + extra_sequence,
        cancelled=cancelled or session.status == SessionStatus.CANCELLED
        or offering.status == OfferingStatus.CANCELLED,
        last_modified=max(t for t in (session.updated_at, offering.updated_at, changed_at) if t is not None),
    )


def _visible(event: CalendarEvent, keep_since: datetime) -> bool:
    """Return whether an event belongs in a feed: live, or cancelled less than 30 days ago."""
    return not event.cancelled or event.last_modified >= keep_since


# --- one person ------------------------------------------------------------------

def _seat_history(where) -> dict[tuple[int, int], list[tuple]]:
    """Return the confirmed enrollments matching ``where`` by (person, offering), oldest first."""
    rows = db.session.execute(
        sa.select(Enrollment.user_id, Enrollment.offering_id, Enrollment.state, Enrollment.updated_at,
                  Enrollment.id)
        .where(where, Enrollment.confirmed_at.is_not(None)).order_by(Enrollment.id))
    history: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for user_id, offering_id, state, updated_at, enrollment_id in rows:
        history[(user_id, offering_id)].append((state, updated_at, enrollment_id))
    return history


def _seat_sequence(seats: list[tuple], *, as_if: tuple[int, bool] | None = None) -> int:
    """Return one for every confirmed seat and one for every cancelled one.

    ``as_if=(enrollment_id, cancelled)`` counts that enrollment as confirmed
    or cancelled whatever it is now: a mail written after a later change
    still carries the sequence of what it announces.
    """
    cancelled = 0
    for state, _changed, enrollment_id in seats:
        if as_if is not None and enrollment_id == as_if[0]:
            cancelled += as_if[1]
        else:
            cancelled += state == EnrollmentState.CANCELLED
    return len(seats) + cancelled


def person_events(user_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the sessions of every offering the person has (or recently had) a seat in."""
    keep_since, history_since = _cutoffs(now)
    seats = _seat_history(Enrollment.user_id == user_id)
    offerings = _offerings(Offering.id.in_([offering_id for _, offering_id in seats])) if seats else {}
    by_schedule = {o.schedule_id: o for o in offerings.values()}
    events = []
    for session in _sessions(list(by_schedule), history_since):
        offering = by_schedule[session.schedule_id]
        history = seats[(user_id, offering.id)]
        state, changed_at, _enrollment_id = history[-1]
        event = _event(session, offering, audience=f"person-{user_id}", extra_sequence=_seat_sequence(history),
                       cancelled=state == EnrollmentState.CANCELLED, changed_at=changed_at)
        if _visible(event, keep_since):
            events.append(event)
    return events


def person_version(user_id: int, now: datetime) -> tuple:
    """Return what changes whenever the person's feed does: the newest change, counts and the day."""
    mine = sa.select(Enrollment.offering_id).where(Enrollment.user_id == user_id,
                                                   Enrollment.confirmed_at.is_not(None))
    return _version(_seat_summary().where(Enrollment.user_id == user_id, Enrollment.confirmed_at.is_not(None)),
                    Offering.id.in_(mine.scalar_subquery()), now)


def _seat_summary() -> sa.Select:
    """Select the newest change, the number of seats and of cancelled ones (a change in the same instant counts)."""
    return sa.select(sa.func.max(Enrollment.updated_at), sa.func.count(Enrollment.id),
                     sa.func.count(Enrollment.id).filter(Enrollment.state == EnrollmentState.CANCELLED))


def _version(seats_query, offering_where, now: datetime) -> tuple:
    seat_changed, seat_count, cancelled_count = db.session.execute(seats_query).one()
    offering_changed, session_changed, session_count, sequences = db.session.execute(
        sa.select(sa.func.max(Offering.updated_at), sa.func.max(Session.updated_at), sa.func.count(Session.id),
                  sa.func.coalesce(sa.func.sum(Session.sequence), 0))
        .select_from(Offering).join(Session, Session.schedule_id == Offering.schedule_id)
        .where(offering_where)).one()
    day = _day_start(now)
    newest = max([t for t in (seat_changed, offering_changed, session_changed) if t is not None],
                 default=None)
    # The feed's content also moves with the day (30-day and history cut-offs).
    last_modified = max(newest, day) if newest is not None else day
    return (last_modified, seat_count, cancelled_count, session_count, int(sequences), day.date().isoformat())


# --- one school ------------------------------------------------------------------

def _staff(school_id: int):
    return sa.select(Membership.user_id).where(Membership.school_id == school_id).scalar_subquery()


def school_events(school_id: int, now: datetime) -> list[CalendarEvent]:
    """Return each session the school's staff take part in, once, with who takes part."""
    keep_since, history_since = _cutoffs(now)
    seats = _seat_history(Enrollment.user_id.in_(_staff(school_id)))
    per_offering: dict[int, dict[int, list[tuple]]] = defaultdict(dict)
    for (user_id, offering_id), history in seats.items():
        per_offering[offering_id][user_id] = history
    offerings = _offerings(Offering.id.in_(list(per_offering))) if per_offering else {}
    names = dict(db.session.execute(sa.select(User.id, User.name).where(
        User.id.in_({user_id for user_id, _offering_id in seats}))).all()) if seats else {}
    by_schedule = {o.schedule_id: o for o in offerings.values()}
    events = []
    for session in _sessions(list(by_schedule), history_since):
        offering = by_schedule[session.schedule_id]
        people = per_offering[offering.id]
        taking_part = sorted(names.get(user_id, "") for user_id, history in people.items()
                             if history[-1][0] != EnrollmentState.CANCELLED)
        note = _participants_note(taking_part)
        event = _event(session, offering, audience=f"school-{school_id}",
                       extra_sequence=sum(_seat_sequence(h) for h in people.values()),
                       cancelled=not taking_part,
                       changed_at=max(h[-1][1] for h in people.values()), note=note)
        if _visible(event, keep_since):
            events.append(event)
    return events


def _participants_note(names: list[str]) -> str:
    return _("Fra skolen: %(names)s", names=", ".join(names)) if names else ""


def school_version(school_id: int, now: datetime) -> tuple:
    """Return what changes whenever the school's feed does."""
    staff = _staff(school_id)
    theirs = sa.select(Enrollment.offering_id).where(Enrollment.user_id.in_(staff),
                                                     Enrollment.confirmed_at.is_not(None))
    return _version(_seat_summary().where(Enrollment.user_id.in_(staff), Enrollment.confirmed_at.is_not(None)),
                    Offering.id.in_(theirs.scalar_subquery()), now)


PERSON_SOURCE = FeedSource(name="catalog", events=person_events, version=person_version)
SCHOOL_SOURCE = FeedSource(name="catalog", events=school_events, version=school_version)


# --- the public catalogue and one offering -----------------------------------------

def _public_where(f: CatalogFilter):
    conditions = [Offering.status.in_([OfferingStatus.PUBLISHED, OfferingStatus.CANCELLED])]
    if f.kind is not None:
        conditions.append(Offering.kind == f.kind)
    if f.theme:
        conditions.append(Offering.theme == f.theme)
    if f.plan_area is not None:
        conditions.append(Offering.plan_area == f.plan_area)
    if f.target_group is not None:
        conditions.append(sa.exists().where(OfferingTargetGroup.offering_id == Offering.id,
                                            OfferingTargetGroup.group == f.target_group))
    return sa.and_(*conditions)


def public_events(f: CatalogFilter, now: datetime) -> list[CalendarEvent]:
    """Return the sessions of the published offerings that match the filter, soonest first."""
    keep_since, history_since = _cutoffs(now)
    rows = db.session.execute(
        sa.select(Session, *_OFFERING_COLUMNS)
        .join(Offering, Offering.schedule_id == Session.schedule_id)
        .outerjoin(User, User.id == Offering.responsible_id)
        .where(_public_where(f), Session.ends_at >= keep_since)
        .order_by(Session.starts_at, Session.id).limit(PUBLIC_FEED_LIMIT))
    events = (_event(row[0], _Offering(*row[1:]), audience="public") for row in rows)
    return [event for event in events if _visible(event, keep_since)]


def public_version(f: CatalogFilter, now: datetime) -> tuple:
    """Return what changes whenever the filtered public feed does."""
    keep_since, _ = _cutoffs(now)
    newest, count, sequences = db.session.execute(
        sa.select(sa.func.max(Session.updated_at), sa.func.count(Session.id),
                  sa.func.coalesce(sa.func.sum(Session.sequence), 0))
        .select_from(Session).join(Offering, Offering.schedule_id == Session.schedule_id)
        .where(_public_where(f), Session.ends_at >= keep_since)).one()
    offering_newest = db.session.scalar(sa.select(sa.func.max(Offering.updated_at)).where(_public_where(f)))
    day = _day_start(now)
    stamps = [t for t in (newest, offering_newest) if t is not None]
    return (max([*stamps, day]), count, int(sequences), day.date().isoformat())


def offering_version(offering_id: int, now: datetime) -> tuple:
    """Return what changes whenever one offering's feed does."""
    return _version(sa.select(sa.literal(None), sa.literal(0), sa.literal(0)), Offering.id == offering_id, now)


def offering_events(offering_id: int, now: datetime) -> list[CalendarEvent]:
    """Return every session of one offering as the public sees it."""
    offerings = _offerings(Offering.id == offering_id)
    if not offerings:
        return []
    offering = offerings[offering_id]
    keep_since, _ = _cutoffs(now)
    sessions = _sessions([offering.schedule_id])
    events = (_event(s, offering, audience="public") for s in sessions)
    return [event for event in events if _visible(event, keep_since) or not event.cancelled]


def enrollment_events(enrollment: Enrollment, *, confirmed: bool) -> list[CalendarEvent]:
    """Return the sessions of an enrollment's offering for the person's calendar (for mail).

    ``confirmed`` says whether the mail gives the seat (an invitation) or
    takes it away (a cancellation), whatever has happened since it was queued.
    """
    offering = _offerings(Offering.id == enrollment.offering_id)[enrollment.offering_id]
    history = _seat_history(sa.and_(Enrollment.user_id == enrollment.user_id,
                                    Enrollment.offering_id == enrollment.offering_id))
    seats = history[(enrollment.user_id, enrollment.offering_id)]
    sequence = _seat_sequence(seats, as_if=(enrollment.id, not confirmed))
    return [_event(s, offering, audience=f"person-{enrollment.user_id}", extra_sequence=sequence,
                   cancelled=not confirmed, changed_at=enrollment.updated_at) for s in _sessions([offering.schedule_id])]


def session_event_for(session: Session, offering_id: int, user: User | None) -> CalendarEvent:
    """Return one session as the person downloading it should get it.

    Someone with a seat gets the event of their own calendar (the same UID as
    their feed and mail); anyone else the public one.
    """
    offering = _offerings(Offering.id == offering_id)[offering_id]
    if user is not None:
        seats = _seat_history(sa.and_(Enrollment.user_id == user.id, Enrollment.offering_id == offering_id))
        history = seats.get((user.id, offering_id))
        if history and history[-1][0] != EnrollmentState.CANCELLED:
            return _event(session, offering, audience=f"person-{user.id}", extra_sequence=_seat_sequence(history),
                          changed_at=history[-1][1])
    return _event(session, offering, audience="public")
