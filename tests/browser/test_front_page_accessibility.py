"""Every variant of the front page passes axe-core's WCAG 2.1 A and AA rules, on a phone and at desktop width.

A visitor's page (what the platform is for, the search box, the next
offerings, the fyrtårn, the films), and a signed-in page for each role with
its tasks: a teacher with sessions, an offered seat and a waitlist place; a
leader with new hires and a booking answer to read; a fyrtårn with requests
and an offering below its minimum; an admin; and the English page.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_accessibility import check_accessibility
from tests.lighthouse.conftest import make_bookable, make_profile, make_window  # noqa: F401  (fixtures)
from tests.lms.test_front_page import world  # noqa: F401  (a fixture)

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture
def people(world):  # noqa: F811
    """The world's people by role, as e-mail addresses (read before the browser signs in)."""
    return {"teacher": world.teacher.email, "leader": world.leader.email, "fyrtarn": world.fyrtarn.email,
            "admin": world.admin.email}


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_visitors_front_page_is_accessible(people, new_page, width):
    page = new_page(viewport=VIEWPORTS[width])
    page.goto("/")
    for heading in ("Finn kurs og tilbud", "Åpne for påmelding", "Fyrtårn", "Nyeste læringsfilmer"):
        assert page.locator(f"main h2:has-text('{heading}')").count() == 1, heading
    check_accessibility(page, f"front page, visitor, {width}")
    page.fill("#front-q", "vurdering")
    page.click("main form[role=search] button[type=submit]")
    page.wait_for_url("**/kurs?q=vurdering")
    assert "Digital vurdering i praksis" in page.content()


#: What each role's front page must show, by the heading of its section.
TASKS = {
    "teacher": ("Dine neste økter", "Plass tilbudt deg – svar nå", "Dine ventelister"),
    "leader": ("Dine neste økter", "Nyansatte uten oppstartskurs", "Nye svar på skolens bestillinger"),
    "fyrtarn": ("Dine neste økter", "Forespørsler du skal svare på", "Under minstetallet"),
    "admin": ("Dine neste økter", "Under minstetallet"),
}


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("role", TASKS)
def test_each_roles_front_page_is_accessible(people, new_page, role, width):
    page = new_page(people[role], viewport=VIEWPORTS[width])
    page.goto("/")
    for heading in TASKS[role]:
        assert page.locator(f"main h2:has-text('{heading}')").count() == 1, heading
    check_accessibility(page, f"front page, {role}, {width}")


def test_answering_an_offered_seat_on_the_front_page_is_accessible(people, new_page):
    page = new_page(people["teacher"], viewport=PHONE)
    page.goto("/")
    page.click("section[aria-labelledby=plass-tilbudt] button:has-text('Takk ja')")
    page.wait_for_selector(".ds-alert[data-color=success]")
    assert page.locator("main h2:has-text('Plass tilbudt deg')").count() == 0
    check_accessibility(page, "front page after accepting a seat, with the confirmation")


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_english_front_page_is_accessible(people, new_page, width):
    page = new_page(people["teacher"], viewport=VIEWPORTS[width])
    page.goto("/")
    page.click("button[name=lang][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("main [lang=nb]").count() > 0  # the programme's own titles stay marked as bokmål
    check_accessibility(page, f"front page in English, teacher, {width}")
