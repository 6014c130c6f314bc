"""Milestones and the lists around a development plan.

Who may be made responsible for a milestone (the school's active staff, each
once, by name), what a new milestone may depend on (the plan's own
milestones), what a plan's content holds and in which order (each kind by its
area or date, then as it was added, whatever order the database reads the
rows in), and which plans each person sees listed (their own schools' first,
then by school and the newest period first).
"""
from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from lms.db import db
from lms.people.models import Membership, Role
from lms.plans import operations as ops
from lms.plans.models import Milestone, MilestoneStatus, Plan, PlanState
from tests.conftest import statements_sent, vacuum


# --- who may be responsible for a milestone -------------------------------------------------

def test_the_people_who_may_be_responsible_are_the_schools_active_staff_once_each_by_name(
        leader, school, make_user, make_school, admin):
    other_school = make_school("Dalen skole")
    tor = make_user("Tor Lærer", school=school)
    # Two people of one name are listed as they came to the school's register; the first of them also works at
    # another school, and came to this one after the second.
    first_anne = make_user("Anne Berg", school=other_school)
    second_anne = make_user("Anne Berg", school=school)
    first_anne.memberships.append(Membership(role=Role.TEACHER, school=school))
    # A teacher who is also a leader of the school is listed once.
    berit = make_user("Berit Dahl", roles=(Role.TEACHER, Role.LEADER), school=school)
    gone = make_user("Gunn Gått", school=school)
    gone.active = False
    make_user("Otto Annen", school=other_school)
    db.session.commit()
    assert [tuple(row) for row in ops.school_staff(school.id)] == [
        (first_anne.id, "Anne Berg"), (second_anne.id, "Anne Berg"), (berit.id, "Berit Dahl"),
        (leader.id, "Rita Rektor"), (tor.id, "Tor Lærer")]


def test_a_milestone_may_have_nobody_responsible_but_not_someone_from_outside_the_school_or_who_has_left(
        plan, leader, school, make_user, make_school, now):
    tor = make_user("Tor Lærer", school=school)
    gone = make_user("Gunn Gått", school=school)
    gone.active = False
    stranger = make_user("Otto Annen", school=make_school("Dalen skole"))
    db.session.commit()
    for person in (stranger, gone):
        with pytest.raises(ops.PlanError) as refused:
            ops.add_milestone(plan, "Alle lærere har nettbrett", person.id, date(2026, 10, 20), "", [],
                              actor=leader, now=now)
        assert (str(refused.value), refused.value.field) == ("Den ansvarlige må være ansatt ved skolen.",
                                                             "responsible_id")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Milestone)) == 0
    nobody = ops.add_milestone(plan, "Felles planleggingsdag", None, date(2026, 10, 21), "", [], actor=leader,
                               now=now)
    ours = ops.add_milestone(plan, "Alle lærere har nettbrett", tor.id, date(2026, 10, 20), "", [], actor=leader,
                             now=now)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Milestone, nobody.id).responsible is None
    assert db.session.get(Milestone, ours.id).responsible.name == "Tor Lærer"


# --- a new milestone: what it holds, and what it may depend on ----------------------------------

def test_a_new_milestone_is_planned_with_what_was_typed_and_the_plan_is_changed_then(plan, leader, school,
                                                                                      make_user, now):
    tor = make_user("Tor Lærer", school=school)
    first = ops.add_milestone(plan, "Alle lærere har nettbrett", tor.id, date(2026, 10, 20), "Telling", [],
                              actor=leader, now=now)
    ops.add_milestone(plan, "Felles planleggingsdag", None, date(2026, 10, 21), "", [], actor=leader, now=now)
    later = now.replace(hour=9)
    # The same milestone ticked twice (a form sent twice over) is depended on once.
    made = ops.add_milestone(plan, "Grunnopplæring for alle lærere", leader.id, date(2026, 11, 2), "Kursbevis",
                             [first.id, first.id], actor=leader, now=later)
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(Milestone, made.id)
    assert (saved.plan_id, saved.what, saved.responsible_id, saved.deadline, saved.evaluation, saved.status,
            [m.what for m in saved.depends_on], saved.version) == (
        plan.id, "Grunnopplæring for alle lærere", leader.id, date(2026, 11, 2), "Kursbevis",
        MilestoneStatus.PLANNED, ["Alle lærere har nettbrett"], 1)
    assert db.session.get(Milestone, first.id).depends_on == []
    assert db.session.get(Plan, plan.id).updated_at == later


