"""iCalendar output: Oslo times that every parser reads alike, across the daylight-saving changes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import vobject

from events.calendar import (CACHE_CONTROL, CalendarEvent, _event, build_calendar, ics_filename, oslo_vtimezone,
                             webcal_url)
from lms.i18n import OSLO
from tests.events.conftest import oslo, read_with_icaljs, session_event

UTC = timezone.utc

#: Sessions at 14:00 Oslo time, and the UTC offset that 14:00 has on that day.
DAYS = [
    ((2026, 10, 13), 2),   # October, before the change: summer time
    ((2026, 10, 24), 2),   # the day before the change
    ((2026, 10, 25), 1),   # the change itself (03:00 became 02:00 that morning)
    ((2026, 10, 27), 1),   # October, after the change: winter time
    ((2027, 1, 12), 1),
    ((2027, 3, 27), 1),    # the day before the change to summer time
    ((2027, 3, 28), 2),    # the change itself (02:00 became 03:00)
    ((2027, 4, 13), 2),    # April: summer time
    ((2030, 3, 30), 1),    # years later the rule still holds
    ((2030, 3, 31), 2),
]


def _feed(days=DAYS) -> bytes:
    events = [session_event(f"{y}{m:02d}{d:02d}@test", oslo(y, m, d, 14, 0)) for (y, m, d), _ in days]
    return build_calendar(events, name="Prøvekalender")


def _expected(day, offset_hours):
    y, m, d = day
    return datetime(y, m, d, 14, 0, tzinfo=timezone(timedelta(hours=offset_hours))).astimezone(UTC)


def test_the_test_days_agree_with_the_time_zone_database():
    for day, offset in DAYS:
        assert oslo(*day, 14, 0).utcoffset() == timedelta(hours=offset), day


def test_icalendar_reads_every_session_at_14_oslo_time():
    calendar = icalendar.Calendar.from_ical(_feed())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(DAYS)
    for event, (day, offset) in zip(events, DAYS):
        start = event.decoded("dtstart")
        assert event["dtstart"].params["TZID"] == "Europe/Oslo"
        assert (start.date().timetuple()[:3], start.hour, start.minute) == (day, 14, 0)
        assert start.astimezone(UTC) == _expected(day, offset)
        assert event.decoded("dtend").astimezone(UTC) == _expected(day, offset) + timedelta(hours=2)


def test_icalendar_builds_the_same_offsets_from_our_vtimezone_alone():
    """icalendar resolves the TZID by name; built from the VTIMEZONE's rules, the zone must agree."""
    zone = icalendar.Calendar.from_ical(_feed()).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    assert not repr(zone).startswith("zoneinfo")
    for day, offset in DAYS:
        assert datetime(*day, 14, 0, tzinfo=zone).utcoffset() == timedelta(hours=offset), day


def test_vobject_reads_every_session_at_14_oslo_time():
    calendar = vobject.readOne(_feed().decode())
    # vobject builds the zone from the file's VTIMEZONE (dateutil's tzical), not from a database.
    assert "tzical" in type(calendar.vevent.dtstart.value.tzinfo).__name__
    assert len(calendar.vevent_list) == len(DAYS)
    for event, (day, offset) in zip(calendar.vevent_list, DAYS):
        start = event.dtstart.value
        assert (start.year, start.month, start.day, start.hour, start.minute) == (*day, 14, 0)
        assert start.utcoffset() == timedelta(hours=offset), day
        assert start.astimezone(UTC) == _expected(day, offset)


def test_icaljs_reads_every_session_at_14_oslo_time():
    """ical.js (Thunderbird) knows no zones here: it must use the file's VTIMEZONE."""
    read = read_with_icaljs(_feed())
    assert len(read["events"]) == len(DAYS)
    for event, (day, offset) in zip(read["events"], DAYS):
        assert event["start"]["tzid"] == "Europe/Oslo"
        assert event["start"]["local"] == [*day, 14, 0]
        assert event["start"]["utcOffsetSeconds"] == offset * 3600, day
        assert event["start"]["unix"] == _expected(day, offset).timestamp()
        assert event["end"]["unix"] == (_expected(day, offset) + timedelta(hours=2)).timestamp()


def test_libical_reads_every_session_at_14_oslo_time(read_with_libical):
    """libical (Evolution) resolves the TZID from the file's VTIMEZONE and converts to UTC itself."""
    read = read_with_libical(_feed())
    assert len(read["events"]) == len(DAYS)
    for event, (day, offset) in zip(read["events"], DAYS):
        assert event["start"] == _expected(day, offset), day
        assert event["end"] == _expected(day, offset) + timedelta(hours=2), day


