"""Fyrtårn pages as people see them: the public list, profiles, release time, offerings, availability, open courses."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from catalog.offerings.models import Offering, OfferingStatus, TargetGroup
from lighthouse.bookings import operations as booking_ops
from lighthouse.bookings.models import (AvailabilityWindow, BookableKind, BookableOffering, Booking, BookingState,
                                       Venue)
from lighthouse.films.models import FilmGrade, LearningFilm
from lighthouse.profiles import operations as ops
from lighthouse.profiles.models import GradeLevel, LighthouseProfile, ReleaseTime, Subject
from lms.auth.operations import PermissionDenied
from lms.audit.models import AuditEntry
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.people.models import Role, User
from tests.conftest import nothing_changes


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def reader_profiles(make_profile):
    maths = make_profile("Marte Matte", subjects=(Subject.MATHEMATICS,), grades=(GradeLevel.PRIMARY_UPPER,))
    reading = make_profile("Lise Lesing", subjects=(Subject.READING_WRITING,), grades=(GradeLevel.PRIMARY_LOWER,))
    hidden = make_profile("Ivar Inaktiv", subjects=(Subject.MATHEMATICS,), grades=(GradeLevel.PRIMARY_UPPER,))
    hidden.active = False
    db.session.commit()
    return maths, reading, hidden


# --- the public pages -------------------------------------------------------------

def test_public_page_lists_active_fyrtarn_without_sign_in(client, reader_profiles):
    maths, reading, hidden = reader_profiles
    page = text(client.get("/fyrtarn"))
    assert "Marte Matte" in page and "Lise Lesing" in page
    assert "Ivar Inaktiv" not in page
    assert maths.home_school.name in page
    assert "Erfaren lærer." in page
    assert "Matematikk" in page and "5.–7. trinn" in page


def test_public_page_filters_by_subject_and_grade(client, reader_profiles):
    page = text(client.get("/fyrtarn?fag=reading_writing"))
    assert "Lise Lesing" in page and "Marte Matte" not in page
    page = text(client.get("/fyrtarn?trinn=5-7"))
    assert "Marte Matte" in page and "Lise Lesing" not in page
    page = text(client.get("/fyrtarn?fag=mathematics&trinn=1-4"))
    assert "Marte Matte" not in page and "Ingen fyrtårn passer" in page
    # Nonsense in the filter is ignored, not a 500.
    response = client.get("/fyrtarn?fag=tull&trinn=99")
    assert response.status_code == 200 and "Marte Matte" in text(response)


def test_public_page_queries_do_not_grow_with_the_number_of_fyrtarn(client, make_profile):
    counts = []
    for n in (2, 6):
        while db.session.scalar(sa.select(sa.func.count()).select_from(LighthouseProfile)) < n:
            make_profile(subjects=(Subject.MATHEMATICS, Subject.DIGITAL))
        db.session.commit()
        statements = []

        def listener(*args):
            statements.append(1)
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get("/fyrtarn")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_profile_page_shows_offerings_open_courses_and_films(client, make_profile, make_bookable, make_offering,
                                                             now):
    profile = make_profile("Marte Matte")
    profile.presentation = "Jeg liker **brøk**.<script>alert(1)</script>"
    make_bookable(profile, title="Veiledning i brøk")
    old = make_bookable(profile, title="Gammelt verksted")
    old.active = False
    course = make_offering("Åpent kurs i geometri", responsible_id=profile.user_id)
    make_offering("Någen andres kurs")
    film = LearningFilm(profile_id=profile.id, title="Brøk på tallinja", video_url="https://vimeo.com/1",
                        subject=Subject.MATHEMATICS, published_at=now)
    film.grade_rows = [FilmGrade(grade=GradeLevel.PRIMARY_UPPER)]
    db.session.add_all([film, LearningFilm(profile_id=profile.id, title="Utkast til film",
                                           video_url="https://vimeo.com/2", subject=Subject.MATHEMATICS)])
    db.session.commit()

    page = text(client.get(f"/fyrtarn/{profile.id}"))
    assert "<strong>brøk</strong>" in page and "<script>alert" not in page
    assert "Veiledning i brøk" in page and "Gammelt verksted" not in page
    assert "Åpent kurs i geometri" in page and f"/kurs/{course.id}" in page
    assert "Någen andres kurs" not in page
    assert "Brøk på tallinja" in page and "Utkast til film" not in page
    # Signed out, nobody is offered to order.
    assert "Bestill" not in page


def test_unknown_or_inactive_profile_is_404(client, reader_profiles):
    assert client.get("/fyrtarn/999999").status_code == 404
    assert client.get(f"/fyrtarn/{reader_profiles[2].id}").status_code == 404


def test_leader_sees_order_button_when_booking_page_exists(app, login, make_user, make_bookable):
    offering = make_bookable()
    leader = make_user("Rektor", roles=(Role.LEADER,))
    page = text(login(leader).get(f"/fyrtarn/{offering.profile_id}"))
    has_booking_page = "bookings.new" in app.view_functions
    assert ("Bestill" in page) == has_booking_page


# --- editing profiles -----------------------------------------------------------------

def test_fyrtarn_edits_own_profile(login, make_profile):
    profile = make_profile("Marte Matte")
    c = login(profile.user)
    assert "Min fyrtårnprofil" in text(c.get("/fyrtarn/min-profil"))
    response = c.post("/fyrtarn/min-profil", data={
        "subjects": ["mathematics", "digital"], "grades": ["8-10"], "presentation": "Ny tekst om *meg*.",
        "active": "y"})
    assert response.status_code == 303
    page = text(c.get(f"/fyrtarn/{profile.id}"))
    assert "Digital kompetanse" in page and "8.–10. trinn" in page and "<em>meg</em>" in page
    assert "5.–7. trinn" not in page


def test_profile_form_keeps_input_and_says_what_is_missing(login, make_profile):
    profile = make_profile()
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/min-profil", data={"grades": ["1-4"], "presentation": "Beholdes"})
    assert response.status_code == 400
    page = text(response)
    assert "Velg minst ett fagområde." in page
    assert "Beholdes" in page
    assert db.session.get(LighthouseProfile, profile.id).presentation == "Erfaren lærer."


def test_teacher_cannot_edit_someone_elses_profile(login, make_profile, make_user):
    profile = make_profile()
    other = make_profile()
    teacher = make_user(roles=(Role.TEACHER,))
    assert login(teacher).get(f"/fyrtarn/{profile.id}/rediger").status_code == 403
    with nothing_changes():
        assert login(teacher).post(f"/fyrtarn/{profile.id}/rediger", data={
            "subjects": ["music"], "grades": ["1-4"]}).status_code == 403
    with nothing_changes():
        assert login(other.user).post(f"/fyrtarn/{profile.id}/rediger", data={
            "subjects": ["music"], "grades": ["1-4"]}).status_code == 403
    assert login(teacher).get("/fyrtarn/min-profil").status_code == 403
    assert [s.value for s in db.session.get(LighthouseProfile, profile.id).subjects] == ["mathematics"]


def test_fyrtarn_without_profile_is_told_an_admin_makes_it(login, make_user):
    person = make_user(roles=(Role.TEACHER, Role.LIGHTHOUSE))
    page = text(login(person).get("/fyrtarn/min-profil"))
    assert "Du har ingen fyrtårnprofil ennå" in page


def test_admin_creates_profile_for_a_person_with_the_role(login, admin, make_user, make_school):
    school = make_school("Eikeli skole")
    person = make_user("Kari Lesing", roles=(Role.TEACHER, Role.LIGHTHOUSE), school=school)
    make_user("Ikke Fyrtårn", roles=(Role.TEACHER,))
    c = login(admin)
    page = text(c.get("/fyrtarn/ny"))
    assert "Kari Lesing" in page and "Ikke Fyrtårn" not in page
    response = c.post("/fyrtarn/ny", data={"person_id": person.id, "home_school_id": school.id,
                                           "subjects": ["reading_writing"], "grades": ["1-4"],
                                           "presentation": "Lesing for de minste.", "active": "y"})
    assert response.status_code == 303
    profile = db.session.scalar(sa.select(LighthouseProfile).where(LighthouseProfile.user_id == person.id))
    assert profile.home_school_id == school.id
    assert "Kari Lesing" in text(c.get("/fyrtarn?fag=reading_writing"))
    # A second profile for the same person is refused with a message.
    response = c.post("/fyrtarn/ny", data={"person_id": person.id, "home_school_id": school.id,
                                           "subjects": ["reading_writing"], "grades": ["1-4"]})
    assert response.status_code == 400


def test_only_admins_create_profiles(login, make_profile):
    profile = make_profile()
    assert login(profile.user).get("/fyrtarn/ny").status_code == 403


def test_admin_edits_any_profile_and_moves_home_school(login, admin, make_profile, make_school):
    profile = make_profile()
    school = make_school("Ny skole")
    response = login(admin).post(f"/fyrtarn/{profile.id}/rediger", data={
        "subjects": ["music"], "grades": ["1-4"], "presentation": "", "home_school_id": school.id, "active": "y"})
    assert response.status_code == 303
    assert db.session.get(LighthouseProfile, profile.id).home_school_id == school.id


# --- release time -----------------------------------------------------------------------------

def _hold(profile, minutes: int, now, semester: str = "2026H", days: int = 10):
    """Make a booking ``days`` from now that holds ``minutes`` of the fyrtårn's release time."""
    offering = BookableOffering(profile=profile, kind="guidance", title="Veiledning", subject=Subject.MATHEMATICS,
                                duration_minutes=minutes, max_participants=5)
    db.session.add(offering)
    db.session.flush()
    start = now + timedelta(days=days)
    booking = Booking(offering_id=offering.id, profile_id=profile.id, school_id=profile.home_school_id,
                      state=BookingState.CONFIRMED, starts_at=start, ends_at=start + timedelta(minutes=minutes),
                      requested_starts_at=start, semester=semester, minutes=minutes, participants_count=3,
                      venue=Venue.ONLINE)
    db.session.add(booking)
    db.session.commit()
    return booking