def test_a_milestone_is_added_to_a_plan_sent_in_while_a_goal_is_not(plan, leader, now):
    """The school follows up its milestones all through the period, also while the plan is with the reviewers."""
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 1), decision="Ja")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    with pytest.raises(ops.PlanError) as refused:
        ops.add_goal(plan, 4, "Andel lærere med kurs", "80 %", actor=leader, now=now)
    assert str(refused.value) == "Planen er sendt inn og kan ikke endres før den er sendt tilbake."
    db.session.rollback()
    made = ops.add_milestone(plan, "Alle lærere har nettbrett", leader.id, date(2026, 10, 20), "", [], actor=leader,
                             now=now)
    db.session.commit()
    assert [m.what for m in ops.content_of(plan).milestones] == [made.what]


@pytest.mark.parametrize("whose", ["another-plan", "unknown"])
def test_a_new_milestone_depends_only_on_milestones_of_its_own_plan(plan, leader, school, now, whose):
    own = ops.add_milestone(plan, "Alle lærere har nettbrett", leader.id, date(2026, 10, 20), "", [], actor=leader,
                            now=now)
    other_plan = ops.create_plan(school.id, 2029, 2030, actor=leader, now=now)
    elsewhere = ops.add_milestone(other_plan, "Nettbrett til 1. trinn", leader.id, date(2029, 10, 20), "", [],
                                  actor=leader, now=now)
    db.session.commit()
    foreign_id = elsewhere.id if whose == "another-plan" else elsewhere.id + 1000
    with pytest.raises(ops.PlanError) as refused:
        ops.add_milestone(plan, "Grunnopplæring", leader.id, date(2026, 11, 2), "", [own.id, foreign_id],
                          actor=leader, now=now)
    assert (str(refused.value), refused.value.field) == ("En milepæl kan bare avhenge av milepæler i samme plan.",
                                                         "depends_on")
    db.session.rollback()
    assert db.session.scalars(sa.select(Milestone.what).order_by(Milestone.id)).all() == [
        "Alle lærere har nettbrett", "Nettbrett til 1. trinn"]


def test_a_milestone_may_not_come_to_depend_on_itself_nor_on_one_that_waits_for_it(plan, leader, now):
    def add(what, depends_on):
        return ops.add_milestone(plan, what, leader.id, date(2026, 10, 20), "", depends_on, actor=leader, now=now)

    def change(milestone, depends_on):
        ops.update_milestone(plan, milestone, milestone.what, leader.id, milestone.deadline, "", depends_on,
                             MilestoneStatus.PLANNED, milestone.version, actor=leader, now=now)
    bought = add("Nettbrett kjøpt", [])
    handed_out = add("Nettbrett delt ut", [bought.id])
    in_use = add("Alle lærere bruker nettbrettene", [handed_out.id])
    db.session.commit()
    for depends_on, message in (([bought.id], "En milepæl kan ikke avhenge av seg selv."),
                                ([in_use.id], "En milepæl kan ikke avhenge av en milepæl som selv venter på den.")):
        with pytest.raises(ops.PlanError) as refused:
            change(bought, depends_on)
        assert (str(refused.value), refused.value.field) == (message, "depends_on")
        db.session.rollback()
    # What it waits for, however far down, it may depend on directly too.
    change(in_use, [handed_out.id, bought.id])
    db.session.commit()
    db.session.expire_all()
    assert sorted(m.what for m in db.session.get(Milestone, in_use.id).depends_on) == [
        "Nettbrett delt ut", "Nettbrett kjøpt"]
    assert db.session.get(Milestone, bought.id).depends_on == []


# --- what a plan's content holds, in which order ------------------------------------------------

