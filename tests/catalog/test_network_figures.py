"""A round's proposals and reminders, the networks' figures for the development plans, and publishing groups.

What a group's leaders see of their proposals in a round (theirs, in the order they were made), whom the
admin's reminder reaches (each active leader of each group with no agreed date, once a day in Oslo time), what
the plans' evidence counts per school and network, and whom publishing the composed groups tells (tests/MUTANTS.md).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from catalog.networks import mails, operations as ops
from catalog.networks.composition import LastYear
from catalog.networks.models import DateProposal, NetworkKind
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.people.models import Membership, Role, User
from tests.catalog.test_network_rounds import group as group  # the fixture, for this module's tests
from tests.catalog.test_network_rounds import propose, said
from tests.conftest import NOW, vacuum


def outbox(kind: str) -> list[tuple[str, int, datetime]]:
    """Return who was sent a mail of ``kind``, about which network, queued when, in the order queued."""
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
    return [(m.recipient, m.params["network_id"], m.created_at) for m in rows]




def oct_(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=timezone.utc)


# --- a round's proposals -------------------------------------------------------------------

def test_a_groups_round_page_lists_its_own_proposals_in_the_order_they_were_made(group, login, make_school,
                                                                                 make_user):
    """A counter-proposal is a change of the one before it: on PostgreSQL, once the table is vacuumed, the
    changed row may be written before an older one, and the page still lists them as they were made."""
    c = make_school("Bekkestua skole")
    other = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 2", kind=NetworkKind.GROUP, school_year=2026,
                                               school_ids=[c.id, group.b.id]), actor=None, now=NOW)
    spring = ops.create_round(school_year=2026, title="Vår", window_start=date(2027, 3, 8),
                              window_end=date(2027, 3, 19), actor=group.admin, now=NOW)
    made = [propose(group, group.leader_a, group.a, starts_at=oct_(day, 12), ends_at=oct_(day, 14))
            for day in (7, 8)]
    propose(group, make_user(roles=(Role.LEADER,), school=c), c, network=other)
    propose(group, group.leader_b, group.b, round_=spring, starts_at=datetime(2027, 3, 9, 12, tzinfo=timezone.utc),
            ends_at=datetime(2027, 3, 9, 14, tzinfo=timezone.utc))
    db.session.commit()
    vacuum("date_proposal")
    made += [propose(group, group.leader_b, group.b, starts_at=oct_(day, 12), ends_at=oct_(day, 14))
             for day in (9, 12)]
    db.session.commit()
    assert [p.id for p in ops.proposals(group.round, group.network)] == [p.id for p in made]
    page = login(group.leader_a).get(f"/nettverk/{group.network.id}/runder/{group.round.id}").get_data(as_text=True)
    assert re.findall(r"(\w+dag \d+\. oktober) 2026 kl\. 14:00", page) == [
        "onsdag 7. oktober", "torsdag 8. oktober", "fredag 9. oktober", "mandag 12. oktober"]
    assert [p.starts_at.date() for p in ops.proposals(spring, group.network)] == [date(2027, 3, 9)]


# --- reminding the groups with no date ----------------------------------------------------------

REMINDERS_REFUSED = "Bare programadministratorer sender påminnelser."


def test_only_admins_remind_the_groups_leaders(group, login):
    refused = login(group.leader_a).post(f"/nettverk/runder/{group.round.id}/paminn")
    assert refused.status_code == 403 and said(refused, REMINDERS_REFUSED)
    with pytest.raises(ops.PermissionDenied) as direct:
        ops.remind_unscheduled(group.round, actor=group.leader_b, now=NOW)
    assert str(direct.value) == REMINDERS_REFUSED
    assert outbox(mails.ROUND_REMINDER) == []


@pytest.fixture
def unscheduled(group, make_school, make_user):
    """The fixture's group (two leaders at Eikeli, one at Skogheim, one who has left), a group whose second school
    has no leader, and an agreed group; a leader of two of one group's schools."""
    a2 = make_user("Anne Leder", roles=(Role.LEADER,), school=group.a)
    make_user("Gunnar Gått", roles=(Role.LEADER,), school=group.b, active=False)
    c, d, e, f = (make_school(n) for n in ("Bekkestua skole", "Dønski skole", "Evje skole", "Fjell skole"))
    leader_c = make_user("Cato Leder", roles=(Role.LEADER,), school=c)
    both = make_user("Bodil Begge", roles=(Role.LEADER,), school=group.a)
    both.memberships.append(Membership(role=Role.LEADER, school=c))
    second = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 2", kind=NetworkKind.GROUP, school_year=2026,
                                                school_ids=[c.id, d.id]), actor=None, now=NOW)
    agreed = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 3", kind=NetworkKind.GROUP, school_year=2026,
                                                school_ids=[e.id, f.id]), actor=None, now=NOW)
    make_user("Fia Leder", roles=(Role.LEADER,), school=f)
    propose(group, make_user("Erik Leder", roles=(Role.LEADER,), school=e), e, network=agreed)
    ops.confirm_proposal(db.session.scalar(sa.select(DateProposal.id).where(DateProposal.network_id == agreed.id)),
                         actor=db.session.scalar(sa.select(User).where(User.name == "Fia Leder")), now=NOW)
    db.session.commit()
    return [(group.leader_a.email, group.network.id), (a2.email, group.network.id), (both.email, group.network.id),
            (group.leader_b.email, group.network.id), (leader_c.email, second.id), (both.email, second.id)]


