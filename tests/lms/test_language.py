"""Bokmål first, English on request."""
from lms.db import db


def test_pages_are_in_bokmal_by_default(client, make_offering):
    make_offering("Digital dømmekraft")
    page = client.get("/kurs").get_data(as_text=True)
    assert 'lang="nb"' in page and "Kurskatalog" in page and "ledige plasser" in page


def test_language_switch_shows_english_and_sticks(client, make_offering):
    make_offering("Digital dømmekraft", capacity=3)
    response = client.post("/sprak", data={"lang": "en", "next": "/kurs"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kurs")
    page = client.get("/kurs").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Course catalogue" in page and "3 places available" in page
    assert "Thursday 1 October 2026" in page  # dates follow the language, still in Oslo time
    assert "week 40" in page


def test_signed_in_person_gets_their_own_language(login, make_user):
    person = make_user(locale="en")
    db.session.commit()
    page = login(person).get("/mine-kurs").get_data(as_text=True)
    assert "My courses" in page


def test_unknown_language_is_ignored(client):
    client.post("/sprak", data={"lang": "xx", "next": "//evil.example"})
    assert 'lang="nb"' in client.get("/").get_data(as_text=True)