def _night(year: int, month: int) -> list[datetime]:
    """Return instants every 30 minutes through the night of a change (last Sunday of the month), in UTC."""
    sunday = max(d for d in range(25, 32) if datetime(year, month, d).weekday() == 6)
    start = datetime(year, month, sunday, 22, 0, tzinfo=UTC) - timedelta(days=1)
    return [start + timedelta(minutes=30 * n) for n in range(14)]  # 00:00 to 06:30 Oslo time, roughly


#: Both nights: March, when 02:00-03:00 does not exist, and October, when it happens twice.
NIGHTS = _night(2027, 3) + _night(2026, 10)


def _night_feed() -> bytes:
    events = [session_event(f"natt-{n}@test", instant, hours=1) for n, instant in enumerate(NIGHTS)]
    return build_calendar(events, name="Natt")


def test_the_night_instants_include_the_repeated_october_hour():
    local = [instant.astimezone(OSLO) for instant in NIGHTS]
    twice = [t for t in local if (t.month, t.hour) == (10, 2)]
    assert len(twice) == 4 and {t.utcoffset() for t in twice} == {timedelta(hours=1), timedelta(hours=2)}
    assert not [t for t in local if (t.month, t.hour) == (3, 2)]  # March has no 02:xx


def test_the_repeated_october_hour_is_written_in_utc_and_others_in_oslo_time():
    text = _night_feed().decode()
    for n, instant in enumerate(NIGHTS):
        block = text.split(f"UID:natt-{n}@test")[0].rsplit("BEGIN:VEVENT", 1)[1]
        if instant.astimezone(OSLO).hour == 2 and instant.month == 10:
            assert f"DTSTART:{instant:%Y%m%dT%H%M%S}Z" in block, instant
        else:
            assert f"DTSTART;TZID=Europe/Oslo:{instant.astimezone(OSLO):%Y%m%dT%H%M%S}" in block, instant


def test_every_parser_reads_every_instant_of_both_nights_alike(read_with_libical):
    """icalendar, vobject, ical.js (Thunderbird) and libical (Evolution) agree through both changes."""
    body = _night_feed()
    expected = [(instant, instant + timedelta(hours=1)) for instant in NIGHTS]
    by_icalendar = [(e.decoded("dtstart").astimezone(UTC), e.decoded("dtend").astimezone(UTC))
                    for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    by_vobject = [(e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC))
                  for e in vobject.readOne(body.decode()).vevent_list]
    by_icaljs = [(datetime.fromtimestamp(e["start"]["unix"], UTC), datetime.fromtimestamp(e["end"]["unix"], UTC))
                 for e in read_with_icaljs(body)["events"]]
    by_libical = [(e["start"], e["end"]) for e in read_with_libical(body)["events"]]
    for name, read in (("icalendar", by_icalendar), ("vobject", by_vobject), ("ical.js", by_icaljs),
                       ("libical", by_libical)):
        assert read == expected, name


@pytest.mark.parametrize("year", [2026, 2027, 2028, 2031])
def test_vtimezone_changes_at_the_same_instants_as_europe_oslo(year):
    """Hour by hour around both changes, every parser's zone agrees with the time zone database."""
    vobject_zone = vobject.readOne(_feed().decode()).vtimezone.gettzinfo()
    icalendar_zone = icalendar.Calendar.from_ical(_feed()).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    for month in (3, 10):
        last_sunday = max(datetime(year, month, d, tzinfo=UTC) for d in range(25, 32)
                          if datetime(year, month, d).weekday() == 6)
        for hours in range(-30, 30):
            instant = last_sunday + timedelta(hours=hours)
            expected = instant.astimezone(OSLO).utcoffset()
            assert instant.astimezone(vobject_zone).utcoffset() == expected, instant
            assert instant.astimezone(icalendar_zone).utcoffset() == expected, instant


def test_vtimezone_is_the_rule_based_form():
    text = oslo_vtimezone().to_ical().decode()
    for line in ("TZID:Europe/Oslo", "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
                 "DTSTART:19700329T020000", "BEGIN:STANDARD", "DTSTART:19701025T030000"):
        assert line in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text


def test_calendar_carries_method_name_refresh_interval_and_ttl():
    body = _feed()
    text = body.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    for line in ("VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "NAME:Prøvekalender",
                 "X-WR-CALNAME:Prøvekalender", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
                 "X-WR-TIMEZONE:Europe/Oslo"):
        assert f"\r\n{line}\r\n" in text, line
    assert text.count("BEGIN:VTIMEZONE") == 1
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["method"] == "PUBLISH"
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)
    read = read_with_icaljs(body)
    assert (read["method"], read["name"], read["calname"], read["refresh"], read["ttl"]) == (
        "PUBLISH", "Prøvekalender", "Prøvekalender", "PT1H", "PT1H")