def test_a_reminder_reaches_each_active_leader_of_each_group_with_no_date_once_a_day_in_oslo_time(group, unscheduled,
                                                                                                 login):
    evening, after_midnight, night = oct_(5, 21, 30), oct_(5, 22, 30), oct_(6, 0, 30)  # 23:30, 00:30, 02:30 Oslo
    assert ops.remind_unscheduled(group.round, actor=group.admin, now=evening) == 6
    sent = outbox(mails.ROUND_REMINDER)
    assert sorted((to, n) for to, n, _at in sent) == sorted(unscheduled)
    assert {at for _to, _n, at in sent} == {evening}
    # Half past midnight in Oslo is the next day there (not yet in UTC): everyone is reminded again, once.
    assert ops.remind_unscheduled(group.round, actor=group.admin, now=after_midnight) == 6
    assert ops.remind_unscheduled(group.round, actor=group.admin, now=night) == 0
    assert len(outbox(mails.ROUND_REMINDER)) == 12
    db.session.commit()
    response = login(group.admin).post(f"/nettverk/runder/{group.round.id}/paminn", follow_redirects=True)
    assert said(response, "Påminnelse sendt til 6 skoleledere.")  # a new day at NOW


# --- the figures of the development plans -----------------------------------------------------------

def test_a_schools_figures_add_up_over_its_networks_and_a_share_that_reached_nobody_reached_nobody(group, make_school):
    """The plans' evidence counts per school and network; the plan's figures add the school's networks up."""
    c = make_school("Bekkestua skole")
    other = ops.create_network(ops.NetworkData(name="Lesenettverket", school_ids=[group.a.id, c.id]), actor=None,
                               now=NOW)
    day = datetime(2026, 10, 7, 12, tzinfo=timezone.utc)
    gatherings = [ops.add_gathering(network, starts_at=day, ends_at=day + timedelta(hours=2), location="Biblioteket",
                                    host_school_id=None, actor=None, now=NOW) for network in (group.network, other)]
    later = day + timedelta(days=3)
    ops.record_carried_back(gatherings[0], school_id=group.a.id, shared_on=later.date(), place="Fellestid",
                            reached=0, note="", actor=group.admin, now=later)
    ops.record_carried_back(gatherings[1], school_id=group.a.id, shared_on=later.date(), place="Trinnmøte",
                            reached=14, note="", actor=group.admin, now=later)
    db.session.commit()
    start, end = datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2027, 8, 1, tzinfo=timezone.utc)
    by_network = ops.figures_by_school_and_network([group.a.id, c.id], start, end)
    assert by_network[group.a.id, group.network.id] == {"gatherings": 1, "attended": 0, "carried_back": 1,
                                                        "carried_back_reached": 0}
    assert ops.plan_figures([group.a.id, c.id], start, end) == {
        group.a.id: {"gatherings": 2, "attended": 0, "carried_back": 2, "carried_back_reached": 14},
        c.id: {"gatherings": 1, "attended": 0, "carried_back": 0, "carried_back_reached": 0}}


# --- publishing the composed groups ------------------------------------------------------------

PUBLISHING_REFUSED = "Bare programadministratorer publiserer samarbeidsgruppene."
NOTHING_TO_PUBLISH = "Det er ingen foreslåtte grupper å publisere."


