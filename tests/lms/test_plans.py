"""The development plan: writing it, who reads what, its review and versions, its live evidence and report."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import g
from pypdf import PdfReader

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from lms.audit import operations as audit
from lms.db import db
from lms.mail import operations as mail_ops
from lms.people.models import Role
from lms.plans import operations as ops
from lms.plans.models import Plan, PlanSection, PlanState, PlanVersion
from tests.conftest import PASSWORD


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def plain(response) -> str:
    """The page's text as a reader sees it, without markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def test_leader_creates_a_plan_with_all_sections(login, leader, school):
    client = login(leader)
    response = client.post("/utviklingsplan", data={"school_id": school.id, "start_year": "2026", "end_year": "2028"})
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Bakkehaugen skole" in page and "2026/2027–2028/2029" in page and "Utkast" in page
    for title in ("Innledning: Visjon for prosjektet", "Område 1: Økt bruk av læringsteknologi",
                  "Område 4: Kompetanseheving", "Område 6: Informasjon og forankring",
                  "Område 7: Valg av læringsteknologi", "Milepælsplan"):
        assert title in page


@pytest.mark.parametrize("start, end, message", [
    ("2026", "2025", "Planperioden kan ikke slutte før den begynner."),
    ("2026", "2040", "En planperiode kan vare høyst 6 skoleår."),
    ("tjue", "2028", "Skjemaet har feil som må rettes"),
])
def test_a_bad_period_is_refused_in_norwegian_keeping_input(login, leader, school, start, end, message):
    response = login(leader).post("/utviklingsplan", data={"school_id": school.id, "start_year": start, "end_year": end})
    assert response.status_code == 400
    page = text(response)
    assert message in page and f'value="{start}"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def test_a_second_plan_for_the_same_start_is_refused(login, leader, school, plan):
    response = login(leader).post("/utviklingsplan", data={"school_id": school.id, "start_year": "2026",
                                                           "end_year": "2027"})
    assert response.status_code == 400
    assert "Skolen har allerede en plan som begynner dette skoleåret." in text(response)


def test_section_text_is_saved_and_sanitised(login, leader, plan):
    client = login(leader)
    response = client.post(f"/utviklingsplan/{plan.id}/avsnitt/vision",
                           data={"body": "Alle elever **lærer mer**.<script>alert(1)</script>", "version": "1"})
    assert response.status_code == 303
    page = client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True)
    assert "<strong>lærer mer</strong>" in page and "<script>alert(1)" not in page


def test_a_stale_save_is_told_and_loses_nothing(login, leader, make_user, school, plan):
    other = make_user("Lise Leder", roles=(Role.LEADER,), school=school)
    first, second = login(leader), login(other)
    assert first.post(f"/utviklingsplan/{plan.id}/avsnitt/area4",
                      data={"body": "Kurs for alle lærere.", "version": "1"}).status_code == 303
    response = second.post(f"/utviklingsplan/{plan.id}/avsnitt/area4",
                           data={"body": "Veiledning fra fyrtårn.", "version": "1"})
    assert response.status_code == 400
    page = text(response)
    assert ("Noen andre har lagret dette avsnittet mens du skrev. Teksten din er beholdt i skjemaet; den lagrede "
            "teksten står over. Slå dem sammen og lagre igjen.") in page
    assert "Kurs for alle lærere." in page and "Veiledning fra fyrtårn." in page
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    section = db.session.scalar(sa.select(PlanSection).where(PlanSection.plan_id == plan.id,
                                                             PlanSection.key == "area4"))
    assert section.body == "Kurs for alle lærere." and section.version == 2
    assert second.post(f"/utviklingsplan/{plan.id}/avsnitt/area4",
                       data={"body": "Kurs og veiledning.", "version": "2"}).status_code == 303


def test_goals_measures_treatments_information_and_milestones_are_added(login, leader, plan, make_user, school):
    teacher = make_user("Tor Lærer", school=school)
    client = login(leader)
    url = f"/utviklingsplan/{plan.id}"
    assert client.post(f"{url}/mal/4", data={"mal4-indicator": "Andel lærere med fullført kurs",
                                             "mal4-target": "80 % innen juni 2027"}).status_code == 303
    assert client.post(f"{url}/tiltak/4", data={"tiltak4-title": "Kurs i digital vurdering",
                                                "tiltak4-target_group": "teachers", "tiltak4-responsible": "Rita Rektor",
                                                "tiltak4-timing": "Høsten 2026",
                                                "tiltak4-links": "offering:1\nplan_area:4"}).status_code == 303
    assert client.post(f"{url}/behandling", data={"body": "fau", "treated_on": "2026-09-10",
                                                  "decision": "FAU støtter planen."}).status_code == 303
    assert client.post(f"{url}/informasjon", data={"kind": "letter", "title": "Brev til foresatte",
                                                   "audience": "parents", "informed_on": "2026-09-15"}).status_code == 303
    assert client.post(f"{url}/milepael", data={"what": "Alle lærere har nettbrett", "responsible_id": teacher.id,
                                                "deadline": "2026-08-20", "evaluation": "Telling"}).status_code == 303
    page = text(client.get(url))
    for shown in ("Andel lærere med fullført kurs", "80 % innen juni 2027", "Kurs i digital vurdering",
                  "FAU", "FAU støtter planen.", "Brev til foresatte", "Alle lærere har nettbrett", "Tor Lærer",
                  "Forfalt"):
        assert shown in page, shown


