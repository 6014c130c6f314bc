"""Fifty schools asking a fyrtårn for the same time at once, on a real gunicorn server.

Each school's leader signs in over HTTP, opens the booking form (for its
CSRF token), waits at a barrier and posts a request for the one free time.
Exactly one school must hold it; every other gets the page back with a
clear Norwegian message and nothing half-done behind it.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta, timezone
from functools import partial

import pytest
import sqlalchemy as sa

from lighthouse.bookings.models import Booking, BookingState
from lighthouse.bookings.operations import held_minutes
from lighthouse.profiles.models import semester_of
from lms.audit.models import AuditEntry
from lms.db import db
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.people.models import Role
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import hand_over_to_server
from tests.conftest import PASSWORD
# The fyrtårn factories live beside the fyrtårn tests; imported, they are fixtures here too.
from tests.lighthouse.conftest import make_bookable, make_profile, make_window  # noqa: F401

pytestmark = pytest.mark.server

SCHOOLS = 50
TAKEN_MESSAGE = "Tidspunktet er nettopp tatt av en annen skole. Velg et annet."
SENT_MESSAGE = "Forespørselen er sendt til"
HOURS_MESSAGE = "Fyrtårnet har ikke flere timer igjen dette semesteret."
#: Fyrtårn raced at once in the overlapping-times test, each by two schools.
PAIRS = 8


@pytest.fixture
def one_free_time(make_profile, make_bookable, make_window):  # noqa: F811 (the imported fixtures)
    """Return (offering id, the start) of a fyrtårn with one window two weeks ahead on the server's real clock."""
    day = datetime.now(OSLO).date() + timedelta(days=14)
    profile = make_profile("Rush Fyrtårn", semester=semester_of(day))
    offering = make_bookable(profile, duration_minutes=90, buffer_minutes=15, min_notice_hours=48)
    make_window(profile, weekday=day.weekday(), start=time(12, 0), end=time(13, 30), valid_from=day,
                valid_until=day)
    starts_at = datetime.combine(day, time(12, 0), tzinfo=OSLO).astimezone(timezone.utc)
    return offering.id, starts_at


