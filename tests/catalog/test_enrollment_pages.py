"""What people see and do on the enrollment pages: signing up, seats, Mine kurs, participant lists."""
import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, TargetGroup
from lms.db import db, set_clock
from lms.people.models import Role
from tests.conftest import count_statements


def test_teacher_enrolls_then_sees_it_in_my_courses(login, make_offering, make_user):
    offering = make_offering("Skrive med digitale verktøy", capacity=1)
    teacher = make_user("Kari Lærer")
    c = login(teacher)
    response = c.post(f"/kurs/{offering.id}/pamelding", follow_redirects=True)
    assert "Du er påmeldt «Skrive med digitale verktøy»" in response.get_data(as_text=True)
    mine = c.get("/mine-kurs").get_data(as_text=True)
    assert "Skrive med digitale verktøy" in mine


def test_full_course_puts_teacher_on_waitlist_with_position(login, make_offering, make_user, now):
    offering = make_offering(capacity=1)
    first = make_user()
    ops.enroll(offering.id, first, actor=first, now=now)
    c = login(make_user())
    page = c.post(f"/kurs/{offering.id}/pamelding", follow_redirects=True).get_data(as_text=True)
    assert "nummer 1 på ventelisten" in page
    assert "Forlat ventelisten" in page
    assert "Nummer 1 på ventelisten" in c.get("/mine-kurs").get_data(as_text=True)


def test_offered_seat_can_be_accepted_from_my_courses(login, make_offering, make_user, now):
    offering = make_offering(capacity=1)
    a, b = make_user(), make_user()
    ea = ops.enroll(offering.id, a, actor=a, now=now)
    eb = ops.enroll(offering.id, b, actor=b, now=now)
    ops.cancel_enrollment(ea, actor=a, now=now)
    db.session.commit()
    c = login(b)
    assert "Plass tilbudt deg" in c.get("/mine-kurs").get_data(as_text=True)
    c.post(f"/pameldinger/{eb.id}/takk-ja")
    db.session.refresh(eb)
    assert eb.state == EnrollmentState.ENROLLED


def test_ineligible_teacher_gets_norwegian_message(login, make_offering, make_user):
    offering = make_offering(target_groups=(TargetGroup.LEADERS,))
    c = login(make_user(roles=(Role.TEACHER,)))
    page = c.post(f"/kurs/{offering.id}/pamelding", follow_redirects=True).get_data(as_text=True)
    assert "ikke for din målgruppe" in page


def test_someone_else_cannot_cancel_my_enrollment(login, make_offering, make_user, now):
    offering = make_offering()
    a = make_user()
    e = ops.enroll(offering.id, a, actor=a, now=now)
    db.session.commit()
    c = login(make_user())
    response = c.post(f"/pameldinger/{e.id}/avmeld")
    assert response.status_code == 403
    assert "Du kan ikke melde av" in response.get_data(as_text=True)
    db.session.refresh(e)
    assert e.state == EnrollmentState.ENROLLED


def test_unknown_ids_give_404(login, make_user):
    c = login(make_user())
    assert c.get("/kurs/99999").status_code == 404
    assert c.post("/pameldinger/99999/avmeld").status_code == 404
    assert c.get("/kurs/99999/deltakere").status_code == 404


def test_teacher_cannot_open_participant_list(login, make_offering, make_user):
    offering = make_offering()
    assert login(make_user()).get(f"/kurs/{offering.id}/deltakere").status_code == 403