@pytest.mark.parametrize("path, data, message", [
    ("mal/4", {"mal4-indicator": "", "mal4-target": "80 %"}, "Dette feltet må fylles ut."),
    ("tiltak/4", {"tiltak4-title": "Kurs", "tiltak4-target_group": "teachers", "tiltak4-responsible": "R",
                  "tiltak4-timing": "Høst", "tiltak4-links": "kurs tolv"}, "Skriv hver kobling som type:nummer"),
    ("tiltak/4", {"tiltak4-title": "Kurs", "tiltak4-target_group": "teachers", "tiltak4-responsible": "R",
                  "tiltak4-timing": "Høst", "tiltak4-links": "bok:12"}, "Ukjent type kobling."),
    ("behandling", {"body": "fau", "treated_on": "10.09.2026", "decision": "Ja"}, "Skjemaet har feil"),
    ("milepael", {"what": "Nettbrett", "responsible_id": "999999", "deadline": "2026-09-01"}, "Skjemaet har feil"),
])
def test_bad_input_is_refused_in_norwegian(login, leader, plan, path, data, message):
    response = login(leader).post(f"/utviklingsplan/{plan.id}/{path}", data=data)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    for value in data.values():
        if value and len(value) > 2 and path != "behandling" and not value.isdecimal():
            assert value in page


def test_a_milestone_outside_the_school_staff_is_refused(login, leader, plan, make_user):
    stranger = make_user("Fremmed Lærer")
    response = login(leader).post(f"/utviklingsplan/{plan.id}/milepael",
                                  data={"what": "Nettbrett", "responsible_id": stranger.id, "deadline": "2026-09-01"})
    assert response.status_code == 400


# --- who sees what ------------------------------------------------------------

PAGES = ["", "/rapport", "/rapport.pdf", "/avsnitt/vision"]


@pytest.mark.parametrize("role, state, expected", [
    ("leader", PlanState.DRAFT, {"": 200, "/rapport": 200, "/rapport.pdf": 200, "/avsnitt/vision": 200}),
    ("teacher", PlanState.DRAFT, {"": 200, "/rapport": 200, "/rapport.pdf": 200, "/avsnitt/vision": 403}),
    ("other_leader", PlanState.DRAFT, {"": 403, "/rapport": 403, "/rapport.pdf": 403, "/avsnitt/vision": 403}),
    ("other_leader", PlanState.APPROVED, {"": 200, "/rapport": 200, "/rapport.pdf": 200, "/avsnitt/vision": 403}),
    ("other_teacher", PlanState.APPROVED, {"": 403, "/rapport": 403, "/rapport.pdf": 403, "/avsnitt/vision": 403}),
    ("admin", PlanState.DRAFT, {"": 200, "/rapport": 200, "/rapport.pdf": 200, "/avsnitt/vision": 403}),
])
def test_every_role_against_every_plan_page(login, people, plan, role, state, expected):
    plan.state = state
    db.session.commit()
    client = login(people[role])
    for page, status in expected.items():
        assert client.get(f"/utviklingsplan/{plan.id}{page}").status_code == status, (role, page)
    writes = {"/mal/4": {"mal4-indicator": "x", "mal4-target": "y"}, "/avsnitt/vision": {"body": "x", "version": "1"},
              "/overgang/send-inn": {}, "/overgang/godkjenn": {}}
    for path, data in writes.items():
        status = client.post(f"/utviklingsplan/{plan.id}{path}", data=data).status_code
        if role != "leader" and not (role == "admin" and path.startswith("/overgang")):
            assert status == 403, (role, path, status)


def test_other_leaders_see_only_areas_4_and_6_of_approved_plans(login, people, leader, plan, now):
    ops.save_section(plan, "vision", "Hemmelig visjon", 1, actor=leader, now=now)
    ops.save_section(plan, "area4", "Kurs for alle", 1, actor=leader, now=now)
    plan.state = PlanState.APPROVED
    db.session.commit()
    page = text(login(people["other_leader"]).get(f"/utviklingsplan/{plan.id}"))
    assert "Kurs for alle" in page and "Område 6: Informasjon og forankring" in page
    assert "Hemmelig visjon" not in page and "Område 1:" not in page and "Milepælsplan" not in page
    listed = text(login(people["other_leader"]).get("/utviklingsplan"))
    assert "Bakkehaugen skole" in listed
    assert "Bakkehaugen skole" not in text(login(people["other_teacher"]).get("/utviklingsplan"))


# --- review -------------------------------------------------------------------

