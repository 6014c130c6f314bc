"""A downgrade that copies a table (SQLite's batch mode) keeps the rows that point at it.

SQLite cannot drop a column in place on older versions, so Alembic's batch
mode copies the table, drops the old one and renames the copy. With foreign
keys on, dropping the old one would cascade: every enrollment of every
offering would go. The migrations run with foreign keys off on SQLite and
check them afterwards (migrations/env.py).
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.db import db
from tests.lms.test_migrations import scratch_database

#: The go-ahead column of an offering: its downgrade copies the offering table on SQLite.
WITH, WITHOUT = "c7d2f8e6a1b9", "b3e1c9a4d5f0"


def _value(column: dict, now: datetime):
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, (sa.Integer, sa.Numeric)):
        return 1
    if isinstance(kind, sa.DateTime):
        return now
    if isinstance(kind, sa.Date):
        return now.date()
    return "x"


def _insert(table: str, now: datetime, **given) -> None:
    """Insert one row, giving every required column without a default a plain value."""
    values = dict(given)
    columns = db.inspect(db.engine).get_columns(table)  # before this session takes the write lock
    for column in columns:
        if column["name"] not in values and not column["nullable"] and column.get("default") is None \
                and not column.get("autoincrement") is True and column["name"] != "id":
            values[column["name"]] = _value(column, now)
    names = ", ".join(f'"{name}"' for name in values)
    db.session.execute(sa.text(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(":" + n for n in values)})'),
                       values)
    db.session.commit()


def test_dropping_an_offerings_column_on_the_way_down_keeps_its_enrollments(app, tmp_path):
    now = datetime(2026, 9, 1, 12, tzinfo=timezone.utc)
    with scratch_database(app, tmp_path) as url:
        other = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with other.app_context():
            try:
                upgrade(revision=WITH)
                _insert("user_account", now, id=1, email="kari@skole.test", name="Kari", active=True)
                _insert("schedule", now, id=1, owner_kind="offering")
                _insert("offering", now, id=1, schedule_id=1, capacity=10, seats_taken=1, waitlist_length=0,
                        status="published", kind="course", plan_area=None, min_participants=0)
                _insert("enrollment", now, id=1, offering_id=1, user_id=1, state="enrolled")
                db.session.commit()
                downgrade(revision=WITHOUT)
                assert "go_ahead_at" not in {c["name"] for c in db.inspect(db.engine).get_columns("offering")}
                assert db.session.execute(sa.text("SELECT offering_id, user_id, state FROM enrollment")).all() \
                    == [(1, 1, "enrolled")]
                db.session.commit()
            finally:
                db.session.remove()
                db.engine.dispose()