def test_participant_export_csv_and_xlsx(login, admin, make_offering, make_user, now):
    offering = make_offering(capacity=1)
    a, b = make_user("Åse Ødegård"), make_user("Bjørn Berg")
    ops.enroll(offering.id, a, actor=a, now=now)
    ops.enroll(offering.id, b, actor=b, now=now)
    db.session.commit()
    c = login(admin)
    text = c.get(f"/kurs/{offering.id}/deltakere.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][0] == "Åse Ødegård" and rows[1][3] == "Påmeldt"
    assert rows[2][0] == "Bjørn Berg" and rows[2][3] == "På venteliste" and rows[2][4] == "1"
    book = load_workbook(io.BytesIO(c.get(f"/kurs/{offering.id}/deltakere.xlsx").data))
    assert [cell.value for cell in book.active[2]][0] == "Åse Ødegård"


def test_attendance_and_completion_reach_the_record(login, admin, make_offering, make_user, now):
    offering = make_offering("Kildekritikk", capacity=5)
    a = make_user()
    e = ops.enroll(offering.id, a, actor=a, now=now)
    db.session.commit()
    c = login(admin)
    session_id = offering.sessions[0].id
    set_clock(offering.sessions[0].starts_at)  # attendance is taken at the session
    c.post(f"/kurs/{offering.id}/okter/{session_id}/oppmote", data={"present": [str(e.id)]})
    db.session.refresh(e)
    assert e.state == EnrollmentState.ATTENDED
    c.post(f"/kurs/{offering.id}/fullfort", data={"enrollment": [str(e.id)]})
    db.session.refresh(e)
    assert e.state == EnrollmentState.COMPLETED
    record = login(a).get("/mine-kurs/kursbevis").get_data(as_text=True)
    assert "Kildekritikk" in record and "2.0" in record


def test_leader_enrolls_staff_from_offering_page(login, make_offering, make_user, make_school):
    school = make_school()
    leader = make_user("Rektor Rask", roles=(Role.LEADER,), school=school)
    teacher = make_user("Tone Lærer", school=school)
    offering = make_offering()
    c = login(leader)
    assert "Tone Lærer" in c.get(f"/kurs/{offering.id}").get_data(as_text=True)
    page = c.post(f"/kurs/{offering.id}/pamelding", data={"person_id": str(teacher.id)},
                  follow_redirects=True).get_data(as_text=True)
    assert "Tone Lærer er påmeldt" in page


@pytest.mark.parametrize("whom", ["another-schools-teacher", "an-id-nobody-has"])
def test_a_leader_signing_up_someone_not_theirs_is_refused_alike_and_nobody_is_enrolled(
        login, make_offering, make_user, make_school, whom):
    leader = make_user("Rektor Rask", roles=(Role.LEADER,), school=make_school())
    stranger = make_user("Sara Annenskole", school=make_school())
    offering = make_offering()
    person_id = stranger.id if whom == "another-schools-teacher" else stranger.id + 1000
    response = login(leader).post(f"/kurs/{offering.id}/pamelding", data={"person_id": str(person_id)})
    assert response.status_code == 403
    assert "Du kan bare melde på deg selv eller ansatte ved din skole." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Offering, offering.id).seats_taken == 0


def test_someone_who_cancelled_is_offered_to_sign_up_again_on_the_offering_page(login, make_offering, make_user,
                                                                                now):
    offering = make_offering("Skrive med digitale verktøy")
    kari = make_user("Kari Lærer")
    ops.cancel_enrollment(ops.enroll(offering.id, kari, actor=kari, now=now), actor=kari, now=now)
    db.session.commit()
    page = login(kari).get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert ">Meld meg på</button>" in page and "Meld meg av" not in page


def test_a_leaders_picker_for_a_course_for_new_hires_offers_the_new_hires_only(login, make_offering, make_user,
                                                                               make_school, now):
    school = make_school()
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school, hire_date=now.date() - timedelta(days=3000))
    nina = make_user("Nina Ny", school=school, hire_date=now.date() - timedelta(days=30))
    make_user("Gammel Ansatt", school=school, hire_date=now.date() - timedelta(days=3000))
    offering = make_offering("Oppstart for nyansatte", target_groups=(TargetGroup.NEW_HIRES,))
    page = login(leader).get(f"/kurs/{offering.id}").get_data(as_text=True)
    picker = page.split('id="person_id"')[1].split("</select>")[0]
    assert f'value="{nina.id}">Nina Ny</option>' in picker and "Gammel Ansatt" not in picker


