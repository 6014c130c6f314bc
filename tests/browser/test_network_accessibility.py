"""The network pages pass axe-core's WCAG 2.1 A and AA rules in Chromium, on a desktop and a phone."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from catalog.networks import operations as ops
from catalog.networks.composition import LastYear
from catalog.networks.models import NetworkKind
from lms.db import db
from lms.people.models import Role
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import check_accessibility
from tests.conftest import NOW


@pytest.fixture
def network_world(admin, make_school, make_user):
    eikeli = make_school("Eikeli skole", focus_areas_text="Lesing\nVurdering")
    skogheim = make_school("Skogheim skole", focus_areas_text="Lesing")
    make_school("Furulund skole", focus_areas_text="Programmering")
    leader = make_user("Line Leder", roles=(Role.LEADER,), school=eikeli, email="line.leder@skole.test")
    make_user("Siri Leder", roles=(Role.LEADER,), school=skogheim)
    make_user("Dina Veileder", school=eikeli, is_digital_supervisor=True)
    network = ops.create_network(ops.NetworkData(
        name="Nettverk for digital profesjonsutøvelse", target_group_text="Skoleledere og digitale veiledere",
        timing="Skoleåret 19/20", organiser="Oppvekst skole", include_leaders=True, include_digital_supervisors=True,
        description="Alle skolene møtes for å **dele erfaringer**.", school_ids=[eikeli.id, skogheim.id]),
        actor=admin, now=NOW)
    past = ops.add_gathering(network, starts_at=NOW - timedelta(days=7), ends_at=NOW - timedelta(days=7, hours=-2),
                             location="Rådhuset", host_school_id=eikeli.id, actor=admin, now=NOW - timedelta(days=30))
    past.minutes, past.minutes_published_at = "# Referat\n\nVi delte erfaringer.", NOW - timedelta(days=6)
    draft = ops.add_gathering(network, starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=2, hours=-2),
                              location="Eikeli skole", host_school_id=eikeli.id, actor=admin,
                              now=NOW - timedelta(days=30))
    draft.minutes = "Utkast til referat."
    upcoming = ops.add_gathering(network, starts_at=NOW + timedelta(days=30),
                                 ends_at=NOW + timedelta(days=30, hours=2), location="Rådhuset", host_school_id=None,
                                 actor=admin, now=NOW)
    ops.add_resource(network, title="Dubestemmer", url="https://dubestemmer.no", note="Les **dette**.",
                     actor=leader, now=NOW)
    group = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2026,
                                               include_leaders=True, school_ids=[eikeli.id, skogheim.id]),
                               actor=None, now=NOW)
    group.published_at = NOW
    round_ = ops.create_round(school_year=2026, title="Samlingsrunde høst", window_start=date(2026, 10, 5),
                              window_end=date(2026, 10, 16), actor=admin, now=NOW)
    ops.compose_groups(2027, LastYear.APART, actor=admin, now=NOW)
    db.session.commit()
    return SimpleNamespace(network=network.id, past=past.id, draft=draft.id, upcoming=upcoming.id, group=group.id,
                           round=round_.id, admin=admin.email, leader=leader.email)


def _visit(page, url: str, what: str, expect: str | None = None) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{what}: {url} answered {response.status}"
    if expect is not None:
        assert expect in page.content(), f"{what}: {expect!r} not on {url}"
    check_accessibility(page, what)


def test_network_pages_of_a_leader_are_accessible(network_world, new_page):
    w = network_world
    page = new_page(w.leader)
    _visit(page, "/nettverk", "Mine nettverk", "Samarbeidsgruppe 1")
    _visit(page, f"/nettverk/{w.network}", "network page", "Dubestemmer")
    _visit(page, f"/nettverk/{w.network}/samlinger/{w.past}", "past gathering with published minutes", "Referat")
    _visit(page, f"/nettverk/{w.network}/samlinger/{w.draft}", "gathering with draft minutes and forms",
           "Registrer oppmøte")
    page.click("form[action$='/delt'] button[type=submit]")
    page.wait_for_selector(".ds-error-summary")
    check_accessibility(page, "carried-back form with errors")
    _visit(page, f"/nettverk/{w.network}/samlinger/{w.upcoming}", "upcoming gathering", "Jeg kan ikke komme")
    _visit(page, f"/nettverk/{w.group}/runder/{w.round}", "scheduling a group's gathering", "Foreslå en tid")
    phone = new_page(w.leader, viewport=PHONE)
    _visit(phone, f"/nettverk/{w.network}", "network page on a phone", "Skoler og deltakere")


def test_network_admin_pages_are_accessible(network_world, new_page):
    w = network_world
    page = new_page(w.admin)
    _visit(page, "/nettverk/alle", "all networks")
    _visit(page, "/nettverk/ny", "new network form")
    _visit(page, "/nettverk/grupper?skoleaar=2027", "proposed collaboration groups", "Flytt en skole")
    _visit(page, "/nettverk/runder", "rounds of gatherings", "Samlingsrunde høst")
    _visit(page, f"/nettverk/{w.network}/samlinger/ny", "new gathering form")
    _visit(page, f"/nettverk/{w.network}/samlinger/{w.upcoming}", "upcoming gathering to manage", "Endre samlingen")
    _visit(page, f"/nettverk/{w.network}/samlinger/{w.upcoming}/endre", "changing a gathering", "Endre samlingen")
    page.fill("#end", "00:15")
    page.click("form.kp-form button[type=submit]")
    page.wait_for_selector(".ds-error-summary")
    check_accessibility(page, "changing a gathering, with errors")
