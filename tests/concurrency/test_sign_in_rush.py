"""Thirty wrong passwords for one account at once, against a real server: counted, not let through."""
from __future__ import annotations

from collections import Counter
from functools import partial

import pytest
import sqlalchemy as sa

from lms.auth import throttle
from lms.auth.models import SignInThrottle
from lms.db import db
from tests.concurrency.live import Browser, run_together
from tests.conftest import PASSWORD

pytestmark = pytest.mark.server

GUESSES = 30


def guess(server_url: str, email: str, password: str, barrier) -> int:
    browser = Browser(server_url)
    browser.get("/logg-inn")
    barrier.wait()
    browser.post("/logg-inn", {"email": email, "password": password, "next": ""})
    return browser.statuses[-1]


def test_thirty_parallel_wrong_passwords_are_counted_and_the_right_one_waits(live_server, make_user):
    email = make_user(email="kari@skole.test").email
    db.session.commit()
    db.session.close()  # let go of SQLite before the server works

    answers = Counter(run_together([lambda barrier: guess(live_server.url, email, "feil-passord-her", barrier)
                                    for _ in range(GUESSES)]))

    assert set(answers) <= {400, 429}, (answers, live_server.log())
    # Only the free failures (and the few a doubling delay lets through while the burst lasts) were checked.
    assert throttle.FREE_FAILURES <= answers[400] <= throttle.FREE_FAILURES + 3, answers
    row = db.session.scalar(sa.select(SignInThrottle).where(SignInThrottle.key == f"account:{email}"))
    assert row.failures == answers[400]  # every checked guess was counted, however they raced
    # The next attempt, right password or not, must wait the delay the last failure set.
    assert row.next_attempt_at - row.last_failed_at == throttle.delay_after(row.failures)
    db.session.close()


def test_a_school_signing_in_at_once_from_one_address_is_not_slowed(live_server, make_user):
    emails = [make_user().email for _ in range(30)]
    db.session.commit()
    db.session.close()

    def sign_in(email, barrier):
        browser = Browser(live_server.url)
        browser.get("/logg-inn")
        barrier.wait()
        browser.post("/logg-inn", {"email": email, "password": PASSWORD, "next": ""})
        return browser.statuses[-2] if len(browser.statuses) > 2 else browser.statuses[-1]

    answers = Counter(run_together([partial(sign_in, email) for email in emails]))
    assert answers == {302: len(emails)}, (answers, live_server.log())
