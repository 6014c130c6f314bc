"""Beginning a development plan, and the goals, measures, treatments and information measures a leader adds to it.

A plan begins as a draft with every section empty, stamped and audited at the
time the operation is given (not the platform's clock), for one to six school
years, once per school and first year. Goals and measures belong to areas 4
and 6 only; a measure keeps each link once, in the order typed, and refuses a
kind no evidence source knows. Once the plan is sent in, only the bodies'
treatments (and milestones) are still added. Each refusal says why in words
and names the form field it is about.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from lms.auth.operations import PermissionDenied
from lms.db import db
from lms.plans import operations as ops
from lms.plans.models import (SECTION_KEYS, Plan, PlanGoal, PlanInformation, PlanMeasure, PlanSection, PlanState,
                              PlanTreatment)

FROZEN = "Planen er sendt inn og kan ikke endres før den er sendt tilbake."
ONLY_4_AND_6 = "Bare område 4 og 6 har mål og tiltak her."


@pytest.fixture
def later(now):
    """A time other than the platform's clock (which the tests hold at ``now``): what an operation stamps is the
    time it is given."""
    return now + timedelta(hours=5)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def history_on_page(client, plan) -> str:
    page = unescape(client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True))
    listed = re.search(r"Historikk</h3>\s*<ul[^>]*>(.*?)</ul>", page, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", listed)).strip()


# --- beginning a plan ------------------------------------------------------------------------

def test_a_new_plan_is_an_empty_draft_stamped_and_audited_at_the_time_given(login, leader, school, later):
    plan = ops.create_plan(school.id, 2026, 2028, actor=leader, now=later)
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(Plan, plan.id)
    assert (saved.school_id, saved.start_year, saved.end_year, saved.state) == (school.id, 2026, 2028,
                                                                              PlanState.DRAFT)
    assert (saved.created_at, saved.updated_at) == (later, later)
    sections = db.session.scalars(sa.select(PlanSection).where(PlanSection.plan_id == plan.id)).all()
    assert sorted((s.key, s.body, s.version, s.updated_at) for s in sections) == sorted(
        (key, "", 1, later) for key in SECTION_KEYS)
    # The plan's history says who began it, and when: 15:00 in Oslo, not the clock's 10:00.
    assert history_on_page(login(leader), saved) == "tirsdag 1. september 2026 kl. 15:00: Rita Rektor – Utkast"
    entries = ops.audit.history(ops.AUDIT_TYPE, plan.id)
    assert [(e.from_state, e.to_state, e.actor_id, e.at) for e in entries] == [(None, "draft", leader.id, later)]


@pytest.mark.parametrize("start, end", [(2026, 2026), (2026, 2031)])
def test_a_plan_may_run_from_one_school_year_to_six(leader, school, now, start, end):
    plan = ops.create_plan(school.id, start, end, actor=leader, now=now)
    db.session.commit()
    assert (plan.start_year, plan.end_year) == (start, end)


@pytest.mark.parametrize("start, end, message", [
    (2026, 2025, "Planperioden kan ikke slutte før den begynner."),
    (2026, 2032, "En planperiode kan vare høyst 6 skoleår."),
], ids=["ends-before-it-begins", "seven-years"])
def test_a_period_backwards_or_of_seven_school_years_is_refused_in_words_at_its_end_year(leader, school, now, start,
                                                                                        end, message):
    with pytest.raises(ops.PlanError) as refused:
        ops.create_plan(school.id, start, end, actor=leader, now=now)
    assert (str(refused.value), refused.value.field) == (message, "end_year")
    db.session.rollback()
    assert count(Plan) == 0


def test_a_second_plan_is_refused_only_for_the_same_school_and_first_year(leader, school, plan, people, now):
    other_school = people["other_leader"].memberships[0].school
    theirs = ops.create_plan(other_school.id, 2026, 2028, actor=people["other_leader"], now=now)
    next_one = ops.create_plan(school.id, 2029, 2031, actor=leader, now=now)
    db.session.commit()
    with pytest.raises(ops.PlanError) as refused:
        ops.create_plan(school.id, 2026, 2027, actor=leader, now=now)
    assert (str(refused.value), refused.value.field) == (
        "Skolen har allerede en plan som begynner dette skoleåret.", "start_year")
    db.session.rollback()
    assert set(db.session.scalars(sa.select(Plan.id))) == {plan.id, theirs.id, next_one.id}


@pytest.mark.parametrize("who", ["other_leader", "teacher", "admin"])
def test_only_a_leader_of_the_school_begins_its_plan(people, school, now, who):
    with pytest.raises(PermissionDenied):
        ops.create_plan(school.id, 2026, 2028, actor=people[who], now=now)
    db.session.rollback()
    assert count(Plan) == 0


# --- goals and measures of areas 4 and 6 ---------------------------------------------------------------

def test_goals_are_added_to_areas_4_and_6_as_typed_and_stamp_the_plan(leader, plan, later):
    ops.add_goal(plan, 4, "Andel lærere med fullført kurs", "80 % innen juni 2027", actor=leader, now=later)
    ops.add_goal(plan, 6, "Andel foresatte som kjenner planen", "Alle innen jul", actor=leader, now=later)
    db.session.commit()
    db.session.expire_all()
    assert [(g.plan_id, g.area, g.indicator, g.target, g.version) for g in db.session.scalars(
        sa.select(PlanGoal).order_by(PlanGoal.id))] == [
        (plan.id, 4, "Andel lærere med fullført kurs", "80 % innen juni 2027", 1),
        (plan.id, 6, "Andel foresatte som kjenner planen", "Alle innen jul", 1)]
    assert db.session.get(Plan, plan.id).updated_at == later


@pytest.mark.parametrize("area", [1, 5, 7])
def test_a_goal_or_measure_outside_areas_4_and_6_is_refused_in_words(leader, plan, now, area):
    with pytest.raises(ops.PlanError) as refused:
        ops.add_goal(plan, area, "Indikator", "Mål", actor=leader, now=now)
    assert (str(refused.value), refused.value.field) == (ONLY_4_AND_6, None)
    with pytest.raises(ops.PlanError) as refused:
        ops.add_measure(plan, area, "Kurs", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [], actor=leader, now=now)
    assert str(refused.value) == ONLY_4_AND_6
    db.session.rollback()
    assert (count(PlanGoal), count(PlanMeasure)) == (0, 0)


def test_a_measure_is_saved_as_typed_with_each_link_once_in_the_order_typed(leader, plan, later):
    ops.add_measure(plan, 6, "Foreldremøte om skjermbruk", ops.PlanTargetGroup.PARENTS, "Rita Rektor", "Uke 41",
                    [("parent_event", 9), ("offering", 12), ("plan_area", 4), ("parent_event", 9), ("network", 3)],
                    actor=leader, now=later)
    db.session.commit()
    db.session.expire_all()
    measure = db.session.scalars(sa.select(PlanMeasure)).one()
    assert (measure.plan_id, measure.area, measure.title, measure.target_group, measure.responsible, measure.timing,
            measure.version) == (plan.id, 6, "Foreldremøte om skjermbruk", ops.PlanTargetGroup.PARENTS,
                                 "Rita Rektor", "Uke 41", 1)
    assert [(link.kind, link.ref_id) for link in measure.links] == [
        ("parent_event", 9), ("offering", 12), ("plan_area", 4), ("network", 3)]
    assert db.session.get(Plan, plan.id).updated_at == later


def test_a_link_of_a_kind_no_evidence_source_knows_is_refused_in_words_at_the_links_field(leader, plan, now):
    with pytest.raises(ops.PlanError) as refused:
        ops.add_measure(plan, 4, "Kurs", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst",
                        [("offering", 1), ("bok", 12)], actor=leader, now=now)
    assert (str(refused.value), refused.value.field) == ("Ukjent type kobling.", "links")
    db.session.rollback()
    assert count(PlanMeasure) == 0


# --- treatments and information measures -------------------------------------------------------------

def test_treatments_and_information_measures_are_saved_as_typed_and_stamp_the_plan(leader, plan, later):
    ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), "FAU støtter planen.", actor=leader, now=later)
    ops.add_information(plan, ops.InformationKind.MEETING, "Foreldremøte om nettbrett", ops.PlanTargetGroup.PARENTS,
                        date(2026, 9, 15), actor=leader, now=later)
    db.session.commit()
    db.session.expire_all()
    treatment = db.session.scalars(sa.select(PlanTreatment)).one()
    assert (treatment.plan_id, treatment.body, treatment.treated_on, treatment.decision, treatment.version) == (
        plan.id, ops.Body.FAU, date(2026, 9, 10), "FAU støtter planen.", 1)
    item = db.session.scalars(sa.select(PlanInformation)).one()
    assert (item.plan_id, item.kind, item.title, item.audience, item.informed_on, item.version) == (
        plan.id, ops.InformationKind.MEETING, "Foreldremøte om nettbrett", ops.PlanTargetGroup.PARENTS,
        date(2026, 9, 15), 1)
    assert db.session.get(Plan, plan.id).updated_at == later


def test_a_sent_plan_still_records_its_bodies_treatments_but_takes_no_new_goal_measure_or_information(
        leader, plan, now, later):
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 1), decision="Ja")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    ops.add_treatment(plan, ops.Body.MBU, date(2026, 10, 5), "MBU tok planen til orientering.", actor=leader,
                      now=later)
    db.session.commit()
    assert [t.decision for t in db.session.scalars(sa.select(PlanTreatment).order_by(PlanTreatment.id))] == [
        "Ja", "MBU tok planen til orientering."]
    assert db.session.get(Plan, plan.id).updated_at == later
    for add in (lambda: ops.add_goal(plan, 4, "Indikator", "Mål", actor=leader, now=now),
                lambda: ops.add_measure(plan, 4, "Kurs", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [],
                                        actor=leader, now=now),
                lambda: ops.add_information(plan, ops.InformationKind.LETTER, "Brev", ops.PlanTargetGroup.PARENTS,
                                            date(2026, 10, 6), actor=leader, now=now)):
        with pytest.raises(ops.PlanError) as refused:
            add()
        assert str(refused.value) == FROZEN
    db.session.rollback()
    assert (count(PlanGoal), count(PlanMeasure), count(PlanInformation)) == (0, 0, 0)


@pytest.mark.parametrize("who", ["teacher", "other_leader", "admin"])
def test_only_the_schools_leaders_add_to_its_plan(people, plan, now, who):
    actor = people[who]
    for add in (lambda: ops.add_goal(plan, 4, "Indikator", "Mål", actor=actor, now=now),
                lambda: ops.add_measure(plan, 4, "Kurs", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [],
                                        actor=actor, now=now),
                lambda: ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), "Ja", actor=actor, now=now),
                lambda: ops.add_information(plan, ops.InformationKind.LETTER, "Brev", ops.PlanTargetGroup.PARENTS,
                                            date(2026, 9, 15), actor=actor, now=now)):
        with pytest.raises(PermissionDenied):
            add()
    db.session.rollback()
    assert (count(PlanGoal), count(PlanMeasure), count(PlanTreatment), count(PlanInformation)) == (0, 0, 0, 0)

