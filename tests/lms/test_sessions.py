"""Sign-in sessions: a new password ends the others, sessions expire, and a person sees and ends their own."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.auth.models import LoginSession
from lms.config import SESSION_IDLE_MINUTES, SESSION_LIFETIME_HOURS
from lms.db import db, set_clock
from lms.people.models import Role
from tests.conftest import NOW, PASSWORD, nothing_changes, without_csrf_tokens

NEW_PASSWORD = "et-helt-nytt-passord"


def signed_in(client) -> bool:
    response = client.get("/min-konto")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def browser(app, user, agent: str = "Testleser", password: str = PASSWORD):
    c = app.test_client()
    db.session.commit()
    response = c.post("/logg-inn", data={"email": user.email, "password": password},
                      headers={"User-Agent": agent})
    assert response.status_code == 302, response.get_data(as_text=True)
    return c


@pytest.fixture
def platform_defaults(app, monkeypatch):
    """The platform's own idle time and lifetime instead of the test suite's long ones."""
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", timedelta(minutes=SESSION_IDLE_MINUTES))
    monkeypatch.setitem(app.config, "SESSION_LIFETIME", timedelta(hours=SESSION_LIFETIME_HOURS))


def test_a_password_set_by_an_admin_ends_every_session_of_the_person(app, login, admin, make_user):
    school_person = make_user("Kari Lærer")
    phone, laptop = browser(app, school_person, "Telefon"), browser(app, school_person, "Laptop")
    boss = login(admin)
    form = {"name": school_person.name, "email": school_person.email, "locale": "", "active": "y",
            "password": NEW_PASSWORD, "memberships-0-school_id": str(school_person.schools()[0].id),
            "memberships-0-role": "teacher"}
    assert boss.post(f"/admin/ansatte/{school_person.id}", data=form).status_code == 302
    assert not signed_in(phone) and not signed_in(laptop)
    assert signed_in(boss)  # the admin's own session is not the person's
    assert signed_in(browser(app, school_person, password=NEW_PASSWORD))


def test_changing_ones_own_password_ends_the_other_sessions_only(app, make_user):
    person = make_user("Kari Lærer")
    here, there = browser(app, person, "Her"), browser(app, person, "Der")
    response = here.post("/min-konto/passord", data={"current": PASSWORD, "new": NEW_PASSWORD})
    assert response.status_code == 303
    page = here.get("/min-konto").get_data(as_text=True)
    assert "Passordet er byttet. Du er logget ut alle andre steder." in page
    assert not signed_in(there)
    assert signed_in(browser(app, person, password=NEW_PASSWORD))


@pytest.mark.parametrize("form, message", [
    ({"current": "feil-passord-her", "new": NEW_PASSWORD}, "Passordet du har nå, stemmer ikke."),
    ({"current": PASSWORD, "new": "kort"}, "Passordet må ha minst 10 tegn."),
    ({"current": PASSWORD, "new": ""}, "Skriv inn et nytt passord."),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, make_user, form, message):
    person = make_user("Kari Lærer")
    here, there = browser(app, person), browser(app, person)
    with nothing_changes():
        response = here.post("/min-konto/passord", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert signed_in(there)


def test_a_session_ends_after_the_idle_time_but_lives_while_used(app, make_user, platform_defaults):
    person = make_user()
    c = browser(app, person)
    idle = timedelta(minutes=SESSION_IDLE_MINUTES)
    set_clock(NOW + idle - timedelta(minutes=1))
    assert signed_in(c)
    set_clock(NOW + 2 * idle - timedelta(minutes=2))  # idle time counted from the last request
    assert signed_in(c)
    set_clock(NOW + 3 * idle)
    response = c.get("/min-konto")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


def test_a_session_ends_after_its_lifetime_however_much_it_is_used(app, make_user, platform_defaults):
    person = make_user()
    c = browser(app, person)
    hours = 0
    while hours < SESSION_LIFETIME_HOURS - 1:
        hours += 1
        set_clock(NOW + timedelta(hours=hours))
        assert signed_in(c), hours
    set_clock(NOW + timedelta(hours=SESSION_LIFETIME_HOURS, minutes=1))
    assert not signed_in(c)


def test_the_account_page_lists_the_persons_sessions_and_ends_one(app, make_user):
    person = make_user("Kari Lærer")
    other_person = make_user("Ola Lærer")
    phone, laptop = browser(app, person, "Telefon med Firefox"), browser(app, person, "Laptop med Chrome")
    strangers = browser(app, other_person, "Ukjent maskin")
    page = laptop.get("/min-konto").get_data(as_text=True)
    assert "Telefon med Firefox" in page and "Laptop med Chrome" in page and "Ukjent maskin" not in page
    assert "(denne)" in page
    phone_id = db.session.scalar(sa.select(LoginSession.id).where(LoginSession.user_agent == "Telefon med Firefox"))
    response = laptop.post(f"/min-konto/okter/{phone_id}/avslutt")
    assert response.status_code == 303
    assert "Påloggingen er avsluttet." in laptop.get("/min-konto").get_data(as_text=True)
    assert not signed_in(phone) and signed_in(laptop)
    # Someone else's session and one that does not exist are refused alike.
    stranger_id = db.session.scalar(sa.select(LoginSession.id).where(LoginSession.user_agent == "Ukjent maskin"))
    answers = []
    for session_id in (stranger_id, stranger_id + 1000):
        with nothing_changes():
            response = laptop.post(f"/min-konto/okter/{session_id}/avslutt")
        # The page repeats its own address (in the language switch) and carries a CSRF token signed with the
        # time (it changes when a second passes between the two): those differ, nothing else may.
        page = response.get_data(as_text=True).replace(f"/{session_id}/", "/N/")
        answers.append((response.status_code, without_csrf_tokens(page)))
    assert answers[0] == answers[1] and answers[0][0] == 403
    assert signed_in(strangers)


def test_ending_the_session_one_is_using_signs_out(app, make_user):
    person = make_user()
    c = browser(app, person, "Denne")
    own_id = db.session.scalar(sa.select(LoginSession.id).where(LoginSession.user_agent == "Denne"))
    response = c.post(f"/min-konto/okter/{own_id}/avslutt")
    assert response.status_code == 303
    assert not signed_in(c)


def test_signing_out_everywhere_else_keeps_this_browser(app, make_user):
    person = make_user(roles=(Role.TEACHER,))
    here = browser(app, person)
    others = [browser(app, person) for _ in range(2)]
    response = here.post("/min-konto/okter/avslutt-andre", follow_redirects=True)
    assert "2 andre pålogginger er avsluttet." in response.get_data(as_text=True)
    assert signed_in(here) and not any(signed_in(c) for c in others)


def test_the_account_page_needs_a_signed_in_person(client):
    response = client.get("/min-konto")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    assert client.post("/min-konto/okter/avslutt-andre").status_code == 302
