"""Calendar feeds on a real gunicorn server: many calendars polling while seats change."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import requests

from catalog.enrollment import operations as ops
from events import operations as events_ops
from events.models import FeedScope
from lms.db import db
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import hand_over_to_server
from tests.conftest import PASSWORD

pytestmark = pytest.mark.server

POLLERS = 30


def test_polling_calendars_see_a_new_seat_and_get_304_otherwise(live_server, make_offering, make_user, now):
    starts_in = max(datetime.now(timezone.utc) - now, timedelta(0)) + timedelta(days=60)
    first = make_offering("Kurs som alt står i kalenderen", starts_in=starts_in)
    second = make_offering("Kurs det meldes på under pollingen", starts_in=starts_in + timedelta(days=1))
    kari = make_user()
    ops.enroll(first.id, kari, actor=kari, now=now)
    token = events_ops.issue_feed_token(FeedScope.PERSON, kari.id, actor=kari, now=now)
    email, titles, second_id = kari.email, sorted([first.title, second.title]), second.id
    hand_over_to_server()
    url = f"{live_server.url}/kalender/{token}.ics"
    before = requests.get(url, timeout=60)
    assert before.status_code == 200
    etag = before.headers["ETag"]

    def poll(barrier):
        barrier.wait()
        return requests.get(url, headers={"If-None-Match": etag}, timeout=60).status_code

    # Thirty calendars poll at once: every one is told nothing changed.
    assert run_together([poll] * POLLERS) == [304] * POLLERS

    # Kari enrolls in the second course over HTTP while the calendars poll again.
    browser = Browser(live_server.url)
    browser.login(email, PASSWORD)
    browser.get(f"/kurs/{second_id}")

    def enroll(barrier):
        barrier.wait()
        browser.post(f"/kurs/{second_id}/pamelding")
        return browser.statuses[-1]

    statuses = run_together([enroll] + [poll] * POLLERS)
    assert statuses[0] == 200 and set(statuses[1:]) <= {200, 304}, live_server.log()
    after = requests.get(url, headers={"If-None-Match": etag}, timeout=60)
    assert after.status_code == 200 and after.headers["ETag"] != etag
    summaries = sorted(str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(after.content).walk("VEVENT"))
    assert summaries == titles
    assert after.headers["Cache-Control"].startswith("private") and "Set-Cookie" not in after.headers
    db.session.close()
