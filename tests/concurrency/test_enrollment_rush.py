"""Enrollment under load: many people racing for the same seats on a real gunicorn server.

Each scenario signs its people in over HTTP (with CSRF tokens, as a browser
does), lines them up at a barrier and lets them post at once. A second
connection counts the held seats all the while, so capacity must hold at
every moment, not only at the end.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
import sqlalchemy as sa

from catalog.enrollment import operations as ops
from catalog.enrollment.models import SEAT_STATES, Enrollment, EnrollmentState
from lms.db import db
from tests.concurrency.live import Browser, SeatWatch, run_together
from tests.conftest import PASSWORD

pytestmark = pytest.mark.server

CAPACITY = 10
TITLE = "Rushkurs i digital vurdering"
ENROLLED_MESSAGE = f"Du er påmeldt «{TITLE}». Du får en bekreftelse på e-post."
ALREADY_MESSAGE = "Du er allerede påmeldt eller på ventelisten."
WAITLISTED = re.compile(r"^Du står som nr\. (\d+) på ventelisten til «" + re.escape(TITLE) + r"»\. Du får e-post når det blir ledig plass til deg\.$")


@pytest.fixture
def open_offering(make_offering, now):
    """Return the id of a published offering whose registration is open on the server's real clock.

    The tests freeze their own clock, but the server runs on real time, so the
    first session is put well after both.
    """
    def make(capacity: int = CAPACITY) -> int:
        starts_in = max(datetime.now(timezone.utc) - now, timedelta(0)) + timedelta(days=60)
        return make_offering(TITLE, capacity=capacity, starts_in=starts_in).id
    return make


def hand_over_to_server() -> None:
    """Commit what the test made and let go of the database before the server works on it.

    On SQLite the test session would otherwise start a new transaction at its
    next query, holding the write lock the server's requests wait for.
    """
    db.session.commit()
    db.session.close()


def server_errors(results) -> list[int]:
    return [status for statuses, _ in results for status in statuses if status >= 500]


def states_in(offering_id: int) -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(sa.select(Enrollment.state).where(Enrollment.offering_id == offering_id)))


def assert_one_active_enrollment_per_person(offering_id: int) -> None:
    doubles = db.session.execute(
        sa.select(Enrollment.user_id, sa.func.count()).where(
            Enrollment.offering_id == offering_id, Enrollment.state != EnrollmentState.CANCELLED)
        .group_by(Enrollment.user_id).having(sa.func.count() > 1)).all()
    assert doubles == []


def sign_in_and_enroll(server_url: str, offering_id: int, email: str, barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    browser.get(f"/kurs/{offering_id}")
    barrier.wait()
    response = browser.post(f"/kurs/{offering_id}/pamelding")
    return browser.statuses, Browser.flashes(response)


def sign_in_and_cancel(server_url: str, offering_id: int, email: str, enrollment_id: int, barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    browser.get(f"/kurs/{offering_id}")
    barrier.wait()
    response = browser.post(f"/pameldinger/{enrollment_id}/avmeld")
    return browser.statuses, Browser.flashes(response)


def test_sixty_teachers_rushing_ten_seats_get_ten_seats_and_a_numbered_waitlist(
        live_server, app, open_offering, make_user):
    offering_id = open_offering()
    teachers = [(t.id, t.email) for t in (make_user() for _ in range(60))]
    hand_over_to_server()

    with SeatWatch(app.config["SQLALCHEMY_DATABASE_URI"], offering_id) as watch:
        results = run_together([partial(sign_in_and_enroll, live_server.url, offering_id, email)
                                for _, email in teachers])

    assert server_errors(results) == [], live_server.log()
    told: dict[int, str] = {}
    for (user_id, _), (_, flashes) in zip(teachers, results):
        assert len(flashes) == 1, flashes
        told[user_id] = flashes[0]
    enrolled = {uid for uid, message in told.items() if message == ENROLLED_MESSAGE}
    positions = {uid: int(m[1]) for uid, message in told.items() if (m := WAITLISTED.match(message))}
    assert len(enrolled) == CAPACITY and len(positions) == 50, Counter(told.values())
    assert sorted(positions.values()) == list(range(1, 51))

    assert states_in(offering_id) == {EnrollmentState.ENROLLED: CAPACITY, EnrollmentState.WAITLISTED: 50}
    assert set(db.session.scalars(sa.select(Enrollment.user_id).where(
        Enrollment.offering_id == offering_id, Enrollment.state == EnrollmentState.ENROLLED))) == enrolled
    queue = ops.waitlist(offering_id)
    assert [ops.waitlist_position(e) for e in queue] == list(range(1, 51))
    # Everyone was told the place they really hold: the queue is in arrival order.
    assert [positions[e.user_id] for e in queue] == list(range(1, 51))
    assert watch.samples > 0 and watch.highest <= CAPACITY


def test_fifty_parallel_posts_by_one_teacher_give_one_enrollment_and_a_clear_answer(
        live_server, app, open_offering, make_user):
    offering_id = open_offering()
    email = make_user().email
    hand_over_to_server()
    browser = Browser(live_server.url)
    browser.login(email, PASSWORD)
    browser.get(f"/kurs/{offering_id}")
    tabs = [browser.clone() for _ in range(50)]

    def post_from(tab: Browser, barrier):
        barrier.wait()
        response = tab.post(f"/kurs/{offering_id}/pamelding")
        return tab.statuses, Browser.flashes(response)

    with SeatWatch(app.config["SQLALCHEMY_DATABASE_URI"], offering_id) as watch:
        results = run_together([partial(post_from, tab) for tab in tabs])

    assert server_errors(results) == [], live_server.log()
    answers = Counter(message for _, flashes in results for message in flashes)
    assert answers == {ENROLLED_MESSAGE: 1, ALREADY_MESSAGE: 49}
    assert states_in(offering_id) == {EnrollmentState.ENROLLED: 1}
    assert watch.highest <= 1


def test_cancellations_racing_enrollments_keep_capacity_and_serve_the_waitlist_in_order(
        live_server, app, open_offering, make_user, now):
    offering_id = open_offering()
    holders = [make_user() for _ in range(CAPACITY)]
    waiters = [make_user() for _ in range(3)]
    newcomers = [make_user() for _ in range(20)]
    seats = [ops.enroll(offering_id, p, actor=p, now=now + timedelta(seconds=i)) for i, p in enumerate(holders)]
    queued = [ops.enroll(offering_id, p, actor=p, now=now + timedelta(minutes=1, seconds=i))
              for i, p in enumerate(waiters)]
    assert {e.state for e in queued} == {EnrollmentState.WAITLISTED}
    leaver = queued[1]
    cancelling = [(e.user.email, e.id) for e in [*seats, leaver]]
    joining = [p.email for p in newcomers]
    first_in_line = [queued[0].id, queued[2].id]
    hand_over_to_server()

    cancel_tasks = [partial(sign_in_and_cancel, live_server.url, offering_id, email, eid) for email, eid in cancelling]
    join_tasks = [partial(sign_in_and_enroll, live_server.url, offering_id, email) for email in joining]
    tasks = [task for pair in zip(join_tasks, cancel_tasks + [None] * len(join_tasks)) for task in pair if task]
    with SeatWatch(app.config["SQLALCHEMY_DATABASE_URI"], offering_id) as watch:
        results = run_together(tasks)

    assert server_errors(results) == [], live_server.log()
    for _, flashes in results:
        assert len(flashes) == 1 and (flashes[0] in {ENROLLED_MESSAGE, "Avmeldingen er registrert.",
                                                     "Du har forlatt ventelisten."}
                                      or WAITLISTED.match(flashes[0])), flashes

    db.session.expire_all()
    rows = db.session.scalars(sa.select(Enrollment).where(Enrollment.offering_id == offering_id)).all()
    by_id = {e.id: e for e in rows}
    assert all(by_id[eid].state == EnrollmentState.CANCELLED for _, eid in cancelling)
    held = [e for e in rows if e.state in SEAT_STATES]
    # Ten seats freed and more than ten people waiting: every seat is held again, none twice.
    assert len(held) == CAPACITY
    assert watch.highest <= CAPACITY
    assert_one_active_enrollment_per_person(offering_id)

    def place(e: Enrollment):
        return (e.waitlisted_at, e.id)
    promoted = [e for e in held if e.waitlisted_at is not None]
    still_waiting = ops.waitlist(offering_id)
    assert promoted and still_waiting
    assert max(map(place, promoted)) < min(map(place, still_waiting))
    assert all(by_id[eid].state == EnrollmentState.OFFERED for eid in first_in_line)


def test_the_server_checks_csrf_so_the_rush_above_sent_real_tokens(live_server, open_offering, make_user):
    offering_id = open_offering()
    email = make_user().email
    hand_over_to_server()
    browser = Browser(live_server.url)
    browser.login(email, PASSWORD)
    browser.csrf_token = "forged"
    response = browser.post(f"/kurs/{offering_id}/pamelding")
    assert response.status_code == 400 and "Skjemaet var utløpt eller ugyldig" in response.text
    assert states_in(offering_id) == {}
