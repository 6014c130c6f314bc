"""The layout works on a phone and a tablet and with the keyboard alone.

Screenshots go to /tmp/kp-shots/ for a person to look at.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalog.offerings.models import TargetGroup
from lms.people.models import Role
from tests.browser.conftest import DESKTOP, PHONE, TABLET, settle

VIEWPORTS = {"phone": PHONE, "tablet": TABLET}
LONG_TITLE = "Vurdering for læring med digitale verktøy i alle fag på ungdomstrinnet"


@pytest.fixture
def programme(admin, make_school, make_user, make_offering, now):
    """A catalogue with long titles and a teacher who can enroll; return plain values."""
    school = make_school("Bekkestua skole")
    teacher = make_user("Tone Lærer", school=school, email="tone.laerer@skole.test", hire_date=date(2015, 8, 1))
    make_user("Rita Rektor", roles=(Role.LEADER,), school=school, email="rita.rektor@skole.test")
    main = make_offering(LONG_TITLE, capacity=25, sessions=3, theme="Vurdering", plan_area=4,
                         target_groups=(TargetGroup.TEACHERS, TargetGroup.LEADERS),
                         organiser="Oppvekst skole, Bærum kommune", location="Rådhuset, sal 2",
                         online_url="https://meet.example.no/vurdering-for-laering-med-en-svart-lang-lenke",
                         cancellation_deadline=now + timedelta(days=20), min_participants=8,
                         go_no_go_date=date(2026, 9, 20),
                         description="Kurset gir **praktiske verktøy** for vurdering.\n\n- Underveisvurdering\n"
                                     "- Tilbakemeldinger med lyd og video\n- Egenvurdering")
    for i, title in enumerate(["Lesing i alle fag", "Programmering i matematikk", "Skjermbruk og søvn",
                               "Nettverk for digitale veiledere", "Kildekritikk og nettvett"]):
        make_offering(title, theme=["Lesing", "Programmering", "Foreldreskole", "Nettverk", "Digital dømmekraft"][i],
                      starts_in=timedelta(days=5 + 6 * i), capacity=1 if i == 1 else 20)
    values = {"teacher": teacher.email, "main": main.id, "admin": admin.email, "leader": "rita.rektor@skole.test"}
    settle()
    return values


def assert_no_horizontal_scroll(page, what: str) -> None:
    widths = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
              && !e.closest('.kp-table-wrap, .ds-skip-link')).slice(0, 5).map(e => e.outerHTML.slice(0, 120))})""")
    assert widths["scroll"] <= widths["inner"], f"{what} scrolls sideways: {widths}"


@pytest.mark.parametrize("device", VIEWPORTS)
def test_catalogue_and_offering_fit_the_screen(programme, new_page, shot, device):
    anonymous = new_page(viewport=VIEWPORTS[device])
    anonymous.goto("/")
    assert_no_horizontal_scroll(anonymous, f"front page on a {device}")
    anonymous.goto("/kurs")
    assert_no_horizontal_scroll(anonymous, f"catalogue on a {device}")
    shot(anonymous, f"catalogue-{device}")
    anonymous.goto(f"/kurs/{programme['main']}")
    assert_no_horizontal_scroll(anonymous, f"offering page on a {device}")
    shot(anonymous, f"offering-{device}-anonymous")

    admin = new_page(programme["admin"], viewport=VIEWPORTS[device])
    for path, name in [("/kurs", "catalogue-admin"), (f"/kurs/{programme['main']}", "offering-admin"),
                       ("/mine-kurs", "my-courses"), ("/kurs/nytt", "new-offering")]:
        admin.goto(path)
        assert_no_horizontal_scroll(admin, f"{path} for an admin on a {device}")
        shot(admin, f"{name}-{device}")


@pytest.mark.parametrize("device", VIEWPORTS)
def test_main_menu_is_reachable_on_small_screens(programme, new_page, device):
    page = new_page(programme["teacher"], viewport=VIEWPORTS[device])
    page.goto(f"/kurs/{programme['main']}")
    if device == "phone":  # folded into "Meny" (see test_flows.py)
        page.locator("summary", has_text="Meny").click()
    menu = page.get_by_role("navigation", name="Hovedmeny")
    for label in ("Kurskatalog", "Mine kurs"):
        link = menu.get_by_role("link", name=label)
        assert link.is_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[device]["width"], f"{label} is off screen"
    menu.get_by_role("link", name="Mine kurs").click()
    page.wait_for_url("**/mine-kurs")
    assert page.get_by_role("heading", level=1).inner_text() == "Mine kurs"


def test_skip_link_is_first_and_moves_focus_to_main(programme, new_page, shot):
    page = new_page(programme["teacher"])
    page.goto("/kurs")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => ({cls: document.activeElement.className, text: document.activeElement.textContent,"
                            " height: document.activeElement.getBoundingClientRect().height})")
    assert "ds-skip-link" in focused["cls"] and focused["text"] == "Hopp til hovedinnhold"
    assert focused["height"] > 10, "the skip link must become visible when it has focus"
    shot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innhold"
    # the next Tab continues inside main, not back in the header
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


def tab_to(page, predicate_js: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return
    pytest.fail(f"could not reach the element ({predicate_js}) with Tab in {limit} presses")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_enroll_with_the_keyboard_alone(programme, new_page, shot, device):
    page = new_page(programme["teacher"], viewport=DESKTOP if device == "desktop" else PHONE)
    page.goto(f"/kurs/{programme['main']}")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Meld meg på'")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' '"
                            " + getComputedStyle(document.activeElement).boxShadow")
    assert outline.strip() not in ("none none", "none"), "the focused button must show a focus ring"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.locator(".ds-alert[data-color=success]")
    assert alert.inner_text().strip() == f"Du er påmeldt «{LONG_TITLE}». Du får en bekreftelse på e-post."
    assert "Du er påmeldt." in page.locator("aside").inner_text()
    shot(page, f"offering-{device}-enrolled")


def test_main_pages_fit_a_desktop_and_say_what_they_are(programme, new_page, shot):
    """The main pages at desktop width: no sideways scrolling, the right heading; pictures for a person to review."""
    def visit(page, path: str, name: str, status: int = 200) -> str:
        response = page.goto(path)
        assert response.status == status, f"{path}: {response.status}"
        assert_no_horizontal_scroll(page, f"{path} on a desktop")
        shot(page, name)
        return page.get_by_role("heading", level=1).first.inner_text().strip()

    anonymous = new_page()
    assert visit(anonymous, "/", "front-desktop-anonymous")
    visit(anonymous, "/logg-inn", "login-desktop")
    anonymous.click("main button[type=submit]")
    assert anonymous.locator(".ds-error-summary").is_visible(), "an empty sign-in must say what is missing"
    shot(anonymous, "login-errors-desktop")
    teacher = new_page(programme["teacher"])
    assert visit(teacher, "/", "front-desktop-teacher")
    assert visit(teacher, "/kurs", "catalogue-desktop") == "Kurskatalog"
    assert visit(teacher, f"/kurs/{programme['main']}", "offering-desktop") == LONG_TITLE
    admin = new_page(programme["admin"])
    assert visit(admin, f"/kurs/{programme['main']}", "offering-desktop-admin") == LONG_TITLE
    assert LONG_TITLE in visit(admin, f"/kurs/{programme['main']}/deltakere", "participants-desktop")
    assert visit(admin, "/finnes-ikke", "404-desktop", status=404)