def test_principal_approves_hours_and_fyrtarn_sees_them(login, make_profile, make_user, now):
    profile = make_profile("Marte Matte", approved_hours=None)
    principal = make_user("Rektor Rask", roles=(Role.LEADER,), school=profile.home_school)
    c = login(profile.user)
    response = c.post("/fyrtarn/min-profil/frikjop", data={"semester": "2026H", "hours": "40"})
    assert response.status_code == 303
    page = text(c.get("/fyrtarn/min-profil"))
    assert "Høst 2026" in page and "40 t" in page and "Venter på rektor" in page

    r = login(principal)
    page = text(r.get("/fyrtarn/frikjop"))
    assert "Marte Matte" in page and "40 t" in page
    rt = db.session.scalar(sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id))
    response = r.post(f"/fyrtarn/frikjop/{rt.id}", data={"hours": "30"})
    assert response.status_code == 303
    assert "30 timer frikjøpstid er godkjent" in text(r.get("/fyrtarn/frikjop"))

    _hold(profile, 90, now)
    page = text(c.get("/fyrtarn/min-profil"))
    # asked 40, approved 30, held 1,5, left 28,5
    assert "40 t" in page and "30 t" in page and "1,5 t" in page and "28,5 t" in page
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "lighthouse.release_time",
                                                           AuditEntry.to_state == "approved:1800")).all()
    assert len(audit) == 1 and audit[0].actor_id == principal.id


_RELEASE_ROW = re.compile(r'<th scope="row">([^<]+)</th>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>'
                          r'\s*<td><strong>([^<]*)</strong></td>')


def test_each_semester_shows_the_hours_its_own_bookings_hold(login, make_profile, now):
    profile = make_profile("Marte Matte")  # 20 hours approved this autumn
    db.session.add(ReleaseTime(profile_id=profile.id, semester="2027V", requested_minutes=600, approved_minutes=600))
    _hold(profile, 90, now)
    _hold(profile, 60, now, semester="2027V", days=150)
    _hold(make_profile("Lise Lesing"), 120, now)  # another fyrtårn's booking holds none of Marte's hours
    page = text(login(profile.user).get("/fyrtarn/min-profil"))
    assert _RELEASE_ROW.findall(page) == [("Vår 2027", "10 t", "10 t", "1 t", "9 t"),
                                          ("Høst 2026", "20 t", "20 t", "1,5 t", "18,5 t")]


def test_approving_below_held_minutes_is_refused(login, make_profile, make_user, now):
    profile = make_profile(approved_hours=10)
    principal = make_user(roles=(Role.LEADER,), school=profile.home_school)
    _hold(profile, 180, now)
    rt = db.session.scalar(sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id))
    with nothing_changes():
        response = login(principal).post(f"/fyrtarn/frikjop/{rt.id}", data={"hours": "2"})
    assert response.status_code == 400
    page = text(response)
    assert ("Bestillinger holder allerede 3 timer av frikjøpstiden i Høst 2026. "
            "Du kan ikke godkjenne færre timer enn det.") in page
    assert 'value="2"' in page
    db.session.expire_all()
    assert db.session.get(ReleaseTime, rt.id).approved_minutes == 600


