"""Rounds of gatherings: group leaders agree on date, host and place within the admin's window."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.mails import ROUND_REMINDER
from catalog.networks.models import DateProposal, Gathering, GatheringRound, NetworkKind, NetworkSchool, ProposalStatus
from events.feeds import feed_events
from events.models import Session, SessionStatus
from lms.db import db, set_clock
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role, User
from tests.conftest import NOW, nothing_changes


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


def proposal_form(host_id, day="2026-10-07", start="14:00", end="16:00", **kw):
    return {"day": day, "start": start, "end": end, "host_school_id": str(host_id), "location": "Biblioteket",
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


OUTSIDE_2026 = "Vinduet må ligge i skoleåret 2026/2027, fra 1. august 2026 til 31. juli 2027."


def test_a_window_outside_the_school_year_is_refused_on_the_page_and_nothing_is_made(group, login):
    # The groups of 2026/2027 would otherwise be asked to meet in the autumn of the year after.
    client = login(group.admin)
    with nothing_changes():
        refused = client.post("/nettverk/runder", data={"title": "Høst", "school_year": "2026",
                                                        "window_start": "2027-10-04", "window_end": "2027-10-15"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and OUTSIDE_2026 in page
    assert 'value="Høst"' in page and 'value="2027-10-04"' in page and 'value="2027-10-15"' in page
    client.post("/sprak", data={"lang": "nn"})
    told = client.post("/nettverk/runder", data={"title": "Haust", "school_year": "2026",
                                                 "window_start": "2027-10-04", "window_end": "2027-10-15"})
    assert told.status_code == 400
    assert "Vindauget må liggje i skuleåret 2026/2027, frå 1. august 2026 til 31. juli 2027." in told.get_data(
        as_text=True)


def test_admin_makes_a_round_and_a_reversed_window_is_refused(group, login):
    client = login(group.admin)
    refused = client.post("/nettverk/runder", data={"title": "Vår", "school_year": "2026",
                                                    "window_start": "2027-03-20", "window_end": "2027-03-10"})
    assert refused.status_code == 400 and "Siste dag må være etter første dag." in refused.get_data(as_text=True)
    assert 'value="Vår"' in refused.get_data(as_text=True)
    assert client.post("/nettverk/runder", data={"title": "Vår", "school_year": "2026", "window_start": "2027-03-08",
                                                 "window_end": "2027-03-19"}).status_code == 303
    assert login(group.leader_a).get("/nettverk/runder").status_code == 403


# --- the rules behind the pages (tests/MUTANTS.md) ---------------------------------------------

def said(response, message: str) -> bool:
    """Tell whether the page says ``message`` word for word, as a message or an error of its own."""
    return f">{message}</" in response.get_data(as_text=True)


def statuses():
    return [(p.network_id, p.status) for p in db.session.scalars(sa.select(DateProposal).order_by(DateProposal.id))]


WINDOW_MESSAGE = "Velg en dag i vinduet for runden (05.10.2026–16.10.2026)."


@pytest.mark.parametrize("day, start, end, taken", [
    ("2026-10-04", "23:30", "23:45", False), ("2026-10-05", "00:30", "02:00", True),
    ("2026-10-16", "23:00", "23:45", True), ("2026-10-17", "00:30", "02:00", False),
], ids=["the-evening-before", "the-first-night", "the-last-evening", "the-night-after"])
def test_the_window_runs_from_its_first_to_its_last_day_in_oslo_time(group, login, day, start, end, taken):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    response = login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id, day=day, start=start,
                                                                               end=end))
    assert response.status_code == (303 if taken else 400)
    assert said(response, WINDOW_MESSAGE) is not taken
    assert len(statuses()) == int(taken)


@pytest.mark.parametrize("host, message", [("outside", "Vertsskolen må være en av nettverkets skoler."),
                                           ("none", "Velg vertsskolen.")], ids=["outside-host", "no-host"])
def test_a_proposal_names_one_of_the_groups_schools_as_host(group, login, make_school, host, message):
    host_id = make_school("Hosle skole").id if host == "outside" else 0
    response = login(group.leader_a).post(f"/nettverk/{group.network.id}/runder/{group.round.id}/forslag",
                                          data=proposal_form(host_id))
    assert response.status_code == 400 and said(response, message)
    assert statuses() == []


def propose(group, leader, host, *, network=None, round_=None, **kw):
    times = {"starts_at": datetime(2026, 10, 7, 12, tzinfo=timezone.utc),
             "ends_at": datetime(2026, 10, 7, 14, tzinfo=timezone.utc), **kw}
    return ops.propose_date(round_ or group.round, (network or group.network).id, host_school_id=host.id,
                            location=times.pop("location", "Biblioteket"), actor=leader, now=times.pop("now", NOW),
                            **times)


def test_a_proposal_ends_after_it_starts(group):
    # The page's form refuses an end before the start first; a direct call meets the operation's own refusal.
    start = datetime(2026, 10, 7, 12, tzinfo=timezone.utc)
    with pytest.raises(ops.NetworkError) as refused:
        propose(group, group.leader_a, group.a, starts_at=start, ends_at=start)
    assert str(refused.value) == "Sluttid må være etter starttid."
    assert statuses() == []


@pytest.mark.parametrize("which", ["next-year", "municipality-network"])
def test_a_round_takes_only_its_own_school_years_groups(group, which):
    other = ops.create_network(ops.NetworkData(
        name="Annen gruppe", kind=NetworkKind.GROUP if which == "next-year" else NetworkKind.MUNICIPALITY,
        school_year=2027 if which == "next-year" else 2026, school_ids=[group.a.id, group.b.id]), actor=None, now=NOW)
    with pytest.raises(ops.NetworkError) as refused:
        propose(group, group.leader_a, group.a, network=other)
    assert str(refused.value) == "Gruppen hører ikke til denne runden."
    assert statuses() == []


@pytest.mark.parametrize("which", ["next-year", "municipality-network"])
def test_a_round_has_no_page_for_a_network_that_is_not_one_of_its_groups(group, login, which):
    other = ops.create_network(ops.NetworkData(
        name="Annen gruppe", kind=NetworkKind.GROUP if which == "next-year" else NetworkKind.MUNICIPALITY,
        school_year=2027 if which == "next-year" else 2026, include_leaders=True,
        school_ids=[group.a.id, group.b.id]), actor=None, now=NOW)
    db.session.commit()
    client = login(group.leader_a)
    assert client.get(f"/nettverk/{other.id}/runder/{group.round.id}").status_code == 404
    assert client.get(f"/nettverk/{group.network.id}/runder/{group.round.id}").status_code == 200


def test_an_agreed_group_proposes_no_more_in_that_round_but_does_in_the_next(group):
    agreed = propose(group, group.leader_a, group.a)
    ops.confirm_proposal(agreed.id, actor=group.leader_b, now=NOW)
    with pytest.raises(ops.NetworkError) as refused:
        propose(group, group.leader_b, group.b)
    assert str(refused.value) == "Gruppen har allerede avtalt samlingen i denne runden."
    assert statuses() == [(group.network.id, ProposalStatus.AGREED)]
    spring = ops.create_round(school_year=2026, title="Vår", window_start=date(2027, 3, 8),
                              window_end=date(2027, 3, 19), actor=group.admin, now=NOW)
    propose(group, group.leader_b, group.b, round_=spring, starts_at=datetime(2027, 3, 9, 12, tzinfo=timezone.utc),
            ends_at=datetime(2027, 3, 9, 14, tzinfo=timezone.utc))
    assert [p.status for p in ops.proposals(spring, group.network)] == [ProposalStatus.OPEN]


def test_a_counter_proposal_replaces_only_its_own_groups_open_proposal_in_that_round(group, make_school, make_user):
    c, d = make_school("Bekkestua skole"), make_school("Dønski skole")
    leader_c = make_user("Cato Leder", roles=(Role.LEADER,), school=c)
    other = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 2", kind=NetworkKind.GROUP, school_year=2026,
                                               school_ids=[c.id, d.id]), actor=None, now=NOW)
    spring = ops.create_round(school_year=2026, title="Vår", window_start=date(2027, 3, 8),
                              window_end=date(2027, 3, 19), actor=group.admin, now=NOW)
    propose(group, group.leader_a, group.a)
    propose(group, leader_c, c, network=other)
    propose(group, group.leader_a, group.a, round_=spring, starts_at=datetime(2027, 3, 9, 12, tzinfo=timezone.utc),
            ends_at=datetime(2027, 3, 9, 14, tzinfo=timezone.utc))
    propose(group, group.leader_b, group.b, starts_at=datetime(2026, 10, 8, 12, tzinfo=timezone.utc),
            ends_at=datetime(2026, 10, 8, 14, tzinfo=timezone.utc))
    assert statuses() == [(group.network.id, ProposalStatus.SUPERSEDED), (other.id, ProposalStatus.OPEN),
                          (group.network.id, ProposalStatus.OPEN), (group.network.id, ProposalStatus.OPEN)]


def test_every_school_confirms_once_and_the_last_ones_confirmation_makes_the_gathering(group, make_school, make_user):
    c = make_school("Bekkestua skole")
    leader_c = make_user("Cato Leder", roles=(Role.LEADER,), school=c)
    second_a = make_user("Anne Leder", roles=(Role.LEADER,), school=group.a)
    group.network.member_rows.append(NetworkSchool(school_id=c.id))
    db.session.flush()
    proposal = propose(group, group.leader_b, group.b, location="  Biblioteket på Skogheim  ")
    assert ops.confirm_proposal(proposal.id, actor=group.leader_b, now=NOW).status == ProposalStatus.OPEN
    assert ops.confirm_proposal(proposal.id, actor=group.leader_a, now=NOW).status == ProposalStatus.OPEN
    assert ops.confirm_proposal(proposal.id, actor=second_a, now=NOW).status == ProposalStatus.OPEN
    assert sorted(c.school_id for c in proposal.confirmations) == sorted([group.a.id, group.b.id])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Gathering)) == 0
    later = NOW + timedelta(hours=1)
    assert ops.confirm_proposal(proposal.id, actor=leader_c, now=later).status == ProposalStatus.AGREED
    (gathering,) = db.session.scalars(sa.select(Gathering))
    assert (gathering.created_at, gathering.session.updated_at) == (later, later)  # what the feeds date it by
    assert (gathering.network_id, gathering.host_school_id, gathering.session.location) == (
        group.network.id, group.b.id, "Biblioteket på Skogheim")
    assert (gathering.session.starts_at, gathering.session.ends_at) == (
        datetime(2026, 10, 7, 12, tzinfo=timezone.utc), datetime(2026, 10, 7, 14, tzinfo=timezone.utc))
    assert ops.agreed_proposal(group.round.id, group.network.id).gathering_id == gathering.id


def test_a_proposal_that_is_gone_or_no_longer_open_is_not_confirmed(group, login):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    gone = login(group.leader_b).post(url + "/forslag/9999/bekreft", follow_redirects=True)
    assert said(gone, "Forslaget finnes ikke lenger. Last siden på nytt.")
    first = propose(group, group.leader_a, group.a)
    propose(group, group.leader_a, group.a, starts_at=datetime(2026, 10, 8, 12, tzinfo=timezone.utc),
            ends_at=datetime(2026, 10, 8, 14, tzinfo=timezone.utc))
    db.session.commit()
    late = login(group.leader_b).post(url + f"/forslag/{first.id}/bekreft", follow_redirects=True)
    assert said(late, "Forslaget er ikke lenger åpent. Se gruppens avtalte tid eller nyeste forslag.")
    assert statuses() == [(group.network.id, ProposalStatus.SUPERSEDED), (group.network.id, ProposalStatus.OPEN)]


def test_only_leaders_of_the_groups_schools_confirm(group, login):
    proposal = propose(group, group.leader_a, group.a)
    db.session.commit()
    refused = login(group.teacher_b).post(f"/nettverk/{group.network.id}/runder/{group.round.id}/forslag/"
                                          f"{proposal.id}/bekreft")
    assert refused.status_code == 403 and said(refused, "Bare ledere ved gruppens skoler avtaler samlingen.")
    assert statuses() == [(group.network.id, ProposalStatus.OPEN)]


@pytest.mark.parametrize("start, end, title, message", [
    (date(2027, 3, 10), date(2027, 3, 9), "Vår", "Vinduet må slutte etter at det begynner."),
    (date(2027, 1, 1), date(2027, 5, 2), "Vår", "Vinduet kan være høyst 120 dager."),
    (date(2027, 3, 8), date(2027, 3, 19), " \t", "Gi runden et navn."),
    (date(2026, 7, 31), date(2026, 8, 10), "Høst", OUTSIDE_2026),
    (date(2027, 7, 22), date(2027, 8, 1), "Sommer", OUTSIDE_2026),
    (date(2027, 10, 4), date(2027, 10, 15), "Høst", OUTSIDE_2026),
], ids=["reversed", "121-days", "no-title", "begins-before-the-year", "ends-after-the-year", "next-years-autumn"])
def test_a_round_is_refused_a_reversed_or_too_long_window_or_no_title(group, start, end, title, message):
    # The page's form refuses a reversed window and a blank title first; a direct call meets these refusals.
    with pytest.raises(ops.NetworkError) as refused:
        ops.create_round(school_year=2026, title=title, window_start=start, window_end=end, actor=group.admin,
                         now=NOW)
    assert str(refused.value) == message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatheringRound)) == 1


@pytest.mark.parametrize("start, end", [(date(2027, 3, 10), date(2027, 3, 10)), (date(2027, 1, 1), date(2027, 5, 1)),
                                        (date(2026, 8, 1), date(2026, 8, 12)), (date(2027, 7, 20), date(2027, 7, 31))],
                         ids=["one-day", "120-days", "the-years-first-day", "the-years-last-day"])
def test_a_round_of_one_day_or_of_120_days_is_made_with_its_title_trimmed(group, start, end):
    made = ops.create_round(school_year=2026, title="  Vår  ", window_start=start, window_end=end, actor=group.admin,
                            now=NOW)
    assert (made.title, made.window_start, made.window_end) == ("Vår", start, end)


def test_only_admins_make_a_round(group):
    with pytest.raises(ops.PermissionDenied) as refused:
        ops.create_round(school_year=2026, title="Vår", window_start=date(2027, 3, 8), window_end=date(2027, 3, 19),
                         actor=group.leader_a, now=NOW)
    assert str(refused.value) == "Bare programadministratorer setter vinduet for en samlingsrunde."


def test_a_proposal_superseded_between_the_look_and_the_lock_is_not_confirmed(group, app, monkeypatch):
    from tests.interleave import before_first_call, commit_elsewhere, reading_request

    first = propose(group, group.leader_a, group.a)
    ids = SimpleNamespace(first=first.id, round=group.round.id, network=group.network.id, a=group.a.id,
                          leader_a=group.leader_a.id, leader_b=group.leader_b.id)
    db.session.commit()

    def counter_proposal():
        ops.propose_date(db.session.get(GatheringRound, ids.round), ids.network, host_school_id=ids.a,
                         starts_at=datetime(2026, 10, 8, 12, tzinfo=timezone.utc),
                         ends_at=datetime(2026, 10, 8, 14, tzinfo=timezone.utc), location="Biblioteket",
                         actor=db.session.get(User, ids.leader_a), now=NOW)
    with reading_request(app):
        assert db.session.get(DateProposal, ids.first).status == ProposalStatus.OPEN  # the request has read it
        leader_b = db.session.get(User, ids.leader_b)
        ran = before_first_call(monkeypatch, ops, "lock_network", lambda: commit_elsewhere(app, counter_proposal))
        with pytest.raises(ops.NetworkError) as refused:
            ops.confirm_proposal(ids.first, actor=leader_b, now=NOW)
        assert ran
        db.session.rollback()
    assert str(refused.value) == "Forslaget er ikke lenger åpent. Se gruppens avtalte tid eller nyeste forslag."
    assert statuses() == [(group.network.id, ProposalStatus.SUPERSEDED), (group.network.id, ProposalStatus.OPEN)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Gathering)) == 0


def test_a_group_moved_to_another_year_between_the_look_and_the_lock_gets_no_proposal(group, app, monkeypatch):
    """The network is read again under its lock: a change of its year committed by another request after this
    one had read the network (a page's first look) is what the rule sees."""
    from catalog.networks.models import Network
    from tests.interleave import before_first_call, commit_elsewhere, reading_request

    ids = SimpleNamespace(round=group.round.id, network=group.network.id, a=group.a.id, leader_a=group.leader_a.id)
    db.session.commit()

    def moved_to_next_year():
        db.session.get(Network, ids.network).school_year = 2027
    with reading_request(app):
        assert db.session.get(Network, ids.network).school_year == 2026  # the request has read it
        ran = before_first_call(monkeypatch, ops, "lock_network", lambda: commit_elsewhere(app, moved_to_next_year))
        with pytest.raises(ops.NetworkError) as refused:
            ops.propose_date(db.session.get(GatheringRound, ids.round), ids.network, host_school_id=ids.a,
                             starts_at=datetime(2026, 10, 8, 12, tzinfo=timezone.utc),
                             ends_at=datetime(2026, 10, 8, 14, tzinfo=timezone.utc), location="Biblioteket",
                             actor=db.session.get(User, ids.leader_a), now=NOW)
        assert ran
        db.session.rollback()
    assert str(refused.value) == "Gruppen hører ikke til denne runden."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DateProposal)) == 0


