"""A small in-process cache for rendered fragments that may be a few seconds old.

Each instance of the platform keeps its own; nothing here is needed for
correctness. An entry lives ``ttl`` seconds and is dropped at once when the
cache's generation moves on (:meth:`FragmentCache.invalidate`), which the
features do on their own writes. Other instances see a change within ``ttl``.

The time is the platform's clock (:func:`lms.db.now_utc`), so that a frozen
clock freezes what is kept too: a test that reads a page twice gets the same
answer however slowly the machine runs, and one that moves the clock a day
sees what a day does.

A part kept rendered that holds a form has one thing that differs per
request, the CSRF token: it is kept with :data:`CSRF_PLACEHOLDER` in its
place (:func:`without_csrf_token`) and the request's own is put in when it is
used (:func:`with_csrf_token`).
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Callable, Hashable

from flask.globals import _cv_request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from lms.db import now_utc


def clock() -> float:
    """Return the platform's time in seconds, the clock of everything kept in this process."""
    return now_utc().timestamp()


#: Stands where the request's CSRF token goes in a part rendered for keeping.
CSRF_PLACEHOLDER = "\x00kp-csrf-token\x00"


def without_csrf_token(html: str) -> str:
    """Return a part rendered in this request for keeping, with its CSRF token replaced by the placeholder."""
    return html.replace(str(escape(generate_csrf())), CSRF_PLACEHOLDER)


def keeping_whole_page() -> bool:
    """Tell whether this request renders a whole page for keeping (``lms.core.header.kept_page``)."""
    return getattr(_cv_request.get(None), "kp_keeping_page", False)


def with_csrf_token(kept: str) -> Markup:
    """Return a kept part with this request's CSRF token where the placeholder stands.

    A part without the placeholder (no form in it) costs no token: making one
    puts it in the session, and so sets a session cookie on a visitor who only reads.
    Inside a whole page rendered for keeping the placeholder stays: the page's is put in when it is used.
    """
    if CSRF_PLACEHOLDER not in kept or keeping_whole_page():
        return Markup(kept)
    return Markup(kept.replace(CSRF_PLACEHOLDER, str(escape(generate_csrf()))))


def kept_with_csrf(cache: "FragmentCache", key: Hashable, ttl: float, render: Callable[[], str]) -> Markup:
    """Return a part with a form, rendered once and kept in ``cache`` under ``key``, with this request's token in.

    ``key`` must hold everything the part prints but the token, which is the
    one thing that differs per person and session.
    """
    return with_csrf_token(cache.get_or_make(key, ttl, lambda: without_csrf_token(str(render()))))


def _size(value: object) -> int:
    """The length of a kept text or body (what a kept page costs the process); 0 for anything else."""
    return len(value) if isinstance(value, (str, bytes)) else 0


class FragmentCache:
    """Entries kept for ``ttl`` seconds, at most ``maxsize`` of them and at most ``max_chars`` of text in all.

    The least recently used go first when either bound is reached: a cache of
    whole pages keyed per person would otherwise hold thousands of them in each
    worker (``max_chars`` counts a text's characters, a body's bytes).
    """

    #: Every cache made in this process, so that all of them can be emptied at once.
    _all: "weakref.WeakSet[FragmentCache]" = weakref.WeakSet()

    def __init__(self, maxsize: int = 512, clock: Callable[[], float] = clock, max_chars: int | None = None):
        FragmentCache._all.add(self)
        self._entries: OrderedDict[Hashable, tuple[float, int, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        self._maxsize = maxsize
        self._max_chars = max_chars
        self._chars = 0
        self._clock = clock

    def get_or_make(self, key: Hashable, ttl: float, make: Callable[[], object]) -> object:
        """Return the cached value for ``key`` if it is fresh, else make, keep and return it."""
        if ttl <= 0:
            return make()
        now = self._clock()
        with self._lock:
            generation = self._generation
            hit = self._fresh(key, now)
        if hit is not None:
            return hit[0]
        value = make()
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._chars -= _size(old[2])
            self._entries[key] = (now + ttl, generation, value)
            self._chars += _size(value)
            while len(self._entries) > self._maxsize or (
                    self._max_chars is not None and self._chars > self._max_chars and len(self._entries) > 1):
                self._chars -= _size(self._entries.popitem(last=False)[1][2])
        return value

    def get(self, key: Hashable) -> object | None:
        """Return the cached value for ``key`` if it is fresh, else None (nothing is made)."""
        with self._lock:
            hit = self._fresh(key, self._clock())
        return None if hit is None else hit[0]

    def _fresh(self, key: Hashable, now: float) -> tuple[object] | None:
        """Return ``(value,)`` for a fresh entry (marking it recently used); call under the lock."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now and hit[1] == self._generation:
            self._entries.move_to_end(key)
            return (hit[2],)
        return None

    @classmethod
    def invalidate_all(cls) -> None:
        """Empty every cache of the process (each test's start: the clock they keep time by is set back)."""
        for cache in list(cls._all):
            cache.invalidate()

    def invalidate(self, *_args, **_kwargs) -> None:
        """Forget everything cached so far (usable as a signal receiver)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._chars = 0
