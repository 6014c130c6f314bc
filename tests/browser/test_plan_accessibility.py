"""The development plan's pages pass axe-core's WCAG 2.1 A and AA rules in Chromium, on a desktop and a phone."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from lms.db import db
from lms.people.models import Role
from lms.plans import operations as ops
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import check_accessibility


@pytest.fixture
def plan_world(admin, make_school, make_user, login, now):
    school = make_school("Bakkehaugen skole", district="Vest")
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school, email="rita.rektor@skole.test")
    teacher = make_user("Tor Lærer", school=school, email="tor.laerer@skole.test")
    plan = ops.create_plan(school.id, 2026, 2028, actor=leader, now=now)
    db.session.commit()
    client, url = login(leader), f"/utviklingsplan/{plan.id}"
    for path, data in [
        ("mal/4", {"mal4-indicator": "Andel lærere med fullført kurs", "mal4-target": "80 % innen juni 2027"}),
        ("tiltak/4", {"tiltak4-title": "Kurs i digital vurdering", "tiltak4-target_group": "teachers",
                      "tiltak4-responsible": "Rita Rektor", "tiltak4-timing": "Høsten 2026",
                      "tiltak4-links": "plan_area:4"}),
        ("behandling", {"body": "fau", "treated_on": "2026-09-10", "decision": "FAU støtter planen."}),
        ("informasjon", {"kind": "letter", "title": "Brev til foresatte", "audience": "parents",
                         "informed_on": "2026-09-15"}),
        ("milepael", {"what": "Alle lærere har nettbrett", "responsible_id": teacher.id, "deadline": "2026-08-20",
                      "evaluation": "Telling"}),
    ]:
        assert client.post(f"{url}/{path}", data=data).status_code == 303, path
    return SimpleNamespace(plan=plan.id, leader=leader.email, teacher=teacher.email, admin=admin.email)


def _visit(page, url: str, what: str, expect: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{what}: {url} answered {response.status}"
    assert expect in page.content(), f"{what}: {expect!r} not on {url}"
    check_accessibility(page, what)


def test_the_plan_pages_of_a_leader_a_teacher_and_an_admin_are_accessible(plan_world, new_page):
    w = plan_world
    leader = new_page(w.leader)
    _visit(leader, "/utviklingsplan", "the school's plans", "Bakkehaugen skole")
    _visit(leader, f"/utviklingsplan/{w.plan}", "the plan with goals, measures and milestones",
           "Kurs i digital vurdering")
    _visit(leader, f"/utviklingsplan/{w.plan}/avsnitt/area4", "a section's form", "Kompetanseheving")
    leader.click("main form button[type=submit]")
    leader.wait_for_load_state()
    check_accessibility(leader, "a section saved")
    _visit(leader, f"/utviklingsplan/{w.plan}/rapport", "the report for Driftsstyret", "Kompetanseheving")
    teacher = new_page(w.teacher, viewport=PHONE)
    _visit(teacher, f"/utviklingsplan/{w.plan}", "the plan read by a teacher on a phone", "Alle lærere har nettbrett")
    admin = new_page(w.admin)
    _visit(admin, "/utviklingsplan/oversikt", "the municipality overview", "Bakkehaugen skole")
    phone = new_page(w.admin, viewport=PHONE)
    _visit(phone, "/utviklingsplan/oversikt", "the municipality overview on a phone", "Bakkehaugen skole")
