"""Creating, moving and cancelling sessions; the secret links to personal and school feeds."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from functools import cache
from typing import Iterable, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from events.models import FeedScope, FeedToken, Schedule, Session, SessionStatus
from lms.audit import operations as audit
from lms.auth.operations import require
from lms.db import db
from lms.people.models import School, User


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
                   title: str, location: str, online_url: str, owner_changed: bool = False) -> bool:
    """Change a session; raise its sequence if time or place changed. Return whether it did.

    ``owner_changed`` says that something its owner shows with the session in
    calendars changed too (a gathering's host school), which counts the same.
    """
    _check_times(starts_at, ends_at)
    changed = owner_changed or (session.starts_at, session.ends_at, session.location, session.online_url) != (
        starts_at, ends_at, location, online_url)
    session.starts_at, session.ends_at = starts_at, ends_at
    session.title, session.location, session.online_url = title, location, online_url
    if changed:
        session.sequence += 1
    session.updated_at = now
    db.session.flush()
    return changed


def raise_session_sequence(session: Session, now: datetime) -> None:
    """Raise one session's SEQUENCE: what a calendar shows of it changed for someone (its owner says what).

    The caller holds whatever serialises the session's changes (a network's lock for a gathering).
    """
    session.sequence += 1
    session.updated_at = now
    db.session.flush()


def cancel_session(session: Session, now: datetime) -> None:
    """Mark a session cancelled; it stays, so calendars can remove it."""
    if session.status != SessionStatus.CANCELLED:
        session.status = SessionStatus.CANCELLED
        session.sequence += 1
        session.updated_at = now
        db.session.flush()


def raise_sequence(schedule_id: int) -> None:
    """Raise the SEQUENCE of every session of a schedule by one: something shown in a calendar changed.

    One ``UPDATE ... SET sequence = sequence + 1 ... RETURNING``, so two
    requests raising it at once both count and nothing is loaded to do it.
    It returns the sessions whole: those this request has already loaded get
    their new SEQUENCE from it, and a loaded schedule whose sessions are not
    gets them from it too (they are every session of the schedule, in its
    order), so the mail queued next about them reads none again.
    """
    sessions = db.session.scalars(
        sa.update(Session).where(Session.schedule_id == schedule_id).values(sequence=Session.sequence + 1)
        .returning(Session).execution_options(synchronize_session=False, populate_existing=True)).all()
    schedule = db.session.identity_map.get(sa.inspect(Schedule).identity_key_from_primary_key((schedule_id,)))
    if schedule is not None and "sessions" not in sa.inspect(schedule).dict:
        sa.orm.attributes.set_committed_value(schedule, "sessions", sorted(sessions, key=lambda s: s.starts_at))


def place_changed(schedule: Schedule, now: datetime) -> None:
    """Raise the sequence of a schedule's sessions whose place was given by their owner and has changed."""
    for session in schedule.sessions:
        if not (session.location and session.online_url):
            session.sequence += 1
            session.updated_at = now


# --- feed tokens -------------------------------------------------------------------

#: Random bytes in a feed token: 256 bits, well above the 128 the address must resist guessing with.
FEED_TOKEN_BYTES = 32
#: Longer than any token we make (43 characters); a longer one is refused before hashing.
MAX_FEED_TOKEN_LENGTH = 64


class FeedOwner(NamedTuple):
    """Whose feed a token opens, with what its calendar needs: a name and a language."""

    scope: FeedScope
    owner_id: int
    #: The person's or the school's name.
    name: str
    locale: str


