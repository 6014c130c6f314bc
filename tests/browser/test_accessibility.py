"""Every page of the foundation passes axe-core's WCAG 2.1 A and AA rules in Chromium.

The pages are filled with realistic data (a full course with a waitlist, an
offered seat, past and completed courses, new hires, form errors), since many
violations only show with content: tags in cards, tables, alerts, error summaries.
"""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe

from catalog.enrollment import operations as ops
from catalog.offerings.models import OfferingKind, OnboardingCohort, TargetGroup
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.people.models import Role
from tests.browser.conftest import DESKTOP, PHONE, settle

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()

DESCRIPTION = """\
Kurset gir lærere **praktiske verktøy** for vurdering med digitale ressurser.

- Underveisvurdering i læringsplattformen
- Tilbakemeldinger med lyd og video
- Egenvurdering og hverandrevurdering

Les mer i [Udir sin veileder](https://www.udir.no/laring-og-trivsel/vurdering/).
"""


def check_accessibility(page, what: str) -> None:
    """Run axe-core with the WCAG 2.1 A/AA rules on the page and fail with a readable report."""
    page.wait_for_load_state("load")
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                      "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if violations:
        lines = [f"{what} ({page.url}): {len(violations)} axe-core violation(s)"]
        for v in violations:
            lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:8]:
                lines.append(f"    target: {', '.join(map(str, node['target']))}")
                if node.get("failureSummary"):
                    lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def world(admin, make_school, make_user, make_offering, now):
    """A small municipality: one school with staff and new hires, and a programme of offerings."""
    school = make_school("Bekkestua skole")
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school, email="rita.rektor@skole.test")
    teacher = make_user("Tone Lærer", school=school, email="tone.laerer@skole.test", hire_date=date(2015, 8, 1))
    colleagues = [make_user(name, school=school) for name in
                  ("Kari Nordmann", "Ola Nordmann", "Per Hansen", "Lise Berg", "Jonas Lie")]
    new_hire = make_user("Nils Nyansatt", school=school, email="nils.nyansatt@skole.test", hire_date=date(2026, 8, 3))
    make_user("Ola Oktober", school=school, hire_date=date(2026, 10, 15))

    main = make_offering(
        "Digital vurdering i praksis", capacity=12, sessions=3, theme="Vurdering", plan_area=4,
        target_groups=(TargetGroup.TEACHERS, TargetGroup.LEADERS), description=DESCRIPTION,
        organiser="Oppvekst skole, Bærum kommune", min_participants=5, go_no_go_date=date(2026, 9, 20),
        cancellation_deadline=now + timedelta(days=20), location="Rådhuset, sal 2")
    full = make_offering("Programmering i matematikk", capacity=2, theme="Programmering",
                         kind=OfferingKind.WORKSHOP, target_groups=(TargetGroup.TEACHERS,), starts_in=timedelta(days=40))
    offered = make_offering("Lesing i alle fag", capacity=1, theme="Lesing", starts_in=timedelta(days=14))
    past = make_offering("Kildekritikk og nettvett", capacity=20, theme="Digital dømmekraft",
                         starts_in=timedelta(days=-20), sessions=2, publish=True)
    august = make_offering("Oppstartskurs for nyansatte", kind=OfferingKind.ONBOARDING,
                           target_groups=(TargetGroup.NEW_HIRES,), onboarding_cohort=OnboardingCohort.AUGUST,
                           starts_in=timedelta(days=10))
    make_offering("Oppfølging for nyansatte", kind=OfferingKind.ONBOARDING, target_groups=(TargetGroup.NEW_HIRES,),
                  onboarding_cohort=OnboardingCohort.FOLLOW_UP, starts_in=timedelta(days=60))
    make_offering("Skjermbruk og søvn", kind=OfferingKind.PARENT_SCHOOL, target_groups=(TargetGroup.PARENTS,),
                  theme="Foreldreskole", online_url="https://meet.example.no/skjerm", plan_area=6)
    themes = ["Vurdering", "Lesing", "Ledelse", "Programmering", "Digital dømmekraft"]
    kinds = [OfferingKind.COURSE, OfferingKind.WEBINAR, OfferingKind.NETWORK_GATHERING, OfferingKind.GUIDANCE]
    for i in range(18):  # enough for a second catalogue page
        make_offering(f"Nettverkssamling {i + 1:02d}", theme=themes[i % len(themes)], kind=kinds[i % len(kinds)],
                      starts_in=timedelta(days=3 + 4 * i), capacity=15)

    early = now - timedelta(days=40)
    ops.enroll(main.id, teacher, actor=teacher, now=now)
    for person in colleagues[:3]:
        ops.enroll(main.id, person, actor=leader if person is colleagues[2] else person, now=now)
    ops.enroll(full.id, colleagues[0], actor=colleagues[0], now=now)
    ops.enroll(full.id, colleagues[1], actor=colleagues[1], now=now)
    ops.enroll(full.id, colleagues[3], actor=colleagues[3], now=now)
    ops.enroll(full.id, teacher, actor=teacher, now=now)
    first = ops.enroll(offered.id, colleagues[4], actor=colleagues[4], now=now)
    ops.enroll(offered.id, teacher, actor=teacher, now=now)
    ops.cancel_enrollment(first, actor=colleagues[4], now=now)
    done = ops.enroll(past.id, teacher, actor=teacher, now=early)
    ops.enroll(past.id, colleagues[0], actor=colleagues[0], now=early)
    ops.record_attendance(past.sessions[0], past, {done.id}, actor=admin, now=now - timedelta(days=19))
    ops.mark_completed(past, {done.id}, actor=admin, now=now - timedelta(days=19))
    ops.enroll(august.id, new_hire, actor=new_hire, now=now)
    # Plain values only: touching the objects after the commit would reopen a transaction.
    w = SimpleNamespace(
        admin=admin.email, leader=leader.email, teacher=teacher.email, new_hire=new_hire.email,
        main=main.id, main_session=main.sessions[0].id, full=full.id, offered=offered.id, past=past.id)
    settle()
    return w