def test_only_the_home_schools_leader_approves(login, make_profile, make_user, make_school):
    profile = make_profile()
    elsewhere = make_user(roles=(Role.LEADER,), school=make_school())
    teacher = make_user(roles=(Role.TEACHER,), school=profile.home_school)
    rt = db.session.scalar(sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id))
    with nothing_changes():
        assert login(elsewhere).post(f"/fyrtarn/frikjop/{rt.id}", data={"hours": "50"}).status_code == 403
    assert profile.user.name not in text(login(elsewhere).get("/fyrtarn/frikjop"))
    assert login(teacher).get("/fyrtarn/frikjop").status_code == 403
    with nothing_changes():
        assert login(profile.user).post(f"/fyrtarn/frikjop/{rt.id}", data={"hours": "50"}).status_code == 403
    assert login(teacher).post("/fyrtarn/frikjop/999999", data={"hours": "1"}).status_code == 404


def test_release_time_only_for_this_or_next_semester(login, make_profile):
    profile = make_profile()
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/min-profil/frikjop", data={"semester": "2031H", "hours": "5"})
    assert response.status_code == 400
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/min-profil/frikjop", data={"semester": "2027V", "hours": "abc"})
    assert response.status_code == 400
    assert login(profile.user).post("/fyrtarn/min-profil/frikjop",
                                    data={"semester": "2027V", "hours": "12"}).status_code == 303
    assert "Vår 2027" in text(login(profile.user).get("/fyrtarn/min-profil"))


# --- bookable offerings ------------------------------------------------------------------

OFFERING_FORM = {"kind": "guidance", "title": "Veiledning i algebra", "description": "Vi ser på *likninger*.",
                 "subject": "mathematics", "audience": "Lærere på 8.–10. trinn", "duration_minutes": "60",
                 "max_participants": "8", "venue": "online", "buffer_minutes": "15", "min_notice_hours": "48",
                 "active": "y"}


def test_fyrtarn_adds_edits_and_deactivates_an_offering(login, make_profile):
    profile = make_profile()
    c = login(profile.user)
    assert c.post("/fyrtarn/tilbud/ny", data=OFFERING_FORM).status_code == 303
    offering = db.session.scalar(sa.select(BookableOffering).where(BookableOffering.profile_id == profile.id))
    assert (offering.duration_minutes, offering.venue) == (60, Venue.ONLINE)
    assert "Veiledning i algebra" in text(c.get(f"/fyrtarn/{profile.id}"))
    assert c.post(f"/fyrtarn/tilbud/{offering.id}/rediger",
                  data={**OFFERING_FORM, "title": "Veiledning i geometri"}).status_code == 303
    assert "Veiledning i geometri" in text(c.get("/fyrtarn/tilbud"))
    assert c.post(f"/fyrtarn/tilbud/{offering.id}/deaktiver").status_code == 303
    assert "kan ikke lenger bestilles" in text(c.get("/fyrtarn/tilbud"))
    assert "Veiledning i geometri" not in text(c.get(f"/fyrtarn/{profile.id}"))
    assert "Deaktivert" in text(c.get("/fyrtarn/tilbud"))


@pytest.mark.parametrize("field, value, message", [
    ("duration_minutes", "5", "Varigheten må være fra 15 til 600 minutter."),
    ("duration_minutes", "601", "Varigheten må være fra 15 til 600 minutter."),
    ("max_participants", "0", "Maks antall deltakere må være minst 1."),
    ("buffer_minutes", "300", "Buffer må være fra 0 til 240 minutter."),
    ("min_notice_hours", "-1", "Varsel må være fra 0 til 2160 timer"),
    ("title", "", "Dette feltet må fylles ut."),
])
def test_offering_form_validation_keeps_input(login, make_profile, field, value, message):
    profile = make_profile()
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/tilbud/ny", data={**OFFERING_FORM, field: value})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Lærere på 8.–10. trinn" in page and "Vi ser på *likninger*." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookableOffering)) == 0


def test_someone_elses_offering_is_403_and_unknown_is_404(login, make_bookable, make_profile):
    offering = make_bookable()
    other = make_profile()
    assert login(other.user).get(f"/fyrtarn/tilbud/{offering.id}/rediger").status_code == 403
    with nothing_changes():
        assert login(other.user).post(f"/fyrtarn/tilbud/{offering.id}/deaktiver").status_code == 403
    assert login(other.user).get("/fyrtarn/tilbud/999999/rediger").status_code == 404


# --- availability ---------------------------------------------------------------------------

def test_fyrtarn_adds_and_deletes_availability(login, make_profile):
    profile = make_profile()
    c = login(profile.user)
    response = c.post("/fyrtarn/tilgjengelighet", data={"weekday": "2", "start": "12:00", "end": "15:30",
                                                        "valid_from": "2026-08-17", "valid_until": "2026-12-18"})
    assert response.status_code == 303
    page = text(c.get("/fyrtarn/tilgjengelighet"))
    assert "Onsdag" in page and "12:00–15:30" in page
    window = db.session.scalar(sa.select(AvailabilityWindow))
    assert c.post(f"/fyrtarn/tilgjengelighet/{window.id}/slett").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AvailabilityWindow)) == 0


@pytest.mark.parametrize("changes, message", [
    ({"end": "11:00"}, "Sluttid må være etter starttid."),
    ({"valid_until": "2026-08-01"}, "«Gjelder til» kan ikke være før «Gjelder fra»."),
    ({"start": "25:99"}, "Skriv klokkeslettet som tt:mm"),
    ({"weekday": "9"}, ""),
])
def test_availability_validation(login, make_profile, changes, message):
    profile = make_profile()
    data = {"weekday": "1", "start": "12:00", "end": "15:00", "valid_from": "2026-08-17",
            "valid_until": "2026-12-18", **changes}
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/tilgjengelighet", data=data)
    assert response.status_code == 400
    assert message in text(response)
    assert 'value="2026-08-17"' in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AvailabilityWindow)) == 0


def test_someone_elses_window_cannot_be_deleted(login, make_profile, make_window):
    window = make_window(make_profile())
    other = make_profile()
    with nothing_changes():
        assert login(other.user).post(f"/fyrtarn/tilgjengelighet/{window.id}/slett").status_code == 403
    assert login(other.user).post("/fyrtarn/tilgjengelighet/999999/slett").status_code == 404


# --- open courses ------------------------------------------------------------------------------

OPEN_COURSE = {"title": "Programmering i matematikk", "subject": "mathematics", "description": "Vi lager **spill**.",
               "target_groups": ["teachers"], "capacity": "20", "day": "2026-10-14", "start": "14:00",
               "end": "15:30", "location": "Åsbakken ungdomsskole, rom 204"}