def hash_feed_token(token: str) -> str:
    """Return the stored form of a feed token."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_manage_feed(actor: User, scope: FeedScope, owner_id: int) -> bool:
    """Tell whether ``actor`` may make or delete the link to this feed."""
    if scope == FeedScope.PERSON:
        return actor.id == owner_id
    return actor.is_admin or owner_id in actor.led_school_ids()


def _live_tokens(scope: FeedScope, owner_id: int) -> list[FeedToken]:
    return list(db.session.scalars(db.select(FeedToken).where(
        FeedToken.scope == scope, FeedToken.owner_id == owner_id, FeedToken.revoked_at.is_(None))))


def _revoke(token: FeedToken, actor: User, now: datetime) -> None:
    token.revoked_at = now
    audit.record(object_type="feed_token", object_id=token.id, from_state="live", to_state="revoked",
                 actor_id=actor.id, at=now, note=f"{token.scope.value} {token.owner_id}")


def issue_feed_token(scope: FeedScope, owner_id: int, *, actor: User, now: datetime) -> str:
    """Make a new secret link to a feed, stopping the old one at once; return the token (shown once)."""
    require(may_manage_feed(actor, scope, owner_id))
    for old in _live_tokens(scope, owner_id):
        _revoke(old, actor, now)
    token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    row = FeedToken(token_hash=hash_feed_token(token), scope=scope, owner_id=owner_id,
                    created_by_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    audit.record(object_type="feed_token", object_id=row.id, from_state=None, to_state="live",
                 actor_id=actor.id, at=now, note=f"{scope.value} {owner_id}")
    return token


def revoke_feed_token(scope: FeedScope, owner_id: int, *, actor: User, now: datetime) -> bool:
    """Stop the link to a feed; return whether there was one."""
    require(may_manage_feed(actor, scope, owner_id))
    live = _live_tokens(scope, owner_id)
    for token in live:
        _revoke(token, actor, now)
    db.session.flush()
    return bool(live)


def live_feed_tokens(person_id: int, school_ids: Iterable[int]) -> dict[tuple[FeedScope, int], FeedToken]:
    """Return the live tokens of a person's feed and of some schools' feeds, by (scope, owner id)."""
    school_ids = list(school_ids)
    rows = db.session.scalars(db.select(FeedToken).where(
        FeedToken.revoked_at.is_(None),
        sa.or_(sa.and_(FeedToken.scope == FeedScope.PERSON, FeedToken.owner_id == person_id),
               sa.and_(FeedToken.scope == FeedScope.SCHOOL, FeedToken.owner_id.in_(school_ids)))))
    return {(row.scope, row.owner_id): row for row in rows}


@cache
def _token_lookup() -> sa.Select:
    """Return the statement that finds a live token's feed, built once: feeds are fetched often."""
    person = sa.and_(FeedToken.scope == FeedScope.PERSON, User.id == FeedToken.owner_id)
    school = sa.and_(FeedToken.scope == FeedScope.SCHOOL, School.id == FeedToken.owner_id)
    return (sa.select(FeedToken.scope, FeedToken.owner_id, User.name, User.locale, User.active, School.name)
            .select_from(FeedToken).outerjoin(User, person).outerjoin(School, school)
            .where(FeedToken.token_hash == sa.bindparam("token_hash"), FeedToken.revoked_at.is_(None)))


def owner_for_token(token: str, default_locale: str = "nb") -> FeedOwner | None:
    """Return whose feed a token opens, or None for a wrong, revoked or malformed one.

    One query on the token's unique hash; a person must still be active and a
    school must still exist. The token signs nobody in.
    """
    if not token or len(token) > MAX_FEED_TOKEN_LENGTH:
        return None
    # Core execution: columns only, so the ORM's per-statement work buys nothing here.
    row = db.session.connection().execute(_token_lookup(), {"token_hash": hash_feed_token(token)}).first()
    if row is None:
        return None
    scope, owner_id, person_name, locale, active, school_name = row
    if scope == FeedScope.PERSON:
        return FeedOwner(scope, owner_id, person_name, locale or default_locale) if active else None
    return FeedOwner(scope, owner_id, school_name, default_locale) if school_name is not None else None


def feed_schools(actor: User, chosen_id: int | None = None) -> list[School]:
    """Return the schools whose feed ``actor`` manages on the calendar page: those they lead, and an admin's choice."""
    ids = set(actor.led_school_ids())
    if chosen_id is not None and actor.is_admin:
        ids.add(chosen_id)
    if not ids:
        return []
    return list(db.session.scalars(db.select(School).where(School.id.in_(ids)).order_by(School.name, School.id)))


def all_schools() -> list[tuple[int, str]]:
    """Return every school as ``(id, name)`` by name, for an admin to choose among."""
    return [(row.id, row.name) for row in db.session.execute(
        db.select(School.id, School.name).order_by(School.name, School.id))]