def test_review_from_draft_to_approval_with_a_return_and_versions(login, leader, admin, plan):
    school_client, reviewer = login(leader), login(admin)
    url = f"/utviklingsplan/{plan.id}"
    school_client.post(f"{url}/avsnitt/area4", data={"body": "Første utkast.", "version": "1"})
    # Submitting before Driftsstyret has treated the plan is not a step the table allows.
    school_client.post(f"{url}/overgang/send-inn")
    assert "Utkast" in text(school_client.get(url))
    response = school_client.post(f"{url}/behandlet", data={"driftsstyret-treated_on": "", "driftsstyret-decision": ""})
    assert response.status_code == 400 and "Velg en dato." in text(response)
    assert school_client.post(f"{url}/behandlet", data={"driftsstyret-treated_on": "2026-09-20",
                                                        "driftsstyret-decision": "Driftsstyret slutter seg til planen."}
                              ).status_code == 303
    assert school_client.post(f"{url}/overgang/send-inn").status_code == 303
    assert reviewer.post(f"{url}/overgang/til-behandling").status_code == 303
    # Returning needs a comment that says what must be improved.
    reviewer.post(f"{url}/overgang/send-tilbake")
    assert db.session.get(Plan, plan.id).state == PlanState.UNDER_REVIEW
    assert reviewer.post(f"{url}/kommentar", data={"kommentar-section_key": "area4",
                                                   "kommentar-body": "Mål mangler indikator.",
                                                   "kommentar-must_improve": "y"}).status_code == 303
    assert reviewer.post(f"{url}/overgang/send-tilbake").status_code == 303
    page = text(school_client.get(url))
    assert "Sendt tilbake med tilbakemelding" in page and "Mål mangler indikator." in page
    school_client.post(f"{url}/avsnitt/area4", data={"body": "Andre utkast med indikator.", "version": "2"})
    assert school_client.post(f"{url}/overgang/send-inn").status_code == 303
    reviewer.post(f"{url}/overgang/til-behandling")
    assert reviewer.post(f"{url}/overgang/godkjenn").status_code == 303
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).state == PlanState.APPROVED
    first = text(school_client.get(f"{url}/versjon/1"))
    second = text(school_client.get(f"{url}/versjon/2"))
    assert "Første utkast." in first and "Andre utkast med indikator." not in first
    assert "Andre utkast med indikator." in second and "Område 4: Kompetanseheving" in second
    assert "Endret fra forrige versjon" in second
    assert [(e.from_state, e.to_state) for e in audit.history("plan", plan.id)] == [
        (None, "draft"), ("draft", "treated"), ("treated", "submitted"), ("submitted", "under_review"),
        ("under_review", "returned"), ("returned", "submitted"), ("submitted", "under_review"),
        ("under_review", "approved")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanVersion)) == 2
    assert "Driftsstyret slutter seg til planen." in text(school_client.get(url))


def test_a_submitted_plan_cannot_be_edited(login, leader, plan, now):
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 1), decision="Ja")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    response = login(leader).post(f"/utviklingsplan/{plan.id}/mal/4", data={"mal4-indicator": "x", "mal4-target": "y"})
    assert response.status_code == 400
    assert "Planen er sendt inn og kan ikke endres" in text(response)


# --- evidence ------------------------------------------------------------------

def test_measure_shows_live_figures_from_the_catalogue(login, leader, course_plan):
    plan, course = course_plan
    response = login(leader).get(f"/utviklingsplan/{plan.id}")
    page = plain(response)
    assert "Digital vurdering: påmeldte ansatte: 3 av 4" in page
    assert "Digital vurdering: fullført: 1 av 4" in page
    assert "Ansatte med fullført kompetansetiltak i planperioden: 1 av 5" in page
    assert f'href="/kurs/{course.id}/deltakere"' in text(response)


def test_staff_see_figures_without_the_lists_behind_them(login, make_user, school, course_plan):
    plan, course = course_plan
    response = login(make_user("Tor Lærer", school=school)).get(f"/utviklingsplan/{plan.id}")
    assert "Digital vurdering: fullført: 1 av 5" in plain(response)
    assert f'href="/kurs/{course.id}/deltakere"' not in text(response)


def plan_page_selects(client, plan) -> int:
    """Return how many SELECTs the plan page sends (its transaction's BEGIN depends on what the test did before)."""
    count = []
    listener = lambda conn, cursor, statement, *args: count.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(f"/utviklingsplan/{plan.id}").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len([statement for statement in count if statement.lstrip().upper().startswith("SELECT")])


def test_plan_page_queries_do_not_grow_with_measures(login, leader, course_plan, make_offering, now, app):
    plan, _course = course_plan
    client = login(leader)
    before = plan_page_selects(client, plan)
    for i in range(5):
        other = make_offering(f"Kurs {i}")
        ops.add_measure(plan, 4, f"Tiltak {i}", ops.PlanTargetGroup.TEACHERS, "Rita", "Vår",
                        [("offering", other.id), ("lighthouse_offering", i + 1)], actor=leader, now=now)
    db.session.commit()
    assert plan_page_selects(client, plan) == before


def test_plan_page_queries_do_not_grow_with_milestones_their_people_or_who_changed_the_plan(
        login, leader, course_plan, make_user, school, now):
    plan, _course = course_plan
    client = login(leader)
    first = ops.add_milestone(plan, "Alle elever har nettbrett", leader.id, date(2027, 1, 15), "", [],
                              actor=leader, now=now)
    db.session.commit()
    before = plan_page_selects(client, plan)
    people = [make_user(f"Ansvarlig {i}", school=school) for i in range(4)]
    for i, person in enumerate(people):
        ops.add_milestone(plan, f"Milepæl {i}", person.id, date(2027, 2, i + 1), "Evaluering", [first.id],
                          actor=leader, now=now)
        audit.record(object_type=ops.AUDIT_TYPE, object_id=plan.id, from_state=PlanState.DRAFT,
                     to_state=PlanState.DRAFT, actor_id=person.id, at=now + timedelta(minutes=i))
    db.session.commit()
    assert plan_page_selects(client, plan) == before
    page = plain(client.get(f"/utviklingsplan/{plan.id}"))
    assert "Milepæl 3 Ansvarlig 3" in page and "Alle elever har nettbrett" in page
    assert page.count("Ansvarlig 2 – Utkast") == 1


