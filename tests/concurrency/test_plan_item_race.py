"""Two leaders changing the same measure of a development plan at once, on a real gunicorn server.

Both open the measure's edit page (the same version), wait at a barrier and
save different titles and links. Exactly one save wins, with all of its
links and none of the other's; the other gets the form back with the message
that the measure changed, what is saved now shown above and its own input
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
from lms.plans.models import PlanMeasure, PlanMeasureLink
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import hand_over_to_server
from tests.conftest import NOW, PASSWORD

pytestmark = pytest.mark.server

STALE = "Noen andre har endret dette mens du hadde det åpent."
ROUNDS = 3


def open_and_save(server_url: str, email: str, url: str, data: dict, barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    form = browser.get(url)
    assert form.status_code == 200, form.text[:2000]
    version = form.text.split('name="version" type="hidden" value="')[1].split('"')[0]
    barrier.wait()
    response = browser.post(url, data | {"version": version})
    return response.status_code, unescape(response.text)


def test_of_two_parallel_changes_of_a_measure_one_wins_whole_and_the_other_keeps_its_input(live_server, make_school,
                                                                                         make_user):
    school = make_school("Racehaugen skole")
    first = make_user("Første Leder", roles=(Role.LEADER,), school=school)
    second = make_user("Andre Leder", roles=(Role.LEADER,), school=school)
    plan = plan_ops.create_plan(school.id, 2026, 2027, actor=first, now=NOW)
    measure = plan_ops.add_measure(plan, 4, "Kurs", plan_ops.PlanTargetGroup.TEACHERS, "Rita", "Høst",
                                   [("plan_area", 4)], actor=first, now=NOW)
    url, measure_id, emails = f"/utviklingsplan/{plan.id}/endre/tiltak/{measure.id}", measure.id, (first.email,
                                                                                                     second.email)
    hand_over_to_server()
    for round_ in range(ROUNDS):
        typed = [{"title": f"Runde {round_}: tiltak fra {who}", "target_group": "teachers", "responsible": who,
                  "timing": "Høst", "links": links}
                 for who, links in (("første", f"offering:{round_ + 10}\nplan_area:4"),
                                    ("andre", f"offering:{round_ + 20}\nnetwork:{round_ + 1}"))]
        results = run_together([partial(open_and_save, live_server.url, email, url, data)
                                for email, data in zip(emails, typed)])
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 400], (statuses, live_server.log())
        (won,) = [data for (status, _), data in zip(results, typed) if status == 200]
        (lost_page, lost) = [(page, data) for (status, page), data in zip(results, typed) if status == 400][0]
        assert STALE in lost_page and lost["title"] in lost_page and won["title"] in lost_page
        saved = db.session.get(PlanMeasure, measure_id)
        assert saved.title == won["title"] and saved.version == round_ + 2
        links = db.session.execute(sa.select(PlanMeasureLink.kind, PlanMeasureLink.ref_id)
                                   .where(PlanMeasureLink.measure_id == measure_id)).all()
        assert sorted(f"{kind}:{ref}" for kind, ref in links) == sorted(won["links"].split("\n"))
        db.session.close()