def test_a_rounds_groups_are_its_years_published_groups_by_name_and_each_agrees_for_itself(group, make_school,
                                                                                          make_user):
    c, d = make_school("Bekkestua skole"), make_school("Dønski skole")
    leader_c = make_user("Cato Leder", roles=(Role.LEADER,), school=c)
    zero = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 0", kind=NetworkKind.GROUP, school_year=2026,
                                              school_ids=[c.id, d.id]), actor=None, now=NOW)
    for name, kind, year, published in [("Neste år", NetworkKind.GROUP, 2027, True),
                                        ("Utkast", NetworkKind.GROUP, 2026, False),
                                        ("Kommunalt nettverk", NetworkKind.MUNICIPALITY, 2026, True)]:
        ops.create_network(ops.NetworkData(name=name, kind=kind, school_year=year, school_ids=[c.id]), actor=None,
                           now=NOW, published=published)
    assert [n.name for n in ops.round_groups(group.round)] == ["Samarbeidsgruppe 0", "Samarbeidsgruppe 1"]
    agreed = propose(group, leader_c, c, network=zero)
    ops.confirm_proposal(agreed.id, actor=make_user(roles=(Role.LEADER,), school=d), now=NOW)
    assert ops.unscheduled_groups(group.round) == [group.network]
    propose(group, group.leader_a, group.a)  # another group's agreement leaves this group free to propose
    spring = ops.create_round(school_year=2026, title="Vår", window_start=date(2027, 3, 8),
                              window_end=date(2027, 3, 19), actor=group.admin, now=NOW)
    assert ops.unscheduled_groups(spring) == [zero, group.network]