def sign_in_and_request(server_url: str, offering_id: int, email: str, school_id: int, starts_at: datetime,
                        barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    form = browser.get(f"/bestillinger/ny/{offering_id}?skole={school_id}")
    assert form.status_code == 200 and starts_at.isoformat() in form.text, form.text[:3000]
    barrier.wait()
    response = browser.post(f"/bestillinger/ny/{offering_id}", {
        "school_id": str(school_id), "starts_at": starts_at.isoformat(), "participants_count": "4",
        "venue": "at_school", "note": "Vi ønsker veiledning i vurdering.",
    })
    return browser.statuses[-len(response.history) - 1:], response.text


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_fifty_schools_asking_for_one_time_leave_one_booking_and_forty_nine_clear_answers(
        live_server, app, one_free_time, make_user, make_school):
    offering_id, starts_at = one_free_time
    leaders = [(make_user(roles=(Role.LEADER,), school=(school := make_school())).email, school.id)
               for _ in range(SCHOOLS)]
    hand_over_to_server()

    results = run_together([partial(sign_in_and_request, live_server.url, offering_id, email, school_id, starts_at)
                            for email, school_id in leaders])

    assert [s for statuses, _ in results for s in statuses if s >= 500] == [], live_server.log()
    won = [statuses for statuses, text in results if SENT_MESSAGE in text]
    refused = [statuses for statuses, text in results if TAKEN_MESSAGE in text]
    assert len(won) == 1 and won[0] == [303, 200]
    assert len(refused) == SCHOOLS - 1, Counter(tuple(s) for s, _ in results)
    # However it lost (before the lock, under it, or at the unique index), a taken time is a 409.
    assert all(statuses == [409] for statuses in refused), Counter(tuple(s) for s in refused)

    db.session.expire_all()
    bookings = db.session.scalars(sa.select(Booking).where(Booking.offering_id == offering_id)).all()
    assert [(b.state, b.starts_at) for b in bookings] == [(BookingState.REQUESTED, starts_at)]
    # Nothing half-done: one audit entry and one mail (to the fyrtårn), for the one booking.
    assert count(AuditEntry, AuditEntry.object_type == "lighthouse.booking") == 1
    assert count(OutboxMessage, OutboxMessage.kind == "lighthouse.booking") == 1
    assert count(Booking) == 1


def test_the_same_leader_posting_fifty_times_holds_the_time_once(live_server, app, one_free_time, make_user,
                                                                   make_school):
    offering_id, starts_at = one_free_time
    school = make_school()
    email, school_id = make_user(roles=(Role.LEADER,), school=school).email, school.id
    hand_over_to_server()
    browser = Browser(live_server.url)
    browser.login(email, PASSWORD)
    browser.get(f"/bestillinger/ny/{offering_id}?skole={school_id}")
    tabs = [browser.clone() for _ in range(SCHOOLS)]

    def post_from(tab: Browser, barrier):
        barrier.wait()
        response = tab.post(f"/bestillinger/ny/{offering_id}", {
            "school_id": str(school_id), "starts_at": starts_at.isoformat(), "participants_count": "2",
            "venue": "at_school", "note": ""})
        return tab.statuses, response.text

    results = run_together([partial(post_from, tab) for tab in tabs])
    assert [s for statuses, _ in results for s in statuses if s >= 500] == [], live_server.log()
    assert sum(SENT_MESSAGE in text for _, text in results) == 1
    assert sum(TAKEN_MESSAGE in text for _, text in results) == SCHOOLS - 1
    db.session.expire_all()
    assert count(Booking) == 1
    assert count(AuditEntry, AuditEntry.object_type == "lighthouse.booking") == 1


def _day_ahead(weeks_after: int = 0):
    """Return a day two weeks ahead on the server's real clock whose semester is that of the day ``weeks_after`` later."""
    day = datetime.now(OSLO).date() + timedelta(days=14)
    while semester_of(day) != semester_of(day + timedelta(weeks=weeks_after)):
        day += timedelta(weeks=1)
    return day


def _oslo(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO).astimezone(timezone.utc)


def test_two_schools_asking_for_overlapping_times_with_different_starts_leave_one_booking(
        live_server, app, make_profile, make_bookable, make_window, make_user, make_school):  # noqa: F811
    """12:00 and 13:30 do not share a start (the unique index cannot help) but 13:30 is inside 12:00's buffer."""
    day = _day_ahead()
    races = []
    for n in range(PAIRS):
        profile = make_profile(f"Overlapp Fyrtårn {n}", semester=semester_of(day))
        offering = make_bookable(profile, duration_minutes=90, buffer_minutes=30, min_notice_hours=48)
        make_window(profile, weekday=day.weekday(), start=time(12, 0), end=time(15, 0), valid_from=day,
                    valid_until=day)
        races.append((offering.id, [
            (make_user(roles=(Role.LEADER,), school=(school := make_school())).email, school.id, starts_at)
            for starts_at in (_oslo(day, 12), _oslo(day, 13, 30))]))
    hand_over_to_server()

    results = run_together([partial(sign_in_and_request, live_server.url, offering_id, email, school_id, starts_at)
                            for offering_id, contenders in races for email, school_id, starts_at in contenders])

    assert [s for statuses, _ in results for s in statuses if s >= 500] == [], live_server.log()
    db.session.expire_all()
    for n, (offering_id, _contenders) in enumerate(races):
        pair = results[2 * n:2 * n + 2]
        outcomes = sorted((tuple(statuses), SENT_MESSAGE in text, TAKEN_MESSAGE in text) for statuses, text in pair)
        assert outcomes == [((303, 200), True, False), ((409,), False, True)], outcomes
        held = db.session.scalars(sa.select(Booking).where(Booking.offering_id == offering_id)).all()
        assert len(held) == 1 and held[0].state == BookingState.REQUESTED
    assert count(Booking) == PAIRS
    assert count(AuditEntry, AuditEntry.object_type == "lighthouse.booking") == PAIRS


def test_a_rush_for_two_weeks_when_release_time_remains_for_one_leaves_one_booking(
        live_server, app, make_profile, make_bookable, make_window, make_user, make_school):  # noqa: F811
    """Two approved hours and a 90-minute offering: one booking fits, whichever week it is in."""
    first = _day_ahead(weeks_after=1)
    second = first + timedelta(weeks=1)
    profile = make_profile("Frikjøp Fyrtårn", approved_hours=2, semester=semester_of(first))
    offering = make_bookable(profile, duration_minutes=90, buffer_minutes=15, min_notice_hours=48)
    make_window(profile, weekday=first.weekday(), start=time(12, 0), end=time(13, 30), valid_from=first,
                valid_until=second)
    contenders = [(make_user(roles=(Role.LEADER,), school=(school := make_school())).email, school.id,
                   _oslo(first if n % 2 else second, 12)) for n in range(10)]
    offering_id, profile_id, semester = offering.id, profile.id, semester_of(first)
    hand_over_to_server()

    results = run_together([partial(sign_in_and_request, live_server.url, offering_id, email, school_id, starts_at)
                            for email, school_id, starts_at in contenders])

    assert [s for statuses, _ in results for s in statuses if s >= 500] == [], live_server.log()
    won = [statuses for statuses, text in results if SENT_MESSAGE in text]
    out_of_hours = [statuses for statuses, text in results if HOURS_MESSAGE in text]
    assert won == [[303, 200]], Counter(tuple(s) for s, _ in results)
    assert out_of_hours == [[400]] * (len(contenders) - 1)  # refused on the form, which shows why
    db.session.expire_all()
    assert count(Booking) == 1
    assert held_minutes(profile_id, semester) == 90
