"""Learning films: the open list and search, drafts, embedded videos, licences, writing a film."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lighthouse.films import operations as film_ops
from lighthouse.films.models import FilmGrade, LearningFilm
from lighthouse.profiles.models import GradeLevel, Subject
from lms.db import db
from tests.conftest import nothing_changes


@pytest.fixture
def make_film(make_profile, now):
    """Return a factory of films (published unless ``published=False``)."""
    def make(title="Brøk med pizza", *, profile=None, subject=Subject.MATHEMATICS,
             grades=(GradeLevel.PRIMARY_UPPER,), summary="", tasks="", published=True,
             video_url="https://video.kommune.test/film/1", licence="CC BY 4.0") -> LearningFilm:
        film = LearningFilm(profile=profile or make_profile(), title=title, summary=summary, tasks=tasks,
                            video_url=video_url, subject=subject, licence=licence,
                            published_at=now if published else None)
        film.grade_rows = [FilmGrade(grade=g) for g in grades]
        db.session.add(film)
        db.session.commit()
        return film
    return make


def _titles(html: str, *titles: str) -> set[str]:
    return {t for t in titles if t in html}


# --- the open list -----------------------------------------------------------------------

def test_list_is_open_without_sign_in_and_shows_published_films_only(client, make_film, make_profile):
    lighthouse = make_profile("Åse Fyrtårn")
    make_film("Brøk med pizza", profile=lighthouse, grades=(GradeLevel.PRIMARY_UPPER, GradeLevel.LOWER_SECONDARY))
    make_film("Hemmelig utkast", published=False)
    html = client.get("/laeringsfilmer").get_data(as_text=True)
    assert "Brøk med pizza" in html and "Hemmelig utkast" not in html
    assert "Åse Fyrtårn" in html and "Matematikk" in html
    assert "5.–7. trinn" in html and "8.–10. trinn" in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/deed.no"' in html
    assert "1 film" in html


def test_search_finds_words_in_title_summary_and_tasks_whatever_the_case(client, make_film):
    make_film("Brøk med pizza")
    make_film("Fotosyntesen", subject=Subject.SCIENCE, summary="Hvordan planter lager NÆRING av lys.")
    make_film("Skriverammer", subject=Subject.NORWEGIAN, tasks="1. Skriv en **ØKOLOGISK** fortelling.")
    make_film("Andre ting", subject=Subject.MUSIC)
    titles = ("Brøk med pizza", "Fotosyntesen", "Skriverammer", "Andre ting")
    assert _titles(client.get("/laeringsfilmer?q=BRØK").get_data(as_text=True), *titles) == {"Brøk med pizza"}
    assert _titles(client.get("/laeringsfilmer?q=næring").get_data(as_text=True), *titles) == {"Fotosyntesen"}
    assert _titles(client.get("/laeringsfilmer?q=økologisk").get_data(as_text=True), *titles) == {"Skriverammer"}
    html = client.get("/laeringsfilmer?q=100%25_").get_data(as_text=True)
    assert _titles(html, *titles) == set() and "Ingen filmer passer" in html


def test_filters_by_subject_and_grade(client, make_film):
    make_film("Brøk med pizza", subject=Subject.MATHEMATICS, grades=(GradeLevel.PRIMARY_UPPER,))
    make_film("Algebra", subject=Subject.MATHEMATICS, grades=(GradeLevel.LOWER_SECONDARY,))
    make_film("Rim og regler", subject=Subject.NORWEGIAN, grades=(GradeLevel.PRIMARY_LOWER, GradeLevel.PRIMARY_UPPER))
    titles = ("Brøk med pizza", "Algebra", "Rim og regler")
    html = client.get("/laeringsfilmer?fag=mathematics").get_data(as_text=True)
    assert _titles(html, *titles) == {"Brøk med pizza", "Algebra"}
    html = client.get("/laeringsfilmer?trinn=5-7").get_data(as_text=True)
    assert _titles(html, *titles) == {"Brøk med pizza", "Rim og regler"}
    html = client.get("/laeringsfilmer?fag=norwegian&trinn=1-4").get_data(as_text=True)
    assert _titles(html, *titles) == {"Rim og regler"}
    # What cannot be understood is ignored, never a 500.
    html = client.get("/laeringsfilmer?fag=tull&trinn=99&side=x").get_data(as_text=True)
    assert _titles(html, *titles) == set(titles)


def test_list_is_paginated(app, client, make_film, make_profile):
    profile = make_profile()
    app.config["PAGE_SIZE"] = 2
    try:
        for n in range(5):
            make_film(f"Film nummer {n}", profile=profile)
        first = client.get("/laeringsfilmer").get_data(as_text=True)
        last = client.get("/laeringsfilmer?side=3").get_data(as_text=True)
        beyond = client.get("/laeringsfilmer?side=999").get_data(as_text=True)
    finally:
        app.config["PAGE_SIZE"] = 20
    assert "Side 1 av 3" in first and "5 filmer" in first and first.count('class="ds-card kp-card"') == 2
    assert "Side 3 av 3" in last and last.count('class="ds-card kp-card"') == 1
    assert "Side 3 av 3" in beyond


# --- the film page -----------------------------------------------------------------------

def test_draft_is_hidden_from_the_public_but_shown_to_its_fyrtarn_and_admins(client, login, admin, make_film,
                                                                          make_profile, make_user):
    profile = make_profile()
    film = make_film("Utkast om brøk", profile=profile, published=False)
    assert client.get(f"/laeringsfilmer/{film.id}").status_code == 404
    assert login(make_user()).get(f"/laeringsfilmer/{film.id}").status_code == 404
    other_lighthouse = make_profile()
    assert login(other_lighthouse.user).get(f"/laeringsfilmer/{film.id}").status_code == 404
    own = login(profile.user).get(f"/laeringsfilmer/{film.id}")
    assert own.status_code == 200 and "Utkast om brøk" in own.get_data(as_text=True)
    assert "Utkast – ikke publisert" in own.get_data(as_text=True)
    assert login(admin).get(f"/laeringsfilmer/{film.id}").status_code == 200
    assert client.get("/laeringsfilmer/999999").status_code == 404


@pytest.mark.parametrize("url, embed", [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?t=10", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
    ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
])
def test_youtube_and_vimeo_films_are_embedded_and_the_policy_allows_their_frames(client, make_film, url, embed):
    film = make_film(video_url=url)
    response = client.get(f"/laeringsfilmer/{film.id}")
    html = response.get_data(as_text=True)
    assert f'<iframe src="{embed}"' in html
    assert 'title="Film: Brøk med pizza"' in html
    assert "Se filmen" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in policy
    assert "script-src 'self'" in policy


def test_film_from_another_service_is_a_link_and_no_page_may_frame_it(client, make_film):
    film = make_film(video_url="https://video.annet.test/se?id=42")
    response = client.get(f"/laeringsfilmer/{film.id}")
    html = response.get_data(as_text=True)
    assert "<iframe" not in html
    assert 'href="https://video.annet.test/se?id=42"' in html and "Se filmen" in html
    assert "frame-src" not in response.headers["Content-Security-Policy"]


def test_configured_video_service_is_embedded_and_allowed_by_the_policy(app, client, make_film):
    film = make_film(video_url="https://video.kommune.test/embed/abc")
    app.config["VIDEO_EMBED_HOSTS"] = ["video.kommune.test"]
    try:
        response = client.get(f"/laeringsfilmer/{film.id}")
    finally:
        app.config["VIDEO_EMBED_HOSTS"] = []
    assert '<iframe src="https://video.kommune.test/embed/abc"' in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].endswith(
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com https://video.kommune.test")


def test_tasks_are_rendered_from_markdown_without_scripts(client, make_film):
    film = make_film(tasks="1. Se filmen\n2. Løs **oppgave 2**\n\n<script>alert(1)</script>")
    html = client.get(f"/laeringsfilmer/{film.id}").get_data(as_text=True)
    assert "<strong>oppgave 2</strong>" in html and "<li>Se filmen</li>" in html
    assert "<script>alert(1)" not in html


def test_licence_links_to_its_deed_and_all_rights_reserved_has_no_link(client, make_film):
    by_sa = make_film("Delt", licence="CC BY-SA 4.0")
    html = client.get(f"/laeringsfilmer/{by_sa.id}").get_data(as_text=True)
    assert 'href="https://creativecommons.org/licenses/by-sa/4.0/deed.no"' in html
    closed = make_film("Lukket", licence="Alle rettigheter forbeholdt")
    html = client.get(f"/laeringsfilmer/{closed.id}").get_data(as_text=True)
    assert "Alle rettigheter forbeholdt" in html and "creativecommons.org" not in html


def test_film_page_names_the_fyrtarn_and_school(client, make_film, make_profile, make_school):
    profile = make_profile("Bjørn Berg", school=make_school("Lysaker skole"))
    film = make_film(profile=profile)
    html = client.get(f"/laeringsfilmer/{film.id}").get_data(as_text=True)
    assert "Bjørn Berg" in html and "Lysaker skole" in html


# --- writing films ---------------------------------------------------------------------

def _form(**overrides):
    data = {"title": "Brøk med pizza", "summary": "Brøk forklart med pizza.",
            "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "tasks": "1. Del pizzaen",
            "subject": "mathematics", "grades": ["5-7"], "licence": "CC BY 4.0"}
    data.update(overrides)
    return data


def test_fyrtarn_writes_a_draft_and_publishes_it(client, login, make_profile):
    profile = make_profile()
    c = login(profile.user)
    form_page = c.get("/laeringsfilmer/ny").get_data(as_text=True)
    assert '<option selected value="CC BY 4.0">' in form_page or 'value="CC BY 4.0" selected' in form_page
    response = c.post("/laeringsfilmer/ny", data=_form())
    assert response.status_code == 303
    film = db.session.scalar(db.select(LearningFilm))
    assert film.profile_id == profile.id and film.published_at is None and film.grades == [GradeLevel.PRIMARY_UPPER]
    assert client.get(f"/laeringsfilmer/{film.id}").status_code == 404
    assert "Brøk med pizza" in c.get("/laeringsfilmer/mine").get_data(as_text=True)
    assert c.post(f"/laeringsfilmer/{film.id}/publiser").status_code == 303
    assert client.get(f"/laeringsfilmer/{film.id}").status_code == 200
    assert "Brøk med pizza" in client.get("/laeringsfilmer").get_data(as_text=True)
    c.post(f"/laeringsfilmer/{film.id}/avpubliser")
    assert client.get(f"/laeringsfilmer/{film.id}").status_code == 404


@pytest.mark.parametrize("bad_url", ["http://www.youtube.com/watch?v=dQw4w9WgXcQ", "ikke en adresse",
                                     "javascript:alert(1)", ""])
def test_bad_video_url_is_refused_in_norwegian_and_keeps_what_was_typed(login, make_profile, bad_url):
    c = login(make_profile().user)
    with nothing_changes():
        response = c.post("/laeringsfilmer/ny", data=_form(title="Min fine film", video_url=bad_url))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Min fine film"' in html
    assert "Skjemaet har feil" in html
    assert ("Dette feltet må fylles ut." if not bad_url else "Skriv en fullstendig nettadresse som begynner med https://.") in html
    assert db.session.scalar(db.select(db.func.count()).select_from(LearningFilm)) == 0


def test_missing_grade_and_unknown_subject_are_refused(login, make_profile):
    c = login(make_profile().user)
    with nothing_changes():
        response = c.post("/laeringsfilmer/ny", data=_form(grades=[], subject="astrologi"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Velg minst ett trinn." in html
    assert db.session.scalar(db.select(db.func.count()).select_from(LearningFilm)) == 0


def test_only_fyrtarn_and_admins_write_films(client, login, make_user):
    teacher = login(make_user())
    assert teacher.get("/laeringsfilmer/mine").status_code == 403
    assert teacher.get("/laeringsfilmer/ny").status_code == 403
    with nothing_changes():
        assert teacher.post("/laeringsfilmer/ny", data=_form()).status_code == 403
    anonymous = client.get("/laeringsfilmer/mine")
    assert anonymous.status_code == 302 and "/logg-inn" in anonymous.headers["Location"]


def test_another_fyrtarn_cannot_change_a_film_but_an_admin_can(login, admin, make_film, make_profile):
    film = make_film("Brøk med pizza")
    other = login(make_profile().user)
    assert other.get(f"/laeringsfilmer/{film.id}/rediger").status_code == 403
    with nothing_changes():
        assert other.post(f"/laeringsfilmer/{film.id}/avpubliser").status_code == 403
    with nothing_changes():
        assert other.post(f"/laeringsfilmer/{film.id}/rediger", data=_form(title="Kapret")).status_code == 403
    c = login(admin)
    assert c.get("/laeringsfilmer/999999/rediger").status_code == 404
    response = c.post(f"/laeringsfilmer/{film.id}/rediger",
                      data=_form(title="Brøk med pizza, del 2", profile_id=str(film.profile_id)))
    assert response.status_code == 303
    db.session.refresh(film)
    assert film.title == "Brøk med pizza, del 2"
    assert "Brøk med pizza, del 2" in c.get("/laeringsfilmer/mine").get_data(as_text=True)


def test_admin_saves_a_film_in_a_fyrtarns_name(login, admin, make_profile):
    profile = make_profile("Åse Fyrtårn")
    c = login(admin)
    assert "Åse Fyrtårn" in c.get("/laeringsfilmer/ny").get_data(as_text=True)
    assert c.post("/laeringsfilmer/ny", data=_form(profile_id=str(profile.id))).status_code == 303
    film = db.session.scalar(db.select(LearningFilm))
    assert film.profile_id == profile.id


def test_fyrtarn_cannot_save_a_film_in_someone_elses_name(login, make_profile):
    mine, other = make_profile(), make_profile()
    c = login(mine.user)
    c.post("/laeringsfilmer/ny", data=_form(profile_id=str(other.id)))
    film = db.session.scalar(db.select(LearningFilm))
    assert film.profile_id == mine.id


def test_embed_url_refuses_lookalike_hosts():
    assert film_ops.embed_url("https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ") is None
    assert film_ops.embed_url("https://www.youtube.com/watch?v=<script>") is None
    assert film_ops.embed_url("http://vimeo.com/76979871") is None
    assert film_ops.embed_url("https://video.kommune.test/x", ["https://video.kommune.test"]) == \
        "https://video.kommune.test/x"


def test_list_queries_do_not_grow_with_the_number_of_films(client, make_film, make_profile):
    def statements() -> int:
        seen = []

        def listen(*args):
            seen.append(args)
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert client.get("/laeringsfilmer").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen)

    for n in range(2):
        make_film(f"Film {n}", profile=make_profile())
    few = statements()
    for n in range(8):
        make_film(f"Flere {n}", profile=make_profile())
    assert statements() == few
