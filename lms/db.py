"""The database handle, the declarative base and the one clock.

Every datetime column is a :class:`UTCDateTime`: stored as UTC, always
returned timezone-aware, whichever database is underneath.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The largest id an integer primary key holds on every database we run on.
MAX_ID = 2**31 - 1

#: A fixed "now" for tests and demos; see :func:`set_clock`.
_frozen_now: datetime | None = None


def now_utc() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return _frozen_now if _frozen_now is not None else datetime.now(timezone.utc)


def set_clock(frozen: datetime | None) -> None:
    """Freeze the clock at ``frozen`` (aware), or let it run again with None."""
    global _frozen_now
    if frozen is not None and frozen.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _frozen_now = frozen


class UTCDateTime(sa.types.TypeDecorator):
    """A datetime stored in UTC that refuses naive values and loads aware ones."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    registry = registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


db = SQLAlchemy(model_class=Base)

#: Request methods whose transactions only read; on SQLite they start a
#: deferred transaction, every other one takes the write lock at BEGIN.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_sqlite(engine: sa.Engine) -> None:
    """Turn on WAL, foreign keys and up-front write locks for an SQLite engine.

    pysqlite starts transactions lazily and only at the first write, which in
    WAL mode lets two writers read the same seat count and one of them fail
    later. Writing requests therefore begin with ``BEGIN IMMEDIATE``: they take
    SQLite's single write lock before reading anything, so a seat count read
    inside them stays true until commit. Reading requests stay concurrent.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        if has_request_context() and (request.method in READ_ONLY_METHODS or g.pop("kp_defer_write_lock", False)):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def write_lock_deferred():
    """Within this block, let a writing request's transaction read without SQLite's write lock.

    For slow work on what a request reads before it writes, such as checking
    a password. The transaction begun inside must end (commit or roll back)
    before the request writes; the next one takes the lock as usual. No
    effect on PostgreSQL, whose row locks are taken where they are needed.
    """
    g.kp_defer_write_lock = True
    try:
        yield
    finally:
        g.pop("kp_defer_write_lock", None)


def render_migration_item(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as the plain type it stores as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