def test_a_plans_content_holds_its_own_items_each_kind_by_area_or_date_then_as_added(plan, leader, school, now):
    """Each kind is in its order (area, or date), and items alike in that are as they were added; on PostgreSQL a
    changed item is a new row version, read last, so that order is the plan's and not the table's."""
    area6_goal = ops.add_goal(plan, 6, "Andel foresatte som har fått brev", "Alle", actor=leader, now=now)
    goals = [ops.add_goal(plan, 4, f"Mål {i}", "80 %", actor=leader, now=now) for i in (1, 2)]
    area6_measure = ops.add_measure(plan, 6, "Foreldremøter", ops.PlanTargetGroup.PARENTS, "Rita", "Høst", [],
                                    actor=leader, now=now)
    measures = [ops.add_measure(plan, 4, f"Tiltak {i}", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [],
                                actor=leader, now=now) for i in (1, 2)]
    late_treatment = ops.add_treatment(plan, ops.Body.MBU, date(2026, 10, 5), "MBU tok planen til orientering.",
                                       actor=leader, now=now)
    treatments = [ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), f"Vedtak {i}", actor=leader, now=now)
                  for i in (1, 2)]
    late_information = ops.add_information(plan, ops.InformationKind.MEETING, "Foreldremøte",
                                           ops.PlanTargetGroup.PARENTS, date(2026, 10, 1), actor=leader, now=now)
    information = [ops.add_information(plan, ops.InformationKind.LETTER, f"Brev {i}", ops.PlanTargetGroup.PARENTS,
                                       date(2026, 9, 15), actor=leader, now=now) for i in (1, 2)]
    late_milestone = ops.add_milestone(plan, "Evaluering", leader.id, date(2026, 12, 1), "", [], actor=leader,
                                       now=now)
    milestones = [ops.add_milestone(plan, f"Milepæl {i}", leader.id, date(2026, 10, 20), "", [], actor=leader,
                                    now=now) for i in (1, 2)]
    # The school's next plan has one of each too, none of them this plan's.
    other = ops.create_plan(school.id, 2029, 2030, actor=leader, now=now)
    ops.add_goal(other, 4, "Neste plans mål", "90 %", actor=leader, now=now)
    ops.add_measure(other, 4, "Neste plans tiltak", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [], actor=leader,
                    now=now)
    ops.add_treatment(other, ops.Body.FAU, date(2029, 9, 1), "Neste plans vedtak", actor=leader, now=now)
    ops.add_information(other, ops.InformationKind.LETTER, "Neste plans brev", ops.PlanTargetGroup.PARENTS,
                        date(2029, 9, 1), actor=leader, now=now)
    ops.add_milestone(other, "Neste plans milepæl", leader.id, date(2029, 10, 1), "", [], actor=leader, now=now)
    db.session.commit()
    # The first of each pair is changed (its text kept): on PostgreSQL its row now lies after the second's.
    ops.update_goal(plan, goals[0], goals[0].indicator, goals[0].target, 1, actor=leader, now=now)
    ops.update_measure(plan, measures[0], measures[0].title, measures[0].target_group, measures[0].responsible,
                       measures[0].timing, [], 1, actor=leader, now=now)
    ops.update_treatment(plan, treatments[0], treatments[0].body, treatments[0].treated_on, treatments[0].decision, 1,
                         actor=leader, now=now)
    ops.update_information(plan, information[0], information[0].kind, information[0].title, information[0].audience,
                           information[0].informed_on, 1, actor=leader, now=now)
    ops.update_milestone(plan, milestones[0], milestones[0].what, milestones[0].responsible_id,
                         milestones[0].deadline, "", [], MilestoneStatus.PLANNED, 1, actor=leader, now=now)
    db.session.commit()
    db.session.expire_all()
    content = ops.content_of(db.session.get(Plan, plan.id))
    assert content.plan.id == plan.id
    assert [g.indicator for g in content.goals] == ["Mål 1", "Mål 2", "Andel foresatte som har fått brev"]
    assert [g.indicator for g in content.goals_of(4)] == ["Mål 1", "Mål 2"]
    assert [g.indicator for g in content.goals_of(6)] == ["Andel foresatte som har fått brev"]
    assert [m.title for m in content.measures] == ["Tiltak 1", "Tiltak 2", "Foreldremøter"]
    assert [m.title for m in content.measures_of(4)] == ["Tiltak 1", "Tiltak 2"]
    assert [m.title for m in content.measures_of(6)] == ["Foreldremøter"]
    assert [t.decision for t in content.treatments] == ["Vedtak 1", "Vedtak 2", "MBU tok planen til orientering."]
    assert [i.title for i in content.information] == ["Brev 1", "Brev 2", "Foreldremøte"]
    assert [m.what for m in content.milestones] == ["Milepæl 1", "Milepæl 2", "Evaluering"]
    assert {area6_goal.id, area6_measure.id, late_treatment.id, late_information.id, late_milestone.id} <= {
        item.id for kind in (content.goals, content.measures, content.treatments, content.information,
                             content.milestones) for item in kind}