def test_a_group_of_one_school_agrees_when_its_leader_proposes(group):
    alone = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 9", kind=NetworkKind.GROUP, school_year=2026,
                                               school_ids=[group.a.id]), actor=None, now=NOW)
    later = NOW + timedelta(hours=1)
    assert propose(group, group.leader_a, group.a, network=alone, now=later).status == ProposalStatus.AGREED
    (gathering,) = db.session.scalars(sa.select(Gathering))
    assert (gathering.network_id, gathering.created_at, gathering.session.updated_at) == (alone.id, later, later)


# --- a cancelled agreement ----------------------------------------------------------------------

def agree_on_the_pages(group, login, day="2026-10-07"):
    """Leader A proposes ``day``, leader B confirms it; return the round page's address and the gathering."""
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    assert login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id, day=day)).status_code == 303
    proposal = db.session.scalars(sa.select(DateProposal).order_by(DateProposal.id.desc())).first()
    assert login(group.leader_b).post(url + f"/forslag/{proposal.id}/bekreft").status_code == 303
    db.session.refresh(proposal)
    return url, proposal.gathering


def test_when_the_agreed_gathering_is_cancelled_the_group_agrees_on_a_new_date(group, login):
    url, held = agree_on_the_pages(group, login)
    assert "1 av 1 grupper har avtalt samlingen." in login(group.admin).get("/nettverk/runder").get_data(as_text=True)
    assert login(group.admin).post(f"/nettverk/{group.network.id}/samlinger/{held.id}/avlys").status_code == 303
    overview = login(group.admin).get("/nettverk/runder").get_data(as_text=True)
    assert "0 av 1 grupper har avtalt samlingen." in overview and "Ikke avtalt ennå:" in overview
    page = login(group.leader_a).get(url).get_data(as_text=True)
    assert "Avtalt:" not in page and "Foreslå en annen tid" in page
    assert '<span class="ds-tag" data-color="warning">Avlyst</span>' in page  # the old agreement, kept
    again = login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id, day="2026-10-14"))
    assert again.status_code == 303
    new = db.session.scalars(sa.select(DateProposal).order_by(DateProposal.id.desc())).first()
    assert login(group.leader_b).post(url + f"/forslag/{new.id}/bekreft").status_code == 303
    assert statuses() == [(group.network.id, ProposalStatus.CANCELLED), (group.network.id, ProposalStatus.AGREED)]
    assert "Avtalt: onsdag 14. oktober 2026 kl. 14:00, vert Eikeli skole." in login(group.leader_b).get(url).get_data(
        as_text=True)
    assert "1 av 1 grupper har avtalt samlingen." in login(group.admin).get("/nettverk/runder").get_data(as_text=True)
    assert [(e.summary, e.cancelled) for e in feed_events("person", group.teacher_b.id, NOW)] == [
        ("Samarbeidsgruppe 1", True), ("Samarbeidsgruppe 1", False)]