def test_without_the_fyrtarn_the_plan_shows_the_catalogue_evidence(make_app, login, leader, course_plan):
    plan, _course = course_plan
    assert "Fyrtårnbestillinger holdt: 0" in plain(login(leader).get(f"/utviklingsplan/{plan.id}"))
    plan_id, email = plan.id, leader.email
    other = make_app(DISABLED_PLUGINS=["lighthouse"])
    client = other.test_client()
    # Nothing of the first app's session is touched from here: it would take SQLite's write lock.
    signed_in = client.post("/logg-inn", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    page = text(client.get(f"/utviklingsplan/{plan_id}"))
    assert "Digital vurdering: fullført" in page and "Fyrtårnbestillinger" not in page


def test_without_the_catalogue_the_plan_still_works(make_app, leader, course_plan):
    plan, _course = course_plan
    plan_id, email = plan.id, leader.email
    other = make_app(DISABLED_PLUGINS=["catalog"])
    client = other.test_client()
    assert client.post("/logg-inn", data={"email": email, "password": PASSWORD}).status_code == 302
    response = client.get(f"/utviklingsplan/{plan_id}")
    page = text(response)
    assert response.status_code == 200 and "Kurs i digital vurdering" in page
    assert "påmeldte ansatte" not in page
    assert client.get(f"/utviklingsplan/{plan_id}/rapport.pdf").status_code == 200


# --- report -------------------------------------------------------------------

def test_report_pdf_reads_back_with_goals_figures_milestones_and_bodies(login, leader, course_plan, now, make_user,
                                                                        school):
    plan, _course = course_plan
    ops.add_goal(plan, 4, "Andel lærere med fullført kurs", "80 % innen juni", actor=leader, now=now)
    ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), "FAU støtter planen.", actor=leader, now=now)
    ops.add_milestone(plan, "Alle lærere har nettbrett", leader.id, date(2026, 8, 20), "Telling", [],
                      actor=leader, now=now)
    db.session.commit()
    response = login(leader).get(f"/utviklingsplan/{plan.id}/rapport.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = re.sub(r"\s+", " ", pdf_text)
    for shown in ("Bakkehaugen skole", "Område 4: Kompetanseheving", "Andel lærere med fullført kurs",
                  "Kurs i digital vurdering", "Digital vurdering: fullført: 1 av 4", "FAU støtter planen.",
                  "Alle lærere har nettbrett", "forfalt", "Område 6: Informasjon og forankring"):
        assert shown in flat, shown
    page = text(login(leader).get(f"/utviklingsplan/{plan.id}/rapport"))
    assert "Andel lærere med fullført kurs" in page and "Forfalt" in page


def test_another_schools_leader_gets_no_milestones_in_the_report_as_on_the_plan_page(login, people, leader, plan, now):
    ops.add_milestone(plan, "Hemmelig milepæl", people["teacher"].id, date(2026, 12, 1), "Telling", [],
                      actor=leader, now=now)
    ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), "FAU støtter planen.", actor=leader, now=now)
    plan.state = PlanState.APPROVED
    db.session.commit()
    url = f"/utviklingsplan/{plan.id}"
    other = login(people["other_leader"])
    assert "Hemmelig milepæl" not in text(other.get(url))
    page = text(other.get(url + "/rapport"))
    # Areas 4 and 6 with the bodies that treated the plan, as the plan page shows them; no milestone, no name.
    assert "Område 4: Kompetanseheving" in page and "FAU støtter planen." in page
    assert "Hemmelig milepæl" not in page and people["teacher"].name not in page and "Milepæler" not in page
    flat = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        other.get(url + "/rapport.pdf").data)).pages))
    assert "FAU støtter planen." in flat and "Hemmelig milepæl" not in flat and "Milepæler" not in flat
    # The school's own staff read the whole plan, and the report keeps its milestones for them.
    own = text(login(people["teacher"]).get(url + "/rapport"))
    assert "Milepæler" in own and "Hemmelig milepæl" in own


def test_report_is_two_clicks_from_the_front_page(login, leader, plan):
    client = login(leader)
    front = client.get("/").get_data(as_text=True)
    assert 'href="/utviklingsplan"' in front
    listing = client.get("/utviklingsplan").get_data(as_text=True)
    # From the plan list the report is one more click: the list links each plan's report directly.
    assert f'href="/utviklingsplan/{plan.id}/rapport"' in listing


def test_focus_areas_come_from_the_latest_plan(leader, school, plan, now):
    school.focus_areas_text = "Lesing"
    ops.add_measure(plan, 4, "Vurdering for læring", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [],
                    actor=leader, now=now)
    assert ops.focus_areas_of([school.id]) == {school.id: ["Lesing", "Vurdering for læring"]}


# --- milestone reminders ------------------------------------------------------------

