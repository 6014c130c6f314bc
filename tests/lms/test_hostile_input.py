"""What a hostile tester sent (issue 16): numbers too large, blanks, line breaks, ids to probe, huge bodies."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from catalog.enrollment.models import Enrollment
from lms.db import db
from lms.people.models import Role, User
from tests.conftest import nothing_changes, without_csrf_tokens

HUGE = "9" * 20


@pytest.mark.parametrize("url", [
    f"/admin/ansatte?side={HUGE}", f"/admin/skoler?side={HUGE}", f"/admin/epost?side={HUGE}",
    f"/admin/ansatte?skole={HUGE}", f"/admin/ansatte?skole={HUGE}&side=-1", f"/kalender?skole={HUGE}",
    f"/nyansatte?skole={HUGE}", f"/kurs?side={HUGE}", f"/bestillinger?side={HUGE}", f"/laeringsfilmer?side={HUGE}",
    f"/kurs/{HUGE}", f"/admin/ansatte/{HUGE}", "/kurs?q=a%0Ab%00&tema=%0D%0A", "/admin/ansatte?q=%00%0A",
])
def test_numbers_too_large_and_control_characters_in_the_address_are_no_500(login, admin, url):
    assert login(admin).get(url).status_code in (200, 400, 404)


def test_catalogue_feed_with_a_line_break_in_the_theme_is_a_calendar(client, make_offering):
    make_offering(theme="a b")
    response = client.get("/kurs/kalender.ics?tema=a%0Ab")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert "X-WR-CALNAME:Kurskatalogen (a b)\r\n" in body


def test_a_school_id_of_twenty_digits_in_the_person_form_is_a_message(login, admin):
    form = {"name": "Kari Nordmann", "email": "kari@skole.no", "locale": "", "active": "y",
            "memberships-0-school_id": HUGE, "memberships-0-role": "teacher"}
    with nothing_changes():
        response = login(admin).post("/admin/ansatte/ny", data=form)
    assert response.status_code == 400
    assert "Skjemaet har feil som må rettes" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["name", "email"])
def test_a_person_name_with_a_line_break_is_refused_and_kept(login, admin, field):
    form = {"name": "Kari Nordmann", "email": "kari@skole.no", "locale": "", "active": "y",
            "memberships-0-school_id": "0", "memberships-0-role": "", field: "Kari\nNordmann"}
    with nothing_changes():
        response = login(admin).post("/admin/ansatte/ny", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Skriv teksten på én linje" in page and "Kari\nNordmann" in page


def test_a_school_name_with_a_control_character_is_refused(login, admin):
    form = {"name": "Bekkestua\x0bskole", "org_number": "974760673", "district": "", "focus_areas": "a\nb"}
    with nothing_changes():
        response = login(admin).post("/admin/skoler/ny", data=form)
    assert response.status_code == 400 and "Skriv teksten på én linje" in response.get_data(as_text=True)


def test_enrolling_an_unknown_person_answers_like_someone_else_s_staff(login, make_offering, make_user, make_school):
    offering = make_offering()
    leader = make_user("Rita Rektor", roles=(Role.LEADER,))
    stranger = make_user("Ola Annenskole", school=make_school())
    unknown = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1000
    c = login(leader)
    c.get("/")  # shows the welcome, which would otherwise be on the first answer only
    answers = []
    for person_id in (stranger.id, unknown):
        with nothing_changes():
            response = c.post(f"/kurs/{offering.id}/pamelding", data={"person_id": str(person_id)})
        # The CSRF token is signed with the time: it changes when a second passes between the two answers.
        answers.append((response.status_code, without_csrf_tokens(response.get_data(as_text=True))))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403 and "Du kan bare melde på deg selv eller ansatte ved din skole." in answers[0][1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 0


def test_health_check_keeps_the_status_but_not_the_engine(client):
    answer = client.get("/healthz").get_json()
    assert answer == {"status": "ok", "database": "ok"}


def test_a_body_above_the_limit_is_refused_with_413_and_a_norwegian_message(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 3 * 1024 * 1024
    response = client.post("/logg-inn", data={"email": "a@b.no", "password": "x" * (limit + 1)})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "For stor forespørsel" in page and "større enn 3 MiB" in page


def test_the_largest_staff_csv_fits_under_the_limit(login, admin):
    from lms.people.operations import MAX_IMPORT_BYTES
    raw = b"navn;e-post;skole;rolle\r\n" + b"x" * (MAX_IMPORT_BYTES - 30)
    response = login(admin).post("/admin/ansatte/import", data={"file": (io.BytesIO(raw), "ansatte.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code != 413