def test_the_leaders_are_reminded_again_once_the_agreed_gathering_is_cancelled(group, login):
    _url, held = agree_on_the_pages(group, login)
    client = login(group.admin)
    client.post(f"/nettverk/runder/{group.round.id}/paminn")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == ROUND_REMINDER)) == 0
    client.post(f"/nettverk/{group.network.id}/samlinger/{held.id}/avlys")
    client.post(f"/nettverk/runder/{group.round.id}/paminn")
    reminders = [render(m) for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == group.leader_b.email).order_by(OutboxMessage.id))]
    assert [m.subject for m in reminders][-1] == "Påminnelse: avtal samlingen i Samlingsrunde høst"


def test_cancelling_another_gathering_of_the_group_leaves_its_agreement(group, login):
    url, held = agree_on_the_pages(group, login)
    extra = ops.add_gathering(group.network, starts_at=datetime(2026, 11, 4, 12, tzinfo=timezone.utc),
                              ends_at=datetime(2026, 11, 4, 14, tzinfo=timezone.utc), location="Rådhuset",
                              host_school_id=group.b.id, actor=group.admin, now=NOW)
    db.session.commit()
    assert login(group.admin).post(f"/nettverk/{group.network.id}/samlinger/{extra.id}/avlys").status_code == 303
    assert "1 av 1 grupper har avtalt samlingen." in login(group.admin).get("/nettverk/runder").get_data(as_text=True)
    assert "Avtalt: onsdag 7. oktober 2026 kl. 14:00, vert Eikeli skole." in login(group.leader_a).get(url).get_data(
        as_text=True)
    with nothing_changes():
        refused = login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id, day="2026-10-14"))
    assert refused.status_code == 400 and said(refused, "Gruppen har allerede avtalt samlingen i denne runden.")


