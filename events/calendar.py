"""iCalendar output: one event per dated session, and the calendars that carry them.

Features describe their dates as :class:`CalendarEvent` values; this module
alone turns them into iCalendar (with the ``icalendar`` library), so every
feed, every single ``.ics`` download and every mail attachment writes times,
time zone, UIDs and SEQUENCE the same way.

Times are written as Oslo wall-clock times with ``TZID=Europe/Oslo`` (in UTC
only in the October hour that happens twice, see :func:`_written_time`) and one
VTIMEZONE in the rule-based form (a DAYLIGHT and a STANDARD part with yearly
RRULEs) that Thunderbird (ical.js), libical, Apple, Google and Outlook all read
the same way. A calendar is byte-identical as long as its events are, so a
feed's ETag is the hash of its bytes (:func:`body_etag`): it moves with every
printed field and with nothing else.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache
from typing import Callable

from flask import Response, has_app_context, request
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration
from werkzeug.http import is_resource_modified

from lms.cache import FragmentCache
from lms.i18n import OSLO, is_ambiguous
from lms.links import public_host
from lms.text import lines, one_line


@dataclass(frozen=True)
class CalendarEvent:
    """One session as a calendar shows it.

    ``uid`` is stable for the session and the person (or school, or the
    public) it is shown to; ``sequence`` rises with every change of time,
    place or status; a ``cancelled`` event is still sent (STATUS:CANCELLED)
    so subscribed calendars remove it. Times are aware datetimes in UTC.
    """

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    last_modified: datetime
    description: str = ""        # plain text, already with the link back
    location: str = ""
    url: str = ""
    organizer_name: str = ""
    organizer_email: str = ""
    sequence: int = 0
    cancelled: bool = False
    #: Not yet certain (a place on the waitlist, a seat offered): STATUS:TENTATIVE.
    tentative: bool = False


PRODID = "-//Kompetanseportalen//Kalender//NB"
#: The organiser of an invitation whose own organiser is its recipient.
PLATFORM_NAME = "Kompetanseportalen"
TZID = "Europe/Oslo"
#: How often subscribed calendars should fetch a feed again.
REFRESH_INTERVAL = timedelta(hours=1)
#: Methods a calendar may carry: a feed or download, an invitation, a cancellation.
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
#: Every feed and .ics answer: personal data in some of them, and clients must ask again to see changes.
CACHE_CONTROL = "private, max-age=0, must-revalidate"
#: Part of the shared cache's keys: raise it when the output's form changes.
FORMAT_VERSION = 2


@cache
def oslo_vtimezone() -> Timezone:
    """Return the one VTIMEZONE for Europe/Oslo that every calendar carries."""
    # The rules of the EU since 1996 (last Sunday of March and October, 01:00
    # UTC), in the RRULE form rather than icalendar's list of transitions:
    # short, the same every year, and read alike by ical.js, libical and
    # icalendar. DTSTART is local time before the change, as RFC 5545 asks.
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    for part, name, offset_from, offset_to, start, month in (
        (TimezoneDaylight, "CEST", 1, 2, datetime(1970, 3, 29, 2, 0, 0), 3),
        (TimezoneStandard, "CET", 2, 1, datetime(1970, 10, 25, 3, 0, 0), 10),
    ):
        rule = part()
        rule.add("tzname", name)
        rule.add("tzoffsetfrom", timedelta(hours=offset_from))
        rule.add("tzoffsetto", timedelta(hours=offset_to))
        rule.add("dtstart", start)
        rule.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        zone.add_component(rule)
    return zone


def _fallback_organizer_email() -> str:
    """Return a no-reply address on the site's own host, for events whose organiser has none."""
    return f"noreply@{public_host() if has_app_context() else 'localhost'}"


