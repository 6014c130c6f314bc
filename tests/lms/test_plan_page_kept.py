"""The plan page kept whole under the write generation, where the platform shares a cache (``KP_REDIS_URL``).

Its figures come from every feature's tables, so the page is kept only until
any instance commits a write, and per reader's rights and the minute its
evidence is counted at. These tests turn the shared cache on for the test app
(as ``KP_REDIS_URL`` does at start-up, under a prefix of the test's own) and
check that a kept page is never stale and never another reader's; the page
tests of ``test_plans.py`` that read the page after a change run here again
with it on. Skipped where no Redis answers on 127.0.0.1 (failed in CI).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from lms.db import db, set_clock
from lms.i18n import OSLO
from lms.people.models import Role, User
from lms.plans import operations as ops
from lms.plans.models import PlanState
from tests.conftest import PASSWORD, statements_sent, without_csrf_tokens
from tests.events.test_shared_feed_cache import CLOSED_REDIS_URL, REDIS_URL
# The page tests that read the plan after a change, run again here with the page kept (and their fixtures).
from tests.lms.test_plans import (  # noqa: F401
    plain, test_a_stale_save_is_told_and_loses_nothing,
    test_another_schools_leader_sees_the_figures_of_an_approved_plan_without_the_lists_behind_them,
    test_every_role_against_every_plan_page, test_goals_measures_treatments_information_and_milestones_are_added,
    test_measure_shows_live_figures_from_the_catalogue, test_other_leaders_see_only_areas_4_and_6_of_approved_plans,
    test_review_from_draft_to_approval_with_a_return_and_versions, test_section_text_is_saved_and_sanitised,
    test_staff_see_figures_without_the_lists_behind_them, text)


pytestmark = pytest.mark.usefixtures("shared_cache_on")


@pytest.fixture
def login(login_welcomed):
    """Every sign-in here has shown its welcome: a page with a message to show once is never kept."""
    return login_welcomed


def selects_of(client, path: str) -> tuple[int, str]:
    """Return how many SELECTs one view of ``path`` sends, and its HTML."""
    statements, response = statements_sent(lambda: client.get(path))
    assert response.status_code == 200
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")]), response.get_data(as_text=True)


def test_a_second_view_is_the_kept_page_and_reads_no_part_of_the_plan(login, leader, course_plan):
    plan, _course = course_plan
    client = login(leader)
    first, page = selects_of(client, f"/utviklingsplan/{plan.id}")
    second, again = selects_of(client, f"/utviklingsplan/{plan.id}")
    assert without_csrf_tokens(again) == without_csrf_tokens(page)
    assert "Digital vurdering: fullført: 1 av 4" in plain_text(again)
    # Only the sign-in: not the plan, who may read it, its parts, their evidence or the school's staff.
    assert first >= 15 and second == 1, (first, second)


def plain_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def complete(course, teacher_name: str, admin, now):
    """Mark one of the course plan's teachers as having completed the course, and commit."""
    teacher = db.session.scalar(sa.select(User).where(User.name == teacher_name))
    enrollment = enrollment_ops.active_enrollment(course.id, teacher.id)
    enrollment_ops.transition(enrollment, EnrollmentState.COMPLETED, actor=admin, now=now + timedelta(days=2))
    db.session.commit()


def test_a_completion_committed_here_shows_on_the_next_view(login, leader, admin, course_plan, now):
    plan, course = course_plan
    client = login(leader)
    assert "Digital vurdering: fullført: 1 av 4" in plain(client.get(f"/utviklingsplan/{plan.id}"))
    complete(course, "Lærer 1", admin, now)
    page = plain(client.get(f"/utviklingsplan/{plan.id}"))
    assert "Digital vurdering: fullført: 2 av 4" in page
    assert "Ansatte med fullført kompetansetiltak i planperioden: 2 av 5" in page


def test_a_write_on_another_instance_retires_this_instances_kept_page(make_app, shared_cache_on, login, leader, admin,
                                                                      course_plan, now):
    plan, course = course_plan
    client = login(leader)
    assert "Digital vurdering: fullført: 1 av 4" in plain(client.get(f"/utviklingsplan/{plan.id}"))
    course_id, admin_id = course.id, admin.id
    # From here nothing of this app's session is touched: on SQLite it would hold the write lock.
    other = make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=shared_cache_on)
    with other.app_context():
        teacher = db.session.scalar(sa.select(User).where(User.name == "Lærer 2"))
        enrollment = enrollment_ops.active_enrollment(course_id, teacher.id)
        enrollment_ops.transition(enrollment, EnrollmentState.COMPLETED, actor=db.session.get(User, admin_id),
                                  now=now + timedelta(days=2))
        db.session.commit()
        db.session.remove()
    assert "Digital vurdering: fullført: 2 av 4" in plain(client.get(f"/utviklingsplan/{plan.id}"))


