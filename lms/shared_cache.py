"""A cache that every instance of the platform shares, in Redis, kept true by a write generation.

With ``KP_REDIS_URL`` set, every database commit that wrote anything raises
a counter in Redis, the *write generation*, from every entry point (pages,
API, CLI, the mail worker). An entry in the shared cache carries the
generation it was made under and counts only while that is still the
generation: a write anywhere, on any instance, retires every entry at once.
Coarse, but writes are rare next to the reads the cache serves (calendar
apps polling their feeds), and it cannot miss a change that went through a
session, whichever table it touched.

The order is what makes it true:

- the generation is raised *after* the commit (the session's
  ``after_commit``), so whoever reads the new generation also reads the new
  data;
- a reader reads the generation *before* the data it caches, so what it
  stores is never older than the generation it stores it under.

A process may also keep what it rendered itself under the generation it
read first (:func:`write_generation`; the plan page does): the same order
makes it true, and the first commit anywhere retires it.

Without ``KP_REDIS_URL`` nothing here is installed. With Redis unreachable
or erroring, :meth:`SharedCache.lookup` answers "no entry", storing does
nothing and callers use the database as they would without it; a warning is
logged at most every :data:`WARN_EVERY_SECONDS`. A generation that could not
be raised after a commit leaves entries that may be stale until they expire
(:data:`ENTRY_SECONDS`); the commit itself stands.
"""
from __future__ import annotations

import logging
import secrets
import time
from contextvars import ContextVar
from typing import Callable

import redis
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from redis.backoff import NoBackoff
from redis.retry import Retry

from lms.db import READING_VERBS, db

_log = logging.getLogger(__name__)

_EXTENSION = "kp_shared_cache"
#: Seconds an entry lives at most, whatever the generation does: the bound on
#: staleness when a generation could not be raised, and on drift with time.
ENTRY_SECONDS = 300
#: Seconds to wait for Redis (on the same network: it answers in well under a millisecond).
TIMEOUT_SECONDS = 0.25
#: After a failed read, seconds during which reads do not try Redis (writes always try).
RETRY_AFTER_SECONDS = 5
WARN_EVERY_SECONDS = 60

#: Set when the current context has sent a statement that may write, since its last commit or rollback.
_wrote: ContextVar[bool] = ContextVar("kp_wrote", default=False)


class SharedCache:
    """Entries in Redis that count only under the write generation they were made under."""

    def __init__(self, url: str, prefix: str, clock: Callable[[], float] = time.monotonic):
        # No retries: an unreachable Redis must cost a request one short failure, not several.
        self._redis = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS,
                                           socket_connect_timeout=TIMEOUT_SECONDS, retry=Retry(NoBackoff(), 0))
        self.prefix = prefix
        self._generation_key = f"{prefix}generation"
        self._clock = clock
        self._reads_paused_until = 0.0
        self._warned_at: float | None = None

    def lookup(self, key: str) -> tuple[bytes | None, bytes | None]:
        """Return ``(generation, value)`` in one round trip; value is None unless stored under this generation.

        The generation is None when Redis cannot be used now: store nothing then.
        """
        if self._clock() < self._reads_paused_until:
            return None, None
        try:
            generation, entry = self._redis.mget(self._generation_key, self.prefix + key)
            if generation is None:
                return self._started(), None
        except redis.RedisError as error:
            self._read_failed(error)
            return None, None
        if entry is not None:
            made_under, _, value = entry.partition(b"\n")
            if made_under == generation:
                return generation, value
        return generation, None

    def generation(self) -> bytes | None:
        """Return the write generation now, in one round trip; None when Redis cannot be used (keep nothing then).

        What a process keeps of its own under this generation, read before
        what it keeps was read from the database, is true while the generation
        is: :func:`write_generation`.
        """
        if self._clock() < self._reads_paused_until:
            return None
        try:
            return self._redis.get(self._generation_key) or self._started()
        except redis.RedisError as error:
            self._read_failed(error)
            return None

    def _started(self) -> bytes | None:
        """Start the generation of a new (or emptied) Redis somewhere no old entry can have been made under."""
        start = str(secrets.randbits(48)).encode()
        if self._redis.set(self._generation_key, start, nx=True):
            return start
        return self._redis.get(self._generation_key)

    def _read_failed(self, error: Exception) -> None:
        self._reads_paused_until = self._clock() + RETRY_AFTER_SECONDS
        self._failed("read", error)

    def store(self, key: str, generation: bytes, value: bytes) -> None:
        """Keep ``value`` under ``generation`` (read before what the value was made of) for at most ENTRY_SECONDS."""
        try:
            self._redis.set(self.prefix + key, generation + b"\n" + value, ex=ENTRY_SECONDS)
        except redis.RedisError as error:
            self._failed("write", error)

    def raise_generation(self) -> None:
        """Retire every entry: called after each commit that wrote."""
        try:
            self._redis.incr(self._generation_key)
        except redis.RedisError as error:
            self._failed("generation", error)

    def _failed(self, what: str, error: Exception) -> None:
        now = self._clock()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            _log.warning("Redis (the shared cache) failed on %s: %s. Answering from the database; "
                         "cached answers may be up to %d s old where a write could not be announced.",
                         what, error, ENTRY_SECONDS)


def shared_cache() -> SharedCache | None:
    """Return the current app's shared cache, or None where ``KP_REDIS_URL`` is not set."""
    return current_app.extensions.get(_EXTENSION) if has_app_context() else None


def write_generation() -> bytes | None:
    """Return the write generation, or None where there is no shared cache or Redis cannot be used now.

    Read it before the rows a page is made of: a page kept under it is true
    until any instance commits a write.
    """
    cache = shared_cache()
    return cache.generation() if cache is not None else None


def init_app(app: Flask) -> None:
    """Connect the shared cache when ``REDIS_URL`` is set, and raise the generation after every writing commit."""
    url = app.config.get("REDIS_URL")
    if not url:
        return
    app.extensions[_EXTENSION] = SharedCache(url, app.config.get("REDIS_PREFIX") or "kp:")
    with app.app_context():
        sa.event.listen(db.engine, "after_cursor_execute", _note_statement)
    # The session class is the same for every app in the process: listen once.
    for name, listener in (("after_flush", _note_flush), ("after_commit", _after_commit),
                           ("after_rollback", _after_rollback)):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)


def _note_statement(_conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    # Core inserts, updates and deletes run through the session, raw SQL and DDL too.
    if not _wrote.get() and not statement.lstrip()[:10].lower().startswith(READING_VERBS):
        _wrote.set(True)


def _note_flush(_session, _flush_context) -> None:
    _wrote.set(True)


def _after_commit(session) -> None:
    # A savepoint's release is no commit: others see nothing until the outer transaction commits.
    if session.in_nested_transaction() or not _wrote.get():
        return
    _wrote.set(False)
    cache = shared_cache()
    if cache is not None:
        cache.raise_generation()


def _after_rollback(session) -> None:
    # Rolling back a savepoint keeps what the outer transaction wrote before it.
    if not session.in_nested_transaction():
        _wrote.set(False)
