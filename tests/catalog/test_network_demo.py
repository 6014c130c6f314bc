"""The demo holds the appendix's networks with the demo schools as members; loading twice changes nothing."""
from __future__ import annotations

import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.models import Network, NetworkKind, NetworkSchool
from catalog.plugin import plugin
from lms.db import db
from lms.people.demo import load_people
from lms.people.models import Role, School, User

APPENDIX_NETWORKS = {
    # name: (target group, timing, organiser), in the appendix's own words
    "Nettverk for digital profesjonsutøvelse": ("Skoleledere og digitale veiledere", "Skoleåret 19/20",
                                               "Oppvekst skole"),
    "Ledersamlinger i nettverk for digital profesjonsutøvelse": ("Skoleledere", "Høst 19 og vår 20", "Oppvekst skole"),
    "Nettverkssamlinger for å videreutvikle skolenes arbeid med digital dannelse": (
        "Skoleledere, miljølærere og digitale veiledere", "2 ganger pr skoleår", "Oppvekst skole"),
    "Tjenesteledermøter": ("Skoleledere", "3 ganger per skoleår", "Seksjonsledelsen"),
}


def load(now):
    load_people(now)
    summary = plugin.load_demo(now)
    db.session.commit()
    return summary


def state():
    return (sorted(db.session.execute(sa.select(Network.id, Network.name, Network.updated_at))),
            sorted(db.session.execute(sa.select(NetworkSchool.network_id, NetworkSchool.school_id))))


def test_the_appendix_networks_are_in_the_demo_with_every_demo_school(now):
    load(now)
    schools = set(db.session.scalars(sa.select(School.id)))
    municipal = {n.name: n for n in db.session.scalars(sa.select(Network).where(Network.kind == NetworkKind.MUNICIPALITY))}
    assert set(municipal) == set(APPENDIX_NETWORKS)
    for name, (target, timing, organiser) in APPENDIX_NETWORKS.items():
        n = municipal[name]
        assert (n.target_group_text, n.timing, n.organiser) == (target, timing, organiser)
        assert set(n.school_ids) == schools
    groups = list(db.session.scalars(sa.select(Network).where(Network.kind == NetworkKind.GROUP)))
    assert sorted(i for g in groups for i in g.school_ids) == sorted(schools)
    assert all(2 <= len(g.school_ids) <= 4 and g.published_at is not None for g in groups)
    assert groups[0].timing == "Fra og med våren 2019, neste samling i uke 41 eller 42"
    supervisor = db.session.scalar(sa.select(User).where(User.is_digital_supervisor))
    mine = [m.name for m in ops.my_networks(supervisor, now)]
    assert "Nettverk for digital profesjonsutøvelse" in mine and "Tjenesteledermøter" not in mine
    leader = db.session.scalar(sa.select(User).join(User.memberships).where(User.memberships.any(role=Role.LEADER)))
    assert "Tjenesteledermøter" in [m.name for m in ops.my_networks(leader, now)]


def test_loading_the_networks_twice_changes_nothing(now):
    load(now)
    first = state()
    load(now)
    assert state() == first