def test_open_course_appears_in_the_catalogue_and_uses_its_enrollment(client, login, make_profile, make_user):
    profile = make_profile("Marte Matte")
    c = login(profile.user)
    response = c.post("/fyrtarn/apent-kurs/ny", data=OPEN_COURSE)
    assert response.status_code == 303
    offering = db.session.scalar(sa.select(Offering).where(Offering.title == "Programmering i matematikk"))
    assert offering.status == OfferingStatus.PUBLISHED and offering.responsible_id == profile.user_id
    assert offering.organiser == "Fyrtårn Marte Matte" and offering.theme == "Matematikk"

    catalogue = text(client.get("/kurs"))
    assert "Programmering i matematikk" in catalogue and "Fyrtårn Marte Matte" in catalogue
    assert "Programmering i matematikk" in text(client.get(f"/fyrtarn/{profile.id}"))

    # A teacher enrolls through the catalogue; the fyrtårn manages the participants there.
    teacher = make_user("Tina Lærer", roles=(Role.TEACHER,))
    assert login(teacher).post(f"/kurs/{offering.id}/pamelding").status_code == 303
    participants = c.get(f"/kurs/{offering.id}/deltakere")
    assert participants.status_code == 200 and "Tina Lærer" in text(participants)
    assert "Legg til økt" in text(c.get(f"/kurs/{offering.id}"))
    own_page = text(c.get(f"/fyrtarn/{profile.id}"))
    assert f"/kurs/{offering.id}/deltakere" in own_page
    assert f"/kurs/{offering.id}/deltakere" not in text(client.get(f"/fyrtarn/{profile.id}"))
    # More sessions through the catalogue's own page, as the responsible fyrtårn.
    response = c.post(f"/kurs/{offering.id}/okter/ny", data={"day": "2026-10-21", "start": "14:00", "end": "15:30",
                                                             "location": "Rom 204"})
    assert response.status_code == 303
    db.session.expire_all()
    assert len(db.session.get(Offering, offering.id).live_sessions) == 2


def test_open_course_form_keeps_input(login, make_profile):
    profile = make_profile()
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/apent-kurs/ny", data={**OPEN_COURSE, "end": "13:00",
                                                                              "location": ""})
    assert response.status_code == 400
    page = text(response)
    assert "Sluttid må være etter starttid." in page
    assert "Skriv hvor kurset holdes" in page
    assert "Programmering i matematikk" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_open_course_in_the_past_is_refused(login, make_profile):
    profile = make_profile()
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/apent-kurs/ny", data={**OPEN_COURSE, "day": "2026-08-01"})
    assert response.status_code == 400 and "Kurset må ligge fram i tid." in text(response)


def test_open_course_cannot_overlap_a_booking(login, make_profile, now):
    profile = make_profile()
    booking = _hold(profile, 90, now)
    local = booking.starts_at.astimezone(OSLO)
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/apent-kurs/ny", data={
            **OPEN_COURSE, "day": local.date().isoformat(), "start": local.strftime("%H:%M"),
            "end": (local + timedelta(minutes=30)).strftime("%H:%M")})
    assert response.status_code == 400
    assert "overlapper" in text(response)


def test_teacher_cannot_make_open_courses(login, make_user):
    teacher = make_user(roles=(Role.TEACHER,))
    with nothing_changes():
        assert login(teacher).post("/fyrtarn/apent-kurs/ny", data=OPEN_COURSE).status_code == 403



# --- found by mutation testing (tests/MUTANTS.md) ---------------------------------------------------------

def test_new_profiles_are_offered_for_active_fyrtarn_without_one_by_name(make_user, make_profile):
    from lighthouse.profiles.operations import lighthouse_people_without_profile
    make_profile("Astrid Har Profil")
    wanted = [make_user(name, roles=(Role.TEACHER, Role.LIGHTHOUSE)) for name in ("Øystein Ny", "Berit Ny")]
    gone = make_user("Carl Sluttet", roles=(Role.LIGHTHOUSE,))
    gone.active = False
    make_user("Dina Lærer")
    assert [p.name for p in lighthouse_people_without_profile()] == [wanted[1].name, wanted[0].name]


def test_a_principal_approves_for_their_own_school_only_each_profile_once_by_name(make_school, make_user,
                                                                                 make_profile, admin):
    from lighthouse.profiles.operations import approvable_profiles
    first = make_school("Førsteskolen")  # the first school of the test: the lowest id there is
    mine = [make_profile(name, school=first) for name in ("Åse Fyr", "Bjørn Fyr")]
    make_profile("Ellen Annen")
    principal = make_user("Rektor Rønning", roles=(Role.LEADER,), school=first)
    assert [p.id for p in approvable_profiles(principal)] == [mine[1].id, mine[0].id]
    assert approvable_profiles(make_user("Tor Lærer", school=first)) == []
    assert len(approvable_profiles(admin)) == 3


