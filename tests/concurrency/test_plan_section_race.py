"""Two leaders saving the same section of a development plan at once, on a real gunicorn server.

Both open the section's form (the same version), wait at a barrier and save
different texts. Exactly one save wins; the other gets the form back with the
message that the section changed, the saved text shown above and its own text
kept in the form, so nothing is lost.
"""
from __future__ import annotations

from functools import partial
from html import unescape

import pytest
import sqlalchemy as sa

from lms.db import db
from lms.people.models import Role
from lms.plans import operations as plan_ops
from lms.plans.models import PlanSection
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import hand_over_to_server
from tests.conftest import NOW, PASSWORD

pytestmark = pytest.mark.server

STALE = "Noen andre har lagret dette avsnittet mens du skrev."
ROUNDS = 3


def open_and_save(server_url: str, email: str, plan_id: int, body: str, barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    form = browser.get(f"/utviklingsplan/{plan_id}/avsnitt/area4")
    assert form.status_code == 200, form.text[:2000]
    version = form.text.split('name="version" type="hidden" value="')[1].split('"')[0]
    barrier.wait()
    response = browser.post(f"/utviklingsplan/{plan_id}/avsnitt/area4", {"body": body, "version": version})
    return response.status_code, unescape(response.text)


def test_of_two_parallel_saves_one_wins_and_the_other_keeps_its_text(live_server, make_school, make_user):
    school = make_school("Racehaugen skole")
    first = make_user("Første Leder", roles=(Role.LEADER,), school=school)
    second = make_user("Andre Leder", roles=(Role.LEADER,), school=school)
    plan = plan_ops.create_plan(school.id, 2026, 2027, actor=first, now=NOW)
    plan_id, emails = plan.id, (first.email, second.email)
    hand_over_to_server()
    for round_ in range(ROUNDS):
        texts = [f"Runde {round_}: tekst fra {who}" for who in ("første", "andre")]
        results = run_together([partial(open_and_save, live_server.url, email, plan_id, body)
                                for email, body in zip(emails, texts)])
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 400], (statuses, live_server.log())
        (won_text,) = [t for (status, _), t in zip(results, texts) if status == 200]
        (lost_page, lost_text) = [(page, t) for (status, page), t in zip(results, texts) if status == 400][0]
        assert STALE in lost_page and lost_text in lost_page and won_text in lost_page
        section = db.session.scalar(sa.select(PlanSection).where(PlanSection.plan_id == plan_id,
                                                                 PlanSection.key == "area4"))
        assert section.body == won_text and section.version == round_ + 2
        db.session.close()
