"""Sending a development plan in, approving or returning it, its frozen versions and the reviewers' comments.

Sending the plan in freezes what it holds as a numbered version, which stays
readable as it was, with who sent it in and what changed since the one before.
Only the steps the state table allows are taken, each by the people whose step
it is, and each is audited. A reviewer comments on the sections of the version
sent in, and returns the plan only with a comment saying what must be improved.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from lms.db import db
from lms.people.models import Role
from lms.plans import operations as ops
from lms.plans.models import PlanComment, PlanState, PlanVersion
from tests.conftest import vacuum


def plain(html: str) -> str:
    """The text as a reader sees it, without markup."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))).strip()


def listed(response) -> list[list[str]]:
    """The items of each list of a plan's parts on the page (goals and measures, milestones, versions), in order."""
    return [[plain(item) for item in re.findall(r"<li>(.*?)</li>", box, re.S)]
            for box in re.findall(r'<ul class="kp-plan-list">(.*?)</ul>', response.get_data(as_text=True), re.S)]


@pytest.fixture
def teacher(make_user, school):
    return make_user("Tor Lærer", school=school)


@pytest.fixture
def full_plan(plan, leader, teacher, now):
    """A plan with something in every part a version keeps, treated by Driftsstyret and ready to send in."""
    ops.save_section(plan, "vision", "Alle elever lærer mer.", 1, actor=leader, now=now)
    ops.save_section(plan, "area4", "Kurs for lærere på Bø.", 1, actor=leader, now=now)
    ops.add_goal(plan, 4, "Andel lærere med kurs", "80 % innen juni 2027", actor=leader, now=now)
    ops.add_goal(plan, 6, "Foresatte som kjenner planen", "Alle innen jul", actor=leader, now=now)
    ops.add_measure(plan, 4, "Kurs i digital vurdering", ops.PlanTargetGroup.TEACHERS, "Rita Rektor", "Høsten 2026",
                    [("plan_area", 4), ("offering", 12)], actor=leader, now=now)
    ops.add_measure(plan, 6, "Foreldremøte om nettbrett", ops.PlanTargetGroup.PARENTS, "Kontaktlærerne", "Oktober",
                    [], actor=leader, now=now)
    ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), "FAU støtter planen.", actor=leader, now=now)
    ops.add_information(plan, ops.InformationKind.MEETING, "Møte med foresatte", ops.PlanTargetGroup.PARENTS,
                        date(2026, 9, 15), actor=leader, now=now)
    ops.add_milestone(plan, "Alle lærere har nettbrett", teacher.id, date(2026, 10, 20), "Telling", [], actor=leader,
                      now=now)
    ops.add_milestone(plan, "Nettside om planen", None, date(2026, 11, 2), "", [], actor=leader, now=now)
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 20),
                   decision="Driftsstyret slutter seg til planen.")
    db.session.commit()
    return plan


#: What a version of ``full_plan`` keeps, in the form versions have been stored in since the plans came: versions
#: frozen by an earlier release are read with those frozen today, so the form must not change under them.
FULL_PLAN_AS_STORED = {
    "sections": {"vision": "Alle elever lærer mer.", "main_goals": "", "affected": "", "area1": "", "area2": "",
                 "area3": "", "area4": "Kurs for lærere på Bø.", "area5": "", "area6": "", "area7": ""},
    "goals": [{"area": 4, "indicator": "Andel lærere med kurs", "target": "80 % innen juni 2027"},
              {"area": 6, "indicator": "Foresatte som kjenner planen", "target": "Alle innen jul"}],
    "measures": [{"area": 4, "title": "Kurs i digital vurdering", "target_group": "teachers",
                  "responsible": "Rita Rektor", "timing": "Høsten 2026", "links": [["plan_area", 4], ["offering", 12]]},
                 {"area": 6, "title": "Foreldremøte om nettbrett", "target_group": "parents",
                  "responsible": "Kontaktlærerne", "timing": "Oktober", "links": []}],
    "treatments": [{"body": "fau", "treated_on": "2026-09-10", "decision": "FAU støtter planen."},
                   {"body": "driftsstyret", "treated_on": "2026-09-20",
                    "decision": "Driftsstyret slutter seg til planen."}],
    "information": [{"kind": "meeting", "title": "Møte med foresatte", "audience": "parents",
                     "informed_on": "2026-09-15"}],
    "milestones": [{"what": "Alle lærere har nettbrett", "responsible": "Tor Lærer", "deadline": "2026-10-20",
                    "evaluation": "Telling", "status": "planned"},
                   {"what": "Nettside om planen", "responsible": "", "deadline": "2026-11-02", "evaluation": "",
                    "status": "planned"}],
}