def _address(name: str, email: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{one_line(email)}")
    if name := one_line(name):
        address.params["CN"] = name
    address.params.update(params)
    return address


def _written_time(value: datetime) -> datetime:
    """Return how an instant is written: Oslo time with TZID, or UTC where the Oslo time happens twice.

    In the hour that repeats when summer time ends (02:00-03:00 on the last
    Sunday of October) a local time with TZID names two instants; RFC 5545
    picks the first, but ical.js (Thunderbird) and libical (Evolution) pick
    the second. Such an instant is written in UTC (``...Z``), which every
    client reads alike.
    """
    if is_ambiguous(value):
        return value.astimezone(timezone.utc)
    return value.astimezone(OSLO)


def _event(item: CalendarEvent, method: str, attendee: tuple[str, str] | None,
           stamp: datetime | None = None) -> Event:
    # Every text passes the one-line (or, for the description, control-free) filter: a title with a line
    # break or a control character stored by any path must not break the calendar it is written into.
    event = Event()
    event.add("uid", one_line(item.uid))
    # DTSTAMP is when this calendar object was made (RFC 5545 3.8.7.2): the moment a mail or a
    # download is written. A feed is made anew only when what it shows changes, so its events
    # carry their change time, and an unchanged feed stays byte-identical (its ETag is its hash).
    event.add("dtstamp", stamp or item.last_modified)
    event.add("last-modified", item.last_modified)
    event.add("dtstart", _written_time(item.starts_at))
    event.add("dtend", _written_time(item.ends_at))
    event.add("sequence", item.sequence)
    event.add("status", "CANCELLED" if item.cancelled or method == "CANCEL"
              else "TENTATIVE" if item.tentative else "CONFIRMED")
    event.add("summary", one_line(item.summary))
    if description := lines(item.description):
        event.add("description", description)
    if location := one_line(item.location):
        event.add("location", location)
    if url := one_line(item.url):
        event.add("url", url)
    # iTIP (invitations, cancellations) requires an organiser; a feed shows one only when it is known.
    if item.organizer_email or item.organizer_name or method != "PUBLISH":
        name, email = item.organizer_name, item.organizer_email or _fallback_organizer_email()
        if attendee is not None and method != "PUBLISH" and email.casefold() == attendee[1].casefold():
            # Never the recipient: clients ignore a CANCEL (or REQUEST) for a meeting "you" organise.
            # The platform sends it on behalf of the other party, so it stands as the organiser.
            name, email = PLATFORM_NAME, _fallback_organizer_email()
        event.add("organizer", _address(name, email))
    if attendee is not None and method != "PUBLISH":
        name, email = attendee
        # The answer is given on the site (enrolling, accepting an offer), so no accept/decline
        # buttons that would mail the organiser.
        event.add("attendee", _address(name, email, ROLE="REQ-PARTICIPANT",
                                       PARTSTAT="TENTATIVE" if item.tentative else "ACCEPTED", RSVP="FALSE"))
    return event


def build_calendar(events, *, name: str, method: str = "PUBLISH",
                   attendee: tuple[str, str] | None = None, stamp: datetime | None = None) -> bytes:
    """Return an iCalendar file (UTF-8, CRLF) with ``events``, in the order given.

    ``method`` is PUBLISH for feeds and downloads, REQUEST for a mail about an
    enrollment and CANCEL for its cancellation (every event then CANCELLED);
    ``attendee`` is the ``(name, email)`` the mail goes to. ``stamp`` is the
    moment a mail or download is written (its DTSTAMP); a feed has none.
    """
    if method not in METHODS:
        raise ValueError(f"unknown iCalendar method {method!r}")
    name = one_line(name)
    if method == "PUBLISH" and attendee is None and stamp is None:
        body = b"".join(_published_event(item) for item in events)
    else:
        body = b"".join(_event(item, method, attendee, stamp).to_ical() for item in events)
    return _calendar_head(name, method) + body + _CALENDAR_END


_CALENDAR_END = b"END:VCALENDAR\r\n"
#: Serialised feed events kept per process; a subscribed feed mostly repeats the events of its last fetch.
EVENT_CACHE_SIZE = 8192


@lru_cache(maxsize=256)
def _calendar_head(name: str, method: str) -> bytes:
    """Return a calendar's serialisation up to its first event."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", vDuration(REFRESH_INTERVAL), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    calendar.add_component(oslo_vtimezone())
    whole = calendar.to_ical()
    # icalendar writes subcomponents in order before the calendar's END line,
    # so the head and the events' own serialisations join into the same bytes.
    if not whole.endswith(_CALENDAR_END):
        raise RuntimeError("icalendar no longer ends a calendar with its END line")
    return whole[:-len(_CALENDAR_END)]


@lru_cache(maxsize=EVENT_CACHE_SIZE)
def _published_event(item: CalendarEvent) -> bytes:
    """Return one feed event's serialisation; an unchanged event is not serialised again."""
    # icalendar spends some 0.25 ms on an event; a feed of fifty would cost
    # more than everything else in the request together.
    return _event(item, "PUBLISH", None).to_ical()


def body_etag(body: bytes) -> str:
    """Return a feed's ETag: a hash of the very bytes it serves, so it moves whenever anything printed does."""
    return hashlib.sha256(body).hexdigest()[:32]


def ics_response(body: bytes, *, filename: str, etag: str | None = None, inline: bool = False) -> Response:
    """Return an iCalendar answer: a download (``inline=False``) or a feed a client reads in place."""
    response = Response(body, content_type="text/calendar; charset=utf-8")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    _cache_headers(response, etag)
    return response


def _cache_headers(response: Response, etag: str | None) -> None:
    response.headers["Cache-Control"] = CACHE_CONTROL
    if etag:
        response.set_etag(etag)


def not_modified(etag: str) -> Response:
    """Return the 304 that tells a client its copy of the feed with ``etag`` is current."""
    response = Response(status=304)
    _cache_headers(response, etag)
    return response


def feed_response(body: Callable[[], bytes | None], *, filename: str, etag: str) -> Response:
    """Answer a feed request: 304 when the client has this version (``etag``), else the body.

    A feed has no Last-Modified: no change time covers everything a feed
    prints (a renamed person, a school's new staff), so a client that asks
    with If-Modified-Since alone always gets the whole feed. ``body()`` is
    called only for a 200 and returns the bytes whose hash ``etag`` is.
    """
    if not is_resource_modified(request.environ, etag=etag):
        return not_modified(etag)
    data = body()
    if data is None:
        raise RuntimeError("a feed answer without its body")
    # Kept for the shared cache's answers (:func:`events.feeds.answer_feed`), which skip the database.
    feed_bodies.get_or_make((request.full_path, etag), FEED_BODY_SECONDS, lambda: data)
    return ics_response(data, filename=filename, etag=etag, inline=True)


#: Feeds built in this process, by address and ETag (the hash of the body); a
#: 500-event feed is about 400 kB, so at most 64 are kept, and 8 MB of them.
feed_bodies = FragmentCache(maxsize=64, max_chars=8_000_000)
FEED_BODY_SECONDS = 3600


def ics_filename(text: str, fallback: str = "kalender") -> str:
    """Return a safe ``.ics`` file name made of ``text``'s plain letters and digits."""
    translated = text.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "-"}))
    slug = "".join(ch for ch in translated if ch.isascii() and (ch.isalnum() or ch == "-")).strip("-")
    return f"{slug[:60] or fallback}.ics"



def webcal_url(url: str) -> str:
    """Return a feed's address with the ``webcal://`` scheme, which opens a calendar app to subscribe."""
    return "webcal://" + url.split("://", 1)[-1]
