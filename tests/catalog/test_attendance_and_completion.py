"""Attendance and completion as the organiser records them: who came, who did not, who completed, and who did it.

Everything is posted through the attendance and participant pages and read
back from them: the states, the ticks, the count in the message and the
history's "av Ada Admin".
"""
from datetime import timedelta

import pytest

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings import operations as offering_ops
from lms.db import db, set_clock


def _row(page: str, name: str) -> str:
    """Return the participant list's row of the person called ``name``."""
    rows = [row for row in page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>") if f"{name}<br>" in row]
    assert len(rows) == 1, page
    return rows[0]


def _state_cell(row: str) -> str:
    """Return the row's status cell: the state's label, a waitlist place, who signed them up."""
    return row.split("</th>")[1].split("</td>")[1].split("<td>", 1)[1]


def _ticked(sheet: str, enrollment_id: int) -> bool:
    """Tell whether the attendance sheet ticks the participant (the box must be there)."""
    _, box = sheet.split(f'id="present-{enrollment_id}"')
    return box.split(">")[0] == " checked"


def _course(make_offering, make_user, now, names, *, sessions=1):
    offering = make_offering("Digital vurdering", sessions=sessions)
    people = [make_user(name) for name in names]
    enrollments = [ops.enroll(offering.id, p, actor=p, now=now) for p in people]
    db.session.commit()
    return offering, enrollments


def _record(client, offering, session, present) -> None:
    set_clock(session.starts_at)
    response = client.post(f"/kurs/{offering.id}/okter/{session.id}/oppmote",
                           data={"present": [str(e.id) for e in present]})
    assert response.status_code == 303, response.get_data(as_text=True)


def _participants(client, offering) -> str:
    return client.get(f"/kurs/{offering.id}/deltakere").get_data(as_text=True)


def test_attendance_marks_who_came_and_who_did_not_with_who_recorded_it(login, admin, make_offering, make_user, now):
    offering, (anne, bjorn) = _course(make_offering, make_user, now, ["Anne Aas", "Bjørn Berg"])
    c = login(admin)
    _record(c, offering, offering.live_sessions[0], [anne])
    page = _participants(c, offering)
    assert _state_cell(_row(page, "Anne Aas")).startswith("Deltok")
    assert _state_cell(_row(page, "Bjørn Berg")).startswith("Møtte ikke")
    assert ": Deltok (av Ada Admin)</li>" in _row(page, "Anne Aas")
    assert ": Møtte ikke (av Ada Admin)</li>" in _row(page, "Bjørn Berg")


def test_a_sessions_attendance_corrected_is_ticked_as_corrected(login, admin, make_offering, make_user, now):
    offering, (anne,) = _course(make_offering, make_user, now, ["Anne Aas"])
    c = login(admin)
    session = offering.live_sessions[0]
    _record(c, offering, session, [anne])
    _record(c, offering, session, [])  # she was ticked by mistake
    sheet = c.get(f"/kurs/{offering.id}/okter/{session.id}/oppmote").get_data(as_text=True)
    assert not _ticked(sheet, anne.id)
    assert _state_cell(_row(_participants(c, offering), "Anne Aas")).startswith("Møtte ikke")
    _record(c, offering, session, [anne])  # and back again
    assert _ticked(c.get(f"/kurs/{offering.id}/okter/{session.id}/oppmote").get_data(as_text=True), anne.id)
    assert _state_cell(_row(_participants(c, offering), "Anne Aas")).startswith("Deltok")


def test_absence_from_the_second_session_leaves_the_first_as_recorded(login, admin, make_offering, make_user, now):
    offering, (anne,) = _course(make_offering, make_user, now, ["Anne Aas"], sessions=2)
    c = login(admin)
    first, second = offering.live_sessions
    _record(c, offering, first, [anne])
    _record(c, offering, second, [])
    assert _ticked(c.get(f"/kurs/{offering.id}/okter/{first.id}/oppmote").get_data(as_text=True), anne.id)
    assert not _ticked(c.get(f"/kurs/{offering.id}/okter/{second.id}/oppmote").get_data(as_text=True), anne.id)
    assert _state_cell(_row(_participants(c, offering), "Anne Aas")).startswith("Deltok")


def test_a_participant_already_completed_does_not_stop_the_others_attendance(login, admin, make_offering,
                                                                            make_user, now):
    offering, (anne, bjorn) = _course(make_offering, make_user, now, ["Anne Aas", "Bjørn Berg"])
    c = login(admin)
    session = offering.live_sessions[0]
    set_clock(session.starts_at)
    assert c.post(f"/kurs/{offering.id}/fullfort", data={"enrollment": [str(anne.id)]}).status_code == 303
    _record(c, offering, session, [bjorn])
    page = _participants(c, offering)
    assert _state_cell(_row(page, "Anne Aas")).startswith("Fullført")
    assert _state_cell(_row(page, "Bjørn Berg")).startswith("Deltok")


def test_completion_marks_the_chosen_participants_of_this_offering_only_and_counts_them(
        login, admin, make_offering, make_user, now):
    offering, (anne, bjorn, cecilie) = _course(make_offering, make_user, now,
                                               ["Anne Aas", "Bjørn Berg", "Cecilie Dahl"])
    other, (dag,) = _course(make_offering, make_user, now, ["Dag Eik"])
    c = login(admin)
    set_clock(offering.live_sessions[0].ends_at)
    response = c.post(f"/kurs/{offering.id}/fullfort", data={"enrollment": [str(e.id) for e in (anne, bjorn, dag)]},
                      follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<p class="ds-paragraph">2 deltakere er registrert som fullført.</p>' in page
    assert _state_cell(_row(page, "Anne Aas")).startswith("Fullført")
    assert _state_cell(_row(page, "Bjørn Berg")).startswith("Fullført")
    assert ": Fullført (av Ada Admin)</li>" in _row(page, "Anne Aas")
    assert _state_cell(_row(page, "Cecilie Dahl")).startswith("Påmeldt")
    assert _state_cell(_row(_participants(c, other), "Dag Eik")).startswith("Påmeldt")
    db.session.expire_all()
    assert [e.state for e in (anne, bjorn, cecilie, dag)] == [EnrollmentState.COMPLETED] * 2 + [
        EnrollmentState.ENROLLED] * 2


def test_the_participants_record_shows_the_day_of_completion(login, admin, make_offering, make_user, now):
    offering, (anne,) = _course(make_offering, make_user, now, ["Anne Aas"])
    set_clock(offering.live_sessions[0].ends_at + timedelta(days=3))  # the course was on 1 October
    assert login(admin).post(f"/kurs/{offering.id}/fullfort", data={"enrollment": [str(anne.id)]}).status_code == 303
    page = login(anne.user).get("/mine-kurs/kursbevis").get_data(as_text=True)
    assert "Digital vurdering" in page
    assert "<td>4. oktober 2026</td></tr>" in page


def test_the_attendance_sheet_says_when_it_opens_and_a_cancelled_session_has_none(login, admin, make_offering,
                                                                                 make_user, now):
    offering, (anne,) = _course(make_offering, make_user, now, ["Anne Aas"], sessions=2)
    first, second = offering.live_sessions  # 1 October 2026, 10:00 in Oslo, and a week later
    offering_ops.cancel_session(offering, second, actor=admin, now=now, reason="")
    db.session.commit()
    c = login(admin)
    set_clock(first.starts_at - timedelta(hours=1))
    sheet = c.get(f"/kurs/{offering.id}/okter/{first.id}/oppmote").get_data(as_text=True)
    opens = "Oppmøte kan føres fra torsdag 1. oktober 2026 kl. 09:45, like før økten starter."
    assert f'<p class="ds-paragraph">{opens}</p>' in sheet
    with pytest.raises(ops.EnrollmentError) as refused:
        ops.record_attendance(second, offering, {anne.id}, actor=admin, now=second.starts_at)
    assert str(refused.value) == "Økten er avlyst, så det føres ikke oppmøte for den."
    assert anne.state == EnrollmentState.ENROLLED


def test_someone_who_cancelled_signed_up_again_and_came_is_listed_as_having_come(login, admin, make_offering,
                                                                                  make_user, now):
    """One row per person, in the state of their newest sign-up, whatever order the database finds them in
    (here the cancelled one sorts after the attended one by state)."""
    offering, (first,) = _course(make_offering, make_user, now, ["Anne Aas"])
    ops.cancel_enrollment(first, actor=first.user, now=now + timedelta(hours=1))
    again = ops.enroll(offering.id, first.user, actor=first.user, now=now + timedelta(hours=2))
    db.session.commit()
    c = login(admin)
    _record(c, offering, offering.live_sessions[0], [again])
    row = _row(_participants(c, offering), "Anne Aas")
    assert _state_cell(row).startswith("Deltok")
    assert "4 endringer" in row  # signed up, cancelled, signed up again, came
