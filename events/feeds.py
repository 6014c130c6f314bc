"""Calendar feed sources: how features put their dates into feeds.

The events package owns the feeds (tokens, addresses, conditional GET) but
not the dates. A feature registers a :class:`FeedSource` for a scope in its
``init_app``; a feed for a person or a school collects the events of every
source registered for that scope, so fyrtårn bookings or network gatherings
join the personal feed without a change here.

The hook, :func:`register_feed_source`:

- *who calls it*: a feature plugin, once, in its ``init_app`` (the catalogue
  for enrollments and for its schools' staff; later the fyrtårn scheme for
  bookings and the networks for gatherings);
- *what it carries*: a scope (``person`` or ``school``) and a source whose two
  callables take the owner's id (a user's or a school's) and ``now``;
- *when they run*: on every request for the feed, ``version`` first (also for
  a 304), ``events`` only when the feed is written, inside the owner's
  language (``force_locale``), so translated text in events comes out right.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from events.calendar import CalendarEvent, build_calendar, ics_filename, make_etag
from events.models import FeedScope
from events.operations import FeedOwner

#: Days a cancelled session or enrollment stays in feeds as STATUS:CANCELLED,
#: so that subscribed calendars, which fetch now and then, see it go.
CANCELLED_KEEP_DAYS = 30

_EXTENSION = "kp_feed_sources"


@dataclass(frozen=True)
class FeedSource:
    """A feature's contribution to one scope of feed (``person`` or ``school``).

    ``events(owner_id, now)`` returns the owner's events: everything not
    older than the feed's horizon, and cancelled ones for
    :data:`CANCELLED_KEEP_DAYS` days (see :func:`cancelled_since`). It should
    run a fixed number of queries, never one per event.

    ``version(owner_id, now)`` returns a cheap, hashable tuple that changes
    whenever ``events`` would (for example the newest change time and a
    count). Its first element is the newest change time among the events
    (an aware datetime, or None when there are none): the feed's
    Last-Modified. The feed's ETag and its 304 answer are built from these
    versions without building the feed, from their ``repr``: use plain values
    (datetimes, numbers, strings) that every worker process writes alike,
    never ``hash()``.
    """

    name: str
    events: Callable[[int, datetime], Iterable[CalendarEvent]]
    version: Callable[[int, datetime], tuple]


def register_feed_source(app: Flask, scope: FeedScope | str, source: FeedSource) -> None:
    """Add a feature's dates to every feed of ``scope``; a source of the same name is replaced."""
    sources = app.extensions.setdefault(_EXTENSION, {}).setdefault(FeedScope(scope), [])
    sources[:] = [s for s in sources if s.name != source.name] + [source]


def feed_sources(scope: FeedScope | str) -> list[FeedSource]:
    """Return the sources registered on the current app for ``scope``, in registration order."""
    return list(current_app.extensions.get(_EXTENSION, {}).get(FeedScope(scope), []))


def feed_events(scope: FeedScope | str, owner_id: int, now: datetime) -> list[CalendarEvent]:
    """Return the events of every source for the owner, by start time."""
    events = [event for source in feed_sources(scope) for event in source.events(owner_id, now)]
    # The UID breaks ties, so that the same events always make the same bytes.
    events.sort(key=lambda e: (e.starts_at, e.uid))
    return events


def feed_version(scope: FeedScope | str, owner_id: int, now: datetime) -> tuple:
    """Return every source's version for the owner, as ``((name, version), ...)``."""
    return tuple((source.name, tuple(source.version(owner_id, now))) for source in feed_sources(scope))


def newest_change(version: tuple) -> datetime | None:
    """Return the newest change time among a feed version's sources (for Last-Modified)."""
    times = [v[0] for _, v in version if v and isinstance(v[0], datetime)]
    return max(times) if times else None


def cancelled_since(now: datetime) -> datetime:
    """Return the oldest cancellation time a feed still shows."""
    return now - timedelta(days=CANCELLED_KEEP_DAYS)


@dataclass(frozen=True)
class FeedAnswer:
    """How to answer a request for a feed: its validators, and how to write it if they do not match."""

    etag: str
    last_modified: datetime | None
    filename: str
    build: Callable[[], bytes]


def owner_feed(owner: FeedOwner, token_hash: str, now: datetime) -> FeedAnswer:
    """Return the answer for a person's or a school's feed, asking the sources only for their versions."""
    version = feed_version(owner.scope, owner.owner_id, now)

    def build() -> bytes:
        with force_locale(owner.locale):
            if owner.scope == FeedScope.PERSON:
                name = _("Kompetanseportalen – min kalender")
            else:
                name = _("Kompetanseportalen – %(school)s", school=owner.name)
            return build_calendar(feed_events(owner.scope, owner.owner_id, now), name=name)

    filename = "kompetanseportalen.ics" if owner.scope == FeedScope.PERSON else ics_filename(owner.name)
    return FeedAnswer(etag=make_etag(token_hash, owner.name, owner.locale, version),
                      last_modified=newest_change(version), filename=filename, build=build)
