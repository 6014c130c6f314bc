"""Composing collaboration groups: every school in exactly one group of two to four, by shared focus areas."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.networks import composition, operations as ops
from catalog.networks.composition import LastYear, SchoolInput, compose, group_sizes
from catalog.networks.models import Network, NetworkKind
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.people.models import Role, User
from tests.conftest import NOW

AREAS = ["Lesing", "Vurdering", "Programmering", "Skole-hjem", "Digital dømmekraft", "Skaperverksted"]


def school(i, areas, district="Øst"):
    return SchoolInput(i, f"Skole {i}", district, tuple(areas))


schools_strategy = st.lists(
    st.tuples(st.lists(st.sampled_from(AREAS), max_size=4), st.sampled_from(["Øst", "Vest", "Nord", ""])),
    min_size=2, max_size=60,
).map(lambda rows: [school(i + 1, areas, d) for i, (areas, d) in enumerate(rows)])


@settings(max_examples=60, deadline=None)
@given(schools_strategy, st.sampled_from(list(LastYear)))
def test_every_school_is_in_exactly_one_group_of_two_to_four(schools, mode):
    last_year = [(s.id, s.id + 1) for s in schools[::2]]
    result = compose(schools, last_year, mode)
    ids = [i for g in result.groups for i in g.school_ids]
    assert sorted(ids) == sorted(s.id for s in schools)
    assert all(2 <= len(g.school_ids) <= 4 for g in result.groups)
    assert compose(list(reversed(schools)), last_year, mode).groups == result.groups


@pytest.mark.parametrize("n, sizes", [(2, [2]), (3, [3]), (4, [4]), (5, [3, 2]), (6, [3, 3]), (7, [4, 3]),
                                      (8, [4, 4]), (9, [3, 3, 3]), (10, [4, 3, 3]), (11, [4, 4, 3])])
def test_groups_are_threes_where_the_numbers_allow(n, sizes):
    assert group_sizes(n) == sizes


def test_schools_sharing_areas_are_put_together_and_the_shared_areas_shown():
    schools = [school(1, ["Lesing", "Vurdering"]), school(2, ["Programmering"]), school(3, ["lesing ", "Vurdering"]),
               school(4, ["Programmering", "Skaperverksted"]), school(5, ["Vurdering", "Lesing"]),
               school(6, ["Skaperverksted", "Programmering"])]
    result = compose(schools)
    by_first = {tuple(g.school_ids): g for g in result.groups}
    assert set(by_first) == {(1, 3, 5), (2, 4, 6)}
    assert by_first[(1, 3, 5)].shared == ["Lesing", "Vurdering"]
    assert by_first[(2, 4, 6)].shared == ["Programmering", "Skaperverksted"]
    assert result.unmatched == [] and result.shared_pairs == 6 + 4


def test_district_breaks_ties_and_schools_sharing_nothing_are_shown():
    schools = [school(1, ["Lesing"], "Øst"), school(2, ["Lesing"], "Vest"), school(3, ["Lesing"], "Øst"),
               school(4, ["Lesing"], "Vest"), school(5, [], "Øst"), school(6, ["Unikt"], "Vest")]
    result = compose(schools)
    assert sorted(result.unmatched) == [5, 6]
    groups = [set(g.school_ids) for g in result.groups]
    assert {1, 3} <= groups[0] or {1, 3} <= groups[1]
    assert any(g.sharing_nothing for g in result.groups)


def test_last_years_partners_are_kept_apart_or_together_as_asked():
    schools = [school(i, ["Lesing"]) for i in range(1, 7)]
    last_year = [(1, 2), (1, 3), (2, 3)]
    apart = compose(schools, last_year, LastYear.APART)
    # Three former partners in two groups: one pair must meet again, and only one does.
    assert sum(g.last_year_pairs for g in apart.groups) == 1
    together = compose(schools, last_year, LastYear.TOGETHER)
    assert [1, 2, 3] in [g.school_ids for g in together.groups]


# --- the admin's page -------------------------------------------------------------------------

@pytest.fixture
def schools(make_school, make_user):
    made = []
    for i, (name, areas, district) in enumerate([
            ("Eikeli skole", "Lesing\nVurdering", "Øst"), ("Skogheim skole", "Lesing\nSkole-hjem", "Nord"),
            ("Furulund skole", "Programmering", "Vest"), ("Åsbakken skole", "Programmering\nVurdering", "Sentrum"),
            ("Tjernsrud skole", "Skole-hjem", "Øst"), ("Ensom skole", "Sjakk", "Nord")]):
        s = make_school(name, district=district, focus_areas_text=areas)
        make_user(f"Leder {i}", roles=(Role.LEADER,), school=s, email=f"leder{i}@skole.test")
        made.append(s)
    db.session.commit()
    return made


def test_admin_proposes_moves_with_plain_forms_and_publishes_groups(schools, admin, login, make_user):
    client = login(admin)
    response = client.post("/nettverk/grupper/foresla", data={"school_year": "2026", "last_year": "apart"})
    assert response.status_code == 303
    page = client.get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)
    assert "Samarbeidsgruppe 1" in page and "Samarbeidsgruppe 2" in page
    assert "deler ingen satsingsområder med noen annen skole" in page and "Ensom skole" in page
    score = int(re.search(r"Samlet poengsum: (\d+)", page).group(1))
    assert '<select class="ds-input" id="school_id" name="school_id">' in page  # a plain control, not drag-only
    drafts = list(db.session.scalars(sa.select(Network).where(Network.kind == NetworkKind.GROUP)))
    assert sorted(len(n.school_ids) for n in drafts) == [3, 3]
    teacher = make_user("Tor Lærer", school=schools[0])
    assert login(teacher).get(f"/nettverk/{drafts[0].id}").status_code == 403
    source = next(n for n in drafts if schools[0].id in n.school_ids)
    target = next(n for n in drafts if n.id != source.id)
    moved = client.post("/nettverk/grupper/2026/flytt", data={"school_id": str(schools[0].id),
                                                             "to_network_id": str(target.id)})
    assert moved.status_code == 303
    page = client.get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)
    assert int(re.search(r"Samlet poengsum: (\d+)", page).group(1)) != score
    refused = client.post("/nettverk/grupper/2026/flytt", data={"school_id": str(schools[1].id),
                                                               "to_network_id": str(target.id)})
    assert refused.status_code == 400 and "har allerede fire skoler" in refused.get_data(as_text=True)
    assert client.post("/nettverk/grupper/2026/publiser").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Network).where(Network.published_at.is_(None))) == 0
    (message,) = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == "leder0@skole.test"))
    mail = render(message)
    assert mail.subject.startswith("Samarbeidsgruppe 2026/2027: ")
    db.session.refresh(target)
    partners = sorted(row.school.name for row in target.member_rows if row.school_id != schools[0].id)
    assert f"Skolen din er i «{target.name}» sammen med: " in mail.text
    assert sorted(mail.text.split("sammen med: ")[1].split(".\n")[0].split(", ")) == partners
    assert login(teacher).get(f"/nettverk/{target.id}").status_code == 200


def test_only_admins_compose_and_bad_input_keeps_what_was_typed(schools, admin, login):
    leader = db.session.scalar(sa.select(User).where(User.email == "leder0@skole.test"))
    assert login(leader).get("/nettverk/grupper").status_code == 403
    assert login(leader).post("/nettverk/grupper/foresla", data={"school_year": "2026"}).status_code == 403
    refused = login(admin).post("/nettverk/grupper/foresla", data={"school_year": "99999999", "last_year": "apart"})
    assert refused.status_code == 400 and "Skriv et år mellom 2000 og 2100." in refused.get_data(as_text=True)
    assert 'value="99999999"' in refused.get_data(as_text=True)


def test_last_years_published_groups_are_the_partners_kept_apart(schools, admin):
    ops.compose_groups(2025, LastYear.IGNORE, actor=admin, now=NOW)
    ops.publish_groups(2025, actor=admin, now=NOW)
    pairs = set(ops.last_year_pairs(2026))
    drafts = ops.compose_groups(2026, LastYear.APART, actor=admin, now=NOW)
    repeated = sum(1 for n in drafts for a in n.school_ids for b in n.school_ids if a < b and (a, b) in pairs)
    assert repeated < len(pairs)
    assert composition.LastYear("apart") == LastYear.APART
