"""iCalendar output: one event per dated session, and the calendars that carry them.

Features describe their dates as :class:`CalendarEvent` values; this module
alone turns them into iCalendar (with the ``icalendar`` library), so every
feed, every single ``.ics`` download and every mail attachment writes times,
time zone, UIDs and SEQUENCE the same way.

Times are written as Oslo wall-clock times with ``TZID=Europe/Oslo`` and one
VTIMEZONE in the rule-based form (a DAYLIGHT and a STANDARD part with yearly
RRULEs) that Thunderbird (ical.js), libical, Apple, Google and Outlook all read
the same way. A calendar is byte-identical as long as its events are, so a
feed's ETag can be computed from the events' versions alone.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache

from flask import Response, has_app_context, request
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration
from werkzeug.http import is_resource_modified

from lms.cache import FragmentCache
from lms.i18n import OSLO
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
TZID = "Europe/Oslo"
#: How often subscribed calendars should fetch a feed again.
REFRESH_INTERVAL = timedelta(hours=1)
#: Methods a calendar may carry: a feed or download, an invitation, a cancellation.
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
#: Every feed and .ics answer: personal data in some of them, and clients must ask again to see changes.
CACHE_CONTROL = "private, max-age=0, must-revalidate"
#: Part of every feed's ETag: raise it when the output's form changes, so clients fetch the new form.
FORMAT_VERSION = 1


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


def _event(item: CalendarEvent, method: str, attendee: tuple[str, str] | None) -> Event:
    # Every text passes the one-line (or, for the description, control-free) filter: a title with a line
    # break or a control character stored by any path must not break the calendar it is written into.
    event = Event()
    event.add("uid", one_line(item.uid))
    # The change time, not the time of writing: an unchanged feed stays byte-identical.
    event.add("dtstamp", item.last_modified)
    event.add("last-modified", item.last_modified)
    event.add("dtstart", item.starts_at.astimezone(OSLO))
    event.add("dtend", item.ends_at.astimezone(OSLO))
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
        event.add("organizer", _address(item.organizer_name,
                                        item.organizer_email or _fallback_organizer_email()))
    if attendee is not None and method != "PUBLISH":
        name, email = attendee
        # The answer is given on the site (enrolling, accepting an offer), so no accept/decline
        # buttons that would mail the organiser.
        event.add("attendee", _address(name, email, ROLE="REQ-PARTICIPANT",
                                       PARTSTAT="TENTATIVE" if item.tentative else "ACCEPTED", RSVP="FALSE"))
    return event


def build_calendar(events, *, name: str, method: str = "PUBLISH",
                   attendee: tuple[str, str] | None = None) -> bytes:
    """Return an iCalendar file (UTF-8, CRLF) with ``events``, in the order given.

    ``method`` is PUBLISH for feeds and downloads, REQUEST for a mail about an
    enrollment and CANCEL for its cancellation (every event then CANCELLED);
    ``attendee`` is the ``(name, email)`` the mail goes to.
    """
    if method not in METHODS:
        raise ValueError(f"unknown iCalendar method {method!r}")
    name = one_line(name)
    if method == "PUBLISH" and attendee is None:
        body = b"".join(_published_event(item) for item in events)
    else:
        body = b"".join(_event(item, method, attendee).to_ical() for item in events)
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


def make_etag(*parts) -> str:
    """Return a short, stable ETag value for the given hashable parts (their ``repr``)."""
    return hashlib.sha256(repr((FORMAT_VERSION, parts)).encode()).hexdigest()[:32]


def ics_response(body: bytes, *, filename: str, etag: str | None = None,
                 last_modified: datetime | None = None, inline: bool = False) -> Response:
    """Return an iCalendar answer: a download (``inline=False``) or a feed a client reads in place."""
    response = Response(body, content_type="text/calendar; charset=utf-8")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    _cache_headers(response, etag, last_modified)
    return response


def _cache_headers(response: Response, etag: str | None, last_modified: datetime | None) -> None:
    response.headers["Cache-Control"] = CACHE_CONTROL
    if etag:
        response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified


def feed_response(build, *, filename: str, etag: str, last_modified: datetime | None = None) -> Response:
    """Answer a feed request: 304 without calling ``build()`` when the client has this version.

    ``build()`` returns the calendar's bytes; ``etag`` and ``last_modified``
    must come from cheap version information, never from building the feed.
    """
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
        _cache_headers(response, etag, last_modified)
        return response
    # The ETag names this feed's content, so a feed built once is served again
    # until it changes (to the calendars that do not ask conditionally).
    body = feed_bodies.get_or_make((request.full_path, etag), FEED_BODY_SECONDS, build)
    return ics_response(body, filename=filename, etag=etag, last_modified=last_modified, inline=True)


#: Feeds built in this process, by address and ETag; a 500-event feed is
#: about 400 kB, so at most 64 are kept.
feed_bodies = FragmentCache(maxsize=64)
FEED_BODY_SECONDS = 3600


def ics_filename(text: str, fallback: str = "kalender") -> str:
    """Return a safe ``.ics`` file name made of ``text``'s plain letters and digits."""
    translated = text.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "-"}))
    slug = "".join(ch for ch in translated if ch.isascii() and (ch.isalnum() or ch == "-")).strip("-")
    return f"{slug[:60] or fallback}.ics"



def webcal_url(url: str) -> str:
    """Return a feed's address with the ``webcal://`` scheme, which opens a calendar app to subscribe."""
    return "webcal://" + url.split("://", 1)[-1]
