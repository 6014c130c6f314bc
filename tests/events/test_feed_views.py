"""Feeds behind their secret links, and the calendar page that makes the links."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa
import vobject
from werkzeug.http import http_date

from catalog.enrollment import operations as enrollment_ops
from catalog.offerings import operations as offering_ops
from events import operations as ops
from events.calendar import CalendarEvent, body_etag
from events.models import FeedScope, FeedToken
from lms.db import db
from lms.people.models import Role
from tests.events.conftest import oslo, read_with_icaljs, session_event

UTC = timezone.utc
LINK = re.compile(r'value="(https?://[^"]+/kalender/([A-Za-z0-9_-]+)\.ics)"')


def _token_for(person) -> str:
    token = ops.issue_feed_token(FeedScope.PERSON, person.id, actor=person, now=datetime.now(UTC))
    db.session.commit()
    return token


@pytest.fixture
def subscriber(make_user, person_source):
    """A person with three sessions in the fake source: October, after the change, and April."""
    person = make_user("Tone Lærer", email="tone@skole.test")
    person_source.by_owner[person.id] = [
        session_event(f"okt-{person.id}@test", oslo(2026, 10, 27, 14, 0), summary="Digital vurdering"),
        session_event(f"apr-{person.id}@test", oslo(2027, 4, 13, 14, 0), summary="Lesing i alle fag"),
        session_event(f"avlyst-{person.id}@test", oslo(2026, 11, 10, 14, 0), summary="Avlyst kurs",
                      cancelled=True, sequence=2, changed=datetime(2026, 8, 30, 9, 0, tzinfo=UTC)),
    ]
    return person


def test_personal_feed_serves_the_sources_events_in_oslo_time(client, subscriber):
    response = client.get(f"/kalender/{_token_for(subscriber)}.ics")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    body = response.get_data()
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["method"] == "PUBLISH"
    assert str(calendar["x-wr-calname"]) == "Kompetanseportalen – min kalender"
    starts = {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}
    assert starts["Digital vurdering"].astimezone(UTC) == datetime(2026, 10, 27, 13, 0, tzinfo=UTC)
    assert starts["Lesing i alle fag"].astimezone(UTC) == datetime(2027, 4, 13, 12, 0, tzinfo=UTC)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == [
        "Digital vurdering", "Avlyst kurs", "Lesing i alle fag"]  # by start
    other = vobject.readOne(body.decode())
    assert {(e.summary.value, e.dtstart.value.hour, e.status.value) for e in other.vevent_list} == {
        ("Digital vurdering", 14, "CONFIRMED"), ("Lesing i alle fag", 14, "CONFIRMED"), ("Avlyst kurs", 14, "CANCELLED")}
    read = read_with_icaljs(body)
    assert [(e["summary"], e["start"]["local"][3], e["status"]) for e in read["events"]] == [
        ("Digital vurdering", 14, "CONFIRMED"), ("Avlyst kurs", 14, "CANCELLED"), ("Lesing i alle fag", 14, "CONFIRMED")]


def test_feed_answers_are_private_with_validators(client, subscriber):
    response = client.get(f"/kalender/{_token_for(subscriber)}.ics")
    assert response.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert response.headers["ETag"] == f'"{body_etag(response.get_data())}"'
    # No change time covers what a feed prints (names, staff), so none is offered as a validator.
    assert "Last-Modified" not in response.headers
    assert response.headers["Content-Disposition"] == 'inline; filename="kompetanseportalen.ics"'


@pytest.mark.parametrize("locale,name", [("en", "my calendar"), ("nn", "kalenderen min"), (None, "min kalender")])
def test_feed_is_written_in_the_owners_language(client, subscriber, locale, name):
    subscriber.locale = locale
    # Whatever the calendar app's own language: the feed is the owner's.
    response = client.get(f"/kalender/{_token_for(subscriber)}.ics", headers={"Accept-Language": "en"})
    assert f"X-WR-CALNAME:Kompetanseportalen – {name}" in response.get_data(as_text=True)


def test_unchanged_feed_answers_304(client, subscriber, person_source):
    url = f"/kalender/{_token_for(subscriber)}.ics"
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    # A date alone proves nothing about names and staff: the whole feed again.
    by_date = client.get(url, headers={"If-Modified-Since": http_date(datetime(2030, 1, 1, tzinfo=UTC))})
    assert (by_date.status_code, by_date.get_data()) == (200, first.get_data())


def test_a_changed_feed_answers_200_with_a_new_etag(client, subscriber, person_source):
    url = f"/kalender/{_token_for(subscriber)}.ics"
    first = client.get(url)
    moved = person_source.by_owner[subscriber.id][0]
    person_source.by_owner[subscriber.id][0] = CalendarEvent(
        **{**moved.__dict__, "starts_at": moved.starts_at + timedelta(hours=1),
           "ends_at": moved.ends_at + timedelta(hours=1), "sequence": 1,
           "last_modified": datetime(2026, 9, 1, 7, 0, tzinfo=UTC)})
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    event = icalendar.Calendar.from_ical(again.get_data()).walk("VEVENT")[0]
    assert (event.decoded("sequence"), event.decoded("dtstart").hour) == (1, 15)


def test_the_same_feed_twice_is_byte_identical(client, subscriber):
    url = f"/kalender/{_token_for(subscriber)}.ics"
    assert client.get(url).get_data() == client.get(url).get_data()


def test_an_empty_feed_is_a_valid_calendar(client, make_user, person_source):
    response = client.get(f"/kalender/{_token_for(make_user())}.ics")
    assert response.status_code == 200
    assert "Last-Modified" not in response.headers
    assert icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT") == []


@pytest.mark.parametrize("token", ["{random}", "abc", "a" * 5000, "%C3%B8%C3%B8", "{token}x",
                                   "{token}%00", "%20{token}"])
def test_a_wrong_token_is_a_plain_404_that_starts_no_session(client, subscriber, token):
    real = _token_for(subscriber)
    response = client.get(f"/kalender/{token.format(random=secrets.token_urlsafe(32), token=real)}.ics")
    assert response.status_code == 404
    assert response.get_data(as_text=True) == "Fant ikke kalenderen."
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "private, max-age=0, must-revalidate"


@pytest.mark.parametrize("path", ["/kalender/{token}.ICS", "/kalender/{token}", "/kalender/{token}.ics/x",
                                  "/kalender/..%2F..%2F{token}.ics"])
def test_other_addresses_near_a_feed_are_404(client, subscriber, path):
    assert client.get(path.format(token=_token_for(subscriber))).status_code == 404


def test_a_revoked_or_replaced_token_is_404_at_once(client, subscriber):
    old = _token_for(subscriber)
    assert client.get(f"/kalender/{old}.ics").status_code == 200
    new = _token_for(subscriber)
    assert client.get(f"/kalender/{old}.ics").status_code == 404
    assert client.get(f"/kalender/{new}.ics").status_code == 200
    ops.revoke_feed_token(FeedScope.PERSON, subscriber.id, actor=subscriber, now=datetime.now(UTC))
    db.session.commit()
    assert client.get(f"/kalender/{new}.ics").status_code == 404


def test_a_feed_token_signs_nobody_in(client, subscriber):
    token = _token_for(subscriber)
    response = client.get(f"/kalender/{token}.ics")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    page = client.get("/kalender")
    assert page.status_code == 302 and "/logg-inn" in page.headers["Location"]
    with_token = client.get(f"/kalender?token={token}", headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 302


def test_head_answers_without_a_body(client, subscriber):
    response = client.head(f"/kalender/{_token_for(subscriber)}.ics")
    assert response.status_code == 200
    assert response.get_data() == b""


def test_school_feed_has_the_school_sources_events(client, make_school, make_user, school_source):
    school = make_school("Bekkestua skole")
    leader = make_user(roles=(Role.LEADER,), school=school)
    school_source.by_owner[school.id] = [session_event("s@test", oslo(2027, 3, 28, 14, 0), summary="Fagdag")]
    token = ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=leader, now=datetime.now(UTC))
    db.session.commit()
    response = client.get(f"/kalender/{token}.ics")
    calendar = icalendar.Calendar.from_ical(response.get_data())
    assert str(calendar["x-wr-calname"]) == "Kompetanseportalen – Bekkestua skole"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
    assert response.headers["Content-Disposition"] == 'inline; filename="bekkestua-skole.ics"'
    other = vobject.readOne(response.get_data(as_text=True)).vevent.dtstart.value
    assert (other.hour, other.astimezone(UTC).hour) == (14, 12)
    read = read_with_icaljs(response.get_data())
    assert read["calname"] == "Kompetanseportalen – Bekkestua skole"
    assert (read["events"][0]["start"]["local"], read["events"][0]["start"]["unix"]) == (
        [2027, 3, 28, 14, 0], datetime(2027, 3, 28, 12, 0, tzinfo=UTC).timestamp())


# --- the calendar page -----------------------------------------------------------


def test_calendar_page_needs_sign_in(client):
    response = client.get("/kalender")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    assert client.post("/kalender/min/ny").status_code == 302


def test_calendar_is_in_the_menu_for_signed_in_people(client, login, make_user):
    assert 'href="/kalender"' not in client.get("/").get_data(as_text=True)
    assert 'href="/kalender"' in login(make_user()).get("/").get_data(as_text=True)


def test_making_a_link_shows_it_once(login, make_user, person_source):
    person = make_user()
    browser = login(person)
    page = browser.get("/kalender")
    assert page.status_code == 200
    assert "Ingen lenke er laget ennå." in page.get_data(as_text=True)
    made = browser.post("/kalender/min/ny")
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    url, token = LINK.search(html).groups()
    assert f'value="webcal://{url.split("://", 1)[1]}"' in html
    assert f'href="webcal://{url.split("://", 1)[1]}"' in html
    assert "Google Kalender" in html and "Outlook" in html and "Apple Kalender" in html
    assert ops.owner_for_token(token).owner_id == person.id
    later = browser.get("/kalender").get_data(as_text=True)
    assert token not in later
    assert "Lag ny lenke" in later and "Slett lenken" in later


def test_making_a_new_link_stops_the_old_one(login, make_user, client, person_source):
    browser = login(make_user())
    old = LINK.search(browser.post("/kalender/min/ny").get_data(as_text=True)).group(2)
    new = LINK.search(browser.post("/kalender/min/ny").get_data(as_text=True)).group(2)
    assert client.get(f"/kalender/{old}.ics").status_code == 404
    assert client.get(f"/kalender/{new}.ics").status_code == 200


def test_deleting_the_link_stops_it(login, make_user, client, person_source):
    browser = login(make_user())
    token = LINK.search(browser.post("/kalender/min/ny").get_data(as_text=True)).group(2)
    response = browser.post("/kalender/min/slett")
    assert response.status_code == 303
    assert "Lenken er slettet" in browser.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/kalender/{token}.ics").status_code == 404


def test_a_teacher_sees_no_school_feed_and_may_not_make_one(login, make_user, make_school):
    teacher = make_user()
    other = make_school()
    browser = login(teacher)
    assert "Skolens kalender" not in browser.get("/kalender").get_data(as_text=True)
    assert browser.post(f"/kalender/skole/{teacher.schools()[0].id}/ny").status_code == 403
    assert browser.post(f"/kalender/skole/{other.id}/ny").status_code == 403
    assert browser.post(f"/kalender/skole/{other.id}/slett").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedToken)) == 0


def test_a_leader_makes_their_schools_link_but_not_another_schools(login, make_user, make_school, client):
    school, other = make_school("Hosle skole"), make_school("Eiksmarka skole")
    browser = login(make_user(roles=(Role.LEADER,), school=school))
    page = browser.get("/kalender").get_data(as_text=True)
    assert "Hosle skole" in page and "Eiksmarka skole" not in page
    made = browser.post(f"/kalender/skole/{school.id}/ny")
    assert made.status_code == 200
    assert client.get(f"/kalender/{LINK.search(made.get_data(as_text=True)).group(2)}.ics").status_code == 200
    assert browser.post(f"/kalender/skole/{other.id}/ny").status_code == 403
    assert browser.post("/kalender/skole/999999/ny").status_code == 404


def test_an_admin_chooses_any_school(login, admin, make_school):
    school = make_school("Hosle skole")
    browser = login(admin)
    page = browser.get("/kalender").get_data(as_text=True)
    assert 'name="skole"' in page and "Hosle skole" in page
    chosen = browser.get(f"/kalender?skole={school.id}").get_data(as_text=True)
    assert f'action="/kalender/skole/{school.id}/ny"' in chosen
    made = browser.post(f"/kalender/skole/{school.id}/ny")
    assert LINK.search(made.get_data(as_text=True))
    revoked = browser.post(f"/kalender/skole/{school.id}/slett")
    assert revoked.headers["Location"].endswith(f"/kalender?skole={school.id}")


@pytest.mark.parametrize("query,status", [("skole=abc", 200), ("skole=-1", 200), ("skole=0", 200),
                                          ("skole=99999999999999999999", 200), ("skole=%00", 400), ("skole=²", 200)])
def test_bad_school_choice_is_ignored_or_refused_cleanly(login, admin, query, status):
    """A choice that is no school is ignored (the page without one); a NUL is refused as every NUL is."""
    response = login(admin).get(f"/kalender?{query}")
    assert response.status_code == status
    if status == 200:
        assert "/kalender/skole/" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/kalender/{token}.ics", "/kalender/{random}.ics", "/kurs/kalender.ics"])
def test_on_an_https_site_a_feed_asked_over_http_is_only_a_redirect(make_app, subscriber, path):
    """Issue 15, finding 9: webcal:// makes Outlook and Google ask over http; the dates never travel so."""
    token = _token_for(subscriber)
    site = make_app(PREFERRED_URL_SCHEME="https", TRUSTED_PROXIES=1).test_client()
    url = path.format(token=token, random=secrets.token_urlsafe(32))
    plain = site.get(url, base_url="http://kp.example")
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://kp.example{url}"
    assert b"VCALENDAR" not in plain.get_data() and b"Tone" not in plain.get_data()
    assert plain.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    # Behind the proxy that ends TLS (X-Forwarded-Proto), and directly over https: the feed.
    for headers, base in (({"X-Forwarded-Proto": "https"}, "http://kp.example"), ({}, "https://kp.example")):
        answered = site.get(url, base_url=base, headers=headers)
        assert answered.status_code == (404 if "{random}" in path else 200)


