"""Every parent page passes axe-core's WCAG 2.1 A/AA rules at phone width, and a parent signs up by keyboard alone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.parents import operations as ops
from catalog.parents.models import AttendanceMode, ParentEventKind
from lms.db import db
from lms.people.models import Role
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import check_accessibility


@pytest.fixture
def parents_world(admin, make_school, make_user, now):
    """Two schools, a leader, a municipal user forum taking questions, and a full parent meeting with a waitlist."""
    school = make_school("Eikeli skole")
    make_school("Bekkestua skole")
    leader = make_user("Rita Rektor", roles=(Role.LEADER,), school=school, email="rita.rektor@skole.test")

    def event(title, **kw):
        start = now + kw.pop("starts_in", timedelta(days=14))
        mode = kw.pop("mode", AttendanceMode.BOTH)
        return ops.create_event(ops.EventData(
            title=title, kind=kw.pop("kind", ParentEventKind.PARENT_SCHOOL), school_id=kw.pop("school_id", None),
            starts_at=start, ends_at=start + timedelta(hours=1, minutes=30), mode=mode,
            hall_capacity=kw.pop("hall", 100) if mode != AttendanceMode.STREAM else None,
            stream_capacity=kw.pop("stream", None), stream_url="https://video.kommune.example/forum",
            location="Rådhuset, sal 2", description="Et åpent forum om **den digitale skolehverdagen**.",
            grades=kw.pop("grades", []), takes_questions=kw.pop("questions", False)), actor=kw.pop("actor", admin),
            now=now)

    forum = event("Brukerforum høst", kind=ParentEventKind.USER_FORUM, questions=True)
    meeting = event("Foreldremøte 8. trinn", school_id=school.id, grades=[8], hall=1, actor=leader,
                    kind=ParentEventKind.PARENT_MEETING)
    result = ops.sign_up(forum.id, ops.SignupData(name="Kari Nordmann", email="kari@example.no",
                                                  mode=AttendanceMode.HALL, school_id=school.id, grade=3,
                                                  party_size=2), now=now)
    for n in range(3):
        ops.sign_up(meeting.id, ops.SignupData(name=f"Forelder {n}", email=f"f{n}@example.no",
                                               mode=AttendanceMode.HALL), now=now)
    ops.add_question(forum, "Hvor mye skjermtid har elevene?", now=now)
    db.session.commit()
    return {"school": school.id, "forum": forum.id, "meeting": meeting.id, "token": result.token,
            "leader": leader.email, "admin": admin.email}


def test_parent_pages_have_no_wcag_violations_on_a_phone(parents_world, new_page):
    w = parents_world
    page = new_page(viewport=PHONE)
    public = [("/foreldre", "the parent list"), (f"/foreldre?skole={w['school']}&trinn=8", "the filtered list"),
              (f"/foreldre/{w['forum']}", "a user forum's sign-up"), (f"/foreldre/{w['meeting']}", "a full meeting"),
              ("/foreldre/personvern", "the privacy page"), (f"/foreldre/p/{w['token']}", "the manage page"),
              (f"/foreldre/skole/{w['school']}/plakat", "the poster")]
    for path, what in public:
        page.goto(path)
        check_accessibility(page, what)
    page.goto(f"/foreldre/{w['forum']}")
    page.click("form[action$='/foreldre/%d'] button[type=submit]" % w["forum"])
    assert "Skjemaet har feil som må rettes" in page.content()
    check_accessibility(page, "the sign-up form with errors")
    for lang in ("nn", "en"):
        english = new_page(viewport=PHONE, locale="nb-NO")
        english.goto(f"/foreldre/{w['forum']}")
        english.click(f"button[name=lang][value={lang}]")
        check_accessibility(english, f"the sign-up page in {lang}")
    organiser = new_page(w["leader"], viewport=PHONE)
    for path, what in [("/foreldre/arrangor", "the organiser's events"), ("/foreldre/arrangor/nytt", "the new event form"),
                       (f"/foreldre/arrangor/{w['meeting']}", "the door list")]:
        organiser.goto(path)
        check_accessibility(organiser, what)
    admin = new_page(w["admin"], viewport=PHONE)
    admin.goto(f"/foreldre/arrangor/{w['forum']}")
    check_accessibility(admin, "the door list with questions")


def test_a_parent_signs_up_by_keyboard_alone_on_a_phone(parents_world, new_page):
    page = new_page(viewport=PHONE)
    page.goto(f"/foreldre/{parents_world['forum']}")

    def focused() -> str:
        return page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.tagName)")

    for _ in range(60):
        page.keyboard.press("Tab")
        if focused() == "name":
            break
    assert focused() == "name"
    page.keyboard.type("Ola Nordmann")
    page.keyboard.press("Tab")
    assert focused() == "email"
    page.keyboard.type("ola@example.no")
    page.keyboard.press("Tab")
    assert focused() == "school_id"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert focused() == "grade"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert focused() == "mode-0"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused() in ("party_size-0", "party_size-1")
    page.keyboard.press("Tab")  # past the honeypot, which is out of the tab order
    assert focused() == "BUTTON"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Takk! Du er påmeldt." in page.content()
    db.session.expire_all()
    event = ops.get_event(parents_world["forum"])
    assert [s.name for s in ops.door_list(event)] == ["Kari Nordmann", "Ola Nordmann"]
