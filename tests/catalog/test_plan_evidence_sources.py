"""The networks' and parent events' evidence for the development plan, through the plan's own hook."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import g

from catalog.networks import operations as network_ops
from catalog.parents import operations as parent_ops
from catalog.parents.models import AttendanceMode
from lms.db import db, set_clock
from lms.plugins import EvidenceQuery, plan_evidence
from tests.catalog import test_networks, test_parents
from tests.catalog.test_networks import GATHERING_START, add_gathering
from tests.catalog.test_parents import signup

#: The networks' and the parent events' own fixtures, used here as they are there.
world = test_networks.world
make_event = test_parents.make_event

YEAR = (datetime(2026, 8, 1, tzinfo=timezone.utc), datetime(2027, 8, 1, tzinfo=timezone.utc))


def figures(app, school_ids, now, **links):
    query = EvidenceQuery(school_ids=frozenset(school_ids), starts_at=YEAR[0], ends_at=YEAR[1],
                          links={kind: frozenset(ids) for kind, ids in links.items()}, now=now)
    with app.test_request_context("/"):
        return {(f.school_id, f.key, f.link): f for f in plan_evidence(app, query)
                if f.key.startswith(("network_", "parent", "event_parents"))}


def statements(app, school_ids, now, **links) -> int:
    # Counted as a fresh request would count them: the settings (the new-hire months) read once in each.
    g.pop("kp_settings", None)
    seen = []
    listen = lambda *args: seen.append(args)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        figures(app, school_ids, now, **links)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return len(seen)


def test_a_network_gathering_counts_for_each_member_school_and_under_the_measure_that_links_it(app, world):
    gathering = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=2)
    set_clock(later)
    network_ops.record_attendance(gathering, user_ids={world.leader.id}, school_counts={world.furulund.id: 12},
                                  actor=world.admin, now=later)
    network_ops.record_carried_back(gathering, school_id=world.eikeli.id, shared_on=later.date(), place="Fellestid",
                                    reached=25, note="", actor=world.leader, now=later)
    db.session.commit()
    schools = [world.eikeli.id, world.furulund.id, world.outside.id]
    seen = figures(app, schools, later, network=[world.network.id])
    link = ("network", world.network.id)
    assert seen[world.eikeli.id, "network_attended", link].value == 1
    assert seen[world.eikeli.id, "network_carried_back_reached", link].value == 25
    assert seen[world.furulund.id, "network_attended", None].value == 12
    assert seen[world.furulund.id, "network_carried_back", None].value == 0
    assert seen[world.eikeli.id, "network_attended", link].url.endswith(f"/nettverk/{world.network.id}")
    assert not any(school == world.outside.id for school, _key, _link in seen)
    # Before the gathering has been held it counts for nothing.
    assert figures(app, schools, GATHERING_START.astimezone(timezone.utc) - timedelta(days=1)) == {}


def test_parents_reached_are_counted_per_school_and_survive_the_deletion(app, make_event, make_school, now):
    event = make_event(mode=AttendanceMode.BOTH, hall=10, stream=10, grades=(1, 2))
    own = event.school_id
    signup(event, 1, party=2, school_id=own, grade=1)
    signup(event, 2, mode=AttendanceMode.STREAM, school_id=own, grade=2)
    db.session.commit()
    after = event.offering.sessions[-1].ends_at + timedelta(hours=1)
    seen = figures(app, [own], after, parent_event=[event.id])
    assert seen[own, "parents_reached", None].value == 3
    assert seen[own, "parent_events", None].value == 1
    assert seen[own, "event_parents_reached", ("parent_event", event.id)].value == 3
    assert seen[own, "parents_reached", None].url is None
    parent_ops.purge(after + timedelta(days=60))
    db.session.commit()
    assert figures(app, [own], after + timedelta(days=60), parent_event=[event.id]) == seen


def test_the_sources_ask_the_same_number_of_queries_for_one_school_and_for_many(app, world, make_event,
                                                                               make_school):
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=2)
    add_gathering(world, host=world.eikeli.id)
    events = [make_event(f"Foreldremøte {n}") for n in range(3)]
    few = statements(app, [world.eikeli.id], later, network=[world.network.id], parent_event=[events[0].id])
    many = statements(app, [world.eikeli.id, world.furulund.id, world.outside.id] + [e.school_id for e in events],
                      later, network=[world.network.id], parent_event=[e.id for e in events])
    assert few == many


def test_asked_about_many_schools_the_sources_keep_the_asked_ones_and_count_the_same(app, world, make_event,
                                                                                     monkeypatch):
    from lms import plugins
    gathering = add_gathering(world, host=world.eikeli.id)
    later = GATHERING_START.astimezone(timezone.utc) + timedelta(days=2)
    set_clock(later)
    network_ops.record_attendance(gathering, user_ids={world.leader.id}, school_counts={world.furulund.id: 12},
                                  actor=world.admin, now=later)
    event = make_event(mode=AttendanceMode.BOTH, hall=10, stream=10, grades=(1, 2))
    signup(event, 1, party=2, school_id=event.school_id, grade=1)
    db.session.commit()
    after = max(later, event.offering.sessions[-1].ends_at + timedelta(hours=1))
    asked = [world.eikeli.id, event.school_id]  # not Furulund, whose people attended too
    few = figures(app, asked, after, network=[world.network.id], parent_event=[event.id])
    assert few[world.eikeli.id, "network_attended", None].value == 1
    assert few[event.school_id, "parents_reached", None].value == 2
    monkeypatch.setattr(plugins, "MANY_SCHOOLS", 1)  # now every school's rows are read, and the asked ones kept
    assert figures(app, asked, after, network=[world.network.id], parent_event=[event.id]) == few
    assert not any(school == world.furulund.id for school, _key, _link in few)