def test_each_reader_gets_their_own_rights_on_a_plan_the_leader_has_kept(login, people, leader, course_plan, now):
    plan, course = course_plan
    ops.save_section(plan, "vision", "Hemmelig visjon", 1, actor=leader, now=now)
    plan.state = PlanState.APPROVED
    db.session.commit()
    url = f"/utviklingsplan/{plan.id}"
    lists = f'href="/kurs/{course.id}/deltakere"'
    leaders = text(login(leader).get(url))
    assert "Hemmelig visjon" in leaders and lists in leaders and "Milepælsplan" in leaders
    teachers = text(login(people["teacher"]).get(url))
    assert "Hemmelig visjon" in teachers and lists not in teachers and "Digital vurdering: fullført: 1 av 5" in \
        plain_text(teachers)
    others = text(login(people["other_leader"]).get(url))
    assert "Område 4: Kompetanseheving" in others and "Hemmelig visjon" not in others and lists not in others
    assert "Milepælsplan" not in others
    assert login(people["other_teacher"]).get(url).status_code == 403
    admins = text(login(people["admin"]).get(url))
    assert "Hemmelig visjon" in admins
    # The leader's own page, kept before the others read theirs, is still the leader's.
    assert text(login(leader).get(url)).count("Hemmelig visjon") == leaders.count("Hemmelig visjon")


def test_a_milestone_is_overdue_from_the_first_minute_after_its_day_without_any_write(login, leader, plan):
    last_minute = datetime(2026, 9, 14, 23, 59, 30, tzinfo=OSLO)
    set_clock(last_minute)
    ops.add_milestone(plan, "Alle elever har nettbrett", leader.id, date(2026, 9, 14), "", [], actor=leader,
                      now=last_minute)
    db.session.commit()
    client = login(leader)
    on_the_day = plain(client.get(f"/utviklingsplan/{plan.id}"))
    assert "Alle elever har nettbrett" in on_the_day and "Forfalt" not in on_the_day
    set_clock(last_minute + timedelta(seconds=10))
    assert "Forfalt" not in plain(client.get(f"/utviklingsplan/{plan.id}"))
    set_clock(last_minute + timedelta(minutes=1))
    assert "Forfalt" in plain(client.get(f"/utviklingsplan/{plan.id}"))


def test_with_redis_down_the_page_is_made_each_time_and_true(make_app, leader, admin, course_plan, now):
    plan, course = course_plan
    plan_id, email = plan.id, leader.email
    down = make_app(REDIS_URL=CLOSED_REDIS_URL, REDIS_PREFIX="kptest:down:")
    client = down.test_client()
    assert client.post("/logg-inn", data={"email": email, "password": PASSWORD}).status_code == 302
    assert "Digital vurdering: fullført: 1 av 4" in plain(client.get(f"/utviklingsplan/{plan_id}"))
    complete(course, "Lærer 1", admin, now)
    assert "Digital vurdering: fullført: 2 av 4" in plain(client.get(f"/utviklingsplan/{plan_id}"))


def test_a_message_after_a_save_is_shown_once_on_the_kept_page(login, leader, plan):
    client = login(leader)
    client.get(f"/utviklingsplan/{plan.id}")
    saved = client.post(f"/utviklingsplan/{plan.id}/avsnitt/area4", data={"body": "Kurs for alle.", "version": "1"},
                        follow_redirects=True)
    assert "Lagret." in plain(saved) and "Kurs for alle." in plain(saved)
    again = plain(client.get(f"/utviklingsplan/{plan.id}"))
    assert "Lagret." not in again and "Kurs for alle." in again


def test_a_leader_who_is_no_longer_one_reads_the_plan_as_staff(login, leader, school, plan):
    client = login(leader)
    leading = text(client.get(f"/utviklingsplan/{plan.id}"))
    membership = next(m for m in leader.memberships if m.role == Role.LEADER)
    membership.role = Role.TEACHER
    db.session.commit()
    reading = text(client.get(f"/utviklingsplan/{plan.id}"))
    assert f"/utviklingsplan/{plan.id}/avsnitt/vision" in leading
    assert f"/utviklingsplan/{plan.id}/avsnitt/vision" not in reading