def test_a_fyrtarn_open_course_in_the_missing_hour_is_refused_keeping_the_input(login, make_profile):
    """Issue 15, finding 3: the fyrtårn's form uses the same parser as the catalogue's."""
    from tests.lms.test_wall_time import MISSING

    profile = make_profile()
    with nothing_changes():
        response = login(profile.user).post("/fyrtarn/apent-kurs/ny", data={
            **OPEN_COURSE, "day": "2027-03-28", "start": "02:30", "end": "04:00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert MISSING in page
    assert "Programmering i matematikk" in page and 'value="02:30"' in page


def test_the_public_list_shows_each_active_fyrtarn_once_by_name_and_not_one_who_has_left(client, make_profile,
                                                                                        make_user):
    for name in ("Cecilie Ceder", "Anne Alm", "Dag Sluttet", "Bente Bjerk"):
        make_profile(name)
    gone = db.session.scalar(sa.select(LighthouseProfile).join(LighthouseProfile.user).where(
        LighthouseProfile.user.has(name="Dag Sluttet")))
    gone.user.active = False  # the account is closed; the profile itself was never made inactive
    make_user("Rektor Rask", roles=(Role.LEADER,))
    db.session.commit()
    page = text(client.get("/fyrtarn"))
    assert re.findall(r'<h2[^>]*><a class="ds-link" href="/fyrtarn/\d+">([^<]+)</a></h2>', page) == [
        "Anne Alm", "Bente Bjerk", "Cecilie Ceder"]
    assert "3 fyrtårn" in page


def test_a_fyrtarn_is_available_on_mondays_sundays_and_for_a_single_day(login, make_profile):
    profile = make_profile()
    c = login(profile.user)
    for weekday, valid_until in (("0", "2026-12-18"), ("6", "2026-12-18"), ("3", "2026-08-20")):
        response = c.post("/fyrtarn/tilgjengelighet", data={"weekday": weekday, "start": "12:00", "end": "15:00",
                                                            "valid_from": "2026-08-20", "valid_until": valid_until})
        assert response.status_code == 303, text(response)
    page = text(c.get("/fyrtarn/tilgjengelighet"))
    assert "Mandag" in page and "Søndag" in page and "Torsdag" in page
    assert sorted((w.weekday, w.valid_until) for w in ops.windows_of(profile)) == [
        (0, date(2026, 12, 18)), (3, date(2026, 8, 20)), (6, date(2026, 12, 18))]


@pytest.mark.parametrize("changes, message", [
    ({"weekday": 7}, "Velg en ukedag."),
    ({"weekday": -1}, "Velg en ukedag."),
    ({"end": time(12, 0)}, "Sluttid må være etter starttid."),
    ({"valid_until": date(2026, 8, 19)}, "«Gjelder til» kan ikke være før «Gjelder fra»."),
], ids=["day-after-sunday", "day-before-monday", "ends-as-it-starts", "until-before-from"])
def test_the_availability_rule_refuses_what_its_form_refuses_first(make_profile, now, changes, message):
    """The page's form refuses these before the operation; the rule itself must too, for every other caller."""
    profile = make_profile()
    window = {"weekday": 1, "start": time(12, 0), "end": time(15, 0), "valid_from": date(2026, 8, 20),
              "valid_until": date(2026, 12, 18), **changes}
    with nothing_changes(), pytest.raises(ops.ProfileError) as refused:
        ops.add_window(profile, **window, actor=profile.user, now=now)
    assert str(refused.value) == message


def test_only_an_admin_creates_a_profile_and_only_for_a_fyrtarn_without_one(make_user, make_school, admin, now):
    """The page offers an admin only fyrtårn without a profile; the rule refuses the rest for every caller."""
    school = make_school("Eikeli skole")
    kari = make_user("Kari Lesing", roles=(Role.TEACHER, Role.LIGHTHOUSE), school=school)
    teacher = make_user("Tor Lærer", school=school)
    data = ops.ProfileData(subjects=[Subject.READING_WRITING], grades=[GradeLevel.PRIMARY_LOWER])
    with nothing_changes():
        with pytest.raises(PermissionDenied) as refused:
            ops.create_profile(kari.id, school.id, data, actor=kari, now=now)
        assert str(refused.value) == "Bare programadministratorer kan opprette fyrtårnprofiler."
        for person_id in (teacher.id, 999_999):
            with pytest.raises(ops.ProfileError) as refused:
                ops.create_profile(person_id, school.id, data, actor=admin, now=now)
            assert str(refused.value) == "Personen har ikke rollen fyrtårn. Gi personen rollen først."
    profile = ops.create_profile(kari.id, school.id, data, actor=admin, now=now)
    with nothing_changes(), pytest.raises(ops.ProfileError) as refused:
        ops.create_profile(kari.id, school.id, data, actor=admin, now=now)
    assert str(refused.value) == "Kari Lesing har allerede en fyrtårnprofil."
    assert ops.profile_of(kari).id == profile.id


_BOOKABLE = {"kind": BookableKind.GUIDANCE, "title": "Veiledning i algebra", "subject": Subject.MATHEMATICS,
             "duration_minutes": 60, "max_participants": 8}


@pytest.mark.parametrize("changes, message", [
    ({"title": "   "}, "Tilbudet må ha en tittel."),
    ({"duration_minutes": 14}, "Varigheten må være fra 15 til 600 minutter."),
    ({"duration_minutes": 601}, "Varigheten må være fra 15 til 600 minutter."),
    ({"max_participants": 0}, "Maks antall deltakere må være minst 1."),
    ({"buffer_minutes": -1}, "Buffer må være fra 0 til 240 minutter."),
    ({"buffer_minutes": 241}, "Buffer må være fra 0 til 240 minutter."),
    ({"min_notice_hours": -1}, "Varsel må være fra 0 til 2160 timer (90 dager)."),
    ({"min_notice_hours": 2161}, "Varsel må være fra 0 til 2160 timer (90 dager)."),
], ids=["blank-title", "too-short", "too-long", "nobody", "buffer-below-0", "buffer-above-240", "notice-below-0",
        "notice-above-90-days"])
def test_the_offering_rule_refuses_what_its_form_refuses_first(make_profile, make_bookable, now, changes, message):
    """The offering form refuses these before the operation; the rule itself must too, for every other caller."""
    profile = make_profile()
    offering = make_bookable(profile, title="Gammel tittel")
    data = ops.BookableData(**{**_BOOKABLE, **changes})
    with nothing_changes():
        with pytest.raises(ops.ProfileError) as refused:
            ops.create_bookable(profile, data, actor=profile.user, now=now)
        assert str(refused.value) == message
        with pytest.raises(ops.ProfileError) as refused:
            ops.update_bookable(offering, data, actor=profile.user, now=now)
        assert str(refused.value) == message


def test_an_offering_may_take_each_limit_the_form_allows(login, make_profile):
    profile = make_profile()
    c = login(profile.user)
    for title, duration, participants, buffer, notice in (("Kort veiledning", "15", "1", "0", "0"),
                                                           ("Lang fagdag", "600", "1", "240", "2160")):
        response = c.post("/fyrtarn/tilbud/ny", data={
            **OFFERING_FORM, "title": title, "duration_minutes": duration, "max_participants": participants,
            "buffer_minutes": buffer, "min_notice_hours": notice})
        assert response.status_code == 303, text(response)
    page = text(c.get("/fyrtarn/tilbud"))
    assert "Kort veiledning" in page and "15 minutter" in page
    assert "Lang fagdag" in page and "600 minutter" in page
    assert sorted((o.title, o.duration_minutes, o.max_participants, o.buffer_minutes, o.min_notice_hours)
                  for o in ops.bookables_of(profile)) == [("Kort veiledning", 15, 1, 0, 0),
                                                          ("Lang fagdag", 600, 1, 240, 2160)]


def _release_time_of(profile) -> ReleaseTime:
    return db.session.scalar(sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id))


def test_the_release_time_rules_refuse_what_their_forms_refuse_first(make_profile, make_user, now):
    """The forms offer only hours in range and this or next semester, and the page refuses who may not decide."""
    profile = make_profile(approved_hours=10)
    principal = make_user("Rektor Rask", roles=(Role.LEADER,), school=profile.home_school)
    rt = _release_time_of(profile)
    with nothing_changes():
        with pytest.raises(PermissionDenied) as refused:
            ops.approve_release_time(rt, 5, actor=profile.user, now=now)
        assert str(refused.value) == "Bare rektor ved fyrtårnets hjemmeskole kan godkjenne frikjøpstid."
        for hours in (-1, 1001):
            with pytest.raises(ops.ProfileError) as refused:
                ops.approve_release_time(rt, hours, actor=principal, now=now)
            assert str(refused.value) == "Skriv et antall timer fra 0 til 1000."
        for hours in (0, 1001):
            with pytest.raises(ops.ProfileError) as refused:
                ops.request_release_time(profile, "2027V", hours, actor=profile.user, now=now)
            assert str(refused.value) == "Skriv et antall timer fra 1 til 1000."
        for semester in ("2026V", "2027H"):
            with pytest.raises(ops.ProfileError) as refused:
                ops.request_release_time(profile, semester, 5, actor=profile.user, now=now)
            assert str(refused.value) == "Du kan be om frikjøpstid for dette eller neste semester."


def test_a_principal_may_approve_no_hours_a_thousand_or_just_what_bookings_hold(login, make_profile, make_user,
                                                                               now):
    profile = make_profile("Marte Matte", approved_hours=10)
    principal = make_user("Rektor Rask", roles=(Role.LEADER,), school=profile.home_school)
    rt = _release_time_of(profile)
    r = login(principal)
    for hours in ("1000", "0"):
        response = r.post(f"/fyrtarn/frikjop/{rt.id}", data={"hours": hours})
        assert response.status_code == 303, text(response)
        assert f"{hours} timer frikjøpstid er godkjent for Marte Matte (Høst 2026)" in text(r.get("/fyrtarn/frikjop"))
    _hold(profile, 180, now)
    assert r.post(f"/fyrtarn/frikjop/{rt.id}", data={"hours": "3"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(ReleaseTime, rt.id).approved_minutes == 180


def test_each_release_time_request_and_decision_is_audited_with_who_when_what_before_and_what_was_asked(
        make_profile, make_user, now):
    profile = make_profile("Marte Matte", approved_hours=None)
    principal = make_user("Rektor Rask", roles=(Role.LEADER,), school=profile.home_school)
    asked, first, second = (now + timedelta(days=n) for n in (1, 2, 3))
    rt = ops.request_release_time(profile, "2026H", 40, actor=profile.user, now=asked)
    ops.approve_release_time(rt, 30, actor=principal, now=first)
    ops.approve_release_time(rt, 35, actor=principal, now=second)
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "lighthouse.release_time",
                                                             AuditEntry.object_id == rt.id).order_by(AuditEntry.id))
    assert [(e.from_state, e.to_state, e.actor_id, e.at, e.note) for e in entries] == [
        (None, "requested", profile.user_id, asked, "40 timer bedt om for Høst 2026"),
        ("requested", "approved:1800", principal.id, first, "30 timer godkjent for Høst 2026 (bedt om 40)"),
        ("approved:1800", "approved:2100", principal.id, second, "35 timer godkjent for Høst 2026 (bedt om 40)")]


def test_a_profile_cannot_be_made_for_or_moved_to_a_school_that_does_not_exist(make_user, make_profile, admin, now):
    """The pages offer only schools that exist; the rule refuses the rest for every caller."""
    person = make_user("Kari Lesing", roles=(Role.TEACHER, Role.LIGHTHOUSE))
    profile = make_profile()
    data = ops.ProfileData(subjects=[Subject.READING_WRITING], grades=[GradeLevel.PRIMARY_LOWER])
    with nothing_changes():
        with pytest.raises(ops.ProfileError) as refused:
            ops.create_profile(person.id, 999_999, data, actor=admin, now=now)
        assert str(refused.value) == "Skolen finnes ikke."
        with pytest.raises(ops.ProfileError) as refused:
            ops.update_profile(profile, data, actor=admin, now=now, home_school_id=999_999)
        assert str(refused.value) == "Skolen finnes ikke."


def test_an_open_course_shows_its_text_place_and_meeting_link_in_the_catalogue(client, login, make_profile):
    profile = make_profile("Marte Matte")
    response = login(profile.user).post("/fyrtarn/apent-kurs/ny", data={
        **OPEN_COURSE, "online_url": "https://meet.example.no/fyrtarn-brok"})
    assert response.status_code == 303
    offering = db.session.scalar(sa.select(Offering).where(Offering.title == "Programmering i matematikk"))
    page = text(client.get(f"/kurs/{offering.id}"))
    assert "Vi lager <strong>spill</strong>." in page
    assert "Åsbakken ungdomsskole, rom 204" in page
    assert 'href="https://meet.example.no/fyrtarn-brok"' in page


@pytest.mark.parametrize("changes, message", [
    ({"end": time(14, 0)}, "Sluttid må være etter starttid."),
    ({"day": date(2027, 3, 28), "start": time(2, 30), "end": time(4, 0)},
     "Klokka stilles fram én time natt til 28. mars 2027, så 02:30 finnes ikke den dagen. "
     "Velg et annet klokkeslett."),
    ({"day": date(2026, 9, 1), "start": time(10, 0), "end": time(11, 0)}, "Kurset må ligge fram i tid."),
], ids=["ends-as-it-starts", "in-the-missing-hour", "starts-now"])
def test_the_open_course_rule_refuses_what_its_form_refuses_first(make_profile, now, changes, message):
    """The form refuses the first two before the operation; the rule must too, for every other caller."""
    profile = make_profile()
    data = ops.OpenCourseData(**{"title": "Programmering i matematikk", "subject": Subject.MATHEMATICS,
                                 "capacity": 20, "day": date(2026, 10, 14), "start": time(14, 0),
                                 "end": time(15, 30), "location": "Rom 204", **changes})
    assert now.astimezone(OSLO).replace(tzinfo=None) == datetime(2026, 9, 1, 10, 0)  # the last case starts now
    with nothing_changes(), pytest.raises(ops.ProfileError) as refused:
        ops.create_open_course(profile, data, actor=profile.user, now=now)
    assert str(refused.value) == message


def test_the_front_page_shows_the_first_four_active_fyrtarn_by_name(client, make_profile):
    for name in ("Erik Eik", "Cecilie Ceder", "Anne Alm", "Dag Due", "Bente Bjerk", "Ivar Inaktiv"):
        make_profile(name)
    db.session.scalar(sa.select(LighthouseProfile).join(LighthouseProfile.user).where(
        LighthouseProfile.user.has(name="Ivar Inaktiv"))).active = False
    db.session.commit()
    page = text(client.get("/"))
    shown = page.split('aria-labelledby="fyrtarn-forside"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<h3[^>]*><a class="ds-link" href="/fyrtarn/\d+">([^<]+)</a></h3>', shown) == [
        "Anne Alm", "Bente Bjerk", "Cecilie Ceder", "Dag Due"]


def test_a_fyrtarn_may_ask_for_one_hour_or_a_thousand(login, make_profile):
    profile = make_profile(approved_hours=None)
    c = login(profile.user)
    for semester, hours in (("2026H", "1"), ("2027V", "1000")):
        response = c.post("/fyrtarn/min-profil/frikjop", data={"semester": semester, "hours": hours})
        assert response.status_code == 303, text(response)
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]*)</td>', text(c.get("/fyrtarn/min-profil")))
    assert rows == [("Vår 2027", "1000 t"), ("Høst 2026", "1 t")]


