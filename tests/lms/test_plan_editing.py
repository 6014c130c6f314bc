"""Changing what a development plan holds: goals, measures, treatments, information measures and milestones.

Each kind has its own edit page, reached by "Endre" on the plan. It shows what
is saved, refuses bad input in Norwegian keeping what was typed, is a leader's
page only, follows the plan's states like adding does, and refuses a save
from a version someone else has changed since, losing nothing.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import icalendar
import pytest
import sqlalchemy as sa

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings.models import TargetGroup
from lms.audit import operations as audit
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.people.models import Role, User
from lms.plans import operations as ops
from lms.plans.models import (Milestone, MilestoneStatus, Plan, PlanGoal, PlanInformation, PlanMeasure, PlanMeasureLink,
                              PlanState, PlanTreatment)
from tests.interleave import commit_elsewhere, reading_request
from tests.lms.test_mail import SmtpServer
from tests.conftest import vacuum

STALE = "Noen andre har endret dette mens du hadde det åpent."
FROZEN = "Planen er sendt inn og kan ikke endres før den er sendt tilbake."
MODELS = {"mal": PlanGoal, "tiltak": PlanMeasure, "behandling": PlanTreatment, "informasjon": PlanInformation,
          "milepael": Milestone}


@pytest.fixture
def second_leader(make_user, school):
    return make_user("Lise Leder", roles=(Role.LEADER,), school=school)


@pytest.fixture
def teacher(make_user, school):
    return make_user("Tor Lærer", school=school)


@pytest.fixture
def items(plan, leader, teacher, now):
    """One item of each kind, as the school first wrote them; their ids by the name in the edit address."""
    first = ops.add_milestone(plan, "Alle lærere har nettbrett", teacher.id, date(2026, 10, 20), "Telling", [],
                              actor=leader, now=now)
    made = {
        "mal": ops.add_goal(plan, 4, "Andel lærere med fullført kurs", "80 % innen juni 2027", actor=leader, now=now),
        "tiltak": ops.add_measure(plan, 4, "Kurs i digital vurdering", ops.PlanTargetGroup.TEACHERS, "Rita Rektor",
                                  "Høsten 2026", [("plan_area", 4)], actor=leader, now=now),
        "behandling": ops.add_treatment(plan, ops.Body.FAU, date(2026, 9, 10), "FAU støtter planen.", actor=leader,
                                        now=now),
        "informasjon": ops.add_information(plan, ops.InformationKind.LETTER, "Brev til foresatte",
                                           ops.PlanTargetGroup.PARENTS, date(2026, 9, 15), actor=leader, now=now),
        "milepael": ops.add_milestone(plan, "Grunnopplæring for alle lærere", teacher.id, date(2026, 11, 2),
                                      "Kursbevis", [first.id], actor=leader, now=now),
    }
    db.session.commit()
    return {kind: item.id for kind, item in made.items()} | {"first_milestone": first.id}


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def plain(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))))


def edit_url(plan, kind: str, item_id: int) -> str:
    return f"/utviklingsplan/{plan.id}/endre/{kind}/{item_id}"


def opened_version(response) -> str:
    """The version the edit form was opened at, as the browser sends it back."""
    return re.search(r'name="version" type="hidden" value="(\d+)"', response.get_data(as_text=True)).group(1)


def new_values(kind: str, people) -> dict:
    """What a principal types to change each kind of item."""
    return {
        "mal": {"indicator": "Andel lærere med fullført kurs i vurdering", "target": "90 % innen juni 2028"},
        "tiltak": {"title": "Kurs i vurdering for læring", "target_group": "leaders", "responsible": "Lise Leder",
                   "timing": "Våren 2027", "links": "plan_area:6"},
        "behandling": {"body": "mbu", "treated_on": "2026-10-05", "decision": "MBU tok planen til orientering."},
        "informasjon": {"kind": "meeting", "title": "Foreldremøte om nettbrett", "audience": "pupils",
                        "informed_on": "2026-10-01"},
        "milepael": {"what": "Grunnopplæring for alle ansatte", "responsible_id": str(people["second_leader"].id),
                     "deadline": "2026-12-04", "evaluation": "Kursbevis og samtale", "status": "in_progress"},
    }[kind]


#: What the plan page (and the report, where it shows the kind) says after the change, and no longer says.
SHOWN_AFTER = {
    "mal": (["Andel lærere med fullført kurs i vurdering", "90 % innen juni 2028"], ["80 % innen juni 2027"]),
    "tiltak": (["Kurs i vurdering for læring – Skoleledere; ansvarlig: Lise Leder; Våren 2027"],
               ["Kurs i digital vurdering"]),
    "behandling": (["MBU, 5. oktober 2026: MBU tok planen til orientering."], ["FAU støtter planen."]),
    "informasjon": (["1. oktober 2026: Foreldremøte om nettbrett (Møte, Elever)"], ["Brev til foresatte"]),
    "milepael": (["Grunnopplæring for alle ansatte", "Lise Leder", "4. desember 2026", "Kursbevis og samtale",
                  "Pågår"], ["Grunnopplæring for alle lærere"]),
}
REPORT_AFTER = {
    "mal": "Andel lærere med fullført kurs i vurdering: 90 % innen juni 2028",
    "tiltak": "Kurs i vurdering for læring – Skoleledere; Lise Leder; Våren 2027",
    "behandling": "MBU, 5. oktober 2026: MBU tok planen til orientering.",
    "milepael": "Grunnopplæring for alle ansatte: Lise Leder, frist 4. desember 2026, Pågår",
}
#: What the edit page shows as saved before the change: the form's values.
OPENED_WITH = {
    "mal": ['value="Andel lærere med fullført kurs"', 'value="80 % innen juni 2027"'],
    "tiltak": ['value="Kurs i digital vurdering"', '<option selected value="teachers">', 'value="Rita Rektor"',
               'value="Høsten 2026"', "plan_area:4</textarea>"],
    "behandling": ['<option selected value="fau">', 'value="2026-09-10"', "FAU støtter planen.</textarea>"],
    "informasjon": ['<option selected value="letter">', 'value="Brev til foresatte"',
                    '<option selected value="parents">', 'value="2026-09-15"'],
    "milepael": ['value="Grunnopplæring for alle lærere"', 'selected value="{teacher}"', 'value="2026-11-02"',
                 'value="Kursbevis"', 'checked id="depends_on-0" name="depends_on" type="checkbox" value="{first}"',
                 '<option selected value="planned">'],
}


@pytest.fixture
def people(leader, second_leader, teacher):
    return {"leader": leader, "second_leader": second_leader, "teacher": teacher}


@pytest.mark.parametrize("kind", list(MODELS))
def test_an_item_is_changed_from_its_edit_page_and_the_plan_and_report_show_it(login, plan, items, people, kind):
    client = login(people["leader"])
    page = client.get(f"/utviklingsplan/{plan.id}")
    # "Endre" on the plan leads to the item's own page.
    assert f'href="{edit_url(plan, kind, items[kind])}"' in page.get_data(as_text=True)
    opened = client.get(edit_url(plan, kind, items[kind]))
    assert opened.status_code == 200
    html = text(opened)
    for value in OPENED_WITH[kind]:
        value = value.format(teacher=people["teacher"].id, first=items["first_milestone"])
        assert value in html, value
    response = client.post(edit_url(plan, kind, items[kind]),
                           data=new_values(kind, people) | {"version": opened_version(opened)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/utviklingsplan/{plan.id}#{kind}-{items[kind]}")
    shown = plain(client.get(f"/utviklingsplan/{plan.id}"))
    after, gone = SHOWN_AFTER[kind]
    for value in after:
        assert value in shown, value
    for value in gone:
        assert value not in shown, value
    if kind in REPORT_AFTER:
        assert REPORT_AFTER[kind] in plain(client.get(f"/utviklingsplan/{plan.id}/rapport"))
    # The item was changed, not replaced: it keeps its id, and so whatever points at it.
    assert db.session.get(MODELS[kind], items[kind]).version == 2


def test_a_changed_milestone_keeps_what_depends_on_it_and_its_status_change_is_audited(login, plan, items, people,
                                                                                      leader, now):
    later = ops.add_milestone(plan, "Evaluering av nettbrettene", leader.id, date(2027, 5, 1), "", [items["milepael"]],
                              actor=leader, now=now)
    db.session.commit()
    client = login(leader)
    client.post(edit_url(plan, "milepael", items["milepael"]), data=new_values("milepael", people) | {"version": "1"})
    db.session.expire_all()
    assert [m.what for m in db.session.get(Milestone, later.id).depends_on] == ["Grunnopplæring for alle ansatte"]
    # No longer dependent on the first milestone: the box was left unticked.
    assert db.session.get(Milestone, items["milepael"]).depends_on == []
    assert [(e.from_state, e.to_state, e.actor_id) for e in audit.history("milestone", items["milepael"])] == [
        ("planned", "in_progress", leader.id)]


def test_measure_figures_follow_its_changed_links(login, leader, school, plan, make_offering, make_user, now, admin):
    first = make_offering("Digital vurdering", target_groups=(TargetGroup.TEACHERS,))
    second = make_offering("Programmering i matematikk", target_groups=(TargetGroup.TEACHERS,))
    teachers = [make_user(f"Lærer {i}", school=school) for i in range(4)]
    for teacher in teachers[:3]:
        enrollment_ops.enroll(first.id, teacher, actor=teacher, now=now)
    enrollment_ops.enroll(second.id, teachers[3], actor=teachers[3], now=now)
    done = enrollment_ops.active_enrollment(second.id, teachers[3].id)
    enrollment_ops.transition(done, EnrollmentState.COMPLETED, actor=admin, now=now + timedelta(days=1))
    measure = ops.add_measure(plan, 4, "Kurs for lærerne", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst",
                              [("offering", first.id)], actor=leader, now=now)
    db.session.commit()
    client = login(leader)
    before = plain(client.get(f"/utviklingsplan/{plan.id}"))
    assert "Digital vurdering: påmeldte ansatte: 3 av 4" in before
    assert "Programmering i matematikk" not in before
    response = client.post(edit_url(plan, "tiltak", measure.id), data={
        "title": "Kurs for lærerne", "target_group": "teachers", "responsible": "Rita", "timing": "Høst",
        "links": f"offering:{second.id}\nlighthouse_offering:3", "version": "1"})
    assert response.status_code == 303
    after = client.get(f"/utviklingsplan/{plan.id}")
    shown = plain(after)
    assert "Programmering i matematikk: påmeldte ansatte: 1 av 4" in shown
    assert "Programmering i matematikk: fullført: 1 av 4" in shown
    assert "Digital vurdering: påmeldte ansatte" not in shown
    assert f'href="/kurs/{second.id}/deltakere"' in after.get_data(as_text=True)
    assert "Programmering i matematikk: fullført: 1 av 4" in plain(client.get(f"/utviklingsplan/{plan.id}/rapport"))
    assert sorted(db.session.execute(sa.select(PlanMeasureLink.kind, PlanMeasureLink.ref_id)
                                     .where(PlanMeasureLink.measure_id == measure.id)).all()) == [
        ("lighthouse_offering", 3), ("offering", second.id)]


def test_a_link_kept_while_others_change_stays_the_same_row(login, leader, plan, now):
    measure = ops.add_measure(plan, 4, "Kurs", ops.PlanTargetGroup.TEACHERS, "Rita", "Høst",
                              [("offering", 1), ("plan_area", 4)], actor=leader, now=now)
    db.session.commit()
    kept = next(link.id for link in measure.links if link.kind == "plan_area")
    response = login(leader).post(edit_url(plan, "tiltak", measure.id), data={
        "title": "Kurs", "target_group": "teachers", "responsible": "Rita", "timing": "Høst",
        "links": "plan_area:4\noffering:2\nplan_area:4", "version": "1"})
    assert response.status_code == 303
    rows = db.session.execute(sa.select(PlanMeasureLink.id, PlanMeasureLink.kind, PlanMeasureLink.ref_id)
                              .where(PlanMeasureLink.measure_id == measure.id).order_by(PlanMeasureLink.id)).all()
    assert rows[0] == (kept, "plan_area", 4) and [(k, r) for _i, k, r in rows] == [("plan_area", 4), ("offering", 2)]


# --- bad input ------------------------------------------------------------------

BAD = {
    "mal": ({"indicator": "Beholdt indikator", "target": ""}, "Dette feltet må fylles ut.", ["Beholdt indikator"]),
    "tiltak": ({"title": "Beholdt tiltak", "target_group": "teachers", "responsible": "Beholdt ansvarlig",
                "timing": "Beholdt tid", "links": "kurs tolv"}, "Skriv hver kobling som type:nummer",
               ["Beholdt tiltak", "Beholdt ansvarlig", "Beholdt tid", "kurs tolv"]),
    "behandling": ({"body": "mbu", "treated_on": "05.10.2026", "decision": "Beholdt vedtak"},
                   "Skjemaet har feil som må rettes", ["Beholdt vedtak", "05.10.2026"]),
    "informasjon": ({"kind": "meeting", "title": "Beholdt tittel", "audience": "parents", "informed_on": ""},
                    "Velg en dato.", ["Beholdt tittel"]),
    "milepael": ({"what": "Beholdt milepæl", "deadline": "2026-02-30", "evaluation": "Beholdt evaluering"},
                 "Skjemaet har feil som må rettes", ["Beholdt milepæl", "Beholdt evaluering", "2026-02-30"]),
}


@pytest.mark.parametrize("kind", list(MODELS))
def test_bad_input_is_refused_in_norwegian_and_keeps_what_was_typed(login, plan, items, people, kind):
    data, message, kept = BAD[kind]
    if kind == "milepael":
        data = data | {"responsible_id": str(people["teacher"].id)}
    before = db.session.get(MODELS[kind], items[kind]).version
    response = login(people["leader"]).post(edit_url(plan, kind, items[kind]), data=data | {"version": "1"})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    for value in kept:
        assert value in page, value
    db.session.expire_all()
    assert db.session.get(MODELS[kind], items[kind]).version == before


def test_a_milestone_cannot_come_to_depend_on_itself_through_others(login, plan, items, people):
    # The second milestone depends on the first; the first may not come to depend on the second.
    data = {"what": "Alle lærere har nettbrett", "responsible_id": str(people["teacher"].id),
            "deadline": "2026-10-20", "evaluation": "Telling", "status": "planned",
            "depends_on": str(items["milepael"]), "version": "1"}
    response = login(people["leader"]).post(edit_url(plan, "milepael", items["first_milestone"]), data=data)
    assert response.status_code == 400
    page = text(response)
    assert "En milepæl kan ikke avhenge av en milepæl som selv venter på den." in page
    assert 'value="Alle lærere har nettbrett"' in page
    mine = login(people["leader"]).get(edit_url(plan, "milepael", items["first_milestone"]))
    # Its own page offers every other milestone, never itself.
    assert f'value="{items["first_milestone"]}"' not in mine.get_data(as_text=True).split('name="depends_on"', 1)[-1]


def test_a_milestone_whose_responsible_person_has_left_keeps_them_until_someone_else_is_chosen(
        login, plan, items, people):
    people["teacher"].active = False
    db.session.commit()
    client = login(people["leader"])
    opened = text(client.get(edit_url(plan, "milepael", items["milepael"])))
    assert "Tor Lærer (ikke lenger ved skolen)" in opened
    data = {"what": "Grunnopplæring for alle lærere", "responsible_id": str(people["teacher"].id),
            "deadline": "2026-11-02", "evaluation": "Kursbevis", "status": "reached", "version": "1"}
    assert client.post(edit_url(plan, "milepael", items["milepael"]), data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Milestone, items["milepael"]).status == MilestoneStatus.REACHED


# --- who may change what ------------------------------------------------------------

@pytest.mark.parametrize("role", ["teacher", "other_leader", "admin"])
@pytest.mark.parametrize("kind", list(MODELS))
def test_only_the_schools_leaders_open_and_save_an_edit_page(login, plan, items, people, make_user, make_school,
                                                             admin, role, kind):
    who = {"teacher": people["teacher"], "admin": admin,
           "other_leader": make_user("Olav Annen", roles=(Role.LEADER,), school=make_school("Dalen skole"))}[role]
    plan.state = PlanState.APPROVED if role == "other_leader" else PlanState.DRAFT  # the other leader may read it
    db.session.commit()
    client = login(who)
    assert client.get(f"/utviklingsplan/{plan.id}").status_code == 200
    assert f"/endre/{kind}/" not in client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True)
    assert client.get(edit_url(plan, kind, items[kind])).status_code == 403
    assert client.post(edit_url(plan, kind, items[kind]),
                       data=new_values(kind, people) | {"version": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(MODELS[kind], items[kind]).version == 1


def test_an_item_of_another_plan_or_an_unknown_kind_is_not_found(login, plan, items, leader, school, now):
    other = ops.create_plan(school.id, 2029, 2030, actor=leader, now=now)
    db.session.commit()
    client = login(leader)
    assert client.get(edit_url(other, "mal", items["mal"])).status_code == 404
    assert client.get(edit_url(plan, "bok", items["mal"])).status_code == 404
    assert client.get(edit_url(plan, "mal", 99999999)).status_code == 404


def submit(plan, leader, now):
    ops.transition(plan, PlanState.TREATED, actor=leader, now=now, treated_on=date(2026, 9, 20), decision="Ja")
    ops.transition(plan, PlanState.SUBMITTED, actor=leader, now=now)
    db.session.commit()


@pytest.mark.parametrize("kind", ["mal", "tiltak", "informasjon"])
def test_a_submitted_plan_keeps_its_goals_measures_and_information_as_sent(login, plan, items, people, leader, now,
                                                                           kind):
    submit(plan, leader, now)
    client = login(leader)
    assert f"/endre/{kind}/" not in client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True)
    opened = text(client.get(edit_url(plan, kind, items[kind])))
    assert FROZEN in opened and "Lagre endringene" not in opened
    typed = new_values(kind, people)
    response = client.post(edit_url(plan, kind, items[kind]), data=typed | {"version": "1"})
    assert response.status_code == 400
    page = text(response)
    assert FROZEN in page and f'value="{typed["indicator" if kind == "mal" else "title"]}"' in page
    db.session.expire_all()
    assert db.session.get(MODELS[kind], items[kind]).version == 1


@pytest.mark.parametrize("kind", ["behandling", "milepael"])
def test_treatments_and_milestones_are_followed_up_after_the_plan_is_sent_and_the_version_keeps_the_old(
        login, plan, items, people, leader, now, kind):
    submit(plan, leader, now)
    client = login(leader)
    assert f'href="{edit_url(plan, kind, items[kind])}"' in client.get(f"/utviklingsplan/{plan.id}").get_data(
        as_text=True)
    response = client.post(edit_url(plan, kind, items[kind]), data=new_values(kind, people) | {"version": "1"})
    assert response.status_code == 303
    assert SHOWN_AFTER[kind][0][0] in plain(client.get(f"/utviklingsplan/{plan.id}"))
    frozen = plain(client.get(f"/utviklingsplan/{plan.id}/versjon/1"))
    assert SHOWN_AFTER[kind][1][0] in frozen and SHOWN_AFTER[kind][0][0] not in frozen


# --- two leaders at once ---------------------------------------------------------------

#: What the second leader saves, from the version both opened.
MINE = {
    "mal": {"indicator": "Min indikator", "target": "Mitt mål"},
    "tiltak": {"title": "Mitt tiltak", "target_group": "teachers", "responsible": "Min ansvarlig", "timing": "Min tid",
               "links": "plan_area:4"},
    "behandling": {"body": "elevrad", "treated_on": "2026-09-11", "decision": "Mitt vedtak"},
    "informasjon": {"kind": "web", "title": "Min nettside", "audience": "parents", "informed_on": "2026-09-16"},
    "milepael": {"what": "Min milepæl", "deadline": "2026-11-03", "evaluation": "Min evaluering", "status": "planned"},
}
#: How what the first leader saved reads above the form.
SAVED_NOW = {
    "mal": ["Andel lærere med fullført kurs i vurdering", "90 % innen juni 2028"],
    "tiltak": ["Kurs i vurdering for læring", "Skoleledere", "Lise Leder", "Våren 2027", "plan_area:6"],
    "behandling": ["MBU", "5. oktober 2026", "MBU tok planen til orientering."],
    "informasjon": ["Møte", "Foreldremøte om nettbrett", "Elever", "1. oktober 2026"],
    "milepael": ["Grunnopplæring for alle ansatte", "Lise Leder", "4. desember 2026", "Kursbevis og samtale", "Pågår"],
}


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_save_from_a_changed_item_is_refused_and_loses_nothing(login, plan, items, people, kind):
    first, second = login(people["leader"]), login(people["second_leader"])
    opened_first = first.get(edit_url(plan, kind, items[kind]))
    opened_second = second.get(edit_url(plan, kind, items[kind]))
    assert first.post(edit_url(plan, kind, items[kind]),
                      data=new_values(kind, people) | {"version": opened_version(opened_first)}).status_code == 303
    mine = MINE[kind] | ({"responsible_id": str(people["teacher"].id)} if kind == "milepael" else {})
    response = second.post(edit_url(plan, kind, items[kind]), data=mine | {"version": opened_version(opened_second)})
    assert response.status_code == 400
    page = text(response)
    assert STALE in page
    # What the other leader saved is shown above the form; what this one typed stays in it.
    saved, form = page.split("Slik er det lagret nå", 1)[1].split("<form", 1)
    for value in SAVED_NOW[kind]:
        assert f"<dd>{value}</dd>" in saved, value
    for value in mine.values():
        if value.startswith(("Min", "Mitt")):
            assert value in form, value
    assert opened_version(response) == "2"
    db.session.expire_all()
    assert db.session.get(MODELS[kind], items[kind]).version == 2
    assert SHOWN_AFTER[kind][0][0] in plain(first.get(f"/utviklingsplan/{plan.id}"))
    # Saving again from what is now shown goes through.
    assert second.post(edit_url(plan, kind, items[kind]), data=mine | {"version": "2"}).status_code == 303
    assert next(v for v in mine.values() if v.startswith(("Min", "Mitt"))) in plain(first.get(f"/utviklingsplan/{plan.id}"))


def test_a_status_set_on_the_plan_page_makes_an_open_edit_form_stale(login, plan, items, people):
    client = login(people["leader"])
    opened = client.get(edit_url(plan, "milepael", items["milepael"]))
    assert client.post(f"/utviklingsplan/{plan.id}/milepael/{items['milepael']}/status",
                       data={"status": "reached"}).status_code == 303
    response = client.post(edit_url(plan, "milepael", items["milepael"]),
                           data=new_values("milepael", people) | {"version": opened_version(opened)})
    assert response.status_code == 400 and STALE in text(response) and "Nådd" in text(response)
    db.session.expire_all()
    assert db.session.get(Milestone, items["milepael"]).status == MilestoneStatus.REACHED


def test_an_item_removed_while_open_is_told_and_the_typed_text_stays(login, plan, items, people):
    first, second = login(people["leader"]), login(people["second_leader"])
    second.get(edit_url(plan, "mal", items["mal"]))
    assert first.post(f"/utviklingsplan/{plan.id}/fjern/mal/{items['mal']}").status_code == 303
    response = second.post(edit_url(plan, "mal", items["mal"]),
                           data={"indicator": "Min indikator", "target": "Mitt mål", "version": "1"})
    assert response.status_code == 400
    page = text(response)
    assert "Finnes ikke lenger i planen." in page
    assert 'value="Min indikator"' in page and 'value="Mitt mål"' in page


# --- the calendar feed and the reminders follow a changed milestone ------------------------------

def feed_event(client, token):
    response = client.get(f"/kalender/{token}.ics")
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    return response, events


def test_a_moved_deadline_and_a_new_responsible_person_show_in_the_calendar_feeds(app, login, plan, items, people,
                                                                                  now):
    from events import operations as events_ops
    from events.models import FeedScope
    from lms.i18n import OSLO
    teacher, new = people["teacher"], people["second_leader"]
    tokens = {p.id: events_ops.issue_feed_token(FeedScope.PERSON, p.id, actor=p, now=now) for p in (teacher, new)}
    db.session.commit()
    feeds = app.test_client()
    before, events = feed_event(feeds, tokens[teacher.id])
    (event,) = [e for e in events if str(e["SUMMARY"]) == "Frist: Grunnopplæring for alle lærere"]
    assert event.decoded("DTSTART").astimezone(OSLO).date() == date(2026, 11, 2)
    client = login(people["leader"])
    data = {"what": "Grunnopplæring for alle lærere", "responsible_id": str(teacher.id), "deadline": "2026-11-16",
            "evaluation": "Kursbevis", "status": "planned", "version": "1"}
    assert client.post(edit_url(plan, "milepael", items["milepael"]), data=data).status_code == 303
    moved, events = feed_event(feeds, tokens[teacher.id])
    assert moved.headers["ETag"] != before.headers["ETag"]
    (changed,) = [e for e in events if str(e["SUMMARY"]) == "Frist: Grunnopplæring for alle lærere"]
    assert changed.decoded("DTSTART").astimezone(OSLO).date() == date(2026, 11, 16)
    assert str(changed["UID"]) == str(event["UID"]) and int(changed["SEQUENCE"]) > int(event.get("SEQUENCE", 0))
    data |= {"responsible_id": str(new.id), "version": "2"}
    assert client.post(edit_url(plan, "milepael", items["milepael"]), data=data).status_code == 303
    _response, events = feed_event(feeds, tokens[teacher.id])
    assert [str(e["SUMMARY"]) for e in events] == ["Frist: Alle lærere har nettbrett"]
    _response, events = feed_event(feeds, tokens[new.id])
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART").astimezone(OSLO).date()) for e in events] == [
        ("Frist: Grunnopplæring for alle lærere", date(2026, 11, 16))]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on loopback, with the app's mail settings pointed at it."""
    server = SmtpServer()
    server.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                       "SMTP_TIMEOUT": 10.0, "MAIL_FROM": "Kompetanseportalen <kurs@kommune.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def run(app, *args: str) -> str:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_a_moved_deadline_is_reminded_again_and_a_reminder_for_the_old_one_is_not_sent(app, smtp, login, plan,
                                                                                     leader, teacher, now):
    milestone = ops.add_milestone(plan, "Alle lærere har nettbrett", teacher.id, now.date() + timedelta(days=5),
                                  "Telling", [], actor=leader, now=now)
    db.session.commit()
    client = login(leader)

    def move(deadline: date, version: int, responsible=teacher) -> None:
        data = {"what": "Alle lærere har nettbrett", "responsible_id": str(responsible.id),
                "deadline": deadline.isoformat(), "evaluation": "Telling", "status": "planned",
                "version": str(version)}
        assert client.post(edit_url(plan, "milepael", milestone.id), data=data).status_code == 303

    assert "1 påminnelser" in run(app, "plans", "remind")
    run(app, "mail", "send")
    (sent,) = smtp.inbox.messages
    assert sent["To"] == teacher.email and "Alle lærere har nettbrett" in sent["Subject"]
    # The deadline moves two days on: one more reminder, of the new day.
    move(now.date() + timedelta(days=7), 1)
    assert "1 påminnelser" in run(app, "plans", "remind")
    assert "0 påminnelser" in run(app, "plans", "remind")
    run(app, "mail", "send")
    assert len(smtp.inbox.messages) == 2
    assert "8. september 2026" in smtp.inbox.messages[1].get_body(("plain",)).get_content()
    # Queued for the next day, then moved back before it went: that reminder is dropped, not sent with a wrong day.
    move(now.date() + timedelta(days=6), 2)
    assert "1 påminnelser" in run(app, "plans", "remind")
    move(now.date() + timedelta(days=30), 3)
    run(app, "mail", "send")
    assert len(smtp.inbox.messages) == 2
    dropped = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert dropped.sent_at is None and "Utdatert" in dropped.last_error
    # Back to a day already reminded to the same person: not reminded twice.
    move(now.date() + timedelta(days=7), 4)
    assert "0 påminnelser" in run(app, "plans", "remind")
    # Someone else becomes responsible: they are told, once.
    move(now.date() + timedelta(days=7), 5, responsible=leader)
    assert "1 påminnelser" in run(app, "plans", "remind")
    run(app, "mail", "send")
    assert [m["To"] for m in smtp.inbox.messages] == [teacher.email, teacher.email, leader.email]


