"""Every fyrtårn page passes axe-core's WCAG 2.1 A and AA rules in Chromium, filled with realistic data.

Profiles with offerings and availability, release time waiting for approval,
learning films (one embedded, one draft), and bookings in every stage: asked
for, another time proposed, confirmed with named participants, and one done
with feedback and the fyrtårn's record.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from lighthouse.bookings import operations as ops
from lighthouse.bookings.models import BookableKind, Venue
from lighthouse.films.models import FilmGrade, LearningFilm
from lighthouse.profiles.models import GradeLevel, ReleaseTime, Subject
from lms.db import db
from lms.people.models import Role
from tests.browser.conftest import PHONE, settle
from tests.browser.test_accessibility import check_accessibility
from tests.lighthouse.conftest import make_bookable, make_profile, make_window  # noqa: F401  (fixtures)

TASKS = """\
1. Se filmen og noter **tre** strategier for hoderegning.
2. Prøv strategiene på oppgavene under, og diskuter med en medelev.

| Oppgave | Strategi |
|---|---|
| 48 + 37 | Runde av |
"""


@pytest.fixture
def fyrtarn_world(admin, make_school, make_user, make_profile, make_bookable, make_window, now):  # noqa: F811
    school = make_school("Bekkestua skole")
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school, email="rita.rektor@skole.test")
    staff = [make_user(name, school=school) for name in ("Kari Nordmann", "Ola Nordmann", "Per Hansen")]
    home = make_school("Eikeli skole")
    principal = make_user("Hans Rektor", roles=(Role.LEADER,), school=home, email="hans.rektor@skole.test")
    profile = make_profile("Marte Holm", school=home, subjects=(Subject.MATHEMATICS, Subject.DIGITAL),
                           grades=(GradeLevel.PRIMARY_UPPER, GradeLevel.LOWER_SECONDARY))
    profile.presentation = "Jeg har jobbet med **utforskende matematikk** i 15 år."
    make_profile("Kari Solberg", subjects=(Subject.READING_WRITING,), grades=(GradeLevel.PRIMARY_LOWER,))
    db.session.add(ReleaseTime(profile_id=profile.id, semester="2027V", requested_minutes=30 * 60))
    guidance = make_bookable(profile, title="Veiledning i utforskende matematikk")
    make_bookable(profile, kind=BookableKind.WORKSHOP, title="Verksted: programmering i matematikk",
                  duration_minutes=180, max_participants=25, venue=Venue.AT_SCHOOL)
    make_window(profile, weekday=1)
    make_window(profile, weekday=3, start=datetime(2026, 1, 1, 8).time(), end=datetime(2026, 1, 1, 11).time())

    earlier = now - timedelta(days=30)
    past = ops.request_booking(guidance.id, school.id, actor=leader, now=earlier, participants_count=3,
                               starts_at=ops.free_times(guidance, start=now - timedelta(days=20), end=now,
                                                        now=earlier)[0].starts_at,
                               note="Vi vil jobbe med hoderegning.", participant_ids=[s.id for s in staff[:2]])
    ops.confirm_booking(past, actor=profile.user, now=earlier, location="Bekkestua skole, rom 204")
    ops.give_feedback(past, actor=leader, now=now, rating=5, comment="Svært nyttig for hele trinnet.")
    ops.record_work(past, actor=profile.user, now=now, text="Gjennomgikk hoderegningsstrategier med 5. trinn.")

    times = ops.free_times(guidance, start=now, end=now + timedelta(days=60), now=now)
    asked = ops.request_booking(guidance.id, school.id, actor=leader, now=now, participants_count=4,
                                starts_at=times[0].starts_at, note="Gjerne med fokus på tilpasset opplæring.")
    proposed = ops.request_booking(guidance.id, school.id, actor=leader, now=now, participants_count=2,
                                   starts_at=times[2].starts_at)
    ops.propose_time(proposed, actor=profile.user, now=now, starts_at=times[4].starts_at,
                     answer="Jeg er på kurs den dagen, men kan uka etter.")
    confirmed = ops.request_booking(guidance.id, school.id, actor=leader, now=now, participants_count=3,
                                    starts_at=times[6].starts_at, participant_ids=[s.id for s in staff])
    ops.confirm_booking(confirmed, actor=profile.user, now=now, online_url="https://meet.example.no/matte")

    film = LearningFilm(profile_id=profile.id, title="Hoderegning med tiervenner", subject=Subject.MATHEMATICS,
                        summary="Fem minutter om strategier for hoderegning.", tasks=TASKS,
                        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", published_at=now)
    film.grade_rows = [FilmGrade(grade=GradeLevel.PRIMARY_UPPER)]
    draft = LearningFilm(profile_id=profile.id, title="Brøk på tallinja (utkast)", subject=Subject.MATHEMATICS,
                         video_url="https://video.example.no/brok", tasks="Kommer.")
    db.session.add_all([film, draft])
    db.session.commit()
    w = SimpleNamespace(admin=admin.email, leader=leader.email, principal=principal.email,
                        fyrtarn=profile.user.email, profile=profile.id, guidance=guidance.id, film=film.id,
                        draft=draft.id, past=past.id, asked=asked.id, proposed=proposed.id, confirmed=confirmed.id)
    settle()
    return w


def _visit(page, url: str, what: str, expect: str | None = None) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{what}: {url} answered {response.status}"
    if expect is not None:
        assert expect in page.content(), f"{what}: {expect!r} not on {url}"
    check_accessibility(page, what)


def test_public_fyrtarn_and_film_pages_are_accessible(fyrtarn_world, new_page):
    w = fyrtarn_world
    page = new_page()
    _visit(page, "/fyrtarn", "Fyrtårn list", "Marte Holm")
    _visit(page, "/fyrtarn?fag=mathematics&trinn=5-7", "Fyrtårn list filtered", "Marte Holm")
    _visit(page, f"/fyrtarn/{w.profile}", "Fyrtårn profile", "Veiledning i utforskende matematikk")
    _visit(page, "/laeringsfilmer", "learning films", "Hoderegning med tiervenner")
    _visit(page, "/laeringsfilmer?q=finnes-ikke", "learning films, nothing found")
    _visit(page, f"/laeringsfilmer/{w.film}", "learning film with embedded video", "tiervenner")
    phone = new_page(viewport=PHONE)
    _visit(phone, "/fyrtarn", "Fyrtårn list on a phone", "Marte Holm")
    _visit(phone, f"/laeringsfilmer/{w.film}", "learning film on a phone")


def test_fyrtarn_own_pages_are_accessible(fyrtarn_world, new_page):
    w = fyrtarn_world
    page = new_page(w.fyrtarn)
    _visit(page, "/fyrtarn/min-profil", "own fyrtårn profile")
    _visit(page, "/fyrtarn/tilbud", "own offerings", "Verksted: programmering i matematikk")
    _visit(page, "/fyrtarn/tilbud/ny", "new offering form")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".ds-error-summary, .ds-alert")
    check_accessibility(page, "new offering form with errors")
    _visit(page, "/fyrtarn/tilgjengelighet", "availability windows")
    _visit(page, "/fyrtarn/apent-kurs/ny", "new open course form")
    _visit(page, "/laeringsfilmer/mine", "own learning films", "utkast")
    _visit(page, "/laeringsfilmer/ny", "new learning film form")
    _visit(page, f"/laeringsfilmer/{w.draft}", "draft learning film (link, not embed)")
    _visit(page, "/bestillinger", "fyrtårn's bookings", "Bekkestua skole")
    _visit(page, f"/bestillinger/{w.asked}", "booking to answer, with every answer form")
    _visit(page, f"/bestillinger/{w.past}", "past booking with feedback and record", "Svært nyttig")


def test_school_pages_for_bookings_are_accessible(fyrtarn_world, new_page):
    w = fyrtarn_world
    page = new_page(w.leader)
    _visit(page, "/bestillinger", "school's bookings", "Veiledning i utforskende matematikk")
    _visit(page, f"/bestillinger/ny/{w.guidance}", "booking form with free times")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".ds-error-summary, .ds-alert")
    check_accessibility(page, "booking form with errors")
    _visit(page, f"/bestillinger/{w.proposed}", "booking with a proposed time", "uka etter")
    _visit(page, f"/bestillinger/{w.confirmed}", "confirmed booking with participants", "Per Hansen")
    phone = new_page(w.leader, viewport=PHONE)
    _visit(phone, f"/bestillinger/ny/{w.guidance}", "booking form on a phone")
    _visit(phone, f"/bestillinger/{w.confirmed}", "confirmed booking on a phone")

    principal = new_page(w.principal)
    _visit(principal, "/fyrtarn/frikjop", "release time to approve", "Marte Holm")


def test_admin_fyrtarn_pages_are_accessible(fyrtarn_world, new_page):
    page = new_page(fyrtarn_world.admin)
    _visit(page, "/fyrtarn/oversikt", "Fyrtårn overview", "Matematikk")
    _visit(page, "/fyrtarn/ny", "new fyrtårn profile form")
    _visit(page, "/bestillinger", "all bookings for admins", "Bekkestua skole")
    _visit(page, f"/bestillinger/{fyrtarn_world.confirmed}", "booking as admin")


def test_booking_pages_in_nynorsk_are_accessible(fyrtarn_world, new_page):
    """A school leader whose browser asks for nynorsk books in nynorsk: free times with weekdays and weeks."""
    w = fyrtarn_world
    page = new_page(w.leader, locale="nn-NO")
    _visit(page, f"/bestillinger/ny/{w.guidance}", "booking form with free times in nynorsk", "Vel eit ledig tidspunkt")
    assert page.locator("html").get_attribute("lang") == "nn"
    _visit(page, f"/bestillinger/{w.confirmed}", "confirmed booking in nynorsk", "Stadfesta")
    _visit(page, "/fyrtarn", "Fyrtårn list in nynorsk", "Marte Holm")