def test_a_plans_content_is_read_in_six_statements_with_its_milestones_people_and_dependencies(
        plan, leader, school, make_user, now):
    """One statement for each kind and one for what the milestones depend on; the responsible people come with
    their milestones, and neither their roles nor the dependencies' own dependencies are read, as nothing shows
    them."""
    first = ops.add_milestone(plan, "Nettbrett kjøpt", leader.id, date(2026, 10, 1), "", [], actor=leader, now=now)
    second = ops.add_milestone(plan, "Nettbrett delt ut", make_user("Tor Lærer", school=school).id,
                               date(2026, 10, 20), "", [first.id], actor=leader, now=now)
    ops.add_milestone(plan, "Alle bruker nettbrettene", make_user("Berit Dahl", school=school).id,
                      date(2026, 11, 2), "", [second.id, first.id], actor=leader, now=now)
    ops.add_goal(plan, 4, "Andel lærere med kurs", "80 %", actor=leader, now=now)
    db.session.commit()
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)

    def read():
        content = ops.content_of(plan)
        return [(m.what, m.responsible.name, sorted(d.what for d in m.depends_on)) for m in content.milestones]
    sent, shown = statements_sent(read)
    assert shown == [("Nettbrett kjøpt", "Rita Rektor", []), ("Nettbrett delt ut", "Tor Lærer", ["Nettbrett kjøpt"]),
                     ("Alle bruker nettbrettene", "Berit Dahl", ["Nettbrett delt ut", "Nettbrett kjøpt"])]
    assert len(sent) == 6, sent


# --- which plans each person sees listed ----------------------------------------------------------

def listed(client) -> list[str]:
    """The plan list's rows as read: school and period."""
    page = client.get("/utviklingsplan").get_data(as_text=True)
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td>(.*?)</td>', page, re.S)
    return [f"{re.sub(r'<[^>]+>', '', school).strip()} {period.strip()}" for school, period in rows]


@pytest.fixture
def plans_of_four_schools(school, leader, make_school, make_user, now):
    """Plans of four schools, the schools made out of name order and each school's older plan first.

    Approved: Alnes' two plans and Dalen's older one. Drafts: Bakkehaugen's two, Dalen's newer, Elvebakken's.
    """
    dalen, alnes, elvebakken = make_school("Dalen skole"), make_school("Alnes skole"), make_school("Elvebakken skole")
    leaders = {s.id: make_user(f"Leder {s.name}", roles=(Role.LEADER,), school=s) for s in (dalen, alnes, elvebakken)}

    def made(of, start, state=PlanState.DRAFT):
        plan = ops.create_plan(of.id, start, start + 1, actor=leaders.get(of.id, leader), now=now)
        plan.state = state
        return plan
    ops.create_plan(school.id, 2029, 2030, actor=leader, now=now)
    made(alnes, 2023, PlanState.APPROVED)
    made(alnes, 2026, PlanState.APPROVED)
    made(dalen, 2026, PlanState.APPROVED)
    made(dalen, 2029)
    made(elvebakken, 2026)
    db.session.commit()
    return {"dalen": dalen, "elvebakken": elvebakken}