def test_event_carries_every_field_a_calendar_shows():
    event = session_event(
        "okt-7-person-3@kp.test", oslo(2026, 11, 3, 14, 0), summary="Digital vurdering; dag 2, del 1",
        description="Vi ser på vurdering.\nLes mer: https://kp.test/kurs/7", location="Rådhuset, sal 2",
        url="https://kp.test/kurs/7", organizer_name="Oppvekst skole", organizer_email="oppvekst@kommune.test",
        sequence=3)
    body = build_calendar([event], name="Test")
    parsed = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(parsed["uid"]) == "okt-7-person-3@kp.test"
    assert parsed.decoded("sequence") == 3
    assert str(parsed["status"]) == "CONFIRMED"
    assert str(parsed["summary"]) == "Digital vurdering; dag 2, del 1"
    assert str(parsed["description"]) == "Vi ser på vurdering.\nLes mer: https://kp.test/kurs/7"
    assert str(parsed["location"]) == "Rådhuset, sal 2"
    assert str(parsed["url"]) == "https://kp.test/kurs/7"
    assert str(parsed["organizer"]) == "mailto:oppvekst@kommune.test"
    assert parsed["organizer"].params["CN"] == "Oppvekst skole"
    assert parsed.decoded("dtstamp") == parsed.decoded("last-modified") == event.last_modified
    other = vobject.readOne(body.decode()).vevent
    assert other.summary.value == "Digital vurdering; dag 2, del 1"
    assert other.location.value == "Rådhuset, sal 2"
    assert other.description.value == "Vi ser på vurdering.\nLes mer: https://kp.test/kurs/7"
    assert "ATTENDEE" not in body.decode()


def test_cancelled_event_stays_with_status_cancelled_and_its_sequence(read_with_libical):
    body = build_calendar([session_event("a@test", oslo(2026, 11, 3, 14, 0), cancelled=True, sequence=4)], name="T")
    event = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert (str(event["status"]), event.decoded("sequence")) == ("CANCELLED", 4)
    assert vobject.readOne(body.decode()).vevent.status.value == "CANCELLED"
    assert read_with_icaljs(body)["events"][0]["status"] == "CANCELLED"
    assert [(e["status"], e["sequence"]) for e in read_with_libical(body)["events"]] == [("CANCELLED", 4)]


def test_request_and_cancel_name_the_attendee_and_an_organiser(read_with_libical):
    event = session_event("a@test", oslo(2026, 11, 3, 14, 0), sequence=1)
    request = icalendar.Calendar.from_ical(
        build_calendar([event], name="T", method="REQUEST", attendee=("Tone Lærer", "tone@skole.test")))
    cancel = icalendar.Calendar.from_ical(
        build_calendar([event], name="T", method="CANCEL", attendee=("Tone Lærer", "tone@skole.test")))
    for calendar, method, status in ((request, "REQUEST", "CONFIRMED"), (cancel, "CANCEL", "CANCELLED")):
        parsed = calendar.walk("VEVENT")[0]
        assert calendar["method"] == method
        assert str(parsed["status"]) == status
        assert str(parsed["attendee"]) == "mailto:tone@skole.test"
        assert parsed["attendee"].params["CN"] == "Tone Lærer"
        assert parsed["attendee"].params["RSVP"] == "FALSE"
        # iTIP requires an organiser: an event without one gets the site's no-reply address.
        assert str(parsed["organizer"]).startswith("mailto:noreply@")
        read = read_with_icaljs(calendar.to_ical())
        assert (read["method"], read["events"][0]["status"], read["events"][0]["uid"]) == (method, status, "a@test")
        by_libical = read_with_libical(calendar.to_ical())
        assert (by_libical["method"], by_libical["events"][0]["status"], by_libical["events"][0]["uid"]) == (
            method, status, "a@test")
        assert by_libical["events"][0]["sequence"] == 1
        assert vobject.readOne(calendar.to_ical().decode()).vevent.attendee.value == "mailto:tone@skole.test"


def test_feed_event_without_organiser_has_no_organizer_line():
    assert "ORGANIZER" not in build_calendar([session_event("a@test", oslo(2026, 11, 3, 14, 0))], name="T").decode()


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        build_calendar([], name="T", method="PUBLISHED")


def test_unchanged_events_give_the_same_bytes():
    assert _feed() == _feed()
    first = session_event("a@test", oslo(2026, 11, 3, 14, 0))
    moved = session_event("a@test", oslo(2026, 11, 3, 15, 0), sequence=1)
    assert build_calendar([first], name="T") != build_calendar([moved], name="T")


