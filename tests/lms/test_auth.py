"""Signing in and out: passwords, sessions that really end, and safe redirects."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lms.auth.models import LoginSession
from lms.db import db
from tests.conftest import NOW, PASSWORD


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/logg-inn", data={"email": email, "password": password, **extra})


def session_data(app, client) -> dict:
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def test_signing_in_greets_the_person_by_name(client, make_user):
    kari = make_user("Kari Nordmann")
    db.session.commit()
    response = sign_in(client, kari.email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Hei, Kari Nordmann." in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("email, password", [
    ("known", "feil-passord-123"),
    ("ukjent@skole.no", PASSWORD),
])
def test_wrong_password_or_unknown_address_gets_one_norwegian_message(client, make_user, email, password):
    kari = make_user("Kari Nordmann", email="kari@skole.no")
    db.session.commit()
    typed = kari.email if email == "known" else email
    response = sign_in(client, typed, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Feil e-postadresse eller passord." in page
    assert f'value="{typed}"' in page  # what was typed is kept, except the password
    assert password not in page
    assert "Hei, Kari" not in client.get("/").get_data(as_text=True)


def test_empty_form_asks_for_address_and_password(client):
    response = client.post("/logg-inn", data={})
    assert response.status_code == 400
    assert "Skriv inn e-postadressen din." in response.get_data(as_text=True)
    assert "Skriv inn passordet ditt." in response.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(client, make_user):
    kari = make_user(active=False)
    db.session.commit()
    response = sign_in(client, kari.email)
    assert response.status_code == 400
    assert "Kontoen er deaktivert" in response.get_data(as_text=True)


def test_logout_makes_a_copied_cookie_worthless(app, login, admin):
    client = login(admin)
    stolen = client.get_cookie("session").value
    assert client.get("/admin/ansatte").status_code == 200
    assert client.post("/logg-ut").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/admin/ansatte")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    assert db.session.scalar(sa.select(LoginSession.revoked_at)) is not None


def test_logout_needs_a_post(login, admin):
    client = login(admin)
    assert client.get("/logg-ut").status_code == 405
    assert client.get("/admin/ansatte").status_code == 200


def test_signing_in_starts_a_new_session(app, client, admin):
    db.session.commit()
    with client.session_transaction() as planted:  # as an attacker would fix a victim's session
        planted["_user_id"] = "token-the-attacker-knows"
        planted["marker"] = "planted"
    sign_in(client, "admin@kommune.test")
    first = session_data(app, client)
    assert "marker" not in first
    assert first["_user_id"] not in ("", "token-the-attacker-knows")
    sign_in(client, "admin@kommune.test")
    assert session_data(app, client)["_user_id"] != first["_user_id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 2


@pytest.mark.parametrize("target", [
    "//evil.example/stjel",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
])
def test_redirect_after_sign_in_never_leaves_the_site(client, admin, target):
    db.session.commit()
    response = sign_in(client, "admin@kommune.test", next=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert urlsplit(location).netloc == ""


def test_redirect_after_sign_in_returns_to_the_page_asked_for(client, admin):
    db.session.commit()
    asked = client.get("/admin/ansatte")
    assert asked.status_code == 302
    form = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/ansatte"' in form
    response = sign_in(client, "admin@kommune.test", next="/admin/ansatte?q=kari")
    assert response.headers["Location"] == "/admin/ansatte?q=kari"


# --- found by mutation testing (tests/MUTANTS.md) ---------------------------------------------------------

def test_a_password_of_exactly_the_minimum_length_is_long_enough():
    from lms.auth.operations import MIN_PASSWORD_LENGTH, AuthError, check_password_strength
    check_password_strength("x" * MIN_PASSWORD_LENGTH)
    with pytest.raises(AuthError) as refused:
        check_password_strength("x" * (MIN_PASSWORD_LENGTH - 1))
    assert str(refused.value) == f"Passordet må ha minst {MIN_PASSWORD_LENGTH} tegn."


def test_signing_out_with_a_session_that_is_gone_or_already_ended_changes_nothing(app, admin, now):
    from lms.auth.operations import end_session, start_session
    end_session("ingen-slik-økt", now)  # an unknown token: nothing to end, and no error
    token = start_session(admin, now)
    end_session(token, now)
    end_session(token, now.replace(year=2027))
    assert db.session.scalar(sa.select(LoginSession.revoked_at)) == now


def test_each_browser_is_signed_in_as_its_own_person(app, login, make_user):
    """The session cookie's token decides who is signed in, not merely that someone has a session."""
    anne, bodil = make_user("Anne Andersen"), make_user("Bodil Berg")
    anne_browser, bodil_browser = login(anne), login(bodil)
    assert "Anne Andersen" in anne_browser.get("/").get_data(as_text=True)
    assert "Bodil Berg" in bodil_browser.get("/").get_data(as_text=True)
    assert "Anne Andersen" not in bodil_browser.get("/").get_data(as_text=True)
    from lms.auth.operations import user_for_token
    assert user_for_token("et-token-ingen-har", NOW, lifetime=timedelta(hours=12)) is None


def test_a_password_sign_in_opens_a_local_session_now(client, make_user, now):
    person = make_user()
    assert client.post("/logg-inn", data={"email": person.email, "password": PASSWORD}).status_code == 302
    login = db.session.scalars(sa.select(LoginSession)).one()
    assert (login.user_id, login.method, login.created_at, login.revoked_at) == (person.id, "local", now, None)


def test_a_stored_password_hash_checks_that_password_only():
    from werkzeug.security import check_password_hash
    from lms.auth.operations import hash_password
    stored = hash_password("riktig-passord-123")
    assert check_password_hash(stored, "riktig-passord-123")
    assert not check_password_hash(stored, "feil-passord-1234")


def test_sign_in_refusals_and_the_plain_refusal_say_why_in_norwegian(make_user):
    from lms.auth.operations import AuthError, PermissionDenied, authenticate, require
    gone = make_user(email="sluttet@skole.test")
    gone.active = False
    for email, password, message in (("ingen@skole.test", PASSWORD, "Feil e-postadresse eller passord."),
                                     (gone.email, "feil-passord-1234", "Feil e-postadresse eller passord."),
                                     (gone.email, PASSWORD, "Kontoen er deaktivert. Kontakt skolens leder.")):
        with pytest.raises(AuthError) as refused:
            authenticate(email, password)
        assert str(refused.value) == message
    with pytest.raises(PermissionDenied) as refused:
        require(False)
    assert str(refused.value) == "Du har ikke tilgang til dette."


def test_a_refusal_given_as_a_function_is_written_only_when_it_refuses(app):
    """A hot path (the enrollment POST) passes its refusal as a function: it says what the function says, and
    a request that is let through never writes it."""
    from lms.auth.operations import PermissionDenied, require
    written = []

    def refusal() -> str:
        written.append(True)
        return "Du kan bare melde på deg selv eller ansatte ved din skole."
    require(True, refusal)
    assert written == []
    with pytest.raises(PermissionDenied) as refused:
        require(False, refusal)
    assert str(refused.value) == "Du kan bare melde på deg selv eller ansatte ved din skole."
    assert written == [True]
    with pytest.raises(PermissionDenied) as refused:
        require(False, "Bare ledere kan gjøre dette.")
    assert str(refused.value) == "Bare ledere kan gjøre dette."
