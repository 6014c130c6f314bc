"""Group leaders agreeing on a gathering at the same moment, on a real gunicorn server.

In every group one leader has proposed a time; the other two schools'
leaders confirm it at once. Under the group's row lock each confirmation
sees the other's, so every group ends with exactly one agreed proposal and
one gathering, never none and never two. In other groups two leaders
propose different times at once: one proposal stays open, the other is
replaced, and nothing is agreed behind anyone's back.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from functools import partial

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import DateProposal, Gathering, NetworkKind, ProposalStatus
from lms.db import db
from lms.i18n import OSLO
from lms.people.models import Role
from lms.schoolyear import school_year_bounds, school_year_of
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import hand_over_to_server, server_errors
from tests.conftest import PASSWORD

pytestmark = pytest.mark.server

GROUPS = 8


@pytest.fixture
def a_round(admin):
    # Two weeks, starting two weeks from the server's real day, all in one school year (a round's window must be).
    start = datetime.now(OSLO).date() + timedelta(days=14)
    last = school_year_bounds(school_year_of(start))[1]
    if start + timedelta(days=13) > last:
        start = last + timedelta(days=1)
    return ops.create_round(school_year=school_year_of(start), title="Samlingsrunde", actor=admin,
                            window_start=start, window_end=start + timedelta(days=13),
                            now=datetime.now(timezone.utc))


def make_group(make_school, make_user, round_, number: int, size: int):
    schools = [make_school(f"Skole {number}-{i}") for i in range(size)]
    leaders = [make_user(f"Leder {number}-{i}", roles=(Role.LEADER,), school=s) for i, s in enumerate(schools)]
    network = ops.create_network(ops.NetworkData(
        name=f"Samarbeidsgruppe {number}", kind=NetworkKind.GROUP, school_year=round_.school_year,
        include_leaders=True, school_ids=[s.id for s in schools]), actor=None, now=datetime.now(timezone.utc))
    network.published_at = datetime.now(timezone.utc)
    db.session.flush()
    return network, schools, leaders


def plain(groups):
    """Return (network id, school ids, leader e-mails) of each group, usable after the session is closed."""
    return [(n.id, [s.id for s in schools], [u.email for u in leaders]) for n, schools, leaders in groups]


def day_in(round_, offset: int) -> date:
    return round_.window_start + timedelta(days=offset)


def confirm(server_url, email, path, barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    page = browser.get(path)
    (action,) = re.findall(r'action="([^"]*/bekreft)"', page.text)
    barrier.wait()
    response = browser.post(action)
    return browser.statuses[-len(response.history) - 1:], Browser.flashes(response)


def propose(server_url, email, path, host_id, day, barrier):
    browser = Browser(server_url)
    browser.login(email, PASSWORD)
    browser.get(path)
    barrier.wait()
    response = browser.post(path + "/forslag", {"day": day.isoformat(), "start": "14:00", "end": "16:00",
                                                "host_school_id": str(host_id), "location": "Biblioteket"})
    return browser.statuses[-len(response.history) - 1:], Browser.flashes(response)


def test_two_leaders_confirming_at_once_end_in_one_agreed_date(live_server, a_round, make_school, make_user):
    groups = [make_group(make_school, make_user, a_round, n, 3) for n in range(GROUPS)]
    for network, schools, leaders in groups:
        start = datetime.combine(day_in(a_round, 2), time(14), tzinfo=OSLO)
        ops.propose_date(a_round, network.id, starts_at=start, ends_at=start + timedelta(hours=2),
                         host_school_id=schools[0].id, location="Biblioteket", actor=leaders[0],
                         now=datetime.now(timezone.utc))
    rows, round_id = plain(groups), a_round.id
    hand_over_to_server()
    tasks = [partial(confirm, live_server.url, email, f"/nettverk/{network_id}/runder/{round_id}")
             for network_id, _schools, emails in rows for email in emails[1:]]

    results = run_together(tasks)

    assert server_errors(results) == [], live_server.log()
    flashes = [f for _statuses, fl in results for f in fl]
    assert flashes.count("Samlingen er avtalt.") == GROUPS
    assert flashes.count("Du har bekreftet forslaget.") == GROUPS
    db.session.expire_all()
    for network_id, _schools, _emails in rows:
        agreed = db.session.scalars(sa.select(DateProposal).where(
            DateProposal.network_id == network_id, DateProposal.status == ProposalStatus.AGREED)).all()
        assert len(agreed) == 1 and len(agreed[0].confirmations) == 3
        gatherings = db.session.scalars(sa.select(Gathering).where(Gathering.network_id == network_id)).all()
        assert [g.id for g in gatherings] == [agreed[0].gathering_id]


def test_two_leaders_proposing_at_once_leave_one_open_proposal(live_server, a_round, make_school, make_user):
    groups = [make_group(make_school, make_user, a_round, 100 + n, 2) for n in range(GROUPS)]
    rows, round_id, days = plain(groups), a_round.id, [day_in(a_round, 1), day_in(a_round, 2)]
    hand_over_to_server()
    tasks = [partial(propose, live_server.url, email, f"/nettverk/{network_id}/runder/{round_id}", school_ids[i],
                     days[i])
             for network_id, school_ids, emails in rows for i, email in enumerate(emails)]

    results = run_together(tasks)

    assert server_errors(results) == [], live_server.log()
    db.session.expire_all()
    for network_id, _schools, _emails in rows:
        statuses = sorted(p.status.value for p in db.session.scalars(
            sa.select(DateProposal).where(DateProposal.network_id == network_id)))
        assert statuses == ["open", "superseded"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Gathering)
                                 .where(Gathering.network_id == network_id)) == 0
