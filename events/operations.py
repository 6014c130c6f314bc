"""Creating, moving and cancelling sessions."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import gettext as _

from events.models import Schedule, Session, SessionStatus
from lms.db import db


class ScheduleError(ValueError):
    """A session that cannot be planned as asked."""


def new_schedule(owner_kind: str) -> Schedule:
    """Create an empty schedule for a feature's object."""
    schedule = Schedule(owner_kind=owner_kind)
    db.session.add(schedule)
    return schedule


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ScheduleError(_("Tidspunktet mangler tidssone."))
    # Compared in UTC: two Oslo times on the same tzinfo compare by wall clock,
    # which is wrong across a daylight-saving change.
    if ends_at.astimezone(timezone.utc) <= starts_at.astimezone(timezone.utc):
        raise ScheduleError(_("Sluttidspunktet må være etter starttidspunktet."))


def add_session(schedule: Schedule, *, starts_at: datetime, ends_at: datetime, now: datetime,
                title: str = "", location: str = "", online_url: str = "") -> Session:
    """Add a dated session to a schedule."""
    _check_times(starts_at, ends_at)
    session = Session(starts_at=starts_at, ends_at=ends_at, title=title, location=location,
                      online_url=online_url, updated_at=now)
    schedule.sessions.append(session)
    db.session.flush()
    return session


def update_session(session: Session, *, starts_at: datetime, ends_at: datetime, now: datetime,
                   title: str, location: str, online_url: str) -> bool:
    """Change a session; raise its sequence if time or place changed. Return whether it did."""
    _check_times(starts_at, ends_at)
    changed = (session.starts_at, session.ends_at, session.location, session.online_url) != (
        starts_at, ends_at, location, online_url)
    session.starts_at, session.ends_at = starts_at, ends_at
    session.title, session.location, session.online_url = title, location, online_url
    if changed:
        session.sequence += 1
    session.updated_at = now
    db.session.flush()
    return changed


def cancel_session(session: Session, now: datetime) -> None:
    """Mark a session cancelled; it stays, so calendars can remove it."""
    if session.status != SessionStatus.CANCELLED:
        session.status = SessionStatus.CANCELLED
        session.sequence += 1
        session.updated_at = now
        db.session.flush()
