"""Raising a schedule's SEQUENCE: every session of that schedule by one, and nothing of any other."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from events.models import Schedule, Session
from events.operations import raise_sequence
from lms.db import db
from tests.conftest import count_statements

START = datetime(2027, 1, 12, 13, 0, tzinfo=timezone.utc)


def _schedule(app, starts: list[datetime]) -> int:
    schedule = Schedule(owner_kind="test.sequence", created_at=START)
    # Added out of order: the schedule's sessions are kept in the order they start.
    schedule.sessions = [Session(starts_at=s, ends_at=s + timedelta(hours=2), sequence=3) for s in starts]
    db.session.add(schedule)
    db.session.commit()
    return schedule.id


def _sequences(schedule_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Session.sequence).where(Session.schedule_id == schedule_id)
                                   .order_by(Session.id)))


def test_with_nothing_loaded_each_session_of_the_schedule_rises_by_one_and_no_other(app):
    ours = _schedule(app, [START + timedelta(days=7), START])
    other = _schedule(app, [START])
    db.session.close()  # a request that has loaded nothing of either
    raise_sequence(ours)
    db.session.commit()
    assert _sequences(ours) == [4, 4]
    assert _sequences(other) == [3]


def test_a_session_already_loaded_shows_its_new_sequence(app):
    ours = _schedule(app, [START])
    db.session.close()
    (loaded,) = db.session.scalars(sa.select(Session).where(Session.schedule_id == ours)).all()
    raise_sequence(ours)
    assert loaded.sequence == 4


def test_a_loaded_schedule_gets_its_sessions_in_start_order_without_reading_them_again(app):
    later, sooner = START + timedelta(days=7), START
    ours = _schedule(app, [later, sooner])
    db.session.close()
    schedule = db.session.get(Schedule, ours)
    raise_sequence(ours)
    assert count_statements(lambda: [s.starts_at for s in schedule.sessions]) == 0
    assert [(s.starts_at.replace(tzinfo=timezone.utc), s.sequence) for s in schedule.sessions] == [
        (sooner, 4), (later, 4)]