# --- a time that has passed ---------------------------------------------------------------------

#: Saturday 10 October 2026 at 10:00 in Oslo, inside the window 5-16 October.
SATURDAY_10 = datetime(2026, 10, 10, 8, tzinfo=timezone.utc)
IN_THE_PAST = "Velg et tidspunkt fram i tid."
PASSED = "Tiden i forslaget er passert. Foreslå en ny tid."


@pytest.mark.parametrize("day, start, accepted", [
    ("2026-10-07", "14:00", False), ("2026-10-09", "14:00", False), ("2026-10-10", "09:00", False),
    ("2026-10-10", "10:00", False), ("2026-10-10", "10:01", True), ("2026-10-11", "09:00", True)],
    ids=["days-ago", "the-day-before", "earlier-that-day", "this-minute", "later-that-day", "the-day-after"])
def test_a_proposal_for_a_time_that_has_passed_is_refused_on_the_page(group, login, day, start, accepted):
    set_clock(SATURDAY_10)
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    client = login(group.leader_a)
    form = proposal_form(group.a.id, day=day, start=start, end="16:00")
    if accepted:
        assert client.post(url + "/forslag", data=form).status_code == 303
        assert statuses() == [(group.network.id, ProposalStatus.OPEN)]
        return
    with nothing_changes():
        refused = client.post(url + "/forslag", data=form)
    assert refused.status_code == 400 and said(refused, IN_THE_PAST)
    assert f'value="{day}"' in refused.get_data(as_text=True)