def test_the_responsible_person_is_reminded_once_before_the_deadline(app, leader, plan, make_user, school, now):
    from lms.mail import operations as mail
    from lms.mail.models import OutboxMessage
    teacher = make_user("Tor Lærer", school=school, locale="nn")
    ops.add_milestone(plan, "Alle lærere har nettbrett", teacher.id, now.date() + timedelta(days=5),
                      "Telling i oktober", [], actor=leader, now=now)
    ops.add_milestone(plan, "Langt fram", teacher.id, now.date() + timedelta(days=60), "", [], actor=leader, now=now)
    ops.add_milestone(plan, "Alt forfalt", teacher.id, now.date() - timedelta(days=1), "", [], actor=leader, now=now)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plans", "remind"])
    assert "1 påminnelser om milepæler" in result.output, result.output
    assert "0 påminnelser" in runner.invoke(args=["plans", "remind"]).output
    (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.recipient == teacher.email
    rendered = mail.render(message)
    assert "Alle lærere har nettbrett" in rendered.subject
    assert "Bakkehaugen skole" in rendered.text and "Telling i oktober" in rendered.text


def test_milestones_are_in_the_responsible_persons_calendar_feed(app, leader, plan, make_user, school, now):
    import icalendar

    from events import operations as events_ops
    from events.models import FeedScope
    from lms.i18n import OSLO
    teacher = make_user("Tor Lærer", school=school)
    milestone = ops.add_milestone(plan, "Alle lærere har nettbrett", teacher.id, date(2026, 10, 26), "Telling", [],
                                  actor=leader, now=now)
    token = events_ops.issue_feed_token(FeedScope.PERSON, teacher.id, actor=teacher, now=now)
    db.session.commit()
    client = app.test_client()
    response = client.get(f"/kalender/{token}.ics")
    (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Frist: Alle lærere har nettbrett"
    assert event.decoded("DTSTART").astimezone(OSLO).date() == date(2026, 10, 26)
    assert event.decoded("DTSTART").astimezone(OSLO).hour == 8
    etag = response.headers["ETag"]
    ops.set_milestone_status(plan, milestone, ops.MilestoneStatus.REACHED, actor=leader, now=now + timedelta(hours=1))
    db.session.commit()
    changed = client.get(f"/kalender/{token}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    (event,) = icalendar.Calendar.from_ical(changed.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Frist: Alle lærere har nettbrett (Nådd)"
    # Its SEQUENCE counts the changes since it was added: one.
    assert int(event["SEQUENCE"]) == 1


# --- the municipality's overview -----------------------------------------------------------

def test_admins_see_every_school_with_status_overdue_and_coverage(login, admin, leader, course_plan, make_school,
                                                                  make_user, now):
    import csv as csv_module

    from openpyxl import load_workbook
    plan, _course = course_plan
    ops.add_milestone(plan, "Forfalt milepæl", leader.id, now.date() - timedelta(days=3), "", [], actor=leader, now=now)
    ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 1), "Ja", actor=leader, now=now)
    make_school("Østkanten skole", district="Øst")
    db.session.commit()
    client = login(admin)
    page = plain(client.get("/utviklingsplan/oversikt"))
    assert "Bakkehaugen skole Vest Utkast 1 20 % (1 av 5) 1 av 5" in page
    assert "Østkanten skole Øst Ingen plan 0 – 0 av 5" in page
    assert "Utkast 1" in page and "Ingen plan 1" in page  # the table beside the chart
    east = plain(client.get("/utviklingsplan/oversikt?omrade=Øst"))
    assert "Østkanten skole" in east and "Bakkehaugen skole" not in east
    assert "Bakkehaugen skole" in plain(client.get("/utviklingsplan/oversikt?omrade=Ingensteds"))  # unknown: all
    exported = client.get("/utviklingsplan/oversikt.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv_module.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Skole" and ["Bakkehaugen skole", "Vest", "2026/2027–2028/2029", "Utkast", "1", "1", "5",
                                      "20", "1/5", ""] in rows
    sheet = load_workbook(io.BytesIO(client.get("/utviklingsplan/oversikt.xlsx").data)).active
    assert [c.value for c in sheet[1]][:2] == ["Skole", "Område"] and sheet.max_row == 3


def test_only_admins_see_the_overview(login, leader, people):
    for role in ("leader", "teacher", "other_leader"):
        client = login(people[role])
        for url in ("/utviklingsplan/oversikt", "/utviklingsplan/oversikt.csv", "/utviklingsplan/oversikt.xlsx"):
            assert client.get(url).status_code == 403, (role, url)


def test_a_school_name_that_looks_like_a_formula_is_not_one_in_the_export(login, admin, make_school):
    make_school("=HYPERLINK(\"http://x\")")
    db.session.commit()
    body = login(admin).get("/utviklingsplan/oversikt.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_demo_plans_in_different_states_with_figures_from_the_demo(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Utviklingsplaner: 4 nye utviklingsplaner" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert "Utviklingsplaner: 0 nye utviklingsplaner" in second.output
    states = sorted(db.session.scalars(sa.select(Plan.state)))
    assert states == sorted([PlanState.APPROVED, PlanState.RETURNED, PlanState.TREATED, PlanState.DRAFT])
    plan = db.session.scalar(sa.select(Plan).where(Plan.state == PlanState.APPROVED))
    leader = next(m.user for m in plan.school.memberships if m.role == Role.LEADER)
    db.session.commit()
    assert client.post("/logg-inn", data={"email": leader.email, "password": "demo-passord-2026"}).status_code == 302
    page = plain(client.get(f"/utviklingsplan/{plan.id}"))
    assert "Ansatte som har fullført kurs merket område 4:" in page and "Forfalt" in page


def test_courses_tagged_area_4_count_the_completions_of_the_plan_period_only(login, leader, school, plan,
                                                                              make_offering, make_user, admin, now):
    # The plan runs from 1 August 2026 to 1 August 2029, Norwegian time; completions on either side are not its.
    course = make_offering("Kurs i område 4", plan_area=4)
    completed_at = {"Før planen": datetime(2020, 3, 1, tzinfo=timezone.utc),
                    "Kvelden før": datetime(2026, 7, 31, 21, 59, tzinfo=timezone.utc),
                    "Første dag": datetime(2026, 7, 31, 22, 0, tzinfo=timezone.utc),
                    "Etter planen": datetime(2029, 7, 31, 22, 0, tzinfo=timezone.utc)}
    for name, at in completed_at.items():
        teacher = make_user(name, school=school)
        enrollment_ops.enroll(course.id, teacher, actor=teacher, now=now)
        enrollment_ops.transition(enrollment_ops.active_enrollment(course.id, teacher.id), EnrollmentState.COMPLETED,
                                  actor=admin, now=at)
    ops.add_measure(plan, 4, "Alle kurs i område 4", ops.PlanTargetGroup.ALL_STAFF, "Rita", "Høst",
                    [("plan_area", 4)], actor=leader, now=now)
    db.session.commit()
    page = plain(login(leader).get(f"/utviklingsplan/{plan.id}"))
    assert "Ansatte med fullført kompetansetiltak i planperioden: 1 av 5" in page
    assert "Ansatte som har fullført kurs merket område 4: 1 av 5" in page


def test_evidence_sources_answer_in_the_same_queries_for_one_school_or_many(app, make_school, make_user,
                                                                             make_offering, now):
    from lms import plugins
    offering = make_offering("Digital vurdering")
    schools = [make_school() for _ in range(6)]
    for school in schools:
        teacher = make_user(school=school)
        enrollment_ops.enroll(offering.id, teacher, actor=teacher, now=now)
    db.session.commit()

    def selects(school_ids) -> int:
        # Counted as a fresh request would count them: the settings (the new-hire months) read once in each.
        g.pop("kp_settings", None)
        statements = []
        listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        query = plugins.EvidenceQuery(frozenset(school_ids), now - timedelta(days=30), now + timedelta(days=300),
                                      {"offering": frozenset({offering.id}), "plan_area": frozenset({4}),
                                       "lighthouse_offering": frozenset({1, 2})}, now)
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            figures = plugins.plan_evidence(app, query)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert {f.school_id for f in figures} == set(school_ids)
        return len(statements)

    assert selects([schools[0].id]) == selects([s.id for s in schools])


def test_a_refused_goal_keeps_its_input_in_its_own_area_only(login, leader, plan):
    response = login(leader).post(f"/utviklingsplan/{plan.id}/mal/6", data={"mal6-indicator": "Unik indikator",
                                                                            "mal6-target": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count('value="Unik indikator"') == 1
    assert page.index('value="Unik indikator"') > page.index('id="h-area6"')


def test_evidence_for_many_schools_counts_as_for_few(app, make_school, make_user, make_offering, now, monkeypatch):
    from catalog import evidence
    from lms import plugins
    offering = make_offering("Digital vurdering")
    schools = [make_school() for _ in range(3)]
    for i, school in enumerate(schools):
        for _ in range(i + 1):
            teacher = make_user(school=school)
            enrollment_ops.enroll(offering.id, teacher, actor=teacher, now=now)
    make_user(school=make_school())  # a school not asked about
    db.session.commit()
    query = plugins.EvidenceQuery(frozenset(s.id for s in schools[:2]), now - timedelta(days=30),
                                  now + timedelta(days=300), {"offering": frozenset({offering.id})}, now)
    few = sorted(map(repr, evidence.plan_evidence(query)))
    monkeypatch.setattr(plugins, "MANY_SCHOOLS", 1)  # now every school's staff are read, the asked ones kept
    assert sorted(map(repr, evidence.plan_evidence(query))) == few
    assert any("påmeldte ansatte', value=2, of=2" in figure for figure in few)


# --- a milestone's status, and who reminds whom -------------------------------------------------

@pytest.mark.parametrize("role", ["teacher", "other_leader", "admin"])
def test_only_the_schools_leaders_set_a_milestones_status(login, people, plan, leader, now, role):
    milestone = ops.add_milestone(plan, "Alle lærere har nettbrett", leader.id, date(2026, 10, 26), "", [],
                                  actor=leader, now=now)
    plan.state = PlanState.APPROVED  # the other school's leader may read it
    db.session.commit()
    url = f"/utviklingsplan/{plan.id}/milepael/{milestone.id}/status"
    assert login(people[role]).post(url, data={"status": "reached"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ops.Milestone, milestone.id).status == ops.MilestoneStatus.PLANNED
    assert audit.history("milestone", milestone.id) == []
    assert login(leader).post(url, data={"status": "reached"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(ops.Milestone, milestone.id).status == ops.MilestoneStatus.REACHED
    assert [(e.from_state, e.to_state, e.actor_id, e.at is not None) for e in audit.history("milestone", milestone.id)
            ] == [("planned", "reached", leader.id, True)]


def test_a_status_set_again_changes_nothing_and_is_not_audited(login, leader, plan, now):
    milestone = ops.add_milestone(plan, "Alle lærere har nettbrett", leader.id, date(2026, 10, 26), "", [],
                                  actor=leader, now=now)
    ops.set_milestone_status(plan, milestone, ops.MilestoneStatus.IN_PROGRESS, actor=leader,
                             now=now + timedelta(hours=2))
    db.session.commit()
    url = f"/utviklingsplan/{plan.id}/milepael/{milestone.id}/status"
    assert login(leader).post(url, data={"status": "in_progress"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(ops.Milestone, milestone.id).version == 2
    assert [(e.from_state, e.to_state, e.at) for e in audit.history("milestone", milestone.id)] == [
        ("planned", "in_progress", now + timedelta(hours=2))]


def test_reminders_go_for_open_milestones_due_from_today_to_a_week_on_counted_in_oslo_time(
        app, leader, plan, make_user, school, now):
    from lms.mail.models import OutboxMessage
    teacher = make_user("Tor Lærer", school=school)
    gone = make_user("Gunn Gått", school=school)
    # Half past midnight in Oslo on 2 September, still 1 September in UTC.
    late = datetime(2026, 9, 1, 22, 30, tzinfo=timezone.utc)

    def milestone(what, deadline, responsible=teacher, status=None):
        made = ops.add_milestone(plan, what, responsible.id if responsible else None, deadline, "", [],
                                 actor=leader, now=now)
        if status:
            ops.set_milestone_status(plan, made, status, actor=leader, now=now)
        return made
    # Made first and due first: whoever has left is passed over, and the others are still reminded.
    milestone("Hos en som har sluttet", date(2026, 9, 2), responsible=gone)
    gone.active = False
    milestone("Frist i går", date(2026, 9, 1))
    milestone("Frist i dag", date(2026, 9, 2))
    milestone("Frist om en uke", date(2026, 9, 9))
    milestone("Frist om åtte dager", date(2026, 9, 10))
    milestone("Pågår", date(2026, 9, 5), status=ops.MilestoneStatus.IN_PROGRESS)
    milestone("Nådd", date(2026, 9, 5), status=ops.MilestoneStatus.REACHED)
    milestone("Ikke nådd", date(2026, 9, 5), status=ops.MilestoneStatus.NOT_REACHED)
    milestone("Uten ansvarlig", date(2026, 9, 5), responsible=None)
    assert ops.queue_milestone_reminders(late) == 3
    db.session.commit()
    subjects = sorted(mail_ops.render(m).subject for m in db.session.scalars(sa.select(OutboxMessage)))
    assert subjects == ["Frist nærmer seg: Frist i dag", "Frist nærmer seg: Frist om en uke",
                        "Frist nærmer seg: Pågår"]
    assert {(m.recipient, m.created_at) for m in db.session.scalars(sa.select(OutboxMessage))} == {
        (teacher.email, late)}
    assert ops.queue_milestone_reminders(late) == 0


def test_the_reminder_job_says_how_many_it_queued(app, leader, plan, make_user, school, now):
    teacher = make_user("Tor Lærer", school=school)
    for what in ("Første", "Andre"):
        ops.add_milestone(plan, what, teacher.id, now.date() + timedelta(days=3), "", [], actor=leader, now=now)
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["plans", "remind"]).output
    assert re.search(r"(?m)^2 påminnelser om milepæler", output), output
    output = app.test_cli_runner().invoke(args=["plans", "remind"]).output
    assert re.search(r"(?m)^0 påminnelser om milepæler", output), output


# --- focus areas across schools --------------------------------------------------------------

def test_each_school_gets_the_measures_of_its_own_latest_plan_area_4_before_6(leader, school, plan, make_school,
                                                                              make_user, now):
    # This school's plans begin in 2026 and 2029; the other's only plan in 2026, the year of this one's older plan.
    other = make_school("Dalen skole")
    other_leader = make_user("Olav Annen", roles=(Role.LEADER,), school=other)
    newer = ops.create_plan(school.id, 2029, 2030, actor=leader, now=now)
    others = ops.create_plan(other.id, 2026, 2027, actor=other_leader, now=now)
    ops.add_measure(plan, 4, "Gammelt tiltak", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [], actor=leader, now=now)
    ops.add_measure(newer, 6, "Foreldremøter", ops.PlanTargetGroup.PARENTS, "Rita", "Høst", [], actor=leader, now=now)
    ops.add_measure(newer, 4, "Vurdering for læring", ops.PlanTargetGroup.TEACHERS, "Rita", "Vår", [], actor=leader,
                    now=now)
    ops.add_measure(others, 4, "Programmering", ops.PlanTargetGroup.TEACHERS, "Olav", "Høst", [],
                    actor=other_leader, now=now)
    assert ops.focus_areas_of([school.id, other.id]) == {school.id: ["Vurdering for læring", "Foreldremøter"],
                                                         other.id: ["Programmering"]}


# --- what a version says changed --------------------------------------------------------------

def changed_list(response) -> list[str]:
    """The titles listed under the version's "what changed" heading."""
    box = response.get_data(as_text=True).split('id="h-changed"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", box)


def test_each_version_lists_what_changed_since_the_one_before(login, leader, admin, plan, now):
    teacher_id = leader.id
    ops.save_section(plan, "vision", "Alle lærer mer.", 1, actor=leader, now=now)
    ops.save_section(plan, "area4", "Kurs for alle.", 1, actor=leader, now=now)
    ops.add_goal(plan, 4, "Andel med kurs", "80 %", actor=leader, now=now)
    ops.add_measure(plan, 4, "Kurs i vurdering", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [], actor=leader,
                    now=now)
    ops.add_information(plan, ops.InformationKind.LETTER, "Brev hjem", ops.PlanTargetGroup.PARENTS, date(2026, 9, 15),
                        actor=leader, now=now)
    milestone = ops.add_milestone(plan, "Nettbrett til alle", teacher_id, date(2026, 12, 1), "", [], actor=leader,
                                  now=now)
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 20), decision="Ja")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    ops.transition(plan, PlanState.UNDER_REVIEW, actor=admin, now=now)
    ops.add_comment(plan, "area4", "Mer om veiledning.", True, actor=admin, now=now)
    ops.transition(plan, PlanState.RETURNED, actor=admin, now=now)
    ops.save_section(plan, "area4", "Kurs og veiledning for alle.", 2, actor=leader, now=now)
    ops.set_milestone_status(plan, milestone, ops.MilestoneStatus.IN_PROGRESS, actor=leader, now=now)
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    client = login(leader)
    assert changed_list(client.get(f"/utviklingsplan/{plan.id}/versjon/1")) == [
        "Innledning: Visjon for prosjektet", "Område 4: Kompetanseheving", "Mål", "Tiltak",
        "Behandlinger i skolens organer", "Informasjonstiltak", "Milepæler"]
    assert changed_list(client.get(f"/utviklingsplan/{plan.id}/versjon/2")) == [
        "Område 4: Kompetanseheving", "Milepæler"]


def test_a_first_version_lists_only_what_it_holds_and_an_old_version_without_a_part_counts_it_empty(leader, plan,
                                                                                                    now):
    ops.save_section(plan, "area4", "Kurs for alle.", 1, actor=leader, now=now)
    first = ops.snapshot(plan)
    assert ops.changes(None, first) == ["Område 4: Kompetanseheving"]
    # Versions frozen before area 7 and the milestones were in the plan: nothing was there, and nothing is now.
    old = json.loads(json.dumps(first))
    del old["sections"]["area7"], old["milestones"]
    assert ops.changes(old, first) == []
    assert ops.changes(old, old) == []
    assert ops.changes(first, old) == []


# --- who may write a section, and when ---------------------------------------------------------

FROZEN = "Planen er sendt inn og kan ikke endres før den er sendt tilbake."


def test_a_submitted_plans_sections_are_not_saved_and_the_page_says_why(login, leader, plan, now):
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 1), decision="Ja")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    response = login(leader).post(f"/utviklingsplan/{plan.id}/avsnitt/area4",
                                  data={"body": "Skrevet etter innsending.", "version": "1"})
    assert response.status_code == 400
    page = text(response)
    assert FROZEN in page and "Skrevet etter innsending." in page
    db.session.expire_all()
    section = db.session.scalar(sa.select(PlanSection).where(PlanSection.plan_id == plan.id,
                                                             PlanSection.key == "area4"))
    assert (section.body, section.version) == ("", 1)


def test_a_section_the_plan_does_not_have_is_refused_in_words(leader, plan, now):
    with pytest.raises(ops.PlanError) as refused:
        ops.save_section(plan, "area8", "Tekst", 1, actor=leader, now=now)
    assert str(refused.value) == "Planen har ikke dette avsnittet."


def test_another_schools_leader_sees_the_figures_of_an_approved_plan_without_the_lists_behind_them(
        login, make_user, make_school, course_plan):
    plan, course = course_plan
    plan.state = PlanState.APPROVED
    db.session.commit()
    other_leader = make_user("Olav Annen", roles=(Role.LEADER,), school=make_school("Dalen skole"))
    response = login(other_leader).get(f"/utviklingsplan/{plan.id}")
    assert "Digital vurdering: fullført: 1 av 4" in plain(response)
    assert f'href="/kurs/{course.id}/deltakere"' not in text(response)


def test_the_plan_period_runs_from_midnight_1_august_oslo_time_to_the_same_after_its_last_year(
        login, leader, school, make_offering, make_user, admin, now):
    plan = ops.create_plan(school.id, 2023, 2025, actor=leader, now=now)
    course = make_offering("Digital vurdering")
    # Half an hour either side of midnight in Oslo (summer time, two hours ahead of UTC) at each end: two just
    # inside the start, one just inside the end.
    before_start, after_start = (datetime(2023, 7, 31, h, 30, tzinfo=timezone.utc) for h in (21, 22))
    before_end, after_end = (datetime(2026, 7, 31, h, 30, tzinfo=timezone.utc) for h in (21, 22))
    for at in (before_start, after_start, after_start, before_end, after_end):
        teacher = make_user(school=school)
        enrollment_ops.enroll(course.id, teacher, actor=teacher, now=now)
        enrollment_ops.transition(enrollment_ops.active_enrollment(course.id, teacher.id), EnrollmentState.COMPLETED,
                                  actor=admin, now=at)
    db.session.commit()
    page = plain(login(leader).get(f"/utviklingsplan/{plan.id}"))
    assert "Ansatte med fullført kompetansetiltak i planperioden: 3 av 6" in page
