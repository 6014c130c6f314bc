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
- *what it carries*: a scope (``person`` or ``school``) and a source whose
  ``events`` callable takes the owner's id (a user's or a school's) and ``now``;
- *when it runs*: on every request for the feed (also for a 304: the ETag is
  the hash of the written feed), inside the owner's language
  (``force_locale``), so translated text in events comes out right. With
  ``KP_REDIS_URL`` set, it does not run while no commit has written anything
  since the feed was last written (:func:`answer_feed`): events must depend
  on the database and the day only.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from flask import Flask, Response, current_app, redirect, request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Request as WerkzeugRequest

from events.calendar import (CACHE_CONTROL, FORMAT_VERSION, CalendarEvent, body_etag, build_calendar, feed_bodies,
                             feed_response, ics_filename, not_modified)
from events.models import FeedScope
from events.operations import FeedOwner
from lms.security import add_security_headers
from lms.shared_cache import shared_cache

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
    run a fixed number of queries, never one per event. The feed's ETag is
    the hash of the calendar written from these events, so a source needs no
    version of its own: whatever it prints moves the validator.
    """

    name: str
    events: Callable[[int, datetime], Iterable[CalendarEvent]]


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


def upcoming_events(scope: FeedScope | str, owner_id: int, now: datetime, limit: int) -> list[CalendarEvent]:
    """Return the owner's next events of every source that are neither cancelled nor over, soonest first."""
    return [e for e in feed_events(scope, owner_id, now) if not e.cancelled and e.ends_at > now][:limit]


def cancelled_since(now: datetime) -> datetime:
    """Return the oldest cancellation time a feed still shows."""
    return now - timedelta(days=CANCELLED_KEEP_DAYS)


@dataclass(frozen=True)
class FeedAnswer:
    """A feed as written now: its bytes, its validator (their hash) and its file name."""

    body: bytes
    filename: str
    #: Whether everyone who asks for this address gets this answer (a draft offering's feed,
    #: which only its organisers see, does not): only such answers are kept for other requests.
    shared: bool = True

    @property
    def etag(self) -> str:
        return body_etag(self.body)


def owner_feed(owner: FeedOwner, now: datetime) -> FeedAnswer:
    """Return the answer for a person's or a school's feed, written from every source's events."""
    with force_locale(owner.locale):
        if owner.scope == FeedScope.PERSON:
            name = _("Kompetanseportalen – min kalender")
        else:
            name = _("Kompetanseportalen – %(school)s", school=owner.name)
        body = build_calendar(feed_events(owner.scope, owner.owner_id, now), name=name)
    filename = "kompetanseportalen.ics" if owner.scope == FeedScope.PERSON else ics_filename(owner.name)
    return FeedAnswer(body=body, filename=filename)


def answer_feed(find: Callable[[], FeedAnswer | None], *, vary: tuple = ()) -> Response | None:
    """Answer a feed request, without the database where the shared cache knows the feed's version.

    ``find()`` reads the database, writes the feed and returns it, or None
    when there is no such feed (then this returns None too and nothing is
    kept). The cache holds the validators (the ETag, the body's hash, and the
    file name) by the request's full address (a secret link's token included,
    hashed) and ``vary``, what else the answer depends on (the request's
    language), under the write generation read before ``find()`` reads
    anything: any commit that wrote retires it (:mod:`lms.shared_cache`). An
    unchanged feed is then answered 304, or 200 with the body this process
    built before, without a statement. A feed also changes with time alone (a
    cancelled event leaves after 30 days, the day moves the cut-offs); a kept
    entry misses that for at most ``ENTRY_SECONDS``, five minutes.
    """
    plain = insecure_redirect()
    if plain is not None:
        return plain
    cache = shared_cache()
    if cache is None:
        return _answer(find())
    key = _feed_key(request.full_path, vary)
    generation, kept = cache.lookup(key)
    if kept is not None:
        etag, filename = json.loads(kept)
        body = feed_bodies.get((request.full_path, etag))
        # Without the body, a client that lacks this version needs the database to write it.
        if body is not None or not is_resource_modified(request.environ, etag=etag):
            return feed_response(lambda: body, filename=filename, etag=etag)
    answer = find()
    if answer is not None and answer.shared and generation is not None:
        cache.store(key, generation, json.dumps([answer.etag, answer.filename]).encode())
    return _answer(answer)


def _feed_key(full_path: str, vary: tuple) -> str:
    """Return the shared cache's key for a feed's validators: its address (with the query) and ``vary``."""
    # The output's form version too: instances running a release with another form keep their own.
    return "feed:" + hashlib.sha256(repr((FORMAT_VERSION, full_path, vary)).encode()).hexdigest()


def answer_unchanged_before_flask(app: Flask) -> None:
    """Answer a calendar app's poll for an unchanged feed with its 304 before Flask handles the request.

    Calendar apps poll every feed they subscribe to, most often for nothing
    new. Where the shared cache keeps the validators of the address asked for
    under the current write generation, with nothing else varied
    (``answer_feed(..., vary=())``: the personal, school and network feeds),
    and the client has that ETag, the answer is the 304 :func:`answer_feed`
    would give, headers and all, without Flask's request (no session, no
    sign-in, no hooks). Only an address :func:`answer_feed` answered and kept
    can be found so, and the same write retires it; anything else goes to
    Flask as before. Installed by the events plugin, inside the proxy's fix
    of the scheme.
    """
    flask_app = app.wsgi_app

    def serve(environ, start_response):
        if (environ.get("HTTP_IF_NONE_MATCH") and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
                and environ.get("PATH_INFO", "").endswith(".ics")):
            with app.app_context():
                response = _unchanged(environ)
            if response is not None:
                return response(environ, start_response)
        return flask_app(environ, start_response)

    app.wsgi_app = serve


def _unchanged(environ) -> Response | None:
    """Return the 304 for this request where the shared cache knows the client's copy is current, else None."""
    cache = shared_cache()
    if cache is None:
        return None
    asked = WerkzeugRequest(environ)
    if _must_redirect(asked.scheme):
        return None
    _generation, kept = cache.lookup(_feed_key(asked.full_path, ()))
    if kept is None:
        return None
    etag, _filename = json.loads(kept)
    if is_resource_modified(environ, etag=etag):
        return None
    response = not_modified(etag)
    # A 304 carries the Vary of the 200 it stands for: Flask's answers vary by the cookie (Flask-Login
    # looks at the session after every view).
    response.vary.add("Cookie")
    return add_security_headers(response)


def _must_redirect(scheme: str) -> bool:
    return current_app.config.get("PREFERRED_URL_SCHEME") == "https" and scheme != "https"


def insecure_redirect() -> Response | None:
    """Answer a feed asked for over plain http, where the site is https: a redirect, never the feed.

    ``webcal://`` links make Outlook and Google fetch ``http://``; the feed's
    content (a person's dates) must not travel unencrypted, so the answer is
    only the https address, before anything is looked up, the same for any
    token. Calendar apps follow it and keep polling the https address.
    """
    if not _must_redirect(request.scheme):
        return None
    response = redirect("https://" + request.url.split("://", 1)[1], 301)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _answer(answer: FeedAnswer | None) -> Response | None:
    if answer is None:
        return None
    return feed_response(lambda: answer.body, filename=answer.filename, etag=answer.etag)
