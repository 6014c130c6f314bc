"""The front page: what the platform is for, and for a signed-in person what needs them now, by role.

The host knows no feature: the catalogue, the calendar and the fyrtårn
scheme each give their sections through the ``front_page`` hook, which must
answer in a fixed number of queries whatever the data.
"""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings.models import OfferingKind, OnboardingCohort, TargetGroup
from lighthouse.bookings import operations as booking_ops
from lighthouse.films import operations as film_ops
from lighthouse.profiles.models import GradeLevel, Subject
from lms.db import db
from lms.i18n import OSLO
from lms.people.models import Role
from tests.lighthouse.conftest import make_bookable, make_profile, make_window  # noqa: F401  (fixtures)
from tests.lighthouse.test_booking_pages import FIRST
from tests.lms.conftest import make_app  # noqa: F401  (a fixture)


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section(page: str, heading_id: str) -> str:
    """Return the HTML of the front-page section labelled by ``heading_id`` (empty when it is not there)."""
    marker = f'aria-labelledby="{heading_id}"'
    if marker not in page:
        return ""
    return page.split(marker, 1)[1].split("</section>", 1)[0]


@pytest.fixture
def world(admin, make_school, make_user, make_offering, make_profile, make_bookable, make_window, now):  # noqa: F811
    """A school with a leader, a teacher in several kinds of seat, new hires, and a fyrtårn with requests and films."""
    school = make_school("Nordby skole")
    leader = make_user("Liv Leder", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tor Lærer", school=school, hire_date=date(2015, 8, 1))
    colleagues = [make_user(f"Kollega {i}", school=school) for i in range(3)]
    make_user("Nils Nyansatt", school=school, hire_date=date(2026, 8, 3))
    make_user("Ola Oktober", school=school, hire_date=date(2026, 10, 15))
    profile = make_profile("Frida Fyrtårn", subjects=(Subject.MATHEMATICS,), grades=(GradeLevel.PRIMARY_UPPER,))
    fyrtarn = profile.user
    bookable = make_bookable(profile, title="Veiledning i matematikk")
    make_window(profile)

    main = make_offering("Digital vurdering i praksis", sessions=3, starts_in=timedelta(days=10),
                         target_groups=(TargetGroup.TEACHERS,))
    offered = make_offering("Lesing i alle fag", capacity=1, starts_in=timedelta(days=20))
    full = make_offering("Programmering i matematikk", capacity=1, starts_in=timedelta(days=30))
    make_offering("Kildekritikk og nettvett", min_participants=5, go_no_go_date=now.date() + timedelta(days=7),
                  starts_in=timedelta(days=21))
    make_offering("Fyrtårnkurs: brøk", min_participants=6, go_no_go_date=now.date() + timedelta(days=3),
                  starts_in=timedelta(days=17), responsible_id=fyrtarn.id)
    make_offering("Langt fram i tid", min_participants=6, go_no_go_date=now.date() + timedelta(days=60),
                  starts_in=timedelta(days=74))
    make_offering("Oppstartskurs for nyansatte", kind=OfferingKind.ONBOARDING, target_groups=(TargetGroup.NEW_HIRES,),
                  onboarding_cohort=OnboardingCohort.AUGUST, starts_in=timedelta(days=5))
    make_offering("Et utkast", publish=False)
    make_offering("Påmeldingen er stengt", registration_closes_at=now - timedelta(hours=1))

    enrollment_ops.enroll(main.id, teacher, actor=teacher, now=now)
    first = enrollment_ops.enroll(offered.id, colleagues[0], actor=colleagues[0], now=now)
    enrollment_ops.enroll(offered.id, teacher, actor=teacher, now=now)
    enrollment_ops.cancel_enrollment(first, actor=colleagues[0], now=now)  # the seat is offered to the teacher
    enrollment_ops.enroll(full.id, colleagues[1], actor=colleagues[1], now=now)
    enrollment_ops.enroll(full.id, colleagues[2], actor=colleagues[2], now=now)
    enrollment_ops.enroll(full.id, teacher, actor=teacher, now=now)  # second on the waitlist

    requested = booking_ops.request_booking(bookable.id, school.id, actor=leader, starts_at=FIRST,
                                            participants_count=4, now=now)
    answered = booking_ops.request_booking(bookable.id, school.id, actor=leader, starts_at=FIRST + timedelta(days=7),
                                           participants_count=6, now=now)
    booking_ops.confirm_booking(answered, actor=fyrtarn, now=now, location="Nordby skole, rom 12")
    film = film_ops.create_film(film_ops.FilmData(
        title="Brøk med tallinje", video_url="https://www.youtube.com/watch?v=abcdefghijk",
        subject=Subject.MATHEMATICS, grades=[GradeLevel.PRIMARY_UPPER], summary="Tre minutter om brøk på tallinjen."),
        actor=fyrtarn, now=now)
    film_ops.publish_film(film, actor=fyrtarn, now=now)
    db.session.commit()
    return SimpleNamespace(admin=admin, leader=leader, teacher=teacher, fyrtarn=fyrtarn, school=school,
                           main=main.id, offered=offered.id, full=full.id, requested=requested.id,
                           answered=answered.id, bookable=bookable.id, profile=profile.id)


def test_a_visitor_sees_what_it_is_for_a_search_box_the_next_open_offerings_the_fyrtarn_and_films(world, client):
    page = body(client.get("/"))
    assert "kurs, nettverk, veiledning og møter" in page
    for who in ("Lærere", "Skoleledere", "Foresatte"):
        assert f"<strong>{who}</strong>" in page
    search = section(page, "finn-kurs")
    assert 'action="/kurs"' in search and 'name="q"' in search and 'role="search"' in search
    open_now = section(page, "apne-tilbud")
    assert "Digital vurdering i praksis" in open_now and "Oppstartskurs for nyansatte" in open_now
    assert "Et utkast" not in open_now and "Påmeldingen er stengt" not in open_now
    assert "Frida Fyrtårn" in section(page, "fyrtarn-forside")
    assert "Brøk med tallinje" in section(page, "nyeste-filmer")
    assert 'id="neste-okter"' not in page and 'id="plass-tilbudt"' not in page


def test_the_search_box_leads_into_the_catalogue(world, client):
    assert "Digital vurdering i praksis" in body(client.get("/kurs?q=vurdering"))


def test_a_teacher_sees_next_sessions_an_offered_seat_with_its_deadline_and_waitlist_places(world, login, now):
    page = body(login(world.teacher).get("/"))
    sessions = section(page, "neste-okter")
    assert sessions.count("Digital vurdering i praksis") == 3
    offered = section(page, "plass-tilbudt")
    assert "Lesing i alle fag" in offered and "Svar innen" in offered
    assert 'action="/pameldinger/' in offered and "Takk ja" in offered and "Takk nei" in offered
    waiting = section(page, "ventelister")
    assert "Programmering i matematikk" in waiting and "Nummer 2 på ventelisten" in waiting
    # Not the teacher's tasks:
    for other in ("nyansatte-uten-kurs", "svar-fra-fyrtarn", "foresporsler", "under-minstetallet"):
        assert section(page, other) == "", other


def test_an_offered_seat_is_answered_from_the_front_page(world, login):
    client = login(world.teacher)
    offer = enrollment_ops.active_enrollment(world.offered, world.teacher.id)
    response = client.post(f"/pameldinger/{offer.id}/takk-ja", data={"next": "/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    page = body(client.get("/"))
    assert section(page, "plass-tilbudt") == ""
    assert "Lesing i alle fag" in section(page, "neste-okter")
    assert enrollment_ops.active_enrollment(world.offered, world.teacher.id).state == EnrollmentState.ENROLLED


def test_a_leader_sees_new_hires_without_onboarding_and_booking_answers_until_read(world, login):
    client = login(world.leader)
    page = body(client.get("/"))
    hires = section(page, "nyansatte-uten-kurs")
    assert "Nils Nyansatt" in hires and "Oppstartskurs for nyansatte" in hires
    assert "Ola Oktober" in hires and "Ingen oppstartskurs med åpen påmelding" in hires
    assert "Tor Lærer" not in hires
    answers = section(page, "svar-fra-fyrtarn")
    assert f'href="/bestillinger/{world.answered}"' in answers and "Bekreftet" in answers
    assert f'href="/bestillinger/{world.requested}"' not in answers  # not answered yet
    # Opening the booking reads the answer; it is no longer news on the front page.
    assert "Nytt svar" in body(client.get(f"/bestillinger/{world.answered}"))
    assert "Nytt svar" not in body(client.get(f"/bestillinger/{world.answered}"))
    assert section(body(client.get("/")), "svar-fra-fyrtarn") == ""


def test_a_new_answer_after_reading_is_news_again(world, login, now):
    client = login(world.leader)
    client.get(f"/bestillinger/{world.answered}")
    booking_ops.cancel_booking(db.session.get(booking_ops.Booking, world.answered), actor=world.fyrtarn,
                               now=now + timedelta(hours=1), reason="Syk.")
    db.session.commit()
    answers = section(body(client.get("/")), "svar-fra-fyrtarn")
    assert f'href="/bestillinger/{world.answered}"' in answers and "Avlyst" in answers


def test_an_admin_opening_a_booking_does_not_read_it_for_the_school(world, login):
    login(world.admin).get(f"/bestillinger/{world.answered}")
    assert f'href="/bestillinger/{world.answered}"' in section(body(login(world.leader).get("/")), "svar-fra-fyrtarn")


def test_a_fyrtarn_sees_the_requests_to_answer_and_their_own_offerings_below_the_minimum(world, login):
    page = body(login(world.fyrtarn).get("/"))
    requests = section(page, "foresporsler")
    assert f'href="/bestillinger/{world.requested}"' in requests and "Nordby skole" in requests
    assert f'href="/bestillinger/{world.answered}"' not in requests  # already confirmed
    short = section(page, "under-minstetallet")
    assert "Fyrtårnkurs: brøk" in short and "0 av minst 6 påmeldt" in short
    assert "Kildekritikk og nettvett" not in short  # not theirs


def test_an_admin_sees_every_offering_below_its_minimum_near_the_decision(world, login):
    short = section(body(login(world.admin).get("/")), "under-minstetallet")
    assert "Kildekritikk og nettvett" in short and "Fyrtårnkurs: brøk" in short
    assert "Langt fram i tid" not in short  # decided in two months
    assert "Digital vurdering i praksis" not in short  # no minimum


def test_the_front_page_works_without_the_fyrtarn_scheme(world, make_app):  # noqa: F811
    page = body(make_app(DISABLED_PLUGINS=["lighthouse"]).test_client().get("/"))
    assert 'id="apne-tilbud"' in page and "Frida Fyrtårn" not in page and "Brøk med tallinje" not in page


def test_an_english_front_page_marks_the_programmes_bokmal(world, client):
    client.post("/sprak", data={"lang": "en"})
    page = body(client.get("/"))
    assert 'lang="en"' in page and "Open for sign-up" in page
    assert 'lang="nb">Digital vurdering i praksis</a>' in page


# --- a fixed number of queries -------------------------------------------------------------

def _statements(client) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        body(client.get("/"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _more_of_everything(world, make_user, make_offering, now, n: int, first_week: int) -> None:
    """Give every role more of what its front page lists: sessions, seats, waitlists, hires, requests, films."""
    school = world.school
    for i in range(n):
        tag = f"{n}-{i}"
        course = make_offering(f"Mer {tag}", sessions=2, starts_in=timedelta(days=11 + i))
        enrollment_ops.enroll(course.id, world.teacher, actor=world.teacher, now=now)
        tight = make_offering(f"Tilbudt {tag}", capacity=1, starts_in=timedelta(days=12 + i))
        other = make_user(school=school)
        seat = enrollment_ops.enroll(tight.id, other, actor=other, now=now)
        enrollment_ops.enroll(tight.id, world.teacher, actor=world.teacher, now=now)
        enrollment_ops.cancel_enrollment(seat, actor=other, now=now)
        queue = make_offering(f"Kø {tag}", capacity=1, starts_in=timedelta(days=13 + i))
        enrollment_ops.enroll(queue.id, make_user(school=school), actor=world.admin, now=now)
        enrollment_ops.enroll(queue.id, world.teacher, actor=world.teacher, now=now)
        make_offering(f"Få påmeldte {tag}", min_participants=3, go_no_go_date=now.date() + timedelta(days=2),
                      starts_in=timedelta(days=16), responsible_id=world.fyrtarn.id)
        make_user(f"Ny {tag}", school=school, hire_date=date(2026, 8, 10) if i % 2 else date(2026, 10, 20))
        booking = booking_ops.request_booking(world.bookable, school.id, actor=world.leader,
                                              starts_at=FIRST.astimezone(OSLO) + timedelta(weeks=first_week + i),
                                              participants_count=2,
                                              now=now)
        if i % 2:
            booking_ops.confirm_booking(booking, actor=world.fyrtarn, now=now)
        film = film_ops.create_film(film_ops.FilmData(title=f"Film {tag}", video_url="https://vimeo.com/123456",
                                                      subject=Subject.MATHEMATICS, grades=[GradeLevel.PRIMARY_UPPER]),
                                    actor=world.fyrtarn, now=now)
        film_ops.publish_film(film, actor=world.fyrtarn, now=now)
    db.session.commit()


def test_the_front_page_query_count_does_not_grow_with_the_data(world, client, login, make_user, make_offering,
                                                                 make_profile, now):  # noqa: F811
    people = {"visitor": None, "teacher": world.teacher, "leader": world.leader, "fyrtarn": world.fyrtarn,
              "admin": world.admin}
    clients = {who: (login(person) if person else client) for who, person in people.items()}
    counts = {}
    for n, first_week in ((2, 2), (6, 4)):
        _more_of_everything(world, make_user, make_offering, now, n, first_week)
        for _ in range(n):
            make_profile()
        db.session.commit()
        counts[n] = {who: _statements(c) for who, c in clients.items()}
    assert counts[2] == counts[6]


def test_offered_seats_come_soonest_answer_first_and_are_only_ones_own(world, login, make_offering, make_user, now):
    soon = make_offering("Snart i gang", capacity=1, starts_in=timedelta(hours=30))
    others = make_offering("Annens plass", capacity=1, starts_in=timedelta(days=12))
    holder, waiting = make_user("Hanne Holder", school=world.school), make_user("Vera Venter", school=world.school)
    teacher = world.teacher
    seat = enrollment_ops.enroll(soon.id, holder, actor=holder, now=now)
    enrollment_ops.enroll(soon.id, teacher, actor=teacher, now=now)
    enrollment_ops.cancel_enrollment(seat, actor=holder, now=now)  # offered until it starts, in 30 hours
    mine = enrollment_ops.enroll(others.id, teacher, actor=teacher, now=now)
    enrollment_ops.enroll(others.id, waiting, actor=waiting, now=now)
    enrollment_ops.cancel_enrollment(mine, actor=teacher, now=now)  # offered to Vera, not to the teacher
    db.session.commit()
    offered = section(body(login(teacher).get("/")), "plass-tilbudt")
    assert "Annens plass" not in offered
    # The newer offer first: it must be answered within 30 hours, "Lesing i alle fag" within 48.
    assert offered.index("Snart i gang") < offered.index("Lesing i alle fag")


def _two_full_courses_at_the_same_time(make_offering, make_user, now):
    """Two one-seat courses starting at the same time, each seat taken; the later-made course's waitlist is
    joined first, so the order of signing up is not the order of the courses' numbers."""
    made_first, made_second = make_offering("Kurs laget først", capacity=1), make_offering("Kurs laget sist", capacity=1)
    assert made_first.first_starts_at == made_second.first_starts_at
    seats = [enrollment_ops.enroll(o.id, p, actor=p, now=now) for o, p in ((made_first, make_user()),
                                                                           (made_second, make_user()))]
    kari = make_user("Kari Venter")
    for offering in (made_second, made_first):
        assert enrollment_ops.enroll(offering.id, kari, actor=kari, now=now).state == EnrollmentState.WAITLISTED
    db.session.commit()
    return kari, seats


def test_waitlists_of_courses_starting_together_are_listed_in_the_order_they_were_joined(
        login, make_offering, make_user, now):
    kari, _seats = _two_full_courses_at_the_same_time(make_offering, make_user, now)
    waiting = section(body(login(kari).get("/")), "ventelister")
    assert waiting.index("Kurs laget sist") < waiting.index("Kurs laget først")


def test_seats_offered_with_the_same_answer_by_time_are_listed_in_the_order_they_were_asked_for(
        login, make_offering, make_user, now):
    kari, seats = _two_full_courses_at_the_same_time(make_offering, make_user, now)
    for seat in seats:  # both seats come free at once: both offers run out at the same time
        enrollment_ops.cancel_enrollment(seat, actor=seat.user, now=now)
    db.session.commit()
    assert len({e.offer_expires_at for e in enrollment_ops.offered_seats(kari.id)}) == 1
    page = section(body(login(kari).get("/")), "plass-tilbudt")
    assert page.index("Kurs laget sist") < page.index("Kurs laget først")