# --- Mine kurs: cancelling from the list, and what counts as coming ------------------------------------

def test_each_coming_course_in_my_courses_can_be_cancelled_after_a_confirmation(login, make_offering, make_user,
                                                                                now):
    first = make_offering("Lesing i alle fag")
    second = make_offering("Kildekritikk", starts_in=timedelta(days=40))
    teacher = make_user()
    enrollments = [ops.enroll(o.id, teacher, actor=teacher, now=now) for o in (first, second)]
    db.session.commit()
    c = login(teacher)
    page = c.get("/mine-kurs").get_data(as_text=True)
    for e in enrollments:
        assert f'action="/pameldinger/{e.id}/avmeld"' in page
    assert page.count("<summary class=\"ds-button\" data-variant=\"secondary\">Meld meg av") == 2
    assert "Ja, meld meg av" in page and "står noen på ventelisten, får de den" in page
    response = c.post(f"/pameldinger/{enrollments[1].id}/avmeld", data={"next": "/mine-kurs"})
    assert response.headers["Location"].endswith("/mine-kurs")
    db.session.refresh(enrollments[1])
    assert enrollments[1].state == EnrollmentState.CANCELLED


def test_leaving_the_waitlist_says_the_place_in_the_queue_is_lost(login, make_offering, make_user, now):
    offering = make_offering(capacity=1)
    seat = make_user()
    ops.enroll(offering.id, seat, actor=seat, now=now)
    teacher = make_user()
    ops.enroll(offering.id, teacher, actor=teacher, now=now)
    db.session.commit()
    c = login(teacher)
    for page in (c.get("/mine-kurs").get_data(as_text=True), c.get(f"/kurs/{offering.id}").get_data(as_text=True)):
        assert "Forlat ventelisten" in page and "Du mister plassen din i køen (nummer 1)" in page
        assert "Ja, forlat ventelisten" in page


def test_a_course_with_attendance_so_far_stays_under_coming_courses(login, admin, make_offering, make_user, now):
    offering = make_offering("Digital vurdering", sessions=3, starts_in=timedelta(days=1))
    teacher = make_user()
    e = ops.enroll(offering.id, teacher, actor=teacher, now=now)
    first = offering.live_sessions[0]
    ops.record_attendance(first, offering, {e.id}, actor=admin, now=first.starts_at)
    db.session.commit()
    set_clock(first.ends_at + timedelta(hours=1))
    page = login(teacher).get("/mine-kurs").get_data(as_text=True)
    coming, past = page.split('id="tidligere"')
    assert "Digital vurdering" in coming and "Deltok" in coming
    assert "Meld meg av" not in coming  # attendance is recorded: the seat is no longer theirs to give up
    assert "Digital vurdering" not in past and "Ingen tidligere kurs." in past


def test_a_course_whose_sessions_are_over_is_a_past_course(login, admin, make_offering, make_user, now):
    offering = make_offering("Digital vurdering", sessions=2, starts_in=timedelta(days=1))
    teacher = make_user()
    e = ops.enroll(offering.id, teacher, actor=teacher, now=now)
    for session in offering.live_sessions:
        ops.record_attendance(session, offering, {e.id}, actor=admin, now=session.starts_at)
    db.session.commit()
    set_clock(offering.live_sessions[-1].ends_at + timedelta(minutes=1))
    page = login(teacher).get("/mine-kurs").get_data(as_text=True)
    assert "Digital vurdering" in page.split('id="tidligere"')[1]


@pytest.mark.parametrize("after,past", [(-timedelta(seconds=1), False), (timedelta(0), True)],
                         ids=["a-second-before-the-end", "at-the-end"])