def test_front_page_and_login_are_accessible(world, new_page):
    page = new_page()
    page.goto("/")
    check_accessibility(page, "front page, anonymous")
    page.goto("/logg-inn")
    check_accessibility(page, "login")
    page.click("main button[type=submit]")
    page.wait_for_selector(".ds-error-summary")
    check_accessibility(page, "login with errors")
    page.fill("#email", world.teacher)
    page.fill("#password", "feil-passord")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    check_accessibility(page, "login with a wrong password")
    page.get_by_role("link", name="Glemt passord?").click()
    page.wait_for_url("**/glemt-passord")
    check_accessibility(page, "forgotten password")
    page.click("main button[type=submit]")
    page.wait_for_selector(".ds-error-summary")
    check_accessibility(page, "forgotten password with errors")
    page.fill("#email", world.teacher)
    page.click("main button[type=submit]")
    page.wait_for_selector("[role=status]")
    check_accessibility(page, "forgotten password, link sent")
    page.goto("/nytt-passord/" + "x" * 43)
    check_accessibility(page, "password link no longer valid")

    signed_in = new_page(world.teacher)
    signed_in.goto("/")
    check_accessibility(signed_in, "front page, signed in")


def test_catalogue_is_accessible(world, new_page):
    page = new_page()
    page.goto("/kurs")
    assert page.locator(".ds-pagination").count() == 1
    check_accessibility(page, "catalogue, first page")
    page.goto("/kurs?side=2")
    check_accessibility(page, "catalogue, second page")
    page.goto("/kurs?q=vurdering&tema=Vurdering&type=course&malgruppe=teachers&omrade=4&maned=2026-10&ledige=1")
    check_accessibility(page, "catalogue with filters")
    page.goto("/kurs?q=finnes-ikke")
    check_accessibility(page, "catalogue without results")
    page.goto("/kurs?uke=2026-W40")
    check_accessibility(page, "catalogue, week filter")