def changed_box(response) -> str:
    """The page's box of what changed since the version before, as text."""
    return plain(response.get_data(as_text=True).split('id="h-changed"', 1)[1].split("</section>", 1)[0]
                 .split(">", 1)[1])


# --- a frozen version --------------------------------------------------------------------------

def test_a_version_shows_what_the_plan_held_when_it_was_sent_in_and_who_sent_it(login, leader, full_plan, now):
    ops.transition(full_plan, PlanState.SUBMITTED, actor=leader, now=now + timedelta(hours=2))
    db.session.commit()
    response = login(leader).get(f"/utviklingsplan/{full_plan.id}/versjon/1")
    page = plain(response.get_data(as_text=True))
    assert "Sendt inn tirsdag 1. september 2026 kl. 12:00 av Rita Rektor." in page
    assert listed(response) == [
        ["Mål: Andel lærere med kurs: 80 % innen juni 2027",
         "Tiltak: Kurs i digital vurdering – Lærere; Rita Rektor; Høsten 2026"],
        ["Mål: Foresatte som kjenner planen: Alle innen jul",
         "Tiltak: Foreldremøte om nettbrett – Foresatte; Kontaktlærerne; Oktober",
         "FAU, 10. september 2026: FAU støtter planen.",
         "Driftsstyret, 20. september 2026: Driftsstyret slutter seg til planen.",
         "15. september 2026: Møte med foresatte (Møte, Foresatte)"],
        ["Alle lærere har nettbrett: Tor Lærer, 20. oktober 2026, Planlagt",
         "Nettside om planen: –, 2. november 2026, Planlagt"],
        ["Versjon 1"]]
    # The dates as the plan page writes them, in the reader's language.
    client = login(leader)
    client.post("/sprak", data={"lang": "nn"})
    shown = plain(client.get(f"/utviklingsplan/{full_plan.id}/versjon/1").get_data(as_text=True))
    assert "20. oktober 2026" in shown and "2026-10-20" not in shown


def test_a_plan_sent_in_again_unchanged_lists_no_changes_against_a_version_an_earlier_release_stored(
        login, leader, admin, full_plan, now):
    # Version 1 as it was stored before today's code: sent in, returned, and sent in again with nothing changed.
    db.session.add(PlanVersion(plan_id=full_plan.id, number=1, submitted_at=now, submitted_by_id=leader.id,
                               content=json.dumps(FULL_PLAN_AS_STORED, ensure_ascii=False)))
    full_plan.state = PlanState.RETURNED
    ops.transition(full_plan, PlanState.SUBMITTED, actor=leader, now=now + timedelta(days=1))
    db.session.commit()
    response = login(leader).get(f"/utviklingsplan/{full_plan.id}/versjon/2")
    assert changed_box(response) == "Endret fra forrige versjon Ingen endringer."


def test_a_version_keeps_the_norwegian_letters_as_written(leader, full_plan, now):
    ops.transition(full_plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    # The frozen version is the record of what was sent in; read in the database or a dump, it reads as written.
    stored = db.session.scalar(sa.select(PlanVersion.content).where(PlanVersion.plan_id == full_plan.id))
    assert '"Kurs for lærere på Bø."' in stored and '"Høsten 2026"' in stored


# --- the reviewers' comments -----------------------------------------------------------------

def sent_in(plan, leader, admin, now):
    """Send the treated plan in and take it under review, as the school and a reviewer would."""
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    ops.transition(plan, PlanState.UNDER_REVIEW, actor=admin, now=now)


def section_comments(response, key: str) -> list[str]:
    """The comments shown under one section of the plan's page, in order."""
    section = response.get_data(as_text=True).split(f'id="avsnitt-{key}"', 1)[1].split("</section>", 1)[0]
    return [plain(c) for c in re.findall(r'<div class="ds-alert"[^>]*>(.*?)</div>', section, re.S)]


def test_comments_show_under_their_section_the_latest_version_first_each_in_the_order_written(
        login, leader, admin, full_plan, now):
    sent_in(full_plan, leader, admin, now)
    ops.add_comment(full_plan, "area4", "Fint at alle får kurs.", False, actor=admin, now=now)
    ops.add_comment(full_plan, "area4", "Mål mangler indikator.", True, actor=admin, now=now)
    ops.add_comment(full_plan, "vision", "God visjon.", False, actor=admin, now=now)
    ops.transition(full_plan, PlanState.RETURNED, actor=admin, now=now)
    ops.save_section(full_plan, "area4", "Kurs for lærere på Bø, med indikator.", 2, actor=leader, now=now)
    sent_in(full_plan, leader, admin, now + timedelta(days=1))
    ops.add_comment(full_plan, "area4", "Nå er det bra.", False, actor=admin, now=now + timedelta(days=1))
    db.session.commit()
    page = login(leader).get(f"/utviklingsplan/{full_plan.id}")
    assert section_comments(page, "area4") == [
        "Kommentar (versjon 2): Nå er det bra.", "Kommentar (versjon 1): Fint at alle får kurs.",
        "Må forbedres (versjon 1): Mål mangler indikator."]
    assert section_comments(page, "vision") == ["Kommentar (versjon 1): God visjon."]


def test_a_comment_keeps_who_wrote_it_and_when(leader, admin, full_plan, now):
    sent_in(full_plan, leader, admin, now)
    ops.add_comment(full_plan, "area4", "Mål mangler indikator.", True, actor=admin, now=now + timedelta(hours=3))
    db.session.commit()
    db.session.expire_all()
    comment = db.session.scalar(sa.select(PlanComment))
    assert (comment.author.name, comment.created_at, comment.version_number, comment.section_key, comment.body,
            comment.must_improve) == ("Ada Admin", now + timedelta(hours=3), 1, "area4", "Mål mangler indikator.",
                                      True)


@pytest.mark.parametrize("state", [PlanState.DRAFT, PlanState.TREATED, PlanState.RETURNED, PlanState.APPROVED])
def test_comments_are_written_only_while_the_plan_is_with_the_reviewers(admin, plan, now, state):
    plan.state = state
    with pytest.raises(ops.PlanError) as refused:
        ops.add_comment(plan, "area4", "For tidlig.", False, actor=admin, now=now)
    assert str(refused.value) == "Kommentarer skrives mens planen er til behandling."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanComment)) == 0


