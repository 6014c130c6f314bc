"""Pooled connections checked before use only when they have lain idle.

SQLAlchemy's ``pool_pre_ping`` sends a ``SELECT 1`` every time a request
takes a connection from the pool, so that a connection the database has
dropped (a restart, a failover, an idle timeout) is replaced instead of
failing the request. On PostgreSQL that is a round trip on every request:
about 170 µs of CPU between the client and the server for the one statement
(``bench/ANALYSIS.md``, "Round trips on PostgreSQL"), a tenth of a signed-in page.

Here the check is made only for a connection that has been back in the pool
longer than :data:`PING_AFTER_SECONDS`, as HikariCP skips it for a
connection used within the last half second: under load connections come
back within milliseconds and are not checked; the one taken after a quiet
spell is. A connection found dead is thrown away and the pool gives another
(``DisconnectionError`` from the checkout event: the pool tries again with a
new one), so the request never sees it.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask

#: Seconds a pooled connection may lie unused and still be handed out without a check.
PING_AFTER_SECONDS = 1.0
_RETURNED_AT = "kp_returned_at"


def _returned(_dbapi_connection, record) -> None:
    """Note when a connection came back to the pool; a new one counts as back now (it just answered)."""
    record.info[_RETURNED_AT] = time.monotonic()


def _checkout(dialect):
    def check(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at < PING_AFTER_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise sa.exc.DisconnectionError(str(error)) from error
            raise
    return check


def init_app(app: Flask, db) -> None:
    """Check the app's pooled connections before use when they have been idle (see the module's text)."""
    with app.app_context():
        engine = db.engine
    if sa.event.contains(engine, "checkin", _returned):  # the engine is shared: install once
        return
    sa.event.listen(engine, "connect", _returned)
    sa.event.listen(engine, "checkin", _returned)
    sa.event.listen(engine, "checkout", _checkout(engine.dialect))
