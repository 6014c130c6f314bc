"""Put another request's commit at one exact point of an operation, on a connection of its own.

A rule that is checked "again, under the lock" only matters when someone else
commits between the first look and the lock. These helpers make that happen
on purpose, on the real database: the other request runs the real operation
in an app context of its own (its own session and connection) and commits,
then the operation under test goes on.

On SQLite a writing request holds the write lock from its first statement,
unless it reads first (``reads_before_writing``, as enrollment does);
:func:`reading_request` opens such a request so that the other connection can
commit in between. On PostgreSQL the request's transaction reads committed
data, so the other commit is seen as soon as it is made.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable

import sqlalchemy as sa
from flask import g

from lms.db import db


@contextmanager
def reading_request(app):
    """Open a POST request whose transaction reads without SQLite's write lock until the operation locks."""
    with app.test_request_context(method="POST"):
        g.kp_defer_write_lock = True
        yield


def commit_elsewhere(app, action: Callable[[], object]) -> None:
    """Run ``action`` in an app context of its own (another session and connection) and commit it."""
    with app.app_context():
        try:
            action()
            db.session.commit()
        finally:
            db.session.remove()


def before_first_call(monkeypatch, module, name: str, action: Callable[[], object]) -> list[bool]:
    """Run ``action`` once, just before the first call of ``module.name``; return a list that says it ran."""
    real = getattr(module, name)
    ran: list[bool] = []

    def first_call_waits_for_action(*args, **kwargs):
        if not ran:
            ran.append(True)
            action()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, first_call_waits_for_action)
    return ran


class Contender(threading.Thread):
    """Another request in a thread of its own: its own app context, session and PostgreSQL connection."""

    def __init__(self, app, action: Callable[[], object]):
        super().__init__(daemon=True)
        self.app, self.action = app, action
        self.pid: int | None = None
        self.started_work = threading.Event()
        self.result: object = None
        self.error: BaseException | None = None

    def run(self):
        with self.app.app_context():
            try:
                self.pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
                self.started_work.set()
                self.result = self.action()
                db.session.commit()
            except BaseException as err:  # handed to the test, which raises it
                db.session.rollback()
                self.error = err
            finally:
                self.started_work.set()
                db.session.remove()


def wait_until_blocked_or_done(contender: Contender, timeout: float = 60) -> bool:
    """Wait until the contender waits for a lock held by the test's transaction (True) or has finished (False)."""
    contender.started_work.wait(timeout)
    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    try:
        deadline = time.monotonic() + timeout
        with engine.connect() as conn:
            while contender.is_alive():
                waiting = conn.execute(sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                                       {"pid": contender.pid}).scalar()
                conn.rollback()
                if waiting == "Lock":
                    return True
                if time.monotonic() > deadline:
                    raise AssertionError("the other request neither waited for the lock nor finished")
                time.sleep(0.01)
        return False
    finally:
        engine.dispose()