def test_a_course_is_past_from_the_moment_its_last_session_ends(login, make_offering, make_user, now, after, past):
    offering = make_offering("Digital vurdering", starts_in=timedelta(days=1))
    teacher = make_user()
    ops.enroll(offering.id, teacher, actor=teacher, now=now)
    db.session.commit()
    set_clock(offering.live_sessions[-1].ends_at + after)
    coming, earlier = login(teacher).get("/mine-kurs").get_data(as_text=True).split('id="tidligere"')
    assert ("Digital vurdering" in earlier) is past and ("Digital vurdering" in coming) is not past


def test_my_waitlists_show_my_own_places_soonest_course_first_counted_in_the_order_people_joined(
        login, make_offering, make_user, now):
    later = make_offering("Seinere kurs", capacity=1, starts_in=timedelta(days=40))
    sooner = make_offering("Tidligere kurs", capacity=1, starts_in=timedelta(days=20))
    others = make_offering("Annet kurs", capacity=1)
    seated = make_offering("Kurs med plass", capacity=5)
    for offering in (later, sooner, others):
        filler = make_user()
        ops.enroll(offering.id, filler, actor=filler, now=now)
    kari, ola, first_in_line = make_user("Kari Venter"), make_user("Ola Annen"), make_user("Først I Køen")
    ops.enroll(others.id, ola, actor=ola, now=now)
    ops.enroll(sooner.id, first_in_line, actor=first_in_line, now=now + timedelta(hours=1))
    ops.enroll(later.id, kari, actor=kari, now=now + timedelta(hours=2))
    ops.enroll(sooner.id, kari, actor=kari, now=now + timedelta(hours=3))
    ops.enroll(seated.id, kari, actor=kari, now=now)
    db.session.commit()
    page = login(kari).get("/mine-kurs").get_data(as_text=True)
    cards = page.split('id="venteliste"')[1].split("</section>")[0].split('<li class="ds-card kp-card">')[1:]
    assert [("Tidligere kurs" in card, "Seinere kurs" in card) for card in cards] == [(True, False), (False, True)]
    assert "Nummer 2 på ventelisten" in cards[0] and "Nummer 1 på ventelisten" in cards[1]


# --- attendance from shortly before the session, not earlier -------------------------------------------

def test_attendance_is_not_offered_before_the_session(login, admin, make_offering, make_user, now):
    offering = make_offering(sessions=2)
    e = ops.enroll(offering.id, make_user(), actor=admin, now=now)
    db.session.commit()
    first = offering.live_sessions[0]
    attendance_url = f"/kurs/{offering.id}/okter/{first.id}/oppmote"
    c = login(admin)
    assert attendance_url not in c.get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert attendance_url not in c.get(f"/kurs/{offering.id}/deltakere").get_data(as_text=True)
    page = c.get(attendance_url).get_data(as_text=True)
    assert "Oppmøte kan føres fra" in page and "Lagre oppmøte" not in page
    refused = c.post(attendance_url, data={"present": [str(e.id)]})
    assert refused.status_code == 400 and "Oppmøte kan føres fra" in refused.get_data(as_text=True)
    db.session.refresh(e)
    assert e.state == EnrollmentState.ENROLLED
    set_clock(first.starts_at - timedelta(minutes=10))
    assert attendance_url in c.get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert "Lagre oppmøte" in c.get(attendance_url).get_data(as_text=True)


# --- joining the waitlist is a success, with dates not yet confirmed ------------------------------------

def test_joining_the_waitlist_is_confirmed_as_a_success_with_the_place(login, make_offering, make_user, now):
    offering = make_offering("Programmering i matematikk", capacity=1)
    for _ in range(3):
        person = make_user()
        ops.enroll(offering.id, person, actor=person, now=now)
    db.session.commit()
    page = login(make_user()).post(f"/kurs/{offering.id}/pamelding", follow_redirects=True).get_data(as_text=True)
    assert ('<div class="ds-alert" data-color="success" role="status">\n          <p class="ds-paragraph">'
            'Du står som nr. 3 på ventelisten til «Programmering i matematikk».') in page
    assert 'data-color="warning"' not in page.split("<main")[1].split("</div>")[0]
    assert "Kurset er fullt" not in page
    assert "Legg til i kalenderen (ikke bekreftet ennå)" in page
    assert "Datoene er ikke bekreftet for deg før du har fått plass." in page


