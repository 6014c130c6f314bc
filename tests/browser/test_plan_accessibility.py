"""The development plan's pages pass axe-core's WCAG 2.1 A and AA rules in Chromium, on a desktop and a phone."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from lms.db import db
from lms.people.models import Role
from lms.plans import operations as ops
from tests.browser.conftest import PHONE, TABLET
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


def test_a_leader_changes_a_goal_with_the_keyboard_on_a_tablet_and_the_edit_pages_are_accessible(plan_world,
                                                                                                  new_page):
    w = plan_world
    page = new_page(w.leader, viewport=TABLET)
    _visit(page, f"/utviklingsplan/{w.plan}", "the plan with its Endre links on a tablet", "Kurs i digital vurdering")
    endre = page.get_by_role("link", name="Endre Andel lærere med fullført kurs")
    box = endre.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24, box  # WCAG 2.2's smallest target, with room to spare
    endre.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/endre/mal/" in page.url
    check_accessibility(page, "a goal's edit page")
    assert page.input_value("#target") == "80 % innen juni 2027"
    page.fill("#target", "")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Dette feltet må fylles ut." in page.content()
    check_accessibility(page, "a goal's edit page with an error")
    edit_url = page.url
    # Meanwhile another tab saves the goal: this one is told, and keeps what it typed.
    other = page.context.new_page()
    other.goto(edit_url)
    other.fill("#target", "85 % innen juni 2027")
    with other.expect_navigation():
        other.click("main form button[type=submit]")
    page.fill("#target", "90 % innen juni 2028")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Noen andre har endret dette" in page.content() and page.input_value("#target") == "90 % innen juni 2028"
    check_accessibility(page, "a goal's edit page after a conflicting save")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "#mal-" in page.url and "90 % innen juni 2028" in page.content()
    for kind in ("tiltak", "behandling", "informasjon", "milepael"):
        link = page.locator(f"a[href*='/endre/{kind}/']").first
        with page.expect_navigation():
            link.click()
        check_accessibility(page, f"the edit page of a {kind}")
        page.go_back()