@pytest.mark.parametrize("minutes_before_start, agreed", [(1, True), (0, False), (-60 * 24, False)],
                         ids=["a-minute-before", "at-the-start", "the-day-after"])
def test_a_proposal_whose_time_has_come_is_not_agreed_into_a_gathering_in_the_past(group, login, minutes_before_start,
                                                                                   agreed):
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    assert login(group.leader_a).post(url + "/forslag", data=proposal_form(group.a.id)).status_code == 303
    (proposal,) = db.session.scalars(sa.select(DateProposal))
    set_clock(proposal.starts_at - timedelta(minutes=minutes_before_start))  # it starts 7 October at 14:00
    client = login(group.leader_b)
    page = client.get(url).get_data(as_text=True)
    assert ("Bekreft dette forslaget" in page) == agreed
    if agreed:
        assert client.post(url + f"/forslag/{proposal.id}/bekreft").status_code == 303
        assert statuses() == [(group.network.id, ProposalStatus.AGREED)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.recipient == group.teacher_b.email)) == 1  # the invitation
        return
    with nothing_changes():
        refused = client.post(url + f"/forslag/{proposal.id}/bekreft", follow_redirects=True)
    assert said(refused, PASSED) and "Avtalt:" not in refused.get_data(as_text=True)
    assert "Foreslå en annen tid" in refused.get_data(as_text=True)