# --- the participant list: one row per person, the history on demand -----------------------------------

def test_participant_list_has_one_row_per_person_with_the_history_on_demand(login, admin, make_offering,
                                                                            make_user, now):
    offering = make_offering(capacity=5)
    kari, ola = make_user("Kari Nordmann"), make_user("Ola Nordmann")
    first = ops.enroll(offering.id, kari, actor=kari, now=now)
    ops.cancel_enrollment(first, actor=kari, now=now + timedelta(hours=1))
    ops.enroll(offering.id, kari, actor=kari, now=now + timedelta(hours=2))
    ops.enroll(offering.id, ola, actor=ola, now=now)
    db.session.commit()
    c = login(admin)
    page = c.get(f"/kurs/{offering.id}/deltakere").get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 2 and body.count("Kari Nordmann<br>") == 1
    kari_row = body.split("Kari Nordmann<br>")[1].split("</tr>")[0]
    assert "<td>Påmeldt" in kari_row
    assert "<details" in kari_row and "3 endringer" in kari_row
    assert kari_row.count("Påmeldt") >= 3 and "Avmeldt" in kari_row  # signed up, cancelled, signed up again
    rows = list(csv.reader(io.StringIO(c.get(f"/kurs/{offering.id}/deltakere.csv").get_data(as_text=True)
                                       .lstrip("\ufeff")), delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == ["Kari Nordmann", "Ola Nordmann"]  # the export too


def _history(page: str, name: str) -> list[str]:
    """Return the entries of the person's history on the participant list, as shown."""
    row = page.split("<tbody>")[1].split(f"{name}<br>")[1].split("</tr>")[0]
    return [li.split("</li>")[0] for li in row.split("<ol>")[1].split("</ol>")[0].split("<li>")[1:]]


def test_a_persons_history_is_in_the_order_things_happened_even_when_a_later_change_was_written_first(
        login, admin, make_offering, make_user, now):
    """A request reads its time when it starts; one that started earlier can be written after one that started
    later (it waited for the offering's lock). The history still reads in the order of the times it shows."""
    offering = make_offering(capacity=5)
    kari = make_user("Kari Nordmann")
    first = ops.enroll(offering.id, kari, actor=kari, now=now)
    ops.cancel_enrollment(first, actor=admin, now=now + timedelta(hours=2))
    ops.enroll(offering.id, kari, actor=kari, now=now + timedelta(hours=1))  # started before the cancel, written after
    db.session.commit()
    page = login(admin).get(f"/kurs/{offering.id}/deltakere").get_data(as_text=True)
    entries = _history(page, "Kari Nordmann")
    assert [entry.split("</time>: ")[1] for entry in entries] == ["Påmeldt", "Påmeldt", "Avmeldt (av Ada Admin)"]
    assert entries[0].startswith(f'<time datetime="{now.isoformat()}">')
    # The list says she signed up when her history says she did the second time, and that she did it herself.
    row = page.split("<tbody>")[1].split("Kari Nordmann<br>")[1].split("</tr>")[0]
    _schools, state, signed_up = [cell.split("</td>")[0] for cell in row.split("</th>")[1].split("<td>")[1:4]]
    assert signed_up == entries[1].split(">")[1].split("</time")[0]
    assert signed_up != entries[0].split(">")[1].split("</time")[0]
    assert state == "Påmeldt"  # not "meldt på av" herself


def test_a_persons_history_shows_only_their_sign_ups_not_a_decision_about_a_course_with_the_same_number(
        login, admin, make_offering, make_user, now):
    """The audit log numbers each kind of thing on its own: a course's number can equal a sign-up's, and the
    organiser's decision that that course runs is not a change to the sign-up."""
    offering = make_offering(capacity=5)
    kari = make_user("Kari Nordmann")
    seat = ops.enroll(offering.id, kari, actor=kari, now=now)
    namesake = offering
    while namesake.id < seat.id:
        namesake = make_offering("Et annet kurs")
    assert namesake.id == seat.id
    offering_ops.go_ahead(namesake, actor=admin, now=now)
    db.session.commit()
    page = login(admin).get(f"/kurs/{offering.id}/deltakere").get_data(as_text=True)
    assert [entry.split("</time>: ")[1] for entry in _history(page, "Kari Nordmann")] == ["Påmeldt"]


def test_the_participant_list_takes_as_many_statements_for_six_people_as_for_two(login, admin, make_offering,
                                                                                  make_user, now):
    """Each person's account and whoever signed them up are read for the whole list at once."""
    counts = []
    for n in (2, 6):
        offering = make_offering(f"Kurs for {n}", capacity=10)
        for i in range(n):
            # Each signed up by a programme admin of their own, whom nothing else on the page reads.
            helper = make_user(f"Rådgiver {n}-{i}", roles=(Role.ADMIN,))
            person = make_user(f"Lærer {n}-{i}")
            ops.enroll(offering.id, person, actor=helper, now=now)
        c, url = login(admin), f"/kurs/{offering.id}/deltakere"
        db.session.expunge_all()  # the page starts with nothing read, as it does outside the tests

        def read():
            assert c.get(url).status_code == 200
        counts.append(count_statements(read))
    assert counts[0] == counts[1]


# --- the staff picker -----------------------------------------------------------------------------------

def test_staff_picker_chooses_nobody_shows_who_is_in_and_leaves_out_the_organiser(login, make_offering, make_user,
                                                                                 make_school, now):
    school = make_school()
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school)
    fyrtarn = make_user("Marte Fyrtårn", roles=(Role.TEACHER, Role.LIGHTHOUSE), school=school)
    tone = make_user("Tone Lærer", school=school)
    kari = make_user("Kari Lærer", school=school)
    offering = make_offering("Åpent kurs i brøk", responsible_id=fyrtarn.id)
    ops.enroll(offering.id, kari, actor=kari, now=now)
    db.session.commit()
    c = login(leader)
    page = c.get(f"/kurs/{offering.id}").get_data(as_text=True)
    picker = page.split('id="person_id"')[1].split("</select>")[0]
    # The empty first choice is the one selected: nobody is chosen until the leader chooses.
    assert picker.count("selected") == 1 and '<option selected value="">Velg en ansatt</option>' in picker
    assert f'<option disabled value="{kari.id}">Kari Lærer (Påmeldt)</option>' in picker
    assert f'value="{tone.id}">Tone Lærer</option>' in picker
    assert "Marte Fyrtårn" not in picker
    nobody = c.post(f"/kurs/{offering.id}/pamelding", data={"person_id": ""}, follow_redirects=True)
    assert "Velg hvem du vil melde på." in nobody.get_data(as_text=True)
    assert ops.active_enrollment(offering.id, tone.id) is None


def test_staff_picker_lists_the_leaders_active_staff_by_name_and_nobody_else(login, make_offering, make_user,
                                                                             make_school):
    school = make_school()
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school)
    for name in ("Xena Sist", "Berit Først", "Mons Midt"):
        make_user(name, school=school)
    make_user("Sluttet Lærer", school=school, active=False)
    make_user("Annen Skole", school=make_school())
    offering = make_offering("Åpent kurs i brøk")
    page = login(leader).get(f"/kurs/{offering.id}").get_data(as_text=True)
    picker = page.split('id="person_id"')[1].split("</select>")[0]
    names = [option.split(">", 1)[1].split("<")[0] for option in picker.split("<option")[2:]]
    assert names == ["Berit Først", "Mons Midt", "Rita Rektor", "Xena Sist"]