def test_the_profile_rule_refuses_what_its_form_refuses_first(make_user, make_school, make_profile, admin, now):
    """The profile form refuses these before the operation; the rule must too, for every other caller."""
    school = make_school()
    person = make_user("Kari Lesing", roles=(Role.TEACHER, Role.LIGHTHOUSE), school=school)
    profile = make_profile()
    subjects, grades = [Subject.READING_WRITING], [GradeLevel.PRIMARY_LOWER]
    for data, message in ((ops.ProfileData(grades=grades), "Velg minst ett fagområde."),
                          (ops.ProfileData(subjects=subjects), "Velg minst ett trinn."),
                          (ops.ProfileData(subjects=subjects, grades=grades, presentation="x" * 10001),
                           "Presentasjonen kan ha høyst 10 000 tegn.")):
        with nothing_changes():
            with pytest.raises(ops.ProfileError) as refused:
                ops.create_profile(person.id, school.id, data, actor=admin, now=now)
            assert str(refused.value) == message
            with pytest.raises(ops.ProfileError) as refused:
                ops.update_profile(profile, data, actor=profile.user, now=now)
            assert str(refused.value) == message


def test_a_presentation_of_ten_thousand_characters_is_kept(login, make_profile):
    profile = make_profile()
    presentation = "Brøk " * 1999 + "brøk."
    assert len(presentation) == 10000
    response = login(profile.user).post("/fyrtarn/min-profil", data={
        "subjects": ["mathematics"], "grades": ["5-7"], "presentation": presentation, "active": "y"})
    assert response.status_code == 303, text(response)
    assert db.session.get(LighthouseProfile, profile.id).presentation == presentation