def test_reused_serialisations_are_exactly_what_icalendar_writes_for_the_whole_calendar():
    events = [session_event("a@test", oslo(2026, 11, 3, 14, 0), location="Sal 2; bak"),
              session_event("b@test", oslo(2027, 3, 28, 14, 0), cancelled=True, sequence=2)]
    whole = icalendar.Calendar()
    for key, value in icalendar.Calendar.from_ical(build_calendar([], name="T")).property_items(recursive=False):
        if key not in ("BEGIN", "END"):
            whole.add(key, value)
    whole.add_component(oslo_vtimezone())
    for item in events:
        whole.add_component(_event(item, "PUBLISH", None))
    built = build_calendar(events, name="T")
    assert built == build_calendar(events, name="T")  # the second time from the cache
    assert icalendar.Calendar.from_ical(built).to_ical() == icalendar.Calendar.from_ical(whole.to_ical()).to_ical()


def test_an_empty_calendar_is_still_valid():
    body = build_calendar([], name="Tom")
    assert icalendar.Calendar.from_ical(body).walk("VEVENT") == []
    assert vobject.readOne(body.decode()).name == "VCALENDAR"
    assert read_with_icaljs(body)["events"] == []


def test_helpers_for_addresses_and_file_names():
    assert webcal_url("https://kp.example/kalender/abc.ics") == "webcal://kp.example/kalender/abc.ics"
    assert webcal_url("http://127.0.0.1:5000/k.ics") == "webcal://127.0.0.1:5000/k.ics"
    assert ics_filename("Bekkestua skole") == "bekkestua-skole.ics"
    assert ics_filename("Ærø/Åsen: «kurs»") == "aeroasen-kurs.ics"
    assert ics_filename("???") == "kalender.ics"
    assert "private" in CACHE_CONTROL


def test_calendar_event_keeps_its_fields():
    """The catalogue builds these by keyword; renaming a field would break it silently elsewhere."""
    assert list(CalendarEvent.__dataclass_fields__) == [
        "uid", "starts_at", "ends_at", "summary", "last_modified", "description", "location", "url",
        "organizer_name", "organizer_email", "sequence", "cancelled", "tentative"]


def test_every_change_of_a_session_raises_its_sequence_again(now):
    """A calendar only takes a change whose SEQUENCE is higher than the last it saw: the second move too."""
    from events import operations as events
    session = events.add_session(events.new_schedule("test"), starts_at=now + timedelta(days=7),
                                 ends_at=now + timedelta(days=7, hours=2), now=now, location="Rom 1")
    for hours, expected in ((1, 1), (2, 2)):
        assert events.update_session(session, starts_at=now + timedelta(days=7, hours=hours),
                                     ends_at=now + timedelta(days=7, hours=hours + 2), now=now, title="",
                                     location="Rom 1", online_url="")
        assert session.sequence == expected
    events.cancel_session(session, now)
    assert session.sequence == 3


def test_a_session_needs_time_zones_and_an_end_after_its_start(now):
    from events import operations as events
    schedule = events.new_schedule("test")
    for starts, ends, message in (
            (now.replace(tzinfo=None), now + timedelta(hours=1), "Tidspunktet mangler tidssone."),
            (now, (now + timedelta(hours=1)).replace(tzinfo=None), "Tidspunktet mangler tidssone."),
            (now, now, "Sluttidspunktet må være etter starttidspunktet.")):
        with pytest.raises(events.ScheduleError) as refused:
            events.add_session(schedule, starts_at=starts, ends_at=ends, now=now)
        assert str(refused.value) == message
    # The end is compared in UTC: 10:30 in Oslo is after 08:00 UTC.
    session = events.add_session(schedule, starts_at=now, ends_at=(now + timedelta(minutes=30)).astimezone(OSLO),
                                 now=now)
    assert (session.title, session.location, session.online_url, session.updated_at) == ("", "", "", now)


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_to_its_own_organiser_names_the_platform_instead(method, read_with_libical):
    """Issue 15, finding 6: clients ignore an iTIP message for a meeting the recipient organises."""
    event = session_event("a@test", oslo(2026, 10, 25, 14, 0), organizer_name="Frida Fyrtårn",
                          organizer_email="Frida@Skole.test", sequence=2)
    body = build_calendar([event], name="T", method=method, attendee=("Frida Fyrtårn", "frida@skole.test"))
    parsed = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(parsed["attendee"]) == "mailto:frida@skole.test"
    assert str(parsed["organizer"]).startswith("mailto:noreply@")
    assert parsed["organizer"].params["CN"] == "Kompetanseportalen"
    assert read_with_libical(body)["method"] == method
    # Sent to someone else, the organiser stays who organises.
    other = build_calendar([event], name="T", method=method, attendee=("Tor Lærer", "tor@skole.test"))
    assert str(icalendar.Calendar.from_ical(other).walk("VEVENT")[0]["organizer"]) == "mailto:Frida@Skole.test"
