"""Cyclic garbage collected between requests, never while another thread of the worker is in one.

A gunicorn worker with threads on SQLite died with SIGSEGV under parallel
load (``bench/ANALYSIS.md``, "Worker crashes on SQLite with threads"):
Python's cyclic garbage collector, run by whichever thread happened to
allocate, freed a finished request's cycles (ORM objects, forms, template
contexts) while other threads were inside SQLite with the interpreter lock
released. With the collector off the crash was gone, and with it on but
keeping what it found instead of freeing it (``gc.DEBUG_SAVEALL``) too.

So the worker collects at the end of a request, when no other request is
in flight: once enough new objects have accumulated, the request that ends
asks for a collection; requests that arrive meanwhile wait (at most
:data:`WAIT_SECONDS`, so that a request on which another depends, such as
the LMS fetching the tool's keys while the tool waits for the LMS, is never
held up for long) until the last one in flight has ended and collected.
Python's own collector stays on with a threshold far above a request's
allocations: it is only the safety net for a single request that allocates
more than that, or for a worker whose requests never pause.

Only processes that serve requests change the collector: the first request
does it, so the command line (the demo loader, the mail worker, the
benchmark's data generator) keeps Python's defaults.
"""
from __future__ import annotations

import gc
import threading

from flask import Flask

#: New container objects (``gc.get_count()[0]``) after which the request ending asks for a collection.
#: Python collects after 700; a page builds tens of thousands, so this collects about as often in time.
THRESHOLD = 10_000
#: Python's own collector runs only past this many: the safety net (see the module's docstring).
SAFETY_NET = 200_000
#: A request arriving while a collection waits for the requests in flight waits at most this long.
WAIT_SECONDS = 0.5
#: Every tenth collection includes the middle generation, every hundredth all three, as Python's own do.
EVERY = 10


class _Gate:
    """The process's requests in flight, and the collection that waits for them to end."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._in_flight = 0
        self._pending = False
        self._collecting = False
        self._collections = 0
        self._configured = False
        self._local = threading.local()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def enter(self) -> None:
        with self._condition:
            if not self._configured:
                gc.set_threshold(SAFETY_NET, EVERY, EVERY)
                self._configured = True
            if self._pending and not getattr(self._local, "depth", 0):
                # A request inside another in the same thread (a test's) cannot wait for the outer one.
                self._condition.wait_for(lambda: not self._pending, timeout=WAIT_SECONDS)
            # The bound is on waiting for the requests in flight; a collection under way is always waited for.
            self._condition.wait_for(lambda: not self._collecting)
            self._in_flight += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1

    def leave(self) -> None:
        self._local.depth -= 1
        with self._condition:
            self._in_flight -= 1
            if gc.get_count()[0] >= THRESHOLD:
                self._pending = True
            if not self._pending or self._in_flight or self._collecting:
                return
            self._collecting = True
            self._collections += 1
            count = self._collections
        # Outside the lock: a finaliser the collection runs may wait for a lock (a connection pool's, say) that
        # a thread holds while it waits here to leave; arrivals still wait, as the collection is pending.
        try:
            gc.collect(2 if count % (EVERY * EVERY) == 0 else 1 if count % EVERY == 0 else 0)
        finally:
            with self._condition:
                self._collecting = False
                self._pending = False
                self._condition.notify_all()


_GATE = _Gate()


def in_flight() -> int:
    """Return how many requests the process is serving now."""
    return _GATE.in_flight


def init_app(app: Flask) -> None:
    """Count the app's requests in and out around the whole WSGI call; call it last in the app factory.

    Around the whole call, and not with ``before_request`` and
    ``teardown_request``, so that the count comes out whatever a request
    raises or another teardown function does: a request counted in and never
    out would make every later one wait. The responses are built by then (the
    app streams none), so their bodies are sent outside the count.
    """
    wsgi_app = app.wsgi_app

    def counted(environ, start_response):
        _GATE.enter()
        try:
            return wsgi_app(environ, start_response)
        finally:
            _GATE.leave()

    app.wsgi_app = counted
