"""What people see and do on the enrollment pages: signing up, seats, Mine kurs, participant lists."""
import csv
import io

from openpyxl import load_workbook

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings.models import TargetGroup
from lms.db import db
from lms.people.models import Role


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