def test_offering_page_is_accessible_for_every_role(world, new_page):
    anonymous = new_page()
    anonymous.goto(f"/kurs/{world.main}")
    check_accessibility(anonymous, "offering, anonymous")
    anonymous.goto(f"/kurs/{world.past}")
    check_accessibility(anonymous, "offering that has started, anonymous")

    teacher = new_page(world.teacher)
    teacher.goto(f"/kurs/{world.main}")
    assert "Du er påmeldt." in teacher.content()
    check_accessibility(teacher, "offering, teacher enrolled")
    teacher.goto(f"/kurs/{world.full}")
    assert "på ventelisten" in teacher.content()
    check_accessibility(teacher, "offering, teacher on the waitlist")
    teacher.goto(f"/kurs/{world.offered}")
    check_accessibility(teacher, "offering, teacher offered a seat")
    # an enrollment through the page shows a flash message in the layout
    teacher.goto("/kurs?q=Nettverkssamling 03")
    teacher.click("text=Nettverkssamling 03")
    teacher.click("button:has-text('Meld meg på')")
    teacher.wait_for_selector(".ds-alert[data-color=success]")
    check_accessibility(teacher, "offering after enrolling, with confirmation")

    leader = new_page(world.leader)
    leader.goto(f"/kurs/{world.main}")
    assert leader.locator("#person_id").count() == 1
    check_accessibility(leader, "offering, leader enrolling staff")

    admin = new_page(world.admin)
    admin.goto(f"/kurs/{world.main}")
    assert "For arrangøren" in admin.content()
    check_accessibility(admin, "offering, admin organiser")
    admin.goto(f"/kurs/{world.full}")
    check_accessibility(admin, "full offering, admin organiser")


def test_my_courses_and_record_are_accessible(world, new_page):
    teacher = new_page(world.teacher)
    teacher.goto("/mine-kurs")
    content = teacher.content()
    for heading in ("Plass tilbudt deg", "Kommende kurs", "Ventelister", "Tidligere kurs"):
        assert heading in content
    check_accessibility(teacher, "Mine kurs with offered seat, waitlist, upcoming and past")
    teacher.goto("/mine-kurs/kursbevis")
    assert "Kildekritikk og nettvett" in teacher.content()
    check_accessibility(teacher, "printable course record")

    new_hire = new_page(world.new_hire)
    new_hire.goto("/mine-kurs")
    check_accessibility(new_hire, "Mine kurs for a new hire")
    new_hire.goto("/mine-kurs/kursbevis")
    check_accessibility(new_hire, "empty course record")


def test_leader_pages_are_accessible(world, new_page):
    leader = new_page(world.leader)
    leader.goto("/nyansatte")
    assert "Nils Nyansatt" in leader.content()
    check_accessibility(leader, "new-hire overview")
    leader.goto("/")
    check_accessibility(leader, "front page, leader")