def test_an_edited_profile_keeps_what_stays_adds_what_is_new_and_drops_what_is_gone(client, login, make_profile):
    profile = make_profile("Marte Matte", subjects=(Subject.MATHEMATICS, Subject.MUSIC),
                           grades=(GradeLevel.PRIMARY_LOWER, GradeLevel.PRIMARY_UPPER))
    response = login(profile.user).post("/fyrtarn/min-profil", data={
        "subjects": ["mathematics", "digital"], "grades": ["5-7", "8-10"], "presentation": "", "active": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    profile = db.session.get(LighthouseProfile, profile.id)
    assert (profile.subjects, profile.grades) == ([Subject.DIGITAL, Subject.MATHEMATICS],
                                                  [GradeLevel.PRIMARY_UPPER, GradeLevel.LOWER_SECONDARY])
    assert "Marte Matte" in text(client.get("/fyrtarn?fag=digital"))
    assert "Marte Matte" not in text(client.get("/fyrtarn?fag=music"))


def test_the_availability_page_lists_times_by_weekday_then_start_then_first_day(login, make_profile, make_window):
    profile = make_profile()
    for weekday, start, valid_from in ((2, time(9, 0), date(2026, 8, 17)), (0, time(14, 0), date(2026, 8, 17)),
                                       (0, time(9, 0), date(2026, 10, 5)), (0, time(9, 0), date(2026, 8, 17))):
        make_window(profile, weekday=weekday, start=start, end=time(start.hour + 1, 0), valid_from=valid_from)
    page = text(login(profile.user).get("/fyrtarn/tilgjengelighet"))
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td>([\d:]+)–[\d:]+</td>\s*<td>([^<]+?) –', page)
    assert [(day, start) for day, start, _ in rows] == [("Mandag", "09:00"), ("Mandag", "09:00"), ("Mandag", "14:00"),
                                                       ("Onsdag", "09:00")]
    assert rows[0][2] != rows[1][2] and "17" in rows[0][2] and "5" in rows[1][2]


def test_an_approval_waits_for_the_fyrtarns_lock_while_a_request_holds_hours_and_then_counts_them(
        app, make_profile, make_bookable, make_window, make_user, make_school, now):
    """PostgreSQL: cutting the hours to one waits while a school's 90-minute request is uncommitted, then is refused."""
    from tests.interleave import Contender, wait_until_blocked_or_done
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row lock; SQLite takes its one write lock at BEGIN IMMEDIATE")
    profile = make_profile(approved_hours=20)
    offering = make_bookable(profile)
    make_window(profile)  # Tuesdays 12:00-15:00
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    principal = make_user(roles=(Role.LEADER,), school=profile.home_school)
    rt_id, principal_id = _release_time_of(profile).id, principal.id
    db.session.commit()
    booking_ops.request_booking(offering.id, school.id, actor=leader, participants_count=3, now=now,
                                starts_at=datetime(2026, 9, 8, 12, 0, tzinfo=OSLO))  # flushed: the lock is ours
    contender = Contender(app, lambda: ops.approve_release_time(
        db.session.get(ReleaseTime, rt_id), 1, actor=db.session.get(User, principal_id), now=now))
    contender.start()
    waited = wait_until_blocked_or_done(contender)
    db.session.commit()
    contender.join(60)
    assert waited, "the approval did not wait for the fyrtårn's lock"
    assert isinstance(contender.error, ops.ProfileError), contender.error
    assert str(contender.error).startswith("Bestillinger holder allerede 1,5 timer av frikjøpstiden i Høst 2026.")
    db.session.expire_all()
    assert db.session.get(ReleaseTime, rt_id).approved_minutes == 1200


def test_asking_again_for_a_semester_changes_that_request_and_no_other(login, make_profile):
    marte = make_profile("Marte Matte")  # 20 hours approved this autumn
    lise = make_profile("Lise Lesing")
    db.session.add(ReleaseTime(profile_id=lise.id, semester="2027V", requested_minutes=300))
    c = login(marte.user)
    for semester, hours in (("2027V", "10"), ("2026H", "30")):
        response = c.post("/fyrtarn/min-profil/frikjop", data={"semester": semester, "hours": hours})
        assert response.status_code == 303, text(response)
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]*)</td>\s*<td>([^<]*)', text(c.get("/fyrtarn/min-profil")))
    assert rows == [("Vår 2027", "10 t", ""), ("Høst 2026", "30 t", "20 t")]
    db.session.expire_all()
    assert sorted((rt.semester, rt.requested_minutes, rt.approved_minutes) for rt in db.session.scalars(
        sa.select(ReleaseTime).where(ReleaseTime.profile_id == lise.id))) == [("2026H", 1200, 1200), ("2027V", 300, None)]


