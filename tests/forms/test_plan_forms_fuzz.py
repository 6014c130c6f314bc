"""The development plan's forms under generated input: never a server error, refused in Norwegian, typed text kept."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st

from lms.db import db
from lms.people.models import Role
from lms.plans import operations as plan_ops
from lms.plans.models import Milestone, PlanGoal, PlanMeasure, PlanSection, PlanTreatment
from tests.forms.test_forms_fuzz import (FUZZ, assert_kept, assert_refused_in_norwegian, big_int, garbage,
                                         has_nul, send, typed_text)

dates = st.one_of(garbage, st.dates().map(str), st.sampled_from(["2026-02-30", "1999-12-31", "2101-01-01",
                                                                 "2026-09-01", "01.09.2026"]))
links = st.one_of(garbage, st.lists(st.sampled_from(["offering:1", "plan_area:4", "lighthouse_offering:2",
                                                     "bok:1", "offering:-1", "offering:" + "9" * 30, ":3"]),
                                    max_size=4).map("\n".join))


@pytest.fixture
def leader_and_plan(login, make_school, make_user, now):
    school = make_school("Fuzz skole")
    leader = make_user("Fuzz Leder", roles=(Role.LEADER,), school=school)
    plan = plan_ops.create_plan(school.id, 2026, 2028, actor=leader, now=now)
    db.session.commit()
    return login(leader), plan.id, leader.id


def count(model, plan_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.plan_id == plan_id))


@FUZZ
@given(data=st.fixed_dictionaries({"mal4-indicator": st.one_of(garbage, typed_text),
                                   "mal4-target": st.one_of(garbage, typed_text)}))
def test_goal_form_never_fails_and_keeps_what_was_typed(leader_and_plan, data):
    client, plan_id, _ = leader_and_plan
    before = count(PlanGoal, plan_id)
    response = send(client, "post", f"/utviklingsplan/{plan_id}/mal/4", data=data)
    if response.status_code == 303:
        assert count(PlanGoal, plan_id) == before + 1
        return
    assert count(PlanGoal, plan_id) == before
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, data)


@FUZZ
@given(data=st.fixed_dictionaries({
    "tiltak4-title": st.one_of(garbage, typed_text),
    "tiltak4-target_group": st.one_of(garbage, st.sampled_from(["teachers", "parents"])),
    "tiltak4-responsible": st.one_of(garbage, typed_text), "tiltak4-timing": st.one_of(garbage, typed_text),
    "tiltak4-links": links}))
def test_measure_form_never_fails_and_keeps_what_was_typed(leader_and_plan, data):
    client, plan_id, _ = leader_and_plan
    before = count(PlanMeasure, plan_id)
    response = send(client, "post", f"/utviklingsplan/{plan_id}/tiltak/4", data=data)
    if response.status_code == 303:
        assert count(PlanMeasure, plan_id) == before + 1
        return
    assert count(PlanMeasure, plan_id) == before
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, {k: data[f"tiltak4-{k}"] for k in ("title", "responsible", "timing")})


@FUZZ
@given(data=st.fixed_dictionaries({"body": st.one_of(garbage, st.sampled_from(["fau", "mbu"])),
                                   "treated_on": dates, "decision": st.one_of(garbage, typed_text)}))
def test_treatment_form_never_fails_and_keeps_the_decision(leader_and_plan, data):
    client, plan_id, _ = leader_and_plan
    before = count(PlanTreatment, plan_id)
    response = send(client, "post", f"/utviklingsplan/{plan_id}/behandling", data=data)
    if response.status_code == 303:
        assert count(PlanTreatment, plan_id) == before + 1
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, {"decision": data["decision"]})


@FUZZ
@given(data=st.fixed_dictionaries({"what": st.one_of(garbage, typed_text), "responsible_id": st.one_of(garbage, big_int),
                                   "deadline": dates, "evaluation": st.one_of(garbage, typed_text),
                                   "depends_on": st.one_of(garbage, big_int)}))
def test_milestone_form_never_fails_and_keeps_what_was_typed(leader_and_plan, data):
    client, plan_id, leader_id = leader_and_plan
    before = count(Milestone, plan_id)
    response = send(client, "post", f"/utviklingsplan/{plan_id}/milepael", data=data)
    if response.status_code == 303:
        assert count(Milestone, plan_id) == before + 1
        return
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, {"what": data["what"], "evaluation": data["evaluation"]})


@FUZZ
@given(body=st.one_of(garbage, typed_text, st.just("x" * 50001)), version=st.one_of(garbage, big_int))
def test_section_form_never_fails_and_keeps_the_text(leader_and_plan, body, version):
    client, plan_id, _ = leader_and_plan
    response = send(client, "post", f"/utviklingsplan/{plan_id}/avsnitt/vision", data={"body": body, "version": version})
    if response.status_code == 303:
        assert db.session.scalar(sa.select(PlanSection.body).where(PlanSection.plan_id == plan_id,
                                                                   PlanSection.key == "vision")) == body
        return
    assert_refused_in_norwegian(response)
    if not has_nul([body, version]):
        assert_kept(response, {"body": body})


@FUZZ
@given(start=st.one_of(garbage, big_int), end=st.one_of(garbage, big_int))
def test_new_plan_form_never_fails(leader_and_plan, start, end):
    client, _plan_id, _ = leader_and_plan
    response = send(client, "post", "/utviklingsplan", data={"school_id": "1", "start_year": start, "end_year": end})
    if response.status_code != 303:
        assert_refused_in_norwegian(response)


# --- the same forms changing an item that exists ----------------------------------

@pytest.fixture
def plan_items(leader_and_plan, now):
    """The signed-in leader's client, the plan's id, and one item of each kind by the name in its edit address."""
    from datetime import date

    from lms.people.models import User
    client, plan_id, leader_id = leader_and_plan
    plan, leader = db.session.get(plan_ops.Plan, plan_id), db.session.get(User, leader_id)
    first = plan_ops.add_milestone(plan, "Første", leader_id, date(2026, 10, 1), "", [], actor=leader, now=now)
    items = {
        "mal": plan_ops.add_goal(plan, 4, "Indikator", "Mål", actor=leader, now=now),
        "tiltak": plan_ops.add_measure(plan, 4, "Tiltak", plan_ops.PlanTargetGroup.TEACHERS, "R", "Høst",
                                       [("plan_area", 4)], actor=leader, now=now),
        "behandling": plan_ops.add_treatment(plan, plan_ops.Body.FAU, date(2026, 9, 1), "Ja", actor=leader, now=now),
        "informasjon": plan_ops.add_information(plan, plan_ops.InformationKind.LETTER, "Brev",
                                                plan_ops.PlanTargetGroup.PARENTS, date(2026, 9, 1), actor=leader,
                                                now=now),
        "milepael": plan_ops.add_milestone(plan, "Andre", leader_id, date(2026, 11, 1), "", [first.id], actor=leader,
                                           now=now),
    }
    db.session.commit()
    return client, plan_id, {kind: (type(item), item.id) for kind, item in items.items()}, {
        "leader": str(leader_id), "first": str(first.id)}


#: The version a form sends back: made up, or the one saved now (so that some saves go through).
versions = st.one_of(garbage, big_int, st.just("current"))
#: Ids made up, or those of the school's leader and the plan's other milestone.
responsible_ids = st.one_of(garbage, big_int, st.just("leader"))
dependencies = st.one_of(garbage, big_int, st.just("first"))


def edit(plan_items, kind: str, data: dict, typed: tuple[str, ...]) -> None:
    """Post an item's edit form: a save raises the item's version, a refusal is Norwegian, keeps text, changes nothing."""
    client, plan_id, items, known = plan_items
    model, item_id = items[kind]
    before = db.session.scalar(sa.select(model.version).where(model.id == item_id))
    placeholders = {"version": {"current": str(before)}, "responsible_id": known, "depends_on": known}
    data = {name: placeholders.get(name, {}).get(value, value) for name, value in data.items()}
    response = send(client, "post", f"/utviklingsplan/{plan_id}/endre/{kind}/{item_id}", data=data)
    after = db.session.scalar(sa.select(model.version).where(model.id == item_id))
    if response.status_code == 303:
        assert after == before + 1
        return
    assert after == before
    assert_refused_in_norwegian(response)
    if not has_nul(data.values()):
        assert_kept(response, {name: data[name] for name in typed})



@FUZZ
@given(data=st.fixed_dictionaries({"indicator": st.one_of(garbage, typed_text), "target": st.one_of(garbage, typed_text),
                                   "version": versions}))
@example(data={"indicator": "Andel lærere", "target": "80 %", "version": "current"})
def test_goal_edit_form_never_fails_and_keeps_what_was_typed(plan_items, data):
    edit(plan_items, "mal", data, ("indicator", "target"))


@FUZZ
@given(data=st.fixed_dictionaries({
    "title": st.one_of(garbage, typed_text), "target_group": st.one_of(garbage, st.sampled_from(["teachers", "parents"])),
    "responsible": st.one_of(garbage, typed_text), "timing": st.one_of(garbage, typed_text), "links": links,
    "version": versions}))
@example(data={"title": "Kurs", "target_group": "parents", "responsible": "Rita", "timing": "Vår",
               "links": "offering:1\nplan_area:4", "version": "current"})
def test_measure_edit_form_never_fails_and_keeps_what_was_typed(plan_items, data):
    edit(plan_items, "tiltak", data, ("title", "responsible", "timing"))


@FUZZ
@given(data=st.fixed_dictionaries({"body": st.one_of(garbage, st.sampled_from(["fau", "mbu"])), "treated_on": dates,
                                   "decision": st.one_of(garbage, typed_text), "version": versions}))
@example(data={"body": "mbu", "treated_on": "2026-09-01", "decision": "Tatt til orientering", "version": "current"})
def test_treatment_edit_form_never_fails_and_keeps_the_decision(plan_items, data):
    edit(plan_items, "behandling", data, ("decision",))


@FUZZ
@given(data=st.fixed_dictionaries({"kind": st.one_of(garbage, st.sampled_from(["letter", "web"])),
                                   "title": st.one_of(garbage, typed_text),
                                   "audience": st.one_of(garbage, st.sampled_from(["parents", "pupils"])),
                                   "informed_on": dates, "version": versions}))
@example(data={"kind": "web", "title": "Nettside", "audience": "pupils", "informed_on": "2026-09-01",
               "version": "current"})
def test_information_edit_form_never_fails_and_keeps_what_was_typed(plan_items, data):
    edit(plan_items, "informasjon", data, ("title",))


@FUZZ
@given(data=st.fixed_dictionaries({"what": st.one_of(garbage, typed_text), "responsible_id": responsible_ids,
                                   "deadline": dates, "evaluation": st.one_of(garbage, typed_text),
                                   "depends_on": dependencies,
                                   "status": st.one_of(garbage, st.sampled_from(["planned", "reached", ""])),
                                   "version": versions}))
@example(data={"what": "Nettbrett", "responsible_id": "leader", "deadline": "2026-12-01", "evaluation": "",
               "depends_on": "first", "status": "reached", "version": "current"})
def test_milestone_edit_form_never_fails_and_keeps_what_was_typed(plan_items, data):
    edit(plan_items, "milepael", data, ("what", "evaluation"))
