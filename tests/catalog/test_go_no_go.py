"""The minimum number of participants: the organiser is told before the go/no-go day and decides on it."""
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from catalog.enrollment import operations as ops
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import OfferingStatus
from lms.audit.operations import history
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role

#: The go/no-go day of the offerings below: Sunday 20 September 2026, three weeks before the course.
DECIDE_ON = date(2026, 9, 20)


def _morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=timezone.utc)


def _mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


def _course(make_offering, make_user, signed_up: int, **kw):
    organiser = make_user("Olga Arrangør", roles=(Role.TEACHER, Role.LIGHTHOUSE), email="olga@kommune.test")
    offering = make_offering("Programmering i matematikk", capacity=20, min_participants=5, go_no_go_date=DECIDE_ON,
                             starts_in=timedelta(days=40), responsible_id=organiser.id, **kw)
    for _ in range(signed_up):
        person = make_user()
        ops.enroll(offering.id, person, actor=person, now=_morning(date(2026, 9, 2)))
    db.session.commit()
    return offering, organiser


def test_the_organiser_hears_the_numbers_once_before_the_go_no_go_day(app, make_offering, make_user):
    offering, organiser = _course(make_offering, make_user, signed_up=3)
    runner = app.test_cli_runner()
    set_clock(_morning(DECIDE_ON - timedelta(days=4)))
    assert "0 varsler" in runner.invoke(args=["catalog", "go-no-go"]).output  # four days before: not yet
    set_clock(_morning(DECIDE_ON - timedelta(days=3)))
    assert "1 varsler" in runner.invoke(args=["catalog", "go-no-go"]).output
    set_clock(_morning(DECIDE_ON - timedelta(days=1)))
    assert "0 varsler" in runner.invoke(args=["catalog", "go-no-go"]).output  # once per offering
    (notice,) = _mails("catalog.minimum_notice")
    assert notice.recipient == organiser.email
    mail = render(notice)
    assert "Programmering i matematikk" in mail.subject
    assert "Påmeldt nå: 3 av minst 5" in mail.text and "20. september 2026" in mail.text


def test_below_the_minimum_on_the_day_it_waits_for_a_decision_and_is_not_cancelled(
        app, login, make_offering, make_user, admin):
    offering, organiser = _course(make_offering, make_user, signed_up=3)
    set_clock(_morning(DECIDE_ON))
    runner = app.test_cli_runner()
    assert "1 forespørsler om beslutning" in runner.invoke(args=["catalog", "go-no-go"]).output
    assert "0 forespørsler om beslutning" in runner.invoke(args=["catalog", "go-no-go"]).output
    (due,) = _mails("catalog.decision_due")
    assert due.recipient == organiser.email and "Ingenting avlyses av seg selv" in render(due).text
    set_clock(_morning(DECIDE_ON + timedelta(days=5)))
    runner.invoke(args=["catalog", "go-no-go"])
    db.session.refresh(offering)
    assert offering.status == OfferingStatus.PUBLISHED  # days later: still waiting for a person

    page = login(organiser).get(f"/kurs/{offering.id}").get_data(as_text=True)
    assert "Venter på din beslutning" in page and "3 av minst 5" in page
    assert "Gjennomfør likevel" in page and f'href="/kurs/{offering.id}/avlys"' in page
    overview = login(admin).get("/kurs/beslutninger").get_data(as_text=True)
    assert "Programmering i matematikk" in overview.split('id="venter"')[1].split('id="snart"')[0]
    front = login(admin).get("/").get_data(as_text=True)
    task = front.split('id="under-minstetallet"')[1].split("</section>")[0]
    assert "Programmering i matematikk" in task and "Skulle vært avgjort" in task
    assert 'href="/kurs/beslutninger"' in task


def test_going_ahead_is_a_recorded_decision(login, make_offering, make_user):
    offering, organiser = _course(make_offering, make_user, signed_up=2)
    set_clock(_morning(DECIDE_ON))
    c = login(organiser)
    response = c.post(f"/kurs/{offering.id}/gjennomfor", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Tilbudet gjennomføres." in page and "Venter på din beslutning" not in page
    assert "Besluttet gjennomført" in page
    db.session.refresh(offering)
    assert offering.go_ahead_at is not None
    assert [(e.from_state, e.to_state, e.actor_id) for e in history("offering", offering.id)] == [
        ("undecided", "go_ahead", organiser.id)]
    assert offering_ops.awaiting_decision(_morning(DECIDE_ON)) == []


def test_cancelling_below_the_minimum_tells_everyone_through_the_cancellation(login, make_offering, make_user):
    offering, organiser = _course(make_offering, make_user, signed_up=2)
    set_clock(_morning(DECIDE_ON))
    login(organiser).post(f"/kurs/{offering.id}/avlys", data={"reason": "For få påmeldte."})
    told = [render(m) for m in _mails("catalog.enrollment") if m.params.get("to") == "cancelled"]
    assert len(told) == 2 and all("For få påmeldte." in m.text for m in told)
    assert offering_ops.awaiting_decision(_morning(DECIDE_ON)) == []


def test_enough_participants_needs_no_decision(app, make_offering, make_user):
    offering, _organiser = _course(make_offering, make_user, signed_up=5)
    set_clock(_morning(DECIDE_ON))
    assert "0 forespørsler" in app.test_cli_runner().invoke(args=["catalog", "go-no-go"]).output
    assert offering_ops.awaiting_decision(_morning(DECIDE_ON)) == []


def test_only_the_organiser_or_an_admin_decides(login, make_offering, make_user):
    offering, _organiser = _course(make_offering, make_user, signed_up=1)
    set_clock(_morning(DECIDE_ON))
    assert login(make_user()).post(f"/kurs/{offering.id}/gjennomfor").status_code == 403
    db.session.refresh(offering)
    assert offering.go_ahead_at is None


def test_without_a_responsible_person_the_admins_are_asked(app, make_offering, make_user, admin):
    offering = make_offering("Lederverksted", min_participants=5, go_no_go_date=DECIDE_ON, capacity=20)
    offering.responsible_id = None
    db.session.commit()
    set_clock(_morning(DECIDE_ON))
    app.test_cli_runner().invoke(args=["catalog", "go-no-go"])
    assert [m.recipient for m in _mails("catalog.decision_due")] == [admin.email]
    assert offering.status == OfferingStatus.PUBLISHED