@pytest.fixture
def drafts(make_school, make_user):
    """Two draft groups of 2027 and one of 2028; leaders as in :func:`unscheduled`, and a teacher."""
    a, b, c, d, e = (make_school(n) for n in ("Eikeli skole", "Skogheim skole", "Bekkestua skole", "Dønski skole",
                                              "Evje skole"))
    made = [ops.create_network(ops.NetworkData(name=f"Samarbeidsgruppe {i}", kind=NetworkKind.GROUP, school_year=2027,
                                               include_leaders=True, include_teachers=True, school_ids=ids),
                               actor=None, now=NOW, published=False)
            for i, ids in enumerate([[a.id, b.id], [c.id, d.id]], start=1)]
    next_year = ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2028,
                                                   school_ids=[a.id, e.id]), actor=None, now=NOW, published=False)
    leaders = [make_user(name, roles=(Role.LEADER,), school=s) for name, s in
               [("Line Leder", a), ("Anne Leder", a), ("Siri Leder", b), ("Cato Leder", c)]]
    make_user("Gunnar Gått", roles=(Role.LEADER,), school=b, active=False)
    make_user("Tor Lærer", school=a)
    make_user("Erik Leder", roles=(Role.LEADER,), school=e)
    both = make_user("Bodil Begge", roles=(Role.LEADER,), school=a)
    both.memberships.append(Membership(role=Role.LEADER, school=c))
    db.session.commit()
    expected = [(u.email, made[0].id) for u in [*leaders[:3], both]] + [(u.email, made[1].id) for u in [leaders[3], both]]
    return made, next_year, expected


def test_only_admins_publish_the_groups(drafts, make_user, make_school):
    with pytest.raises(ops.PermissionDenied) as refused:
        ops.publish_groups(2027, actor=make_user(roles=(Role.LEADER,), school=make_school()), now=NOW)
    assert str(refused.value) == PUBLISHING_REFUSED
    assert [n.published_at for n in drafts[0]] == [None, None] and outbox(mails.GROUP_PUBLISHED) == []


def test_publishing_tells_each_active_leader_of_each_group_once_and_leaves_nothing_to_publish_again(drafts, admin,
                                                                                                   login):
    made, next_year, expected = drafts
    later = NOW + timedelta(days=1)
    assert ops.publish_groups(2027, actor=admin, now=later) == 6
    sent = outbox(mails.GROUP_PUBLISHED)
    assert sorted((to, n) for to, n, _at in sent) == sorted(expected)
    assert {at for _to, _n, at in sent} == {later}
    assert [n.published_at for n in made] == [later, later] and next_year.published_at is None
    db.session.commit()
    with pytest.raises(ops.NetworkError) as refused:
        ops.publish_groups(2027, actor=admin, now=later + timedelta(hours=1))
    assert str(refused.value) == NOTHING_TO_PUBLISH
    assert [n.published_at for n in made] == [later, later] and len(outbox(mails.GROUP_PUBLISHED)) == 6
    again = login(admin).post("/nettverk/grupper/2027/publiser", follow_redirects=True)
    assert said(again, NOTHING_TO_PUBLISH)
    with pytest.raises(ops.NetworkError) as composed:
        ops.compose_groups(2027, LastYear.IGNORE, actor=admin, now=later)
    assert str(composed.value) == "Gruppene for dette skoleåret er allerede publisert."
    db.session.rollback()
    assert [g.network.name for g in ops.composition_of_year(2027).groups] == ["Samarbeidsgruppe 1", "Samarbeidsgruppe 2"]


def test_the_years_groups_are_listed_as_they_were_made_after_schools_moved_between_them(make_school, admin, login):
    """Moving a school changes both groups; the page still lists the groups in the order they were made."""
    schools = [make_school(f"Skole {i}") for i in range(1, 8)]
    made = [ops.create_network(ops.NetworkData(name=f"Samarbeidsgruppe {i}", kind=NetworkKind.GROUP, school_year=2027,
                                               school_ids=[s.id for s in part]), actor=None, now=NOW, published=False)
            for i, part in enumerate([schools[:3], schools[3:5], schools[5:]], start=1)]
    db.session.commit()
    ops.move_school(schools[0].id, made[1].id, school_year=2027, actor=admin, now=NOW + timedelta(hours=1))
    db.session.commit()
    page = login(admin).get("/nettverk/grupper?skoleaar=2027").get_data(as_text=True)
    assert re.findall(r'<th scope="row"><a class="ds-link" href="[^"]*">([^<]+)</a>', page) == [
        "Samarbeidsgruppe 1", "Samarbeidsgruppe 2", "Samarbeidsgruppe 3"]


