"""Bokmål first; nynorsk when the browser asks or the person chooses it; English when chosen."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.db import db
from lms.i18n import LANGUAGE_COOKIE
from lms.people.models import User


def _page(client, path="/kurs", **headers) -> str:
    return client.get(path, headers=headers).get_data(as_text=True)


def _switch(page: str) -> list[tuple[str, str, str]]:
    """Return the header's language buttons as (value, lang, label)."""
    return re.findall(r'<button[^>]*name="lang" value="(\w+)" lang="(\w+)"[^>]*>([^<]+)</button>', page)


def test_pages_are_in_bokmal_by_default(client, make_offering):
    make_offering("Digital dømmekraft")
    page = _page(client)
    assert 'lang="nb"' in page and "Kurskatalog" in page and "ledige plasser" in page


@pytest.mark.parametrize("accept", ["nn", "nn-NO", "nn-NO,nn;q=0.9,en;q=0.5", "en-GB,en;q=0.9,nn;q=0.5"])
def test_a_browser_asking_for_nynorsk_gets_nynorsk(client, make_offering, accept):
    make_offering("Digital dømmekraft", capacity=3)
    page = _page(client, **{"Accept-Language": accept})
    assert '<html lang="nn"' in page
    assert "3 ledige plassar" in page and "Hopp til hovudinnhaldet" in page
    assert "torsdag 1. oktober 2026" in page and "veke 40" in page


@pytest.mark.parametrize("accept", ["no", "nb-NO", "nb", "no,nn;q=0.9", "nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en;q=0.5"])
def test_bokmal_and_no_in_the_browser_mean_bokmal(client, make_offering, accept):
    make_offering("Digital dømmekraft", capacity=3)
    page = _page(client, **{"Accept-Language": accept})
    assert '<html lang="nb"' in page and "3 ledige plasser" in page


@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "de-DE,en;q=0.5"])
def test_a_browser_asking_for_english_gets_bokmal_with_the_switch_in_view(client, make_offering, accept):
    make_offering("Digital dømmekraft", capacity=3)
    page = _page(client, **{"Accept-Language": accept})
    assert '<html lang="nb"' in page and "3 ledige plasser" in page and "places available" not in page
    assert _switch(page) == [("nb", "nb", "Bokmål"), ("nn", "nn", "Nynorsk"), ("en", "en", "English")]


def test_the_switch_names_each_language_in_itself_and_marks_the_pages_own(client):
    for accept, current in (("nb", "nb"), ("nn", "nn")):
        page = _page(client, "/", **{"Accept-Language": accept})
        assert [label for _value, _lang, label in _switch(page)] == ["Bokmål", "Nynorsk", "English"]
        pressed = re.findall(r'value="(\w+)" lang="\w+" aria-pressed="true"', page)
        assert pressed == [current]
        # A form that works without JavaScript: a plain POST with the page to come back to.
        assert 'action="/sprak"' in page and 'name="next"' in page