def test_a_comment_on_a_section_the_plan_does_not_have_is_refused_at_the_section_field(leader, admin, full_plan,
                                                                                       now):
    sent_in(full_plan, leader, admin, now)
    # The page's form offers only the plan's sections; the operation refuses any other caller's too.
    with pytest.raises(ops.PlanError) as refused:
        ops.add_comment(full_plan, "area8", "Hvor er dette?", False, actor=admin, now=now)
    assert (str(refused.value), refused.value.field) == ("Velg et avsnitt i planen.", "section_key")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanComment)) == 0


# --- the steps of the review -------------------------------------------------------------------

def entries(plan) -> list[tuple]:
    """The plan's audit entries as (from, to, who, when, note)."""
    return [(e.from_state, e.to_state, e.actor.name, e.at, e.note) for e in ops.audit.history("plan", plan.id)]


def test_each_step_is_audited_with_who_when_and_the_decision_or_note(leader, admin, plan, now):
    later = [now + timedelta(hours=h) for h in range(5)]
    ops.transition(plan, PlanState.TREATED, actor=leader, now=later[0], treated_on=date(2026, 9, 20),
                   decision="Driftsstyret slutter seg til planen.")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=later[1], note="Sendt etter møtet.")
    ops.transition(plan, PlanState.UNDER_REVIEW, actor=admin, now=later[2])
    ops.add_comment(plan, "area4", "Mål mangler indikator.", True, actor=admin, now=later[2])
    ops.transition(plan, PlanState.RETURNED, actor=admin, now=later[3], note="Se kommentarene.")
    db.session.commit()
    db.session.expire_all()
    assert entries(plan)[1:] == [
        ("draft", "treated", "Rita Rektor", later[0], "Driftsstyret slutter seg til planen."),
        ("treated", "submitted", "Rita Rektor", later[1], "Sendt etter møtet."),
        ("submitted", "under_review", "Ada Admin", later[2], ""),
        ("under_review", "returned", "Ada Admin", later[3], "Se kommentarene.")]
    assert (plan.state, plan.updated_at) == (PlanState.RETURNED, later[3])
    treatment = db.session.scalar(sa.select(ops.PlanTreatment).where(ops.PlanTreatment.plan_id == plan.id))
    assert (treatment.body, treatment.treated_on, treatment.decision) == (
        ops.Body.DRIFTSSTYRET, date(2026, 9, 20), "Driftsstyret slutter seg til planen.")


def test_a_step_the_table_does_not_allow_is_refused_naming_both_states(leader, plan, now):
    with pytest.raises(ops.PlanError) as refused:
        ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    assert str(refused.value) == "Planen kan ikke gå fra «Utkast» til «Sendt inn»."
    assert plan.state == PlanState.DRAFT and len(ops.audit.history("plan", plan.id)) == 1


TREATMENT_NEEDED = "Skriv inn datoen Driftsstyret behandlet planen og hva som ble vedtatt."


