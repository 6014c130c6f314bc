"""Rounds of gatherings: group leaders agree on date, host and place within the admin's window."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import DateProposal, Gathering, NetworkKind, ProposalStatus
from events.feeds import feed_events
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role
from tests.conftest import NOW


@pytest.fixture
def group(make_school, make_user, admin):
    a, b = make_school("Eikeli skole"), make_school("Skogheim skole")
    w = SimpleNamespace(admin=admin, a=a, b=b,
                        leader_a=make_user("Line Leder", roles=(Role.LEADER,), school=a),
                        leader_b=make_user("Siri Leder", roles=(Role.LEADER,), school=b),
                        teacher_b=make_user("Tor Lærer", school=b))
    w.network = ops.create_network(ops.NetworkData(
        name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2026, include_leaders=True,
        include_teachers=True, school_ids=[a.id, b.id]), actor=None, now=NOW)
    w.round = ops.create_round(school_year=2026, title="Samlingsrunde høst", window_start=date(2026, 10, 5),
                               window_end=date(2026, 10, 16), actor=admin, now=NOW)
    db.session.commit()
    return w


def proposal_form(host_id, day="2026-10-07", **kw):
    return {"day": day, "start": "14:00", "end": "16:00", "host_school_id": str(host_id), "location": "Biblioteket",
            **kw}


def test_one_leader_proposes_the_other_confirms_and_the_gathering_is_made(group, login):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    assert login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id)).status_code == 303
    assert ops.unscheduled_groups(group.round) == [group.network]
    (proposal,) = db.session.scalars(sa.select(DateProposal))
    page = login(group.leader_b).get(url).get_data(as_text=True)
    assert "Bekreft dette forslaget" in page and "bekreftet av 1 av 2 skoler" in page
    assert login(group.leader_b).post(url + f"/forslag/{proposal.id}/bekreft").status_code == 303
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.AGREED
    (gathering,) = db.session.scalars(sa.select(Gathering))
    assert gathering.host_school_id == group.a.id and gathering.session.location == "Biblioteket"
    assert ops.unscheduled_groups(group.round) == []
    assert [e.summary for e in feed_events("person", group.teacher_b.id, NOW)] == ["Samarbeidsgruppe 1"]
    assert "Avtalt: onsdag 7. oktober 2026 kl. 14:00, vert Eikeli skole." in login(group.leader_a).get(url).get_data(as_text=True)


def test_a_counter_proposal_replaces_the_open_one(group, login):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id))
    login(group.leader_b).post(url + "/forslag", data=proposal_form(group.b.id, day="2026-10-14"))
    statuses = [p.status for p in db.session.scalars(sa.select(DateProposal).order_by(DateProposal.id))]
    assert statuses == [ProposalStatus.SUPERSEDED, ProposalStatus.OPEN]
    first = db.session.scalar(sa.select(DateProposal).order_by(DateProposal.id))
    client = login(group.leader_a)
    refused = client.post(url + f"/forslag/{first.id}/bekreft", follow_redirects=True)
    assert "Forslaget er ikke lenger åpent" in refused.get_data(as_text=True)


def test_a_date_outside_the_window_is_refused_with_a_message_keeping_the_input(group, login):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    response = login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id, day="2026-11-02"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Velg en dag i vinduet for runden (05.10.2026–16.10.2026)." in text and 'value="Biblioteket"' in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DateProposal)) == 0


def test_only_the_groups_leaders_propose_and_confirm(group, login, make_user, make_school):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    assert login(group.teacher_b).post(url + "/forslag", data=proposal_form(group.a.id)).status_code == 403
    stranger = make_user("Olav Utenfor", roles=(Role.LEADER,), school=make_school("Hosle skole"))
    assert login(stranger).get(url).status_code == 403
    assert login(stranger).post(url + "/forslag", data=proposal_form(group.a.id)).status_code == 403


def test_admin_sees_unscheduled_groups_and_reminds_their_leaders(group, login):
    client = login(group.admin)
    page = client.get("/nettverk/runder").get_data(as_text=True)
    assert "0 av 1 grupper har avtalt samlingen." in page and "Samarbeidsgruppe 1" in page
    assert client.post(f"/nettverk/runder/{group.round.id}/paminn").status_code == 303
    mails = [render(m) for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == group.leader_b.email))]
    assert [m.subject for m in mails] == ["Påminnelse: avtal samlingen i Samlingsrunde høst"]
    client.post(f"/nettverk/runder/{group.round.id}/paminn")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2  # once a day


def test_admin_makes_a_round_and_a_reversed_window_is_refused(group, login):
    client = login(group.admin)
    refused = client.post("/nettverk/runder", data={"title": "Vår", "school_year": "2026",
                                                    "window_start": "2027-03-20", "window_end": "2027-03-10"})
    assert refused.status_code == 400 and "Siste dag må være etter første dag." in refused.get_data(as_text=True)
    assert 'value="Vår"' in refused.get_data(as_text=True)
    assert client.post("/nettverk/runder", data={"title": "Vår", "school_year": "2026", "window_start": "2027-03-08",
                                                 "window_end": "2027-03-19"}).status_code == 303
    assert login(group.leader_a).get("/nettverk/runder").status_code == 403