@pytest.mark.parametrize("lang, endre, heading, save, stale", [
    ("nn", "Endre", "Endre milepæl", "Lagre endringane", "Nokon andre har endra dette medan du hadde det ope."),
    ("en", "Edit", "Edit milestone", "Save the changes", "Someone else changed this while you had it open."),
])
def test_the_edit_links_and_pages_speak_nynorsk_and_english(login, plan, items, people, lang, endre, heading, save,
                                                            stale):
    client = login(people["leader"])
    client.post("/sprak", data={"lang": lang, "next": "/"})
    page = client.get(f"/utviklingsplan/{plan.id}").get_data(as_text=True)
    assert f'>{endre}<span class="ds-sr-only"> Grunnopplæring for alle lærere</span></a>' in page
    opened = text(client.get(edit_url(plan, "milepael", items["milepael"])))
    assert heading in opened and save in opened
    response = client.post(edit_url(plan, "milepael", items["milepael"]),
                           data=new_values("milepael", people) | {"version": "0"})
    assert response.status_code == 400 and stale in text(response)


# --- what the operations refuse whoever calls them ----------------------------------------------

def test_a_milestone_is_not_given_to_someone_outside_the_school(plan, items, people, leader, make_user, now):
    stranger = make_user("Fremmed Lærer")
    milestone = db.session.get(Milestone, items["milepael"])
    with pytest.raises(ops.PlanError) as refused:
        ops.update_milestone(plan, milestone, "Grunnopplæring for alle lærere", stranger.id, date(2026, 11, 2),
                             "Kursbevis", [items["first_milestone"]], MilestoneStatus.PLANNED, 1, actor=leader,
                             now=now)
    assert str(refused.value) == "Den ansvarlige må være ansatt ved skolen."
    db.session.rollback()
    assert db.session.get(Milestone, items["milepael"]).responsible_id == people["teacher"].id