def test_language_switch_shows_english_and_sticks(client, make_offering):
    make_offering("Digital dømmekraft", capacity=3)
    response = client.post("/sprak", data={"lang": "en", "next": "/kurs"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kurs")
    page = _page(client)
    assert 'lang="en"' in page
    assert "Course catalogue" in page and "3 places available" in page
    assert "Thursday 1 October 2026" in page  # dates follow the language, still in Oslo time
    assert "week 40" in page


def test_a_visitors_choice_is_kept_in_a_long_lived_cookie(client, app, make_offering):
    make_offering("Digital dømmekraft", capacity=3)
    response = client.post("/sprak", data={"lang": "nn", "next": "/kurs"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{LANGUAGE_COOKIE}="))
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=nn;")
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert max_age >= timedelta(days=180).total_seconds()
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The choice beats the browser's own language, on this and later visits.
    assert "3 ledige plassar" in _page(client, **{"Accept-Language": "nb-NO"})
    # Another browser that only brings the cookie back, as one would after a restart, gets it too.
    returning = app.test_client()
    returning.set_cookie(LANGUAGE_COOKIE, "nn")
    assert '<html lang="nn"' in _page(returning)


def test_a_visitors_choice_survives_signing_in_and_out(client, make_user):
    person = make_user(locale="en")
    db.session.commit()
    client.post("/sprak", data={"lang": "nn", "next": "/"})
    client.post("/logg-inn", data={"email": person.email, "password": "riktig-hest-batteri"})
    assert '<html lang="en"' in _page(client, "/mine-kurs")  # the account's own choice while signed in
    client.post("/logg-ut")
    assert '<html lang="nn"' in _page(client, "/")


def test_a_signed_in_persons_choice_is_saved_on_the_account(login, make_user, app):
    person = make_user()
    client = login(person)
    assert '<html lang="nb"' in _page(client, "/mine-kurs")
    client.post("/sprak", data={"lang": "nn", "next": "/mine-kurs"})
    assert db.session.scalar(sa.select(User.locale).where(User.id == person.id)) == "nn"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "user",
                                                           AuditEntry.object_id == person.id)).one()
    assert (entry.from_state, entry.to_state, entry.actor_id, entry.note) == (None, "nn", person.id, "language")
    page = _page(client, "/mine-kurs")
    assert '<html lang="nn"' in page and "Kommande kurs" in page
    # Signed out, and in another browser with no cookie and a bokmål browser: the account still says nynorsk.
    client.post("/logg-ut")
    elsewhere = login(person)
    assert '<html lang="nn"' in _page(elsewhere, "/mine-kurs", **{"Accept-Language": "nb-NO"})


def test_the_accounts_choice_beats_this_browsers_cookie_and_language(login, make_user):
    person = make_user(locale="en")
    client = login(person)
    client.set_cookie(LANGUAGE_COOKIE, "nn")
    page = _page(client, "/mine-kurs", **{"Accept-Language": "nn"})
    assert '<html lang="en"' in page and "My courses" in page


@pytest.mark.parametrize("on_account,kept", [(None, "nn"), ("en", "en")])
def test_a_choice_made_before_signing_in_is_kept_on_an_account_without_one(client, make_user, on_account, kept):
    person = make_user(locale=on_account)
    db.session.commit()
    client.post("/sprak", data={"lang": "nn", "next": "/"})
    client.post("/logg-inn", data={"email": person.email, "password": "riktig-hest-batteri"})
    assert db.session.scalar(sa.select(User.locale).where(User.id == person.id)) == kept


def test_signed_in_person_gets_their_own_language(login, make_user):
    person = make_user(locale="en")
    db.session.commit()
    page = login(person).get("/mine-kurs").get_data(as_text=True)
    assert "My courses" in page


def test_a_signed_in_person_without_a_choice_follows_the_browser(login, make_user):
    person = make_user()
    page = _page(login(person), "/mine-kurs", **{"Accept-Language": "nn-NO"})
    assert '<html lang="nn"' in page and "Kommande kurs" in page


def test_unknown_language_is_ignored(client):
    response = client.post("/sprak", data={"lang": "xx", "next": "//evil.example"})
    assert response.headers["Location"].endswith("/") and "evil" not in response.headers["Location"]
    assert LANGUAGE_COOKIE not in response.headers.get("Set-Cookie", "")
    assert 'lang="nb"' in client.get("/").get_data(as_text=True)


def test_a_forged_language_cookie_is_ignored(client):
    client.set_cookie(LANGUAGE_COOKIE, "xx")
    assert '<html lang="nb"' in _page(client, "/")


def test_a_page_whose_language_came_from_the_browser_says_so_to_caches(client):
    vary = client.get("/", headers={"Accept-Language": "nn"}).headers.get("Vary", "")
    assert "Accept-Language" in vary and "Cookie" in vary


def test_a_template_inside_force_locale_speaks_that_language_and_the_page_its_own(app):
    """The templates' translations are kept per request; a mail built in another language gets its own."""
    from flask import render_template_string
    from flask_babel import force_locale

    skip = "{{ _('Hopp til hovedinnhold') }}"
    with app.test_request_context("/", headers={"Cookie": "kp_lang=nn"}):
        assert render_template_string(skip) == "Hopp til hovudinnhaldet"
        with force_locale("en"):
            assert render_template_string(skip) == "Skip to main content"
            with force_locale("nb"):
                assert render_template_string(skip) == "Hopp til hovedinnhold"
            assert render_template_string(skip) == "Skip to main content"
        assert render_template_string(skip) == "Hopp til hovudinnhaldet"