def test_a_years_groups_are_listed_as_they_were_made_when_a_later_one_fills_a_composed_drafts_place(
        make_school, admin, login):
    """Composing a year again deletes its drafts; on PostgreSQL, once a vacuum (autovacuum, here by hand) frees their
    places, a group made for another year afterwards lies before that year's older group. The page still lists the
    year's groups in the order they were made."""
    schools = [make_school(f"Skole {i}") for i in range(1, 5)]
    ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    db.session.commit()
    ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 1", kind=NetworkKind.GROUP, school_year=2027,
                                       school_ids=[s.id for s in schools[:2]]), actor=None, now=NOW, published=False)
    ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    db.session.commit()
    vacuum("network")
    ops.create_network(ops.NetworkData(name="Samarbeidsgruppe 2", kind=NetworkKind.GROUP, school_year=2027,
                                       school_ids=[s.id for s in schools[2:]]), actor=None, now=NOW, published=False)
    db.session.commit()
    page = login(admin).get("/nettverk/grupper?skoleaar=2027").get_data(as_text=True)
    assert re.findall(r'<th scope="row"><a class="ds-link" href="[^"]*">([^<]+)</a>', page) == [
        "Samarbeidsgruppe 1", "Samarbeidsgruppe 2"]


def _attended(group, gathering, *, people, counts):
    """Record attendance for ``gathering`` the day after it, as the admin does on its page."""
    later = gathering.session.starts_at + timedelta(days=1)
    ops.record_attendance(gathering, user_ids={p.id for p in people}, school_counts={s.id: n for s, n in counts},
                          actor=group.admin, now=later)
    db.session.commit()


YEAR = (datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2027, 8, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("count, attended", [(12, 12), (1, 1), (None, 2)], ids=["count", "count-of-one", "no-count"])
def test_a_schools_attendance_counts_as_its_gathering_page_shows_it(group, login, make_user, count, attended):
    """The page shows a school's count when one is given, else its people ticked; the figures count the same."""
    second_a = make_user("Anne Leder", roles=(Role.LEADER,), school=group.a)
    day = datetime(2026, 10, 7, 12, tzinfo=timezone.utc)
    g = ops.add_gathering(group.network, starts_at=day, ends_at=day + timedelta(hours=2), location="Biblioteket",
                          host_school_id=group.a.id, actor=None, now=NOW)
    db.session.commit()
    _attended(group, g, people=[group.leader_a, second_a, group.leader_b],
              counts=[(group.a, count)] if count else [])
    page = login(group.admin).get(f"/nettverk/{group.network.id}/samlinger/{g.id}").get_data(as_text=True)
    (cell,) = re.findall(r'<th scope="row">Eikeli skole</th>.*?<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', page,
                         flags=re.S)
    assert cell == (f"{count} personer" if count else "Line Leder, Anne Leder")
    figures = ops.plan_figures([group.a.id, group.b.id], *YEAR)
    assert (figures[group.a.id]["attended"], figures[group.b.id]["attended"]) == (attended, 1)
    assert ops.figures_by_school_and_network([group.a.id], *YEAR)[group.a.id, group.network.id]["attended"] == attended


def test_a_count_is_per_gathering_and_school_and_leaves_the_others_counted_by_name(group, make_user):
    """A count at one gathering replaces that school's names there only; another school and gathering keep theirs."""
    day = datetime(2026, 10, 7, 12, tzinfo=timezone.utc)
    first, second = (ops.add_gathering(group.network, starts_at=start, ends_at=start + timedelta(hours=2),
                                       location="Biblioteket", host_school_id=group.a.id, actor=None, now=NOW)
                     for start in (day, day + timedelta(days=7)))
    db.session.commit()
    _attended(group, first, people=[group.leader_a, group.leader_b, group.teacher_b], counts=[(group.a, 30)])
    _attended(group, second, people=[group.leader_a], counts=[(group.b, 7)])
    figures = ops.plan_figures([group.a.id, group.b.id], *YEAR)
    assert (figures[group.a.id]["attended"], figures[group.b.id]["attended"]) == (30 + 1, 2 + 7)
    many = ops.plan_figures([group.a.id, group.b.id] + list(range(10_000, 10_300)), *YEAR)  # the statement for many
    assert (many[group.a.id]["attended"], many[group.b.id]["attended"]) == (31, 9)
