"""The everyday flows on a phone and by keyboard: the folded menu, confirmations, tables, the enroll box.

Screenshots go to /tmp/kp-shots/ for a person to look at.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings import operations as offering_ops
from lms.db import db, set_clock
from lms.people.models import User
from tests.browser.conftest import DESKTOP, PHONE, TABLET, settle
from tests.browser.test_accessibility import check_accessibility, world  # noqa: F401  (fixture)
from tests.browser.test_layout import tab_to
from tests.browser.test_lighthouse_accessibility import fyrtarn_world  # noqa: F401  (fixture)
from tests.lighthouse.conftest import make_bookable, make_profile, make_window  # noqa: F401  (fixtures)


def _header_height(page) -> float:
    return page.evaluate("document.querySelector('header').getBoundingClientRect().height")


def test_the_main_menu_folds_on_a_phone_and_opens_by_keyboard(world, new_page, shot):  # noqa: F811
    page = new_page(world.teacher, viewport=PHONE)
    page.goto("/kurs")
    height = _header_height(page)
    # The brand and "Meny", and the language switch kept in view under them: an eighth at most, not a quarter.
    assert height <= PHONE["height"] / 8, f"the header takes {height}px of {PHONE['height']}"
    menu = page.get_by_role("navigation", name="Hovedmeny")
    assert menu.count() == 0 or not menu.is_visible()
    shot(page, "phone-menu-closed")
    check_accessibility(page, "catalogue on a phone, menu folded")

    tab_to(page, "el.tagName === 'SUMMARY' && el.textContent.trim() === 'Meny'")
    assert page.evaluate("document.activeElement.parentElement.open") is False
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.parentElement.open") is True
    menu = page.get_by_role("navigation", name="Hovedmeny")
    assert menu.get_by_role("link", name="Mine kurs").is_visible()
    assert page.get_by_role("button", name="Logg ut").is_visible()
    assert _header_height(page) == height, "the open menu lies over the page, the header keeps its height"
    shot(page, "phone-menu-open")
    check_accessibility(page, "catalogue on a phone, menu open")
    tab_to(page, "el.tagName === 'A' && el.textContent.trim() === 'Mine kurs'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Mine kurs"


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_wider_screens_show_the_menu_without_folding(world, new_page, viewport):  # noqa: F811
    page = new_page(world.teacher, viewport=viewport)
    page.goto("/kurs")
    assert page.locator("summary", has_text="Meny").is_hidden()
    assert page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Mine kurs").is_visible()


def test_cancelling_a_seat_from_my_courses_asks_once_by_keyboard(world, new_page, shot):  # noqa: F811
    page = new_page(world.teacher)
    page.goto("/mine-kurs")
    tab_to(page, "el.tagName === 'SUMMARY' && el.textContent.includes('Meld meg av')"
                 " && el.textContent.includes('Digital vurdering i praksis')")
    page.keyboard.press("Enter")
    panel = page.locator("details[open] .kp-confirm__panel")
    assert "står noen på ventelisten, får de den" in panel.inner_text()
    shot(page, "my-courses-confirm-withdraw")
    check_accessibility(page, "Mine kurs with a withdrawal to confirm")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()").startswith("Ja, meld meg av")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".ds-alert[data-color=success]").inner_text().strip() == "Avmeldingen er registrert."
    assert page.url.endswith("/mine-kurs")
    settle()
    mine = db.session.scalars(db.select(Enrollment).join(Enrollment.user).where(
        Enrollment.offering_id == world.main, User.email == world.teacher)).all()
    assert [e.state for e in mine] == [EnrollmentState.CANCELLED]


def test_leaving_the_waitlist_asks_once_and_closing_the_question_changes_nothing(world, new_page):  # noqa: F811
    page = new_page(world.teacher)
    page.goto(f"/kurs/{world.full}")
    tab_to(page, "el.tagName === 'SUMMARY' && el.textContent.trim() === 'Forlat ventelisten'")
    page.keyboard.press("Enter")
    assert "Du mister plassen din i køen (nummer 2)" in page.locator("details[open]").inner_text()
    page.keyboard.press("Enter")  # the same button closes the question again
    assert page.locator("details.kp-confirm[open]").count() == 0
    assert "Du står som nummer 2 på ventelisten." in page.content()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".ds-alert[data-color=success]").inner_text().strip() == "Du har forlatt ventelisten."


def test_cancelling_a_session_is_its_own_button_with_a_reason_by_keyboard(world, new_page, shot):  # noqa: F811
    page = new_page(world.admin)
    page.goto(f"/kurs/{world.main}")
    tab_to(page, "el.tagName === 'A' && el.textContent.startsWith('Avlys økten')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Alle 4 deltakerne får beskjed på e-post" in page.content()
    check_accessibility(page, "cancel a session")
    tab_to(page, "el.tagName === 'TEXTAREA'")
    page.keyboard.type("Foreleseren er syk.")
    shot(page, "cancel-session")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Avlys økten'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Økten er avlyst. 4 deltakere har fått beskjed." in page.content()
    check_accessibility(page, "offering with a cancelled session")


#: The fyrtårn's pages with tables, the films and the release time, and who looks at them.
TABLE_PAGES = {
    "/fyrtarn/frikjop": "principal", "/fyrtarn/min-profil": "fyrtarn", "/fyrtarn/tilbud": "fyrtarn",
    "/fyrtarn/tilgjengelighet": "fyrtarn", "/laeringsfilmer/mine": "fyrtarn", "/fyrtarn/oversikt": "admin",
    "/bestillinger": "admin", "/bestillinger/{past}": "fyrtarn",
}


@pytest.mark.parametrize("path", TABLE_PAGES)
def test_tables_fit_a_phone_or_scroll_with_a_visible_cue(fyrtarn_world, new_page, shot, path):  # noqa: F811
    page = new_page(getattr(fyrtarn_world, TABLE_PAGES[path]), viewport=PHONE)
    path = path.format(past=fyrtarn_world.past)
    assert page.goto(path).status == 200
    tables = page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => {
        const wrap = t.closest('.kp-table-wrap');
        const style = wrap && getComputedStyle(wrap);
        return {fits: t.getBoundingClientRect().width <= window.innerWidth,
                wrapped: !!wrap, scrolls: !!wrap && wrap.scrollWidth > wrap.clientWidth
                                          && ['auto', 'scroll'].includes(style.overflowX),
                cue: !!wrap && style.backgroundImage.includes('radial-gradient'),
                inside: !!wrap && wrap.getBoundingClientRect().right <= window.innerWidth + 1};
    })""")
    assert tables, f"no table on {path}"
    for table in tables:
        assert table["fits"] or (table["wrapped"] and table["scrolls"] and table["cue"] and table["inside"]), \
            (path, table)
    shot(page, "phone-table" + path.replace("/", "-"))


