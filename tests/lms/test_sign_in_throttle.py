"""Failed sign-ins: a growing delay, then a temporary lock told by mail; a known browser is never locked out."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.auth import throttle
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from tests.conftest import NOW, PASSWORD

WRONG = "feil-passord-igjen"


def attempt(client, email: str, password: str, address: str = "10.1.2.3"):
    return client.post("/logg-inn", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def text(response) -> str:
    return response.get_data(as_text=True)


def fail_until_locked(client, email: str, address: str = "10.1.2.3") -> None:
    """Send wrong passwords, each after the delay asked for, until the account is locked."""
    at = NOW
    for n in range(1, throttle.ACCOUNT_LOCK_AFTER + 1):
        set_clock(at)
        response = attempt(client, email, WRONG, address)
        assert response.status_code == 400, (n, text(response)[:500])
        at += throttle.delay_after(n)


def test_wrong_passwords_make_each_next_attempt_wait_longer(app, make_user):
    person = make_user(email="kari@skole.test")
    c = app.test_client()
    for _ in range(throttle.FREE_FAILURES):
        assert attempt(c, person.email, WRONG).status_code == 400
    refused = attempt(c, person.email, PASSWORD)  # the right one, at once: not even looked at
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "For mange mislykkede forsøk. Vent 1 sekund og prøv igjen." in text(refused)
    assert 'value="kari@skole.test"' in text(refused)  # what was typed is kept
    set_clock(NOW + timedelta(seconds=1))
    assert attempt(c, person.email, WRONG).status_code == 400
    waited = attempt(c, person.email, WRONG)
    assert waited.status_code == 429 and waited.headers["Retry-After"] == "2"
    set_clock(NOW + timedelta(seconds=3))
    assert attempt(c, person.email, PASSWORD).status_code == 302


def test_an_account_is_locked_for_a_while_and_its_holder_is_told_once(app, make_user):
    person = make_user("Kari Lærer", email="kari@skole.test")
    attacker = app.test_client()
    fail_until_locked(attacker, person.email)
    locked_at = NOW + sum((throttle.delay_after(n) for n in range(1, throttle.ACCOUNT_LOCK_AFTER)), timedelta())
    set_clock(locked_at + timedelta(minutes=1))
    for address in ("10.1.2.3", "10.9.9.9"):  # another address does not help
        refused = attempt(app.test_client(), person.email, PASSWORD, address)
        assert refused.status_code == 429
        assert "Innloggingen er sperret til" in text(refused) and "etter for mange feil passord" in text(refused)
    mails = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == person.email)))
    assert len(mails) == 1
    told = render(mails[0])
    assert told.subject == "Innloggingen din er midlertidig sperret" and "Min konto" in told.text
    set_clock(locked_at + throttle.LOCK_TIME + timedelta(seconds=1))
    assert attempt(app.test_client(), person.email, PASSWORD).status_code == 302


def test_a_known_browser_signs_in_through_the_lock_and_lifts_it(app, make_user):
    person = make_user(email="kari@skole.test")
    own = app.test_client()
    assert attempt(own, person.email, PASSWORD).status_code == 302  # this browser is now known
    own.post("/logg-ut")
    fail_until_locked(app.test_client(), person.email)
    assert attempt(app.test_client(), person.email, PASSWORD).status_code == 429
    assert attempt(own, person.email, PASSWORD).status_code == 302
    # Signing in from the known browser cleared the account's lock for every browser (the attacker's address
    # keeps its own count).
    assert attempt(app.test_client(), person.email, PASSWORD, "10.8.8.8").status_code == 302


def test_a_forged_device_cookie_is_no_known_browser(app, make_user):
    person = make_user(email="kari@skole.test")
    fail_until_locked(app.test_client(), person.email)
    forged = app.test_client()
    forged.set_cookie(throttle.DEVICE_COOKIE, f'{{"d": "x", "u": [{person.id}]}}', path="/logg-inn")
    assert attempt(forged, person.email, PASSWORD).status_code == 429


def test_an_unknown_address_is_throttled_like_a_real_one_and_mails_nobody(app, make_user):
    make_user(email="kari@skole.test")
    fail_until_locked(app.test_client(), "ingen@skole.test")
    refused = attempt(app.test_client(), "ingen@skole.test", WRONG, "10.7.7.7")
    assert refused.status_code == 429 and "Innloggingen er sperret til" in text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_guesses_at_many_accounts_from_one_address_make_that_address_wait(app, make_user):
    people = [make_user(email=f"person{n}@skole.test") for n in range(throttle.ADDRESS_FREE_FAILURES + 1)]
    c = app.test_client()
    for person in people[:-1]:
        assert attempt(c, person.email, WRONG, "10.5.5.5").status_code == 400
    assert attempt(c, people[-1].email, PASSWORD, "10.5.5.5").status_code == 429
    assert attempt(c, people[-1].email, PASSWORD, "10.6.6.6").status_code == 302  # from elsewhere


def test_many_right_sign_ins_from_one_address_are_never_slowed(app, make_user):
    """A school signs in from one address: right passwords do not count against it."""
    for n in range(throttle.ADDRESS_FREE_FAILURES * 2):
        person = make_user(email=f"laerer{n}@skole.test")
        assert attempt(app.test_client(), person.email, PASSWORD, "10.5.5.5").status_code == 302


def test_failures_are_logged(app, make_user, caplog, monkeypatch):
    make_user(email="kari@skole.test")
    # Alembic's fileConfig (the migration tests run it) disables the loggers that exist by then.
    monkeypatch.setattr(app.logger, "disabled", False)
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        attempt(app.test_client(), "kari@skole.test", WRONG, "10.3.3.3")
    assert any("sign-in failed" in r.getMessage() and "kari@skole.test" in r.getMessage()
               and "10.3.3.3" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("failures, seconds", [(1, 0), (2, 0), (3, 1), (4, 2), (5, 4), (20, 30)])
def test_the_delay_doubles_up_to_its_ceiling(failures, seconds):
    assert throttle.delay_after(failures) == timedelta(seconds=seconds)