@pytest.mark.parametrize("whose", ["another-schools-plan", "already-removed"])
def test_an_item_of_another_plan_or_one_already_removed_is_not_removed_and_the_plan_says_so(
        login, plan, items, leader, make_school, make_user, now, whose):
    if whose == "another-schools-plan":
        other_school = make_school("Dalen skole")
        other_leader = make_user("Olav Annen", roles=(Role.LEADER,), school=other_school)
        other = ops.create_plan(other_school.id, 2026, 2028, actor=other_leader, now=now)
        goal = ops.add_goal(other, 4, "Dalens mål", "Alle", actor=other_leader, now=now)
    else:
        goal = ops.add_goal(plan, 4, "Fjernet mål", "Alle", actor=leader, now=now)
    db.session.commit()
    goal_id = goal.id
    client = login(leader)
    if whose == "already-removed":
        assert client.post(f"/utviklingsplan/{plan.id}/fjern/mal/{goal_id}").status_code == 303
    response = client.post(f"/utviklingsplan/{plan.id}/fjern/mal/{goal_id}", follow_redirects=True)
    flashed = re.findall(r'<div class="ds-alert" ([^>]*)>\s*<p class="ds-paragraph">(.*?)</p>',
                         response.get_data(as_text=True))
    # Announced as an error, in the error colour, not as a notice.
    assert flashed[-1] == ('data-color="danger" role="alert"', "Finnes ikke lenger i planen.")
    db.session.expire_all()
    assert (db.session.get(PlanGoal, goal_id) is not None) == (whose == "another-schools-plan")