def test_a_proposal_whose_time_has_passed_is_confirmed_by_no_school_and_says_so_in_nynorsk(group, login, make_school,
                                                                                           make_user):
    c = make_school("Bekkestua skole")
    leader_c = make_user("Cato Leder", roles=(Role.LEADER,), school=c)
    group.network.member_rows.append(NetworkSchool(school_id=c.id))
    db.session.commit()
    proposal = propose(group, group.leader_a, group.a)
    db.session.commit()
    set_clock(proposal.starts_at + timedelta(hours=1))
    with nothing_changes(), pytest.raises(ops.NetworkError) as not_last:  # B's would not be the last confirmation
        ops.confirm_proposal(proposal.id, actor=group.leader_b, now=proposal.starts_at + timedelta(hours=1))
    assert str(not_last.value) == PASSED
    client = login(leader_c)
    client.post("/sprak", data={"lang": "nn"})
    url = f"/nettverk/{group.network.id}/runder/{group.round.id}"
    with nothing_changes():
        refused = client.post(url + f"/forslag/{proposal.id}/bekreft", follow_redirects=True)
    assert said(refused, "Tida i forslaget er passert. Føreslå ei ny tid.")


# --- the migration that frees the groups stuck before (9d4b6e1f3a72) ----------------------------------------

def test_the_migration_frees_a_group_whose_agreed_gathering_was_called_off_before_and_no_other(group, make_school,
                                                                                              make_user):
    from flask_migrate import downgrade, upgrade
    other_school = make_school("Dalen skole")
    other = ops.create_network(ops.NetworkData(
        name="Samarbeidsgruppe 2", kind=NetworkKind.GROUP, school_year=2026, include_leaders=True,
        school_ids=[group.a.id, other_school.id]), actor=None, now=NOW)
    made = []
    for network, confirming in ((group.network, group.leader_b),
                                (other, make_user("Dag Leder", roles=(Role.LEADER,), school=other_school))):
        proposal = ops.propose_date(group.round, network.id, starts_at=datetime(2026, 10, 7, 12, tzinfo=timezone.utc),
                                    ends_at=datetime(2026, 10, 7, 14, tzinfo=timezone.utc), host_school_id=group.a.id,
                                    location="Biblioteket", actor=group.leader_a, now=NOW)
        made.append(ops.confirm_proposal(proposal.id, actor=confirming, now=NOW).id)
    # Called off as the code before did it: the session only, its proposal left agreed.
    first_gathering = db.session.scalar(sa.select(DateProposal.gathering_id).where(DateProposal.id == made[0]))
    db.session.execute(sa.update(Session).where(Session.id == sa.select(Gathering.session_id).where(
        Gathering.id == first_gathering).scalar_subquery()).values(status=SessionStatus.CANCELLED))
    round_id, network_id = group.round.id, group.network.id
    db.session.commit()
    db.session.remove()

    def statuses():
        found = [db.session.scalar(sa.text("SELECT status FROM date_proposal WHERE id = :id"), {"id": i})
                 for i in made]
        db.session.remove()  # the migration's connection needs the database (SQLite's one write lock)
        return found
    downgrade(revision="5a8e2c7d9b41")
    assert statuses() == ["agreed", "agreed"]
    upgrade()
    assert statuses() == ["cancelled", "agreed"]
    unscheduled = [n.id for n in ops.unscheduled_groups(db.session.get(GatheringRound, round_id))]
    db.session.remove()
    assert unscheduled == [network_id]
    downgrade(revision="5a8e2c7d9b41")
    assert statuses() == ["superseded", "agreed"]
    upgrade()