def test_the_profile_page_lists_published_courses_until_twelve_hours_after_their_last_start_soonest_first(
        client, make_profile, make_offering, now):
    profile = make_profile("Marte Matte")
    mine = {"responsible_id": profile.user_id}
    make_offering("Kurs om tre dager", starts_in=timedelta(days=3), **mine)
    make_offering("Kurs i morgen", starts_in=timedelta(days=1), **mine)
    make_offering("Kurs i går kveld", starts_in=timedelta(days=1, minutes=-1), **mine)
    make_offering("Utkast til kurs", starts_in=timedelta(days=2), publish=False, **mine)
    make_offering("Någen andres kurs", starts_in=timedelta(days=2))
    set_clock(now + timedelta(days=1, hours=12))  # "i morgen" started twelve hours ago, "i går kveld" a minute before
    page = text(client.get(f"/fyrtarn/{profile.id}"))
    assert re.findall(r'<a class="ds-link" href="/kurs/\d+">([^<]+)</a></h3>', page) == [
        "Kurs i morgen", "Kurs om tre dager"]


def test_the_profile_page_shows_its_own_published_films_newest_first(client, make_profile, now):
    profile, other = make_profile(), make_profile()
    # The newest is added first: the order cannot come from the ids.
    for title, days_ago, owner in (("Desimaltall", 1, profile), ("Brøk på tallinja", 3, profile),
                                   ("Någen andres film", 2, other)):
        film = LearningFilm(profile_id=owner.id, title=title, video_url="https://vimeo.com/1",
                            subject=Subject.MATHEMATICS, published_at=now - timedelta(days=days_ago))
        film.grade_rows = [FilmGrade(grade=GradeLevel.PRIMARY_UPPER)]
        db.session.add(film)
    db.session.commit()
    page = text(client.get(f"/fyrtarn/{profile.id}"))
    assert "Någen andres film" not in page
    assert page.index("Desimaltall") < page.index("Brøk på tallinja")


def test_my_offerings_list_the_bookable_ones_first_each_by_title(login, make_profile, make_bookable):
    profile = make_profile()
    for title in ("Cirkelverksted", "Algebra for alle", "Brøkveiledning"):
        make_bookable(profile, title=title)
    db.session.scalar(sa.select(BookableOffering).where(BookableOffering.title == "Algebra for alle")).active = False
    page = text(login(profile.user).get("/fyrtarn/tilbud"))
    assert re.findall(r'<th scope="row">([^<]+)<br>', page) == ["Brøkveiledning", "Cirkelverksted", "Algebra for alle"]


def _release_cells(page: str) -> list[tuple[str, ...]]:
    """Return the release-time table's rows as their cells' text: semester, asked, approved, held, left."""
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>(.*?)</tr>', page, re.S)
    return [(semester, *(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", cells, re.S)))
            for semester, cells in rows]


def test_the_release_table_shows_this_semester_always_and_dashes_or_zeros_where_nothing_is_asked_held_or_left(
        login, make_profile, now):
    profile = make_profile(approved_hours=None)
    c = login(profile.user)
    assert _release_cells(text(c.get("/fyrtarn/min-profil"))) == [("Høst 2026", "–", "–", "0 t", "0 t")]
    db.session.add(ReleaseTime(profile_id=profile.id, semester="2027V", requested_minutes=600))
    db.session.add(ReleaseTime(profile_id=profile.id, semester="2026H", requested_minutes=180, approved_minutes=180))
    _hold(profile, 180, now)
    assert _release_cells(text(c.get("/fyrtarn/min-profil"))) == [
        ("Vår 2027", "10 t", "Venter på rektor", "0 t", "0 t"), ("Høst 2026", "3 t", "3 t", "3 t", "0 t")]


@pytest.mark.parametrize("clock, offered", [
    (datetime(2027, 3, 1, 9, 0, tzinfo=OSLO), ["Vår 2027", "Høst 2027"]),
    (datetime(2027, 1, 1, 0, 30, tzinfo=OSLO), ["Vår 2027", "Høst 2027"]),  # still 2026 in UTC
    (datetime(2026, 12, 31, 23, 30, tzinfo=OSLO), ["Høst 2026", "Vår 2027"]),
], ids=["in-the-spring", "new-years-night-in-oslo", "new-years-eve"])
def test_a_fyrtarn_asks_for_this_or_the_next_semester_as_oslo_counts_them(login, make_profile, clock, offered):
    profile = make_profile(approved_hours=None)
    set_clock(clock)
    c = login(profile.user)
    form = text(c.get("/fyrtarn/min-profil")).split('name="semester"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", form) == offered


def test_an_inactive_profile_is_shown_to_its_fyrtarn_and_an_admin_only(client, login, admin, make_profile):
    profile = make_profile("Ivar Inaktiv")
    profile.active = False
    other = make_profile()
    assert "Ivar Inaktiv" in text(login(profile.user).get(f"/fyrtarn/{profile.id}"))
    assert "Ivar Inaktiv" in text(login(admin).get(f"/fyrtarn/{profile.id}"))
    assert login(other.user).get(f"/fyrtarn/{profile.id}").status_code == 404
    assert client.get(f"/fyrtarn/{profile.id}").status_code == 404


def test_an_open_course_made_at_a_given_time_is_last_modified_then_in_its_calendar_feed(client, make_profile, now):
    """The demo loader and every other caller pass the time; the feed's LAST-MODIFIED is it, not the clock's."""
    profile = make_profile()
    made = now - timedelta(days=2)  # the platform's clock stays at now
    data = ops.OpenCourseData(title="Programmering i matematikk", subject=Subject.MATHEMATICS, capacity=20,
                              day=date(2026, 10, 14), start=time(14, 0), end=time(15, 30), location="Rom 204",
                              target_groups=[TargetGroup.TEACHERS])
    offering = ops.create_open_course(profile, data, actor=profile.user, now=made)
    db.session.commit()
    (event,) = icalendar.Calendar.from_ical(client.get(f"/kurs/{offering.id}/kalender.ics").data).walk("VEVENT")
    assert event.decoded("LAST-MODIFIED") == made
