"""Network gatherings in calendars: the personal and school feed sources, the network's own feed, mail events.

A gathering is one event per audience: ``person-7`` (a participant's own,
the same in their feed and their invitation mail), ``school-3`` (the member
school's feed) or ``network-5`` (the network's feed). SEQUENCE is the
session's own in every one of them: it rises when the gathering changes and
when a participant says they cannot come or takes it back (their event is
then cancelled, or back, in their own calendar only), so it never falls.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from catalog.networks.models import Absence, Gathering, Network, NetworkSchool
from catalog.networks.participation import network_ids_of_person
from events.calendar import CalendarEvent
from events.feeds import CANCELLED_KEEP_DAYS, FeedSource
from events.models import Session, SessionStatus
from lms.db import db
from lms.i18n import OSLO
from lms.links import absolute_url, public_host
from lms.people.models import School

#: How far back feeds show gatherings that took place.
HISTORY_DAYS = 365

_COLUMNS = (Session.id, Session.starts_at, Session.ends_at, Session.title, Session.location, Session.status,
            Session.sequence, Session.updated_at, Gathering.id.label("gathering_id"), Network.id.label("network_id"), Network.name, Network.organiser,
            Network.updated_at.label("network_updated_at"), School.name.label("host_name"))


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(OSLO).date(), time(0), tzinfo=OSLO)


def _rows(where, now: datetime):
    since = _day_start(now) - timedelta(days=HISTORY_DAYS)
    return db.session.execute(
        sa.select(*_COLUMNS).select_from(Gathering)
        .join(Session, Session.id == Gathering.session_id).join(Network, Network.id == Gathering.network_id)
        .outerjoin(School, School.id == Gathering.host_school_id)
        .where(where, Session.ends_at >= since, sa.or_(Network.published_at.is_not(None), Network.kind != "group"))
        .order_by(Session.starts_at, Session.id)).all()


def gathering_uid(session_id: int, audience: str) -> str:
    return f"kp-gathering-{session_id}-{audience}@{public_host()}"


def _event(row, audience: str, *, absent: bool = False) -> CalendarEvent:
    link = absolute_url("networks.show", network_id=row.network_id)
    summary = f"{row.name}: {row.title}" if row.title else row.name
    host = _("Vertsskole: %(school)s", school=row.host_name) if row.host_name else ""
    description = "\n\n".join(p for p in (host, _("Du har meldt at du ikke kommer.") if absent else "", link) if p)
    return CalendarEvent(uid=gathering_uid(row.id, audience), starts_at=row.starts_at, ends_at=row.ends_at,
                         summary=summary, description=description, location=row.location, url=link,
                         organizer_name=row.organiser or row.name, sequence=row.sequence,
                         cancelled=absent or row.status == SessionStatus.CANCELLED,
                         last_modified=max(row.updated_at, row.network_updated_at))


def _events(rows, audience: str, now: datetime, absent: set[int] = frozenset()) -> list[CalendarEvent]:
    """Return the rows' events for one audience; a cancelled one is shown for some days after the gathering
    last changed (its cancellation, or the person's word that they cannot come), not after its network was
    edited."""
    since = _day_start(now) - timedelta(days=CANCELLED_KEEP_DAYS)
    events = []
    for row in rows:
        event = _event(row, audience, absent=row.gathering_id in absent)
        if not event.cancelled or row.updated_at >= since:
            events.append(event)
    return events


def person_events(user_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the gatherings of every network the person takes part in."""
    rows = _rows(Gathering.network_id.in_(network_ids_of_person(user_id)), now)
    absent = set(db.session.scalars(sa.select(Absence.gathering_id).where(Absence.user_id == user_id))) if rows else set()
    return _events(rows, f"person-{user_id}", now, absent)


def _of_school(school_id: int):
    return Gathering.network_id.in_(sa.select(NetworkSchool.network_id).where(NetworkSchool.school_id == school_id))


def school_events(school_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the gatherings of every network the school is a member of."""
    return _events(_rows(_of_school(school_id), now), f"school-{school_id}", now)


def network_events(network_id: int, now: datetime) -> list[CalendarEvent]:
    return _events(_rows(Gathering.network_id == network_id, now), f"network-{network_id}", now)


def invitation_event(gathering: Gathering, user_id: int, *, cancelled: bool, sequence: int | None = None,
                     absent: bool = False) -> CalendarEvent:
    """Return the gathering as the participant's own calendar has it, for a mail.

    An invitation is written as it was when queued (``sequence``, not cancelled), whatever happened
    since, so a later cancellation always carries the higher SEQUENCE. ``absent``: the person had
    said they cannot come, so their own event is cancelled for them, as their feed has it.
    """
    (row,) = db.session.execute(
        sa.select(*_COLUMNS).select_from(Gathering)
        .join(Session, Session.id == Gathering.session_id).join(Network, Network.id == Gathering.network_id)
        .outerjoin(School, School.id == Gathering.host_school_id).where(Gathering.id == gathering.id)).all()
    event = _event(row, f"person-{user_id}", absent=absent)
    if cancelled:
        return replace(event, cancelled=True)
    if sequence is not None:
        event = replace(event, sequence=sequence)
    return event if absent else replace(event, cancelled=False)


PERSON_SOURCE = FeedSource(name="networks", events=person_events)
SCHOOL_SOURCE = FeedSource(name="networks", events=school_events)