ALL_PLANS = ["Alnes skole 2026/2027–2027/2028", "Alnes skole 2023/2024–2024/2025",
             "Bakkehaugen skole 2029/2030–2030/2031", "Bakkehaugen skole 2026/2027–2028/2029",
             "Dalen skole 2029/2030–2030/2031", "Dalen skole 2026/2027–2027/2028",
             "Elvebakken skole 2026/2027–2027/2028"]


def test_admins_see_every_plan_by_school_and_the_newest_period_first(login, plan, plans_of_four_schools, admin):
    assert listed(login(admin)) == ALL_PLANS


def test_staff_see_their_own_schools_plans_and_leaders_then_the_other_schools_approved_ones(
        login, plan, plans_of_four_schools, leader, school, make_user):
    teacher = make_user("Tor Lærer", school=school)
    # A leader of Elvebakken who also teaches at Dalen: both schools' plans first, by name, then the approved rest.
    both = make_user("Lise Leder", roles=(Role.LEADER,), school=plans_of_four_schools["elvebakken"])
    both.memberships.append(Membership(role=Role.TEACHER, school=plans_of_four_schools["dalen"]))
    db.session.commit()
    assert listed(login(leader)) == [
        "Bakkehaugen skole 2029/2030–2030/2031", "Bakkehaugen skole 2026/2027–2028/2029",
        "Alnes skole 2026/2027–2027/2028", "Alnes skole 2023/2024–2024/2025", "Dalen skole 2026/2027–2027/2028"]
    assert listed(login(teacher)) == ["Bakkehaugen skole 2029/2030–2030/2031", "Bakkehaugen skole 2026/2027–2028/2029"]
    assert listed(login(both)) == [
        "Dalen skole 2029/2030–2030/2031", "Dalen skole 2026/2027–2027/2028", "Elvebakken skole 2026/2027–2027/2028",
        "Alnes skole 2026/2027–2027/2028", "Alnes skole 2023/2024–2024/2025"]


def test_items_alike_in_area_or_date_stay_as_added_when_a_later_one_fills_a_removed_ones_place(plan, leader, now):
    """On PostgreSQL an item added after another was removed (and a vacuum, autovacuum here by hand, has freed its
    place) lies before the items added earlier; the plan's content still lists each kind as it was added."""
    def goal(name):
        return ops.add_goal(plan, 4, name, "80 %", actor=leader, now=now)

    def measure(name):
        return ops.add_measure(plan, 4, name, ops.PlanTargetGroup.TEACHERS, "Rita", "Høst", [], actor=leader, now=now)

    def treatment(name):
        return ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), name, actor=leader, now=now)

    def information(name):
        return ops.add_information(plan, ops.InformationKind.LETTER, name, ops.PlanTargetGroup.PARENTS,
                                   date(2026, 9, 15), actor=leader, now=now)

    def milestone(name):
        return ops.add_milestone(plan, name, leader.id, date(2026, 10, 20), "", [], actor=leader, now=now)

    kinds = {"mal": goal, "tiltak": measure, "behandling": treatment, "informasjon": information, "milepael": milestone}
    gone = {kind: add("Fjernet") for kind, add in kinds.items()}
    for add in kinds.values():
        add("Først")
    db.session.commit()
    for kind, item in gone.items():
        ops.remove_item(plan, kind, item.id, actor=leader, now=now)
    db.session.commit()
    vacuum("plan_goal", "plan_measure", "plan_treatment", "plan_information", "milestone")
    for add in kinds.values():
        add("Sist")
    db.session.commit()
    db.session.expire_all()
    content = ops.content_of(db.session.get(Plan, plan.id))
    assert [g.indicator for g in content.goals] == ["Først", "Sist"]
    assert [m.title for m in content.measures] == ["Først", "Sist"]
    assert [t.decision for t in content.treatments] == ["Først", "Sist"]
    assert [i.title for i in content.information] == ["Først", "Sist"]
    assert [m.what for m in content.milestones] == ["Først", "Sist"]