def test_the_enroll_box_is_near_the_top_of_an_offering_on_a_phone(world, new_page, shot):  # noqa: F811
    page = new_page(world.leader, viewport=PHONE)
    page.goto(f"/kurs/{world.main}")
    button = page.get_by_role("button", name="Meld meg på")
    top = button.bounding_box()["y"]
    assert top < 0.6 * PHONE["height"], f"the enroll button is {top}px down a {PHONE['height']}px screen"
    shot(page, "offering-phone-enroll-box")


def test_new_flow_pages_are_accessible(world, new_page, now):  # noqa: F811
    settle()
    main = db.session.get(offering_ops.Offering, world.main)
    autumn_next = offering_ops.add_next_in_series(main, actor=main.responsible, now=now)
    start = now + timedelta(days=120)
    offering_ops.add_session(autumn_next, actor=main.responsible, now=now, starts_at=start,
                             ends_at=start + timedelta(hours=2))
    offering_ops.publish(autumn_next, actor=main.responsible, now=now)
    settle()
    set_clock(now.replace(day=20) + timedelta(hours=4))  # the main course's go/no-go day, below its minimum
    try:
        admin = new_page(world.admin)
        admin.goto(f"/kurs/{world.main}")
        assert "Venter på din beslutning" in admin.content() and "Alle møtene i" in admin.content()
        check_accessibility(admin, "offering waiting for a decision, in a series")
        admin.click("summary:has-text('Gjennomfør likevel')")
        check_accessibility(admin, "go-ahead question open")
        admin.goto("/kurs/beslutninger")
        assert "Digital vurdering i praksis" in admin.content()
        check_accessibility(admin, "decisions overview")
        admin.goto(f"/kurs/{world.main}/deltakere")
        admin.locator("details.kp-history summary").first.click()
        check_accessibility(admin, "participant list with a history open")
        admin.goto(f"/kurs/{world.main}/okter/{world.main_session}/oppmote")
        check_accessibility(admin, "attendance not yet open")

        leader = new_page(world.leader)
        leader.goto("/nyansatte")
        assert leader.get_by_role("button", name="Meld på oppstartskurset").count() >= 1
        check_accessibility(leader, "new hires with enroll buttons")
        leader.goto(f"/kurs/{world.main}")
        check_accessibility(leader, "offering with the staff picker")

        teacher = new_page(world.teacher)
        teacher.goto("/kurs?uke=neste+uke")
        assert "Forstod ikke uka" in teacher.content()
        check_accessibility(teacher, "catalogue with a week it could not read")
        teacher.goto("/kurs?uke=uke+40")
        check_accessibility(teacher, "catalogue filtered by a typed week")
        teacher.goto(f"/kurs/{world.full}")
        check_accessibility(teacher, "offering on the waitlist, dates not confirmed")
        teacher.click("button[name=lang][value=en]")
        teacher.wait_for_selector("html[lang=en]")
        assert teacher.locator("h1[lang=nb]").count() == 1
        check_accessibility(teacher, "offering in English with Norwegian content marked")
    finally:
        set_clock(now)
