"""A gathering moved, called off and declined at the same moment, on a real gunicorn server.

For each of several gatherings one admin moves it, another calls it off
and a participant says they cannot come, all at once. Every change happens
under the network's lock, so whatever the order each raises the session's
one SEQUENCE by exactly one, a move that comes after the cancellation is
refused, and every person's mails carry rising SEQUENCEs that end at the one
their feed shows.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from functools import partial

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Absence, Gathering
from events.feeds import feed_events
from events.models import Session, SessionStatus
from lms.db import db
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.people.models import Role
from tests.concurrency.live import Browser, run_together
from tests.concurrency.test_enrollment_rush import hand_over_to_server, server_errors
from tests.conftest import PASSWORD

pytestmark = pytest.mark.server

GATHERINGS = 6
MOVE, CANCEL, DECLINE = range(3)


def change(signed_in: Browser, ids, what, moved, barrier):
    """Open the page with the button (or the form) in a tab of its own, wait for the others, then press it."""
    network_id, gathering_id, _session_id = ids
    base = f"/nettverk/{network_id}/samlinger/{gathering_id}"
    browser = signed_in.clone()
    path, data = {MOVE: (base + "/endre", moved), CANCEL: (base + "/avlys", None),
                  DECLINE: (base + "/kommer-ikke", None)}[what]
    browser.get(base + "/endre" if what == MOVE else base)
    barrier.wait()
    response = browser.post(path, data)
    return browser.statuses[-len(response.history) - 1:], Browser.flashes(response)


def mail_sequences(gathering_id: int) -> dict[int, list[int]]:
    """Return per person the SEQUENCE of each mail queued about the gathering, in the order queued."""
    sequences: dict[int, list[int]] = {}
    for message in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind.like("networks.%"))
                                      .order_by(OutboxMessage.id)):
        params = message.params or {}
        if params.get("gathering_id") == gathering_id:
            sequences.setdefault(params["user_id"], []).append(params["sequence"])
    return sequences


def test_a_move_a_cancellation_and_a_declining_at_once_each_raise_the_sequence_once(
        live_server, admin, make_school, make_user):
    other_admin = make_user("Otto Admin", roles=(Role.ADMIN,), email="otto.admin@kommune.test")
    school = make_school("Eikeli skole")
    make_user("Line Leder", roles=(Role.LEADER,), school=school, email="line@skole.test")
    supervisor = make_user("Dina Veileder", school=school, is_digital_supervisor=True, email="dina@skole.test")
    now = datetime.now(timezone.utc)
    start = datetime.combine(now.astimezone(OSLO).date() + timedelta(days=30), time(12), tzinfo=OSLO)
    gatherings = []
    for n in range(GATHERINGS):
        network = ops.create_network(ops.NetworkData(name=f"Nettverk {n}", include_leaders=True,
                                                     include_digital_supervisors=True, school_ids=[school.id]),
                                     actor=admin, now=now)
        gatherings.append(ops.add_gathering(network, starts_at=start, ends_at=start + timedelta(hours=2),
                                            location="Rådhuset", host_school_id=None, actor=admin, now=now))
    ids = [(g.network_id, g.id, g.session_id) for g in gatherings]
    emails = (admin.email, other_admin.email, supervisor.email)
    supervisor_id = supervisor.id
    hand_over_to_server()
    moved = {"day": (start.date() + timedelta(days=1)).isoformat(), "start": "13:00", "end": "15:00",
             "location": "Aulaen", "host_school_id": "0"}
    browsers = []
    for email in emails:
        browsers.append(Browser(live_server.url))
        browsers[-1].login(email, PASSWORD)
    results = run_together([partial(change, browsers[what], row, what, moved)
                            for row in ids for what in (MOVE, CANCEL, DECLINE)])

    assert server_errors(results) == [], live_server.log()
    db.session.expire_all()
    for number, (network_id, gathering_id, session_id) in enumerate(ids):
        session = db.session.get(Session, session_id)
        move_statuses, move_flashes = results[3 * number + MOVE]
        move_done = "Samlingen er endret, og deltakerne får oppdatert invitasjon." in move_flashes
        # A move after the cancellation is refused on the form, keeping what was typed.
        assert move_done or move_statuses == [400]
        assert db.session.get(Absence, (gathering_id, supervisor_id)) is not None
        assert session.status == SessionStatus.CANCELLED
        assert session.sequence == 1 + move_done + 1
        # Invitation, then the move (if it came first), then the cancellation: each above the one before.
        for sequences in mail_sequences(gathering_id).values():
            assert sequences == sorted(set(sequences)) and sequences[0] == 0 and len(sequences) == 2 + move_done
        (event,) = [e for e in feed_events("person", supervisor_id, datetime.now(timezone.utc))
                    if e.uid.startswith(f"kp-gathering-{session_id}-")]
        assert event.cancelled and event.sequence == session.sequence
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Gathering)
                                 .where(Gathering.network_id == network_id)) == 1