def test_a_reminder_queued_for_someone_no_longer_responsible_is_not_sent_to_them(app, smtp, login, plan, leader,
                                                                                 teacher, now):
    milestone = ops.add_milestone(plan, "Alle lærere har nettbrett", teacher.id, now.date() + timedelta(days=5),
                                  "Telling", [], actor=leader, now=now)
    db.session.commit()
    assert "1 påminnelser" in run(app, "plans", "remind")
    # Before it is sent, the principal takes the milestone over.
    data = {"what": "Alle lærere har nettbrett", "responsible_id": str(leader.id),
            "deadline": (now.date() + timedelta(days=5)).isoformat(), "evaluation": "Telling", "status": "planned",
            "version": "1"}
    assert login(leader).post(edit_url(plan, "milepael", milestone.id), data=data).status_code == 303
    run(app, "mail", "send")
    assert smtp.inbox.messages == []
    (dropped,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert dropped.recipient == teacher.email and dropped.sent_at is None and "Utdatert" in dropped.last_error
    assert "1 påminnelser" in run(app, "plans", "remind")
    run(app, "mail", "send")
    assert [m["To"] for m in smtp.inbox.messages] == [leader.email]


# --- the operations' own refusals, met by a direct call (found by mutation testing, tests/MUTANTS.md) ------------

def test_the_operation_refuses_an_item_of_another_plan_or_none_and_changes_nothing(plan, items, leader, school, now):
    """The pages look an item up within its plan; the operation holds the rule for any other caller too."""
    other = ops.create_plan(school.id, 2029, 2030, actor=leader, now=now)
    theirs = ops.add_goal(other, 4, "Deres indikator", "Deres mål", actor=leader, now=now)
    db.session.commit()
    for goal in (theirs, None):
        with pytest.raises(ops.PlanError) as refused:
            ops.update_goal(plan, goal, "Ny indikator", "Nytt mål", 1, actor=leader, now=now)
        assert str(refused.value) == "Finnes ikke lenger i planen."
    db.session.rollback()
    assert (db.session.get(PlanGoal, theirs.id).indicator, db.session.get(PlanGoal, theirs.id).version) == (
        "Deres indikator", 1)


def _my_save_after(app, plan, goal_id: int, leader, now, elsewhere) -> tuple[ops.PlanError, tuple | None]:
    """Read the goal in a request, commit ``elsewhere(plan, actor)`` from another request, then save the goal from
    the version read; return the refusal and, for a stale save, the goal's indicator, target and version as the
    refusal carries them (read before the rollback, which would load them afresh). PostgreSQL only: on SQLite a
    writing request holds the write lock from its first statement, so no other commit can come between its look
    and its save."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: on SQLite a writing request holds the write lock from its first statement, so no "
                    "other commit can come between its look and its save")
    plan_id, leader_id = plan.id, leader.id

    def as_read():
        return db.session.get(Plan, plan_id), db.session.get(User, leader_id)
    with reading_request(app):
        mine = db.session.get(PlanGoal, goal_id)
        assert mine.indicator == "Andel lærere med fullført kurs"  # this request has read it
        commit_elsewhere(app, lambda: elsewhere(*as_read()))
        with pytest.raises(ops.PlanError) as refused:
            current_plan, actor = as_read()
            ops.update_goal(current_plan, mine, "Min indikator", "Mitt mål", 1, actor=actor, now=now)
        item = getattr(refused.value, "item", None)
        shown = (item.indicator, item.target, item.version) if item is not None else None
        db.session.rollback()
    return refused.value, shown


def test_a_save_from_an_old_version_is_told_what_the_item_holds_now_though_this_request_read_it_before(
        app, plan, items, leader, now):
    """Another leader's save lands between this request's look at the goal and its own save: the refusal carries
    what the other saved (what the page then shows beside the typed text), not the copy this request read."""
    def their_save(their_plan, actor):
        ops.update_goal(their_plan, db.session.get(PlanGoal, items["mal"]), "Deres indikator", "Deres mål", 1,
                        actor=actor, now=now)
    refused, shown = _my_save_after(app, plan, items["mal"], leader, now, their_save)
    assert isinstance(refused, ops.StaleItem)
    assert shown == ("Deres indikator", "Deres mål", 2)


def test_an_item_removed_by_another_request_after_this_one_read_it_is_told_in_words(app, plan, items, leader, now):
    refused, shown = _my_save_after(app, plan, items["mal"], leader, now, lambda their_plan, actor: ops.remove_item(
        their_plan, "mal", items["mal"], actor=actor, now=now))
    assert str(refused) == "Finnes ikke lenger i planen." and shown is None
    assert db.session.get(PlanGoal, items["mal"]) is None


def test_a_milestones_status_change_is_audited_at_the_time_it_was_made(plan, items, leader, now):
    milestone = db.session.get(Milestone, items["milepael"])
    later = now + timedelta(hours=5)
    ops.update_milestone(plan, milestone, milestone.what, milestone.responsible_id, milestone.deadline,
                         milestone.evaluation, [], MilestoneStatus.REACHED, milestone.version, actor=leader, now=later)
    db.session.commit()
    (entry,) = audit.history("milestone", milestone.id)
    assert (entry.from_state, entry.to_state, entry.actor_id) == ("planned", "reached", leader.id)
    assert entry.at.replace(tzinfo=None) == later.replace(tzinfo=None)


def test_a_renamed_measure_keeps_its_place_among_the_schools_focus_areas(plan, school, leader, now):
    """The focus areas that compose collaboration groups list the plan's measures by area and then as they were
    added, whatever order the database reads them in: a renamed measure is a new row version, read last, and on
    PostgreSQL a measure added after one was removed (and autovacuum has run) fills the removed one's place."""
    def add(title):
        return ops.add_measure(plan, 4, title, ops.PlanTargetGroup.TEACHERS, "Rita Rektor", "Høsten 2026", [],
                               actor=leader, now=now)
    gone, first = add("Kurs i digital vurdering"), add("Lesing i alle fag")
    add("Skriving i alle fag")
    db.session.commit()
    ops.update_measure(plan, first, "Lesing og skriving i alle fag", first.target_group, first.responsible,
                       first.timing, [], first.version, actor=leader, now=now)
    ops.remove_item(plan, "tiltak", gone.id, actor=leader, now=now)
    db.session.commit()
    vacuum("plan_measure")  # as autovacuum does after a removal
    add("Vurdering for læring")
    db.session.commit()
    assert ops.focus_areas_of([school.id])[school.id][-3:] == ["Lesing og skriving i alle fag", "Skriving i alle fag",
                                                               "Vurdering for læring"]
