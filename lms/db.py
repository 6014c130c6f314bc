"""The database handle, the declarative base and the one clock.

Every datetime column is a :class:`UTCDateTime`: stored as UTC, always
returned timezone-aware, whichever database is underneath.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from functools import wraps
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask.globals import _cv_request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def value_enum(cls, length: int = 30) -> sa.Enum:
    """Return the column type of a Python enum stored by its values (not its names) as a plain string column.

    The same on every database (no native enum type to migrate), and the
    stored text is what the code and the exports call the member.
    """
    return sa.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


#: The largest id an integer primary key holds on every database we run on.
MAX_ID = 2**31 - 1

#: A fixed "now" for tests and demos; see :func:`set_clock`.
_frozen_now: datetime | None = None


def now_utc() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return _frozen_now if _frozen_now is not None else datetime.now(timezone.utc)


def this_minute() -> datetime:
    """Return the current minute (seconds dropped): the moment a page kept within it counts its figures at."""
    return now_utc().replace(second=0, microsecond=0)


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
        if not has_request_context() or g.pop("kp_write_next", False):  # see begin_writing()
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif (request.method in READ_ONLY_METHODS and not g.get("kp_writes_on_get")) \
                or g.pop("kp_defer_write_lock", False):
            conn.exec_driver_sql("BEGIN")
            g.kp_reading = True  # see begin_writing()
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


def reads_before_writing(view):
    """Let a writing view read without SQLite's write lock until it calls :func:`begin_writing`.

    For views whose checks (sign-in, eligibility) are read-only and whose
    writes are short: everyone else may write while they read, so a rush on
    one offering queues only for the writing part.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.kp_defer_write_lock = True
        return view(*args, **kwargs)
    return wrapper


def writes_on_get(view):
    """Let a GET view write: its transactions take SQLite's write lock at BEGIN like a POST's.

    For the few GETs that must change something, such as the callback an
    identity provider redirects the browser to after sign-in.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.kp_writes_on_get = True
        return view(*args, **kwargs)
    return wrapper


def begin_writing() -> None:
    """End a request's reading transaction so that its next statement takes SQLite's write lock.

    A read transaction cannot be turned into a writing one once another
    writer has committed (SQLite answers busy at once), so the reading one
    ends here, keeping what it loaded, and the next begins with BEGIN
    IMMEDIATE. That is a request under :func:`reads_before_writing`, or a
    reading one (GET) that writes a little on the way, such as noting that a
    page was read. A no-op outside such a request and on PostgreSQL.
    """
    if not (has_request_context() and g.pop("kp_reading", False)):
        return
    session = db.session()  # the request's Session itself, not the scoped proxy
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a reading transaction has pending writes")
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
    g.kp_write_next = True


#: Statements that never change data (the start of a statement, lower case).
READING_VERBS = ("select", "begin", "commit", "rollback", "savepoint", "release", "pragma", "show", "set ",
                 "explain")


class WriteInReadingRequest(RuntimeError):
    """A statement that may write was sent where the request reads without a transaction."""


def read_without_transaction() -> None:
    """Run the rest of this request's statements without a transaction, on PostgreSQL.

    For hot read-only views (calendar feeds, the pages marked :func:`reads_only`)
    whose statements are each complete in itself: it saves the BEGIN and
    ROLLBACK round trips. Under PostgreSQL's READ COMMITTED every statement
    sees its own snapshot inside a transaction too, so nothing read changes.
    A statement that may write is refused there (:class:`WriteInReadingRequest`):
    without a transaction it could not be undone. SQLite reads in-process, so
    nothing changes there.
    """
    session = db.session()
    # A request that has already begun its transaction keeps it.
    if db.engine.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT", "kp_reads_only": True})
        request_ctx = _cv_request.get(None)
        if request_ctx is not None:
            # On the request's own context: a test's application context (and its session) outlives it.
            request_ctx.kp_reads_only = True


def reads_only(view):
    """Mark a view whose GET only reads: it runs without a transaction (:func:`read_without_transaction`).

    Put it right under the route, above ``login_required``: the request starts
    reading that way before anything else, the sign-in lookup included.
    """
    view.kp_reads_only = True
    return view


def init_reads_only(app) -> None:
    """Start the GET of every view marked :func:`reads_only` without a transaction, and refuse writes in it."""

    def _start_reading():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if request.method in READ_ONLY_METHODS and getattr(view, "kp_reads_only", False):
            read_without_transaction()

    app.before_request_funcs.setdefault(None, []).insert(0, _start_reading)

    @app.teardown_request
    def _end_reading(_error=None):
        # Give the connection back as it came: whatever uses the session next (a test's own work, which
        # shares it) starts a transaction of its own. Nothing to send: the rollback of autocommit is skipped.
        if getattr(_cv_request.get(None), "kp_reads_only", False):
            db.session.rollback()
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and not sa.event.contains(engine, "before_cursor_execute", _refuse_writes):
        sa.event.listen(engine, "before_cursor_execute", _refuse_writes)


def _writes(statement: str) -> bool:
    start = statement.lstrip()[:10].lower()
    if start.startswith("with"):  # a common table expression: a SELECT unless it holds a data-changing part
        return _DATA_CHANGING.search(statement) is not None
    return not start.startswith(READING_VERBS)


_DATA_CHANGING = re.compile(r"\b(insert|update|delete|merge)\b", re.IGNORECASE)


def _refuse_writes(conn, cursor, statement, parameters, context, executemany):
    if conn.get_execution_options().get("kp_reads_only") and getattr(_cv_request.get(None), "kp_reads_only", False) \
            and _writes(statement):
        raise WriteInReadingRequest(f"a request that reads without a transaction sent: {statement[:60]}")


def render_migration_item(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as the plain type it stores as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