def test_a_development_site_on_http_serves_feeds_on_http(client, subscriber):
    response = client.get(f"/kalender/{_token_for(subscriber)}.ics", base_url="http://127.0.0.1:5000")
    assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.get_data()


def test_the_calendar_page_says_how_often_calendars_refresh_and_what_a_subscription_beside_invitations_does(
        login, subscriber):
    """Issue 15, findings 8 and 9: Google refreshes a subscription only every several hours; a subscription
    is a calendar of its own beside the invitations in the person's own."""
    page = login(subscriber).get("/kalender").get_data(as_text=True)
    assert "omtrent én gang i timen" not in page
    assert "Google Kalender kan bruke flere timer" in page
    assert "egen kalender ved siden av din egen" in page
    assert "samme økt derfor stå to ganger" in page


def test_moving_an_offering_raises_the_sequence_of_the_sessions_that_take_its_place_only(
        login, admin, make_offering, make_user, client, now):
    """A session without a place, or without an online address, shows the offering's: when the offering moves,
    a subscribed calendar must see a higher SEQUENCE for those sessions, and only for those."""
    offering = make_offering("Digital vurdering", sessions=0, publish=False, location="Rådhuset",
                             online_url="https://møte.test/gammel")
    start = now + timedelta(days=30)
    for day, title, location, online_url in ((0, "uten sted", "", ""), (7, "bare rom", "Rom 1", ""),
                                             (14, "eget sted", "Rom 2", "https://møte.test/egen")):
        offering_ops.add_session(offering, actor=admin, now=now, starts_at=start + timedelta(days=day),
                                 ends_at=start + timedelta(days=day, hours=2), title=title, location=location,
                                 online_url=online_url)
    offering_ops.publish(offering, actor=admin, now=now)
    # The session without a place has been moved once already: the next change must go above 1.
    unplaced = offering.sessions[0]
    offering_ops.update_session(offering, unplaced, actor=admin, now=now, title="uten sted",
                                starts_at=start + timedelta(hours=1), ends_at=start + timedelta(hours=3))
    tone = make_user("Tone Lærer")
    enrollment_ops.enroll(offering.id, tone, actor=tone, now=now)
    url = f"/kalender/{_token_for(tone)}.ics"

    def shown():
        events = icalendar.Calendar.from_ical(client.get(url).get_data()).walk("VEVENT")
        return {str(e["summary"]).split(": ")[1]: (int(e["sequence"]), str(e["location"]), str(e["description"]))
                for e in events}
    before = shown()
    assert before["uten sted"][0] == before["bare rom"][0] + 1  # publishing raised them all alike

    response = login(admin).post(f"/kurs/{offering.id}/rediger", data={
        "title": "Digital vurdering", "kind": "course", "target_groups": ["all_staff"], "capacity": "10",
        "school_year": str(offering.school_year), "min_participants": "0", "organiser": "Oppvekst skole",
        "location": "Biblioteket", "online_url": "https://møte.test/ny"})
    assert response.status_code == 303, response.get_data(as_text=True)
    after = shown()
    assert after["uten sted"][:2] == (before["uten sted"][0] + 1, "Biblioteket")
    assert after["bare rom"][:2] == (before["bare rom"][0] + 1, "Rom 1") and "Nettmøte: https://møte.test/ny" in after["bare rom"][2]
    assert after["eget sted"] == before["eget sted"]
