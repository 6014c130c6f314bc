"""Bookings in the calendar feeds of the fyrtårn, the school and the named participants."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import icalendar
import pytest

from events import operations as events_ops
from events.calendar import build_calendar
from events.models import FeedScope
from lighthouse.bookings import calendar
from lighthouse.bookings import operations as ops
from lms.db import db
from lms.i18n import OSLO
from lms.people.models import Role

START = datetime.combine(date(2026, 9, 8), time(12), tzinfo=OSLO).astimezone(timezone.utc)
AFTER_CHANGE = datetime.combine(date(2026, 10, 27), time(12), tzinfo=OSLO).astimezone(timezone.utc)


@pytest.fixture
def world(make_profile, make_bookable, make_window, make_user, make_school):
    profile = make_profile("Frida Fyrtårn")
    offering = make_bookable(profile, title="Veiledning i brøk")
    make_window(profile)
    school = make_school("Bekkestua skole")
    leader = make_user("Line Leder", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tor Lærer", school=school)
    bystander = make_user("Berit Bisitter", school=school)
    return SimpleNamespace(profile=profile, offering=offering, school=school, leader=leader, teacher=teacher,
                           bystander=bystander, lighthouse=profile.user)


def request(world, now, starts_at=START, **kw):
    return ops.request_booking(world.offering.id, world.school.id, actor=world.leader, starts_at=starts_at,
                               participants_count=4, now=now, **kw)


def feed(client, token):
    response = client.get(f"/kalender/{token}.ics")
    assert response.status_code == 200
    return response, icalendar.Calendar.from_ical(response.data).walk("VEVENT")


def booking_events(events):
    return [e for e in events if "kp-booking-" in str(e["UID"])]


def test_confirmed_booking_is_in_every_feed_and_cancelled_after_cancellation(world, app, now):
    booking = request(world, now, starts_at=AFTER_CHANGE, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Personalrommet")
    tokens = {
        "fyrtårn": events_ops.issue_feed_token(FeedScope.PERSON, world.lighthouse.id, actor=world.lighthouse, now=now),
        "deltaker": events_ops.issue_feed_token(FeedScope.PERSON, world.teacher.id, actor=world.teacher, now=now),
        "skole": events_ops.issue_feed_token(FeedScope.SCHOOL, world.school.id, actor=world.leader, now=now),
        "andre": events_ops.issue_feed_token(FeedScope.PERSON, world.bystander.id, actor=world.bystander, now=now),
    }
    db.session.commit()
    client = app.test_client()
    before = {}
    for who, token in tokens.items():
        response, events = feed(client, token)
        events = booking_events(events)
        if who == "andre":
            assert events == []
            continue
        (event,) = events
        assert str(event["STATUS"]) == "CONFIRMED" and str(event["LOCATION"]) == "Personalrommet"
        assert event.decoded("DTSTART").astimezone(OSLO).hour == 12  # after the October change too
        assert event.decoded("DTSTART").utcoffset() == timedelta(hours=1)
        before[who] = (response.headers["ETag"], str(event["UID"]), int(event["SEQUENCE"]))
    assert str(booking_events(feed(client, tokens["fyrtårn"])[1])[0]["SUMMARY"]) == \
        "Veiledning i brøk – Bekkestua skole"
    assert str(booking_events(feed(client, tokens["skole"])[1])[0]["SUMMARY"]) == \
        "Veiledning i brøk med fyrtårn Frida Fyrtårn"
    assert len({uid for _etag, uid, _seq in before.values()}) == 3  # one UID per calendar

    ops.cancel_booking(booking, actor=world.leader, now=now + timedelta(hours=1), reason="Sykdom")
    db.session.commit()
    for who, (etag, uid, sequence) in before.items():
        response = client.get(f"/kalender/{tokens[who]}.ics", headers={"If-None-Match": etag})
        assert response.status_code == 200, who
        (event,) = booking_events(icalendar.Calendar.from_ical(response.data).walk("VEVENT"))
        assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) > sequence


def test_the_fyrtarn_sees_held_requests_as_tentative_others_do_not(world, app, now):
    booking = request(world, now, participant_ids=[world.teacher.id])
    (event,) = calendar.person_events(world.lighthouse.id, now)
    assert event.tentative and not event.cancelled and event.sequence == 0
    assert calendar.person_events(world.teacher.id, now) == []
    assert calendar.school_events(world.school.id, now) == []
    ops.propose_time(booking, actor=world.lighthouse, now=now,
                     starts_at=START + timedelta(days=7, minutes=90))
    (moved,) = calendar.person_events(world.lighthouse.id, now)
    assert moved.uid == event.uid and moved.sequence > event.sequence and moved.starts_at != event.starts_at
    ops.accept_proposal(booking, actor=world.leader, now=now)
    (confirmed,) = calendar.person_events(world.lighthouse.id, now)
    assert not confirmed.tentative and confirmed.sequence > moved.sequence
    assert len(calendar.school_events(world.school.id, now)) == 1
    assert len(calendar.person_events(world.teacher.id, now)) == 1


def test_cancelled_bookings_stay_30_days(world, app, now):
    booking = request(world, now)
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    ops.cancel_booking(booking, actor=world.lighthouse, now=now, reason="Syk")
    assert [e.cancelled for e in calendar.school_events(world.school.id, now + timedelta(days=29))] == [True]
    assert calendar.school_events(world.school.id, now + timedelta(days=32)) == []
    assert calendar.person_events(world.lighthouse.id, now + timedelta(days=32)) == []


def test_a_declined_request_never_reaches_the_school_feed(world, app, now):
    booking = request(world, now)
    ops.decline_booking(booking, actor=world.lighthouse, now=now, reason="Opptatt")
    assert calendar.school_events(world.school.id, now) == []
    (event,) = calendar.person_events(world.lighthouse.id, now)
    assert event.cancelled


def test_feeds_change_with_every_step_of_a_booking(world, app, now):
    booking = request(world, now)

    def written():
        return (build_calendar(calendar.person_events(world.lighthouse.id, now), name="F"),
                build_calendar(calendar.school_events(world.school.id, now), name="S"))
    seen = written()
    steps = [
        lambda: ops.confirm_booking(booking, actor=world.lighthouse, now=now),
        lambda: ops.name_participants(booking, [world.teacher.id], actor=world.leader, now=now),
        lambda: ops.cancel_booking(booking, actor=world.leader, now=now, reason="Syk"),
    ]
    for step in steps:
        step()  # at the same frozen moment: what is printed must tell the change
        now_written = written()
        assert now_written[0] != seen[0] and now_written[1] != seen[1]
        seen = now_written


def test_download_carries_the_uid_of_the_persons_own_feed(world, app, now):
    booking = request(world, now, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now)
    for user, audience in ((world.teacher, f"person-{world.teacher.id}"),
                           (world.lighthouse, f"person-{world.lighthouse.id}"),
                           (world.leader, f"school-{world.school.id}")):
        (event,) = icalendar.Calendar.from_ical(ops.booking_ics(booking, user=user)).walk("VEVENT")
        assert str(event["UID"]) == calendar.booking_uid(booking.id, audience)
    (cancelled,) = icalendar.Calendar.from_ical(ops.booking_ics(booking, cancel=True)).walk("VEVENT")
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_a_nynorsk_participants_feed_has_nynorsk_texts(world, app, now):
    world.teacher.locale = "nn"
    booking = request(world, now, participant_ids=[world.teacher.id])
    ops.confirm_booking(booking, actor=world.lighthouse, now=now, location="Personalrommet")
    token = events_ops.issue_feed_token(FeedScope.PERSON, world.teacher.id, actor=world.teacher, now=now)
    db.session.commit()
    response, events = feed(app.test_client(), token)
    assert "X-WR-CALNAME:Kompetanseportalen – kalenderen min" in response.get_data(as_text=True)
    (event,) = booking_events(events)
    assert str(event["SUMMARY"]) == "Veiledning i brøk med fyrtårn Frida Fyrtårn"
    assert "Deltakarar: Tor Lærer" in str(event["DESCRIPTION"])