@pytest.mark.parametrize("given", [{"decision": "Driftsstyret slutter seg til planen."},
                                   {"treated_on": date(2026, 9, 20)},
                                   {"treated_on": date(2026, 9, 20), "decision": "   "}],
                         ids=["no date", "no decision", "a blank decision"])
def test_treated_needs_the_date_and_the_decision(leader, plan, now, given):
    with pytest.raises(ops.PlanError) as refused:
        ops.transition(plan, PlanState.TREATED, actor=leader, now=now, **given)
    assert (str(refused.value), refused.value.field) == (TREATMENT_NEEDED, "decision")
    assert plan.state == PlanState.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ops.PlanTreatment)) == 0


IMPROVE_FIRST = "Skriv først minst én kommentar om hva som må forbedres."


def test_returning_needs_a_comment_on_what_must_be_improved_in_the_version_sent_in(
        leader, admin, full_plan, make_school, make_user, now):
    dalen = make_school("Dalen skole")
    other = ops.create_plan(dalen.id, 2026, 2028, actor=make_user("Olav Annen", roles=(Role.LEADER,), school=dalen),
                            now=now)
    other.state = PlanState.UNDER_REVIEW
    db.session.add(PlanVersion(plan_id=other.id, number=1, submitted_at=now, content="{}"))
    sent_in(full_plan, leader, admin, now)

    def refused():
        with pytest.raises(ops.PlanError) as refusal:
            ops.transition(full_plan, PlanState.RETURNED, actor=admin, now=now)
        return str(refusal.value)

    # Another plan's comment, and a comment that asks for nothing, do not say what this plan must improve.
    ops.add_comment(other, "area4", "Mål mangler indikator.", True, actor=admin, now=now)
    ops.add_comment(full_plan, "area4", "Fint at alle får kurs.", False, actor=admin, now=now)
    assert refused() == IMPROVE_FIRST
    ops.add_comment(full_plan, "area4", "Mål mangler indikator.", True, actor=admin, now=now)
    ops.transition(full_plan, PlanState.RETURNED, actor=admin, now=now)
    # Sent in again, the plan is a new version: what version 1 had to improve does not return version 2.
    ops.save_section(full_plan, "area4", "Kurs for lærere på Bø, med indikator.", 2, actor=leader, now=now)
    sent_in(full_plan, leader, admin, now)
    assert refused() == IMPROVE_FIRST
    assert full_plan.state == PlanState.UNDER_REVIEW


# --- orders that hold however the database reads the rows --------------------------------------



def test_versions_are_listed_by_number_after_a_failed_sending_in(login, leader, admin, full_plan, now):
    """A sending in that failed after freezing its version leaves a dead row; on PostgreSQL, once a vacuum has freed
    its place, a later version fills it and lies before the one frozen in between."""
    def send_in_and_return(failed=False):
        ops.transition(full_plan, PlanState.SUBMITTED, actor=leader, now=now)
        if failed:
            db.session.rollback()  # a request that failed after writing
            return
        ops.transition(full_plan, PlanState.UNDER_REVIEW, actor=admin, now=now)
        ops.add_comment(full_plan, "area4", "Mål mangler indikator.", True, actor=admin, now=now)
        ops.transition(full_plan, PlanState.RETURNED, actor=admin, now=now)
        db.session.commit()

    send_in_and_return()
    send_in_and_return(failed=True)
    send_in_and_return()
    vacuum("plan_version")
    ops.transition(full_plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()
    client = login(leader)
    assert listed(client.get(f"/utviklingsplan/{full_plan.id}/versjon/2"))[-1] == ["Versjon 1", "Versjon 2",
                                                                                 "Versjon 3"]
    assert [v.number for v in ops.versions(full_plan)] == [1, 2, 3]


def test_comments_on_one_version_stay_in_the_order_written_after_a_failed_comment(login, leader, admin, full_plan,
                                                                                 now):
    """On PostgreSQL a comment written after a failed one (and a vacuum) fills the failed one's place."""
    sent_in(full_plan, leader, admin, now)
    db.session.commit()
    ops.add_comment(full_plan, "area4", "Første.", False, actor=admin, now=now)
    db.session.commit()
    ops.add_comment(full_plan, "area4", "Feilet.", False, actor=admin, now=now)
    db.session.rollback()  # a request that failed after writing
    ops.add_comment(full_plan, "area4", "Andre.", False, actor=admin, now=now)
    vacuum("plan_comment")
    ops.add_comment(full_plan, "area4", "Tredje.", True, actor=admin, now=now)
    db.session.commit()
    assert section_comments(login(leader).get(f"/utviklingsplan/{full_plan.id}"), "area4") == [
        "Kommentar (versjon 1): Første.", "Kommentar (versjon 1): Andre.", "Må forbedres (versjon 1): Tredje."]
