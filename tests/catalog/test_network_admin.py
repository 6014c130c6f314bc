"""Creating and changing a network: its rules word for word, its edit form, its shared resources,
who may manage or see it, the list Mine nettverk and the network's head on its page.

The page's forms refuse much of what the rules refuse (a blank name or title, a group without a year,
a resource without a link or a note), with the same words; where they do, the tests call the
operation as any other caller (the demo, the composition of groups) would and compare its own refusal whole.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Network, NetworkKind, NetworkResource
from lms.auth.operations import PermissionDenied
from lms.db import db, set_clock
from tests.catalog.test_networks import add_gathering, body, said
from tests.catalog.test_networks import world as world  # the fixture, for this module's tests
from tests.conftest import NOW

MANAGE_REFUSED = "Bare programadministratorer og nettverkets koordinator kan endre nettverket."
VIEW_REFUSED = "Bare nettverkets deltakere har tilgang til denne siden."


def network_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Network))


def members_on_page(page: str) -> list[tuple[str, str]]:
    """Return (school, its participants) of each row of the page's table of schools, in the page's order."""
    return re.findall(r'<tr><th scope="row">([^<]*)</th>\s*<td>([^<]*)</td></tr>', page)


# --- who may manage and who may see a network -----------------------------------------------

def test_admins_and_the_coordinator_manage_a_network_and_nobody_else(world, login):
    network = world.network
    assert ops.may_manage(None, network) is False
    assert ops.may_manage(world.admin, network) is True
    assert ops.may_manage(world.leader, network) is False
    network.coordinator_id = world.teacher.id
    db.session.commit()
    assert [ops.may_manage(u, network) for u in (world.teacher, world.leader, world.admin)] == [True, False, True]
    assert login(world.teacher).get(f"/nettverk/{network.id}/endre").status_code == 200
    refused = login(world.leader).get(f"/nettverk/{network.id}/endre")
    assert refused.status_code == 403 and said(refused, MANAGE_REFUSED)


def test_only_participants_and_member_schools_leaders_see_a_network_and_others_are_told_why(world, login):
    assert login(world.supervisor).get(f"/nettverk/{world.network.id}").status_code == 200
    for outsider in (world.outside_leader, world.teacher):
        refused = login(outsider).get(f"/nettverk/{world.network.id}")
        assert refused.status_code == 403 and said(refused, VIEW_REFUSED)
    with pytest.raises(PermissionDenied) as rule:
        ops.require_view(world.outside_leader, world.network)
    assert str(rule.value) == VIEW_REFUSED


def test_a_network_that_does_not_exist_is_not_found_and_the_error_names_it(world, login):
    client = login(world.admin)
    assert client.get("/nettverk/999999").status_code == 404
    assert client.get("/nettverk/999999/endre").status_code == 404
    with pytest.raises(ops.NetworkNotFound) as lookup:
        ops.get_network(999999)
    assert lookup.value.args == (999999,)
    with pytest.raises(ops.NetworkNotFound) as head:
        ops.network_head(999999)
    assert head.value.args == (999999,)


# --- creating a network ------------------------------------------------------------------

def test_admin_creates_a_group_and_its_page_and_mine_nettverk_show_all_it_was_given(world, login, make_user):
    coordinator = make_user("Kari Koordinator", school=world.outside)
    done = login(world.admin).post("/nettverk/ny", data={
        "name": "Lesegruppe øst", "kind": "group", "school_year": "2026", "description": "**Les** mer",
        "target_group_text": "Lesekontakter", "timing": "Hver tirsdag", "organiser": "Oppvekst skole",
        "coordinator_id": str(coordinator.id), "include_leaders": "y", "include_teachers": "y",
        "school_ids": [str(world.furulund.id), str(world.eikeli.id)]})
    assert done.status_code == 303
    network = db.session.scalar(sa.select(Network).where(Network.name == "Lesegruppe øst"))
    assert (network.kind, network.school_year, network.coordinator_id, network.published_at) == (
        NetworkKind.GROUP, 2026, coordinator.id, NOW)
    assert sorted(network.school_ids) == sorted([world.eikeli.id, world.furulund.id])

    page = body(login(world.leader).get(f"/nettverk/{network.id}"))
    assert ">Lesegruppe øst</h1>" in page and ">Samarbeidsgruppe</span>" in page
    assert "<span>Skoleår 2026/2027</span>" in page and "Forslag, ikke publisert" not in page
    for shown in ("Lesekontakter", "Hver tirsdag", "Oppvekst skole", "Kari Koordinator"):
        assert f">{shown}</dd>" in page
    assert "<strong>Les</strong> mer" in page
    assert members_on_page(page) == [("Eikeli skole", "Dina Veileder, Line Leder, Tor Lærer"),
                                     ("Furulund skole", "Frode Leder")]
    assert "Endre nettverket" not in page
    # The coordinator manages it from its page, without being at a member school.
    assert "Endre nettverket" in body(login(coordinator).get(f"/nettverk/{network.id}"))

    mine = body(login(world.leader).get("/nettverk"))
    card = mine[mine.index(f'href="/nettverk/{network.id}"'):]
    card = card[:card.index("</li>")]
    assert ">Lesegruppe øst</a>" in card and ">Samarbeidsgruppe</span>" in card
    assert "2026/2027" in card and "Du deltar." in card


RULES = [
    ({"name": "   "}, "Skriv inn nettverkets navn."),
    ({"kind": NetworkKind.GROUP, "school_year": None}, "En samarbeidsgruppe hører til et skoleår."),
    ({"coordinator_id": 999999}, "Koordinatoren finnes ikke lenger. Last siden på nytt."),
    ({"include_leaders": False}, "Velg minst én gruppe som deltar fra skolene."),
    ({"school_ids": "eikeli and a lost one"}, "En av skolene finnes ikke lenger. Last siden på nytt."),
]


@pytest.mark.parametrize(("change", "message"), RULES,
                         ids=["no-name", "group-without-year", "lost-coordinator", "no-one-takes-part", "lost-school"])
def test_the_rules_refuse_a_network_word_for_word_and_save_nothing(world, change, message):
    if change.get("school_ids"):
        change = {"school_ids": [world.eikeli.id, 999999]}
    data = ops.NetworkData(**{"name": "Skrivenettverk", "school_ids": [world.eikeli.id], **change})
    with pytest.raises(ops.NetworkError) as rule:
        ops.create_network(data, actor=world.admin, now=NOW)
    assert str(rule.value) == message
    db.session.rollback()
    assert network_count() == 1


def test_only_admins_create_networks_and_the_system_may_too(world):
    data = ops.NetworkData(name="Skrivenettverk", school_ids=[world.eikeli.id])
    with pytest.raises(PermissionDenied) as refused:
        ops.create_network(data, actor=world.leader, now=NOW)
    assert str(refused.value) == "Bare programadministratorer kan opprette nettverk."
    db.session.rollback()
    assert network_count() == 1
    later = NOW + timedelta(hours=3)
    loaded = ops.create_network(data, actor=None, now=later, source_key="skrivenettverk")
    draft = ops.create_network(ops.NetworkData(name="Gruppe 1", kind=NetworkKind.GROUP, school_year=2026,
                                               school_ids=[]), actor=None, now=later, published=False)
    db.session.commit()
    db.session.expire_all()
    # The clock still says NOW: a network is dated by the moment its caller gives.
    assert (loaded.name, loaded.school_ids, loaded.source_key) == ("Skrivenettverk", [world.eikeli.id],
                                                                   "skrivenettverk")
    assert (loaded.created_at, loaded.updated_at, loaded.published_at) == (later, later, later)
    assert loaded.schedule.owner_kind == "catalog.network"
    assert (draft.published_at, draft.school_ids) == (None, [])


def test_a_network_whose_school_has_nobody_taking_part_has_its_page(world, login, make_school):
    empty = make_school("Tomt skole")
    network = ops.create_network(ops.NetworkData(name="Lite nettverk", school_ids=[empty.id]),
                                 actor=world.admin, now=NOW)
    page = body(login(world.admin).get(f"/nettverk/{network.id}"))
    assert ">Lite nettverk</h1>" in page and members_on_page(page) == [("Tomt skole", "–")]


def test_member_schools_are_listed_by_name_without_regard_to_case_as_the_page_always_did(world, login, make_school):
    # Made in this order, so that the schools' ids are in none of the orders below.
    schools = [make_school(name) for name in ("Vestli skole", "bakken skole", "Sørli skole avd. Sør",
                                              "Sørli skole [avd. Nord]", "BAKKEN SKOLE")]
    network = ops.create_network(ops.NetworkData(name="Mange skoler", school_ids=[s.id for s in schools]),
                                 actor=world.admin, now=NOW)
    page = body(login(world.admin).get(f"/nettverk/{network.id}"))
    # Lower-cased: "[" comes before the letters, and two names alike but for case come as they were made.
    assert [school for school, _people in members_on_page(page)] == [
        "bakken skole", "BAKKEN SKOLE", "Sørli skole [avd. Nord]", "Sørli skole avd. Sør", "Vestli skole"]


# --- changing a network --------------------------------------------------------------------

def test_the_coordinator_changes_the_network_and_its_schools_on_the_edit_form(world, login):
    network = world.network
    network.coordinator_id = world.furulund_leader.id
    db.session.commit()
    client = login(world.furulund_leader)
    form = body(client.get(f"/nettverk/{network.id}/endre"))
    assert 'value="Nettverk for digital profesjonsutøvelse"' in form
    later = NOW + timedelta(days=1)
    set_clock(later)
    done = client.post(f"/nettverk/{network.id}/endre", data={
        "name": "Nettverk for digital dømmekraft", "kind": "municipality", "timing": "Hver måned",
        "target_group_text": "Skoleledere", "coordinator_id": str(world.furulund_leader.id),
        "include_leaders": "y", "school_ids": [str(world.eikeli.id), str(world.outside.id)]})
    assert done.status_code == 303
    db.session.expire_all()
    assert (network.name, network.timing, network.include_digital_supervisors) == (
        "Nettverk for digital dømmekraft", "Hver måned", False)
    assert sorted(network.school_ids) == sorted([world.eikeli.id, world.outside.id])
    assert network.updated_at == later
    page = body(client.get(f"/nettverk/{network.id}"))
    assert ">Nettverk for digital dømmekraft</h1>" in page
    assert members_on_page(page) == [("Eikeli skole", "Line Leder"), ("Hosle skole", "Olav Utenfor")]
    assert "Du deltar." in body(login(world.outside_leader).get("/nettverk"))


def test_nobody_but_its_managers_changes_a_network_by_the_rule_either(world):
    with pytest.raises(PermissionDenied) as refused:
        ops.update_network(world.network, ops.NetworkData(name="Kapret"), actor=world.leader, now=NOW)
    assert str(refused.value) == MANAGE_REFUSED
    db.session.rollback()
    assert world.network.name == "Nettverk for digital profesjonsutøvelse"


# --- shared resources ------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "url", "note", "message"), [
    ("   ", "https://dubestemmer.no", "", "Gi ressursen en tittel."),
    ("Dubestemmer", "", "   ", "Skriv en lenke eller et notat."),
], ids=["no-title", "no-link-or-note"])
def test_the_resource_rule_refuses_what_the_form_does_word_for_word(world, title, url, note, message):
    with pytest.raises(ops.NetworkError) as rule:
        ops.add_resource(world.network, title=title, url=url, note=note, actor=world.leader, now=NOW)
    assert str(rule.value) == message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NetworkResource)) == 0


def test_a_resource_is_kept_with_who_shared_it_and_listed_by_when_they_shared_it(world, login):
    # Two requests whose rows were written in the other order than they came in: the page goes by the requests.
    newer = ops.add_resource(world.network, title="Nyere", url="https://udir.no", note="", actor=world.leader,
                             now=NOW + timedelta(hours=2))
    older = ops.add_resource(world.network, title="Eldre", url="", note="Les dette", actor=world.supervisor,
                             now=NOW + timedelta(hours=1))
    db.session.commit()
    db.session.expire_all()
    assert (newer.created_by_id, newer.created_at) == (world.leader.id, NOW + timedelta(hours=2))
    assert (older.created_by_id, older.created_at) == (world.supervisor.id, NOW + timedelta(hours=1))
    page = body(login(world.leader).get(f"/nettverk/{world.network.id}"))
    assert page.index(">Nyere</a>") < page.index("<strong>Eldre</strong>")


def test_mine_nettverk_shows_the_next_gathering_and_links_each_network(world, login):
    add_gathering(world)
    page = body(login(world.leader).get("/nettverk"))
    assert f'href="/nettverk/{world.network.id}"' in page
    assert "Neste samling: tirsdag 6. oktober 2026 kl. 12:00" in page and "Du deltar." in page