def test_organiser_pages_are_accessible(world, new_page):
    admin = new_page(world.admin)
    admin.goto("/kurs/nytt")
    check_accessibility(admin, "new offering form")
    admin.fill("#title", "")
    admin.fill("#capacity", "0")
    admin.fill("#online_url", "ikke en lenke")
    admin.fill("#registration_opens_at", "2026-10-01T10:00")
    admin.uncheck("input[name=target_groups][value=teachers]")
    admin.click("main button[type=submit]:has-text('Lagre')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "new offering form with errors")

    admin.goto(f"/kurs/{world.main}/rediger")
    check_accessibility(admin, "edit offering form")
    admin.goto(f"/kurs/{world.main}/okter/ny")
    check_accessibility(admin, "new session form")
    admin.fill("#day", "2026-10-05")
    admin.fill("#start", "14:00")
    admin.fill("#end", "12:00")
    admin.click("main button[type=submit]:has-text('Lagre økten')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "session form with errors")
    admin.goto(f"/kurs/{world.main}/okter/{world.main_session}")
    check_accessibility(admin, "edit session form")
    admin.goto(f"/kurs/{world.main}/avlys")
    check_accessibility(admin, "cancel offering form")
    admin.click("main button[type=submit]:has-text('Avlys tilbudet')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "cancel offering form with errors")
    admin.goto(f"/kurs/{world.main}/deltakere")
    check_accessibility(admin, "participant list")
    admin.goto(f"/kurs/{world.full}/deltakere")
    check_accessibility(admin, "participant list with waitlist")
    admin.goto(f"/kurs/{world.past}/deltakere")
    check_accessibility(admin, "participant list with completed")
    admin.goto(f"/kurs/{world.main}/okter/{world.main_session}/oppmote")
    check_accessibility(admin, "attendance")
    admin.goto("/nyansatte")
    check_accessibility(admin, "new-hire overview, admin without school")


def test_error_pages_are_accessible(world, new_page):
    page = new_page()
    response = page.goto("/finnes-ikke")
    assert response.status == 404
    check_accessibility(page, "404 page")
    teacher = new_page(world.teacher)
    response = teacher.goto(f"/kurs/{world.main}/deltakere")
    assert response.status == 403
    check_accessibility(teacher, "403 page")


def test_pages_are_accessible_on_a_phone(world, new_page):
    """Reflow can bring its own problems (contrast on wrapped tags, hidden labels)."""
    teacher = new_page(world.teacher, viewport=PHONE)
    for path in ("/", "/kurs", f"/kurs/{world.main}", "/mine-kurs"):
        teacher.goto(path)
        check_accessibility(teacher, f"{path} on a phone")


def test_english_interface_is_accessible(world, new_page):
    teacher = new_page(world.teacher)
    teacher.goto(f"/kurs/{world.main}")
    teacher.click("button[name=lang][value=en]")
    teacher.wait_for_selector("html[lang=en]")
    check_accessibility(teacher, "offering page in English")
    teacher.goto("/mine-kurs")
    check_accessibility(teacher, "Mine kurs in English")


def test_nynorsk_interface_is_accessible(world, new_page):
    """A browser set to nynorsk gets nynorsk pages, on a phone as on a desktop."""
    for viewport in (DESKTOP, PHONE):
        teacher = new_page(world.teacher, viewport=viewport, locale="nn-NO")
        for path in ("/", "/kurs", f"/kurs/{world.main}", "/mine-kurs"):
            teacher.goto(path)
            assert teacher.locator("html").get_attribute("lang") == "nn"
            check_accessibility(teacher, f"{path} in nynorsk at {viewport['width']} px")
    assert "veke" in teacher.locator("main").inner_text()


def test_language_switch_is_reached_and_used_by_keyboard(world, new_page):
    """A visitor reaches the switch with Tab and chooses with Enter; the choice holds on the next page."""
    page = new_page(locale="en-GB")
    page.goto("/kurs")
    assert page.locator("html").get_attribute("lang") == "nb"  # English alone asks for nothing Norwegian
    nynorsk = page.locator("button[name=lang][value=nn]")
    assert nynorsk.get_attribute("lang") == "nn" and nynorsk.inner_text() == "Nynorsk"
    for _ in range(10):
        page.keyboard.press("Tab")
        if nynorsk.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("the Nynorsk button is not reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "nn" and page.url.endswith("/kurs")
    assert page.locator("button[name=lang][value=nn]").get_attribute("aria-pressed") == "true"
    check_accessibility(page, "the catalogue in nynorsk after the switch")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "nn"


def test_language_switch_works_without_javascript(world, new_page):
    page = new_page(javascript=False)
    page.goto("/kurs")
    with page.expect_navigation():
        page.click("button[name=lang][value=nn]")
    assert page.url.endswith("/kurs") and page.locator("html").get_attribute("lang") == "nn"
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "nn"


STAFF_CSV = """navn;e-post;skole;rolle;ansatt_dato;digital_veileder
Kari Nordmann;kari.ny@skole.test;{org};lærer;01.08.2026;nei
Per Rektor;per.rektor@skole.test;{org};skoleleder;;ja
Uten Skole;uten.skole@skole.test;000000000;lærer;;
Feil Dato;feil.dato@skole.test;{org};lærer;32.13.2026;nei
"""


@pytest.fixture
def schools(world, make_school):
    """Enough schools for two pages of the school list; return the first one's organisation number."""
    first = make_school("Hosle skole", district="Øst", focus_areas_text="Lesing\nVurdering for læring")
    for i in range(22):
        make_school(f"Skole nummer {i + 1:02d}", district=["Vest", "Øst", "Nord", "Sør"][i % 4])
    org = first.org_number
    first_id = first.id
    settle()
    return SimpleNamespace(org=org, first=first_id)


def test_people_admin_pages_are_accessible(world, schools, new_page):
    admin = new_page(world.admin)
    admin.goto("/admin/skoler")
    check_accessibility(admin, "school list")
    admin.goto("/admin/skoler?page=2")
    check_accessibility(admin, "school list, second page")
    admin.goto("/admin/skoler?q=hosle")
    check_accessibility(admin, "school list, searched")
    admin.goto("/admin/skoler/ny")
    check_accessibility(admin, "new school form")
    admin.click("main button[type=submit]:has-text('Lagre skolen')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "new school form with errors")
    admin.goto(f"/admin/skoler/{schools.first}")
    check_accessibility(admin, "edit school form")

    admin.goto("/admin/ansatte")
    check_accessibility(admin, "people list")
    admin.goto("/admin/ansatte?q=nordmann")
    check_accessibility(admin, "people list, searched")
    admin.goto("/admin/ansatte/ny")
    check_accessibility(admin, "new person form")
    admin.click("main button[type=submit]:has-text('Lagre')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "new person form with errors")
    admin.goto("/admin/ansatte?q=Tone")
    admin.click("main a:has-text('Tone Lærer')")
    admin.wait_for_selector("#memberships")
    check_accessibility(admin, "edit person form")

    admin.goto("/admin/ansatte/import")
    check_accessibility(admin, "staff import")
    admin.click("main button[type=submit]:has-text('Importer')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "staff import without a file")
    admin.set_input_files("#file", files=[{"name": "ansatte.csv", "mimeType": "text/csv",
                                           "buffer": STAFF_CSV.format(org=schools.org).encode()}])
    admin.check("#dry_run")
    admin.click("main button[type=submit]:has-text('Importer')")
    admin.wait_for_selector("#report-heading")
    check_accessibility(admin, "staff import report")

    leader = new_page(world.leader)
    leader.goto("/admin/ansatte")
    check_accessibility(leader, "people list, leader")
    leader.goto("/admin/ansatte/ny")
    check_accessibility(leader, "new person form, leader")


def test_settings_page_is_accessible(world, new_page):
    admin = new_page(world.admin)
    admin.goto("/admin/innstillinger")
    check_accessibility(admin, "settings")
    admin.fill("#catalog-offer_hours", "-1")
    admin.click("main button[type=submit]:has-text('Lagre')")
    admin.wait_for_selector(".ds-error-summary")
    check_accessibility(admin, "settings with errors")


def test_account_page_is_accessible(world, new_page):
    teacher = new_page(world.teacher)
    teacher.click("header .kp-wide-only .kp-account__name")  # the name in the header leads to the account
    teacher.wait_for_selector("h1:has-text('Min konto')")
    check_accessibility(teacher, "my account with its sessions")
    teacher.fill("#current", "feil-passord-her")
    teacher.fill("#new", "kort")
    teacher.click("main button[type=submit]:has-text('Bytt passord')")
    teacher.wait_for_selector(".ds-error-summary")
    check_accessibility(teacher, "my account with a refused password change")


def test_calendar_page_is_accessible(world, new_page):
    teacher = new_page(world.teacher)
    teacher.goto("/kalender")
    check_accessibility(teacher, "calendar page without a link")
    teacher.click("main button[type=submit]:has-text('Lag lenke')")
    teacher.wait_for_selector("main input[readonly]")
    check_accessibility(teacher, "calendar page showing a new link once")
    teacher.click("main details summary")
    check_accessibility(teacher, "calendar page with the subscribe help open")
    teacher.goto("/kalender")
    assert "Lag ny lenke" in teacher.content()
    check_accessibility(teacher, "calendar page with a link made earlier")

    leader = new_page(world.leader)
    leader.goto("/kalender")
    assert "Skolens kalender" in leader.content()
    check_accessibility(leader, "calendar page, leader with the school's feed")

    admin = new_page(world.admin, viewport=PHONE)
    admin.goto("/kalender")
    check_accessibility(admin, "calendar page, admin choosing a school, on a phone")


def test_outbox_pages_are_accessible(world, new_page, now):
    """The world's enrollments queued their mails; one of them was refused for good."""
    failed = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    failed.failed_at, failed.attempts, failed.last_error = now, 5, "550 5.1.1 User unknown"
    failed_id = failed.id
    settle()
    admin = new_page(world.admin)
    admin.goto("/admin/epost")
    assert admin.locator("main table tbody tr").count() > 1
    check_accessibility(admin, "outbox")
    admin.goto("/admin/epost?status=sent")
    check_accessibility(admin, "outbox, filtered to nothing")
    admin.goto(f"/admin/epost/{failed_id}")
    assert admin.locator("button:has-text('Send på nytt')").count() == 1
    check_accessibility(admin, "outbox message, failed")
    admin.click("button:has-text('Send på nytt')")
    admin.wait_for_selector(".ds-alert[data-color=success]")
    check_accessibility(admin, "outbox message, sent again")
