"""The demo programme's pages pass axe-core's WCAG 2.1 A and AA rules: the catalogue with its schemes,
an appendix row's offering page, and the information pages, in bokmål and in English, on a phone and a desktop."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalog import demo
from catalog.offerings.models import Offering
from lms.db import db
from lms.people.demo import load_people
from tests.browser.conftest import DESKTOP, PHONE, settle
from tests.browser.test_accessibility import check_accessibility

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture
def programme(now):
    load_people(now)
    demo.load_demo(now)
    row = db.session.scalars(sa.select(Offering.id).where(
        Offering.title == "Nettverkssamlinger for å videreutvikle skolenes arbeid med digital dannelse")).one()
    settle()
    return row


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_programmes_pages_are_accessible(programme, new_page, width):
    page = new_page(viewport=VIEWPORTS[width])
    for lang in ("nb", "en"):
        page.goto("/kurs")
        assert page.locator("#ordninger").count() == 1
        check_accessibility(page, f"catalogue with schemes, {lang}, {width}")
        page.goto(f"/kurs/{programme}")
        assert "Skoleledere, miljølærere og digitale veiledere" in page.content()
        check_accessibility(page, f"an appendix row's offering page, {lang}, {width}")
        for slug in ("digirad", "foresatte"):
            page.goto(f"/info/{slug}")
            check_accessibility(page, f"information page {slug}, {lang}, {width}")
        if lang == "nb":
            page.click("button[name=lang][value=en]")
            page.wait_for_selector("html[lang=en]")
