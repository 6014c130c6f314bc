"""A gunicorn worker killed (SIGKILL) in the middle of the enrollment rush: nothing half-done is left behind.

Each enrollment commits its seat, its audit entry and its mail in one
transaction, so a worker that dies mid-request leaves either all of them or
none; the browsers whose request died try once more, and the state is as if
each had asked once.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from catalog.enrollment import operations as ops
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import Offering
from lighthouse.bookings.models import Booking, BookingState
from lms.audit.models import AuditEntry
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.people.models import Role
from tests.concurrency import test_booking_rush as booking_rush
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import (CAPACITY, assert_one_active_enrollment_per_person,  # noqa: F401
                                                    hand_over_to_server, open_offering)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.server

TEACHERS = 40
#: Schools racing for the fyrtårn's one free time while a worker is killed.
SCHOOLS_KILLED = 30
#: The fyrtårn's one free time and its factories, from the booking rush.
one_free_time = booking_rush.one_free_time
make_profile, make_bookable, make_window = booking_rush.make_profile, booking_rush.make_bookable, booking_rush.make_window


def workers_of(master_pid: int) -> list[int]:
    """Return the pids of the gunicorn master's worker processes (Linux /proc)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def enroll_with_one_retry(server_url: str, offering_id: int, email: str, rush_on: threading.Event, barrier) -> str:
    """Sign in and enroll; a request that dies with its worker is sent once more, as a person would."""
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    browser.get(f"/kurs/{offering_id}")
    barrier.wait()
    rush_on.set()
    for attempt in range(2):
        try:
            response = browser.post(f"/kurs/{offering_id}/pamelding")
            if response.status_code < 500:
                return "answered" if attempt == 0 else "answered after retry"
        except requests.RequestException:
            pass
        browser.get(f"/kurs/{offering_id}")  # a fresh CSRF token, as reloading the page gives
    return "lost"


def test_a_worker_killed_in_the_enrollment_rush_leaves_counters_audit_and_outbox_whole(
        live_server, app, open_offering, make_user):  # noqa: F811
    offering_id = open_offering()
    emails = [make_user().email for _ in range(TEACHERS)]
    hand_over_to_server()
    killed: list[int] = []
    rush_on = threading.Event()

    def kill_one_worker_when_the_rush_is_on():
        rush_on.wait(300)
        time.sleep(0.05)  # the posts are in the workers now
        pids = workers_of(live_server.process.pid)
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    killer = threading.Thread(target=kill_one_worker_when_the_rush_is_on)
    killer.start()
    outcomes = Counter(run_together([partial(enroll_with_one_retry, live_server.url, offering_id, email, rush_on)
                                     for email in emails]))
    killer.join()
    assert killed, "no worker to kill"
    assert outcomes["lost"] == 0, (outcomes, live_server.log())

    db.session.expire_all()
    offering = db.session.get(Offering, offering_id)
    assert not ops.recount_seats(offering), "the seat counters drifted from the enrollments"
    db.session.rollback()
    enrollments = list(db.session.scalars(sa.select(Enrollment).where(Enrollment.offering_id == offering_id)))
    states = Counter(e.state for e in enrollments)
    assert states == {EnrollmentState.ENROLLED: CAPACITY, EnrollmentState.WAITLISTED: TEACHERS - CAPACITY}, states
    assert_one_active_enrollment_per_person(offering_id)
    audited = set(db.session.scalars(sa.select(AuditEntry.object_id).where(AuditEntry.object_type == "enrollment")))
    assert {e.id for e in enrollments} <= audited
    mailed = Counter(db.session.scalars(sa.select(OutboxMessage.recipient)))
    assert all(mailed[e.user.email] >= 1 for e in enrollments)


# --- the fyrtårn booking rush ---------------------------------------------------------------

def request_with_one_retry(server_url: str, offering_id: int, email: str, school_id: int, starts_at,
                           rush_on: threading.Event, barrier) -> str:
    """Sign in and ask for the one free time; a request that dies with its worker is sent once more."""
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    browser.get(f"/bestillinger/ny/{offering_id}?skole={school_id}")
    barrier.wait()
    rush_on.set()
    for attempt in range(2):
        try:
            response = browser.post(f"/bestillinger/ny/{offering_id}", {
                "school_id": str(school_id), "starts_at": starts_at.isoformat(), "participants_count": "4",
                "venue": "at_school", "note": ""})
            if response.status_code < 500:
                said = ("sent" if booking_rush.SENT_MESSAGE in response.text
                        else "taken" if booking_rush.TAKEN_MESSAGE in response.text else "other")
                return said if attempt == 0 else f"{said} after retry"
        except requests.RequestException:
            pass
        browser.get(f"/bestillinger/ny/{offering_id}?skole={school_id}")  # a fresh form, as reloading gives
    return "lost"


def test_a_worker_killed_in_the_booking_rush_leaves_one_booking_with_its_audit_and_mail(
        live_server, app, one_free_time, make_user, make_school):  # noqa: F811
    offering_id, starts_at = one_free_time
    leaders = [(make_user(roles=(Role.LEADER,), school=(school := make_school())).email, school.id)
               for _ in range(SCHOOLS_KILLED)]
    hand_over_to_server()
    killed: list[int] = []
    rush_on = threading.Event()

    def kill_one_worker_when_the_rush_is_on():
        rush_on.wait(300)
        time.sleep(0.05)
        pids = workers_of(live_server.process.pid)
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    killer = threading.Thread(target=kill_one_worker_when_the_rush_is_on)
    killer.start()
    outcomes = Counter(run_together([
        partial(request_with_one_retry, live_server.url, offering_id, email, school_id, starts_at, rush_on)
        for email, school_id in leaders]))
    killer.join()
    assert killed, "no worker to kill"
    assert outcomes["lost"] == 0 and not any(k.startswith("other") for k in outcomes), (outcomes, live_server.log())
    # One school holds the time, and every other was told it is taken (on its first try or its second).
    assert outcomes["sent"] + outcomes["sent after retry"] <= 1
    db.session.expire_all()
    bookings = db.session.scalars(sa.select(Booking).where(Booking.offering_id == offering_id)).all()
    assert [(b.state, b.starts_at) for b in bookings] == [(BookingState.REQUESTED, starts_at)]
    assert booking_rush.count(AuditEntry, AuditEntry.object_type == "lighthouse.booking") == 1
    assert booking_rush.count(OutboxMessage, OutboxMessage.kind == "lighthouse.booking") == 1
