"""Composing collaboration groups: every school in exactly one group of two to four, by shared focus areas."""
from __future__ import annotations

import itertools
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
                                      (8, [4, 4]), (9, [3, 3, 3]), (10, [4, 3, 3]), (11, [4, 4, 3]), (0, [])])
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


def test_the_shared_areas_are_those_two_schools_share_most_shared_first_then_alphabetically():
    schools = [school(1, ["Vurdering", "Skole-hjem-samarbeid", "Lesing", "Sjakk"]),
               school(2, ["Vurdering", "Skole og hjem", "Lesing"]),
               school(3, ["Vurdering", "Skole og hjem", "Skole-hjem-samarbeid"])]
    (group,) = compose(schools).groups
    # Sjakk is one school's alone; "Skole og hjem" comes before "Skole-hjem-samarbeid" as in a dictionary.
    assert group.shared == ["Vurdering", "Lesing", "Skole og hjem", "Skole-hjem-samarbeid"]


def test_only_a_school_sharing_with_nobody_is_unmatched_and_its_group_names_it_and_comes_first():
    # Two schools sharing an area between themselves alone are matched; the fifth shares with nobody.
    schools = [school(1, ["Lesing"]), school(2, ["Lesing"]), school(3, ["Sjakk"]), school(4, ["Sjakk"]),
               school(5, ["Unikt"])]
    result = compose(schools)
    assert result.unmatched == [5]
    # The best group first: it is the first the page numbers. 100 per shared area, 10 for the same district.
    assert [(g.school_ids, g.score, g.sharing_nothing) for g in result.groups] == [
        ([1, 2, 5], 100 + 10 + 10 + 10, [5]), ([3, 4], 100 + 10, [])]
    assert result.score == 240


def _pair_points(a, b, partners, mode):
    shared = {x.lower() for x in a.focus_areas} & {x.lower() for x in b.focus_areas}
    points = 100 * len(shared) + (10 if a.district and a.district == b.district else 0)
    if mode != LastYear.IGNORE and (a.id, b.id) in partners:
        points += 150 if mode == LastYear.TOGETHER else -150
    return points


def _best_total(schools, last_year, mode):
    """Score every way to split the schools into groups of the sizes asked for, counted from the rules alone."""
    partners = set(last_year) | {(b, a) for a, b in last_year}

    def total(groups):
        return sum(_pair_points(a, b, partners, mode) for g in groups for a, b in itertools.combinations(g, 2))

    def splits(rest, sizes):
        if not rest:
            yield []
            return
        first, others = rest[0], rest[1:]
        for size in sorted(set(sizes)):
            left = list(sizes)
            left.remove(size)
            for chosen in itertools.combinations(others, size - 1):
                for more in splits([s for s in others if s not in chosen], left):
                    yield [[first, *chosen], *more]
    return max(total(groups) for groups in splits(list(schools), group_sizes(len(schools)))), total


#: Small programmes whose best grouping is one of a kind and found: (last year, [(district, focus areas), ...]).
SMALL_PROGRAMMES = {
    "nine-apart": (LastYear.APART, [(1, 5), (2, 6), (2, 7), (5, 9)], [
        ("Øst", "Skole-hjem, Lesing, Vurdering"), ("Vest", "Lesing, Programmering"),
        ("Øst", "Programmering, Skole-hjem"), ("Øst", "Digital dømmekraft"),
        ("Øst", "Programmering, Vurdering, Skaperverksted"), ("Nord", "Lesing, Skole-hjem, Programmering"),
        ("Øst", "Vurdering, Skole-hjem, Skaperverksted"), ("Nord", "Digital dømmekraft, Skole-hjem, Vurdering"),
        ("Nord", "Skole-hjem")]),
    "eight-apart": (LastYear.APART, [(3, 4), (3, 6), (3, 7)], [
        ("Nord", "Programmering, Lesing"), ("Øst", "Programmering"), ("Vest", "Lesing"),
        ("Vest", "Vurdering, Skaperverksted"), ("Nord", "Lesing, Digital dømmekraft, Skaperverksted"),
        ("Nord", "Digital dømmekraft, Vurdering, Skaperverksted"), ("Vest", "Programmering, Skaperverksted, Lesing"),
        ("Øst", "Programmering, Vurdering")]),
    "eight-apart-2": (LastYear.APART, [(1, 3), (2, 5), (2, 6), (5, 7)], [
        ("Vest", "Skaperverksted"), ("Vest", "Skaperverksted, Digital dømmekraft, Vurdering"),
        ("Nord", "Lesing, Digital dømmekraft"), ("Nord", "Digital dømmekraft, Skole-hjem, Vurdering"),
        ("Øst", "Digital dømmekraft, Vurdering"), ("Vest", "Lesing, Skole-hjem, Programmering"),
        ("Vest", "Skaperverksted, Lesing, Programmering"), ("Vest", "Skole-hjem, Digital dømmekraft")]),
    "eight-apart-many-partners": (LastYear.APART, [
        (1, 2), (1, 4), (1, 7), (1, 8), (2, 3), (2, 4), (2, 6), (2, 7), (2, 8), (3, 6), (3, 7), (4, 6), (4, 7), (4, 8),
        (5, 6), (5, 7), (6, 7), (6, 8)], [
        ("", "Lesing, Skaperverksted"), ("", "Lesing, Skaperverksted, Programmering"), ("Øst", "Lesing, Vurdering"),
        ("", "Skole-hjem, Skaperverksted"), ("Øst", "Skaperverksted, Lesing, Vurdering"),
        ("", "Digital dømmekraft, Programmering"), ("", "Programmering, Vurdering, Lesing"),
        ("Øst", "Programmering, Skole-hjem, Skaperverksted")]),
    "seven-with-three-sharing-nothing": (LastYear.IGNORE, [], [
        ("Vest", "Vurdering"), ("Øst", "Vurdering"), ("Øst", ""), ("Nord", "Lesing"), ("Vest", ""), ("Nord", ""),
        ("Nord", "")]),
    "nine-ignoring-last-year": (LastYear.IGNORE, [], [
        ("Vest", "Lesing, Digital dømmekraft"), ("Nord", "Vurdering, Skole-hjem"), ("Vest", "Lesing, Vurdering"),
        ("Øst", "Lesing, Skole-hjem, Vurdering"), ("Vest", "Programmering, Lesing, Skaperverksted"),
        ("Nord", "Vurdering, Digital dømmekraft, Lesing"), ("Nord", "Vurdering, Lesing"),
        ("Vest", "Skaperverksted, Lesing, Vurdering"), ("Øst", "Skaperverksted")]),
    "nine-together": (LastYear.TOGETHER, [(1, 3), (1, 6), (1, 7), (1, 9), (3, 6), (4, 9), (6, 9)], [
        ("Vest", "Skole-hjem, Skaperverksted, Lesing"), ("Øst", "Vurdering, Programmering"),
        ("Vest", "Vurdering, Skaperverksted"), ("Øst", "Vurdering, Lesing"), ("Øst", "Programmering"),
        ("Vest", "Vurdering, Lesing, Skole-hjem"), ("Øst", "Skaperverksted, Vurdering"),
        ("Øst", "Skole-hjem, Lesing, Vurdering"), ("Vest", "Skaperverksted")]),
}


@pytest.mark.parametrize("name", list(SMALL_PROGRAMMES))
def test_a_small_programme_gets_the_best_grouping_there_is(name):
    mode, last_year, rows = SMALL_PROGRAMMES[name]
    schools = [school(i, [a for a in areas.split(", ") if a], district) for i, (district, areas) in enumerate(rows, 1)]
    best, total = _best_total(schools, last_year, mode)
    result = compose(schools, last_year, mode)
    by_id = {s.id: s for s in schools}
    proposed = [[by_id[i] for i in g.school_ids] for g in result.groups]
    assert total(proposed) == best
    assert result.score == best and [g.score for g in result.groups] == [total([g]) for g in proposed]


def test_last_years_partners_kept_together_score_150_a_pair_on_top_of_what_they_share():
    schools = [school(i, ["Lesing"]) for i in range(1, 7)]
    together = compose(schools, [(1, 2), (1, 3), (2, 3)], LastYear.TOGETHER)
    assert [(g.school_ids, g.score) for g in together.groups] == [([1, 2, 3], 3 * (100 + 10 + 150)),
                                                                  ([4, 5, 6], 3 * (100 + 10))]


def test_the_benchmarks_greedy_start_keeps_last_years_partners_together_or_apart_as_asked():
    schools = [school(i, ["Lesing"]) for i in range(1, 7)]
    last_year = [(1, 2), (1, 3), (2, 3)]
    # Indexes into the schools: the first three were partners last year.
    assert composition.greedy(schools, last_year, LastYear.TOGETHER) == [[0, 1, 2], [3, 4, 5]]
    apart = composition.greedy(schools, last_year, LastYear.APART)
    assert sorted(i for g in apart for i in g) == list(range(6))
    # Three former partners in two groups: two of them must meet again, and only two do.
    assert sorted(len({0, 1, 2} & set(g)) for g in apart) == [1, 2]


@pytest.mark.parametrize("neighbour, first_group", [(41, [0, 1, 41]), (42, [0, 1, 2])],
                         ids=["the-41st-is-weighed-at-the-second-step", "the-42nd-is-never-weighed"])
def test_the_greedy_start_weighs_the_first_forty_free_schools_of_an_area_at_each_step(neighbour, first_group):
    """45 schools of one area, each of a district of its own but the first and a neighbour; 40 weighed a step."""
    schools = [school(i + 1, ["Lesing"], "Øst" if i in (0, neighbour) else f"Bydel {i}") for i in range(45)]
    assert composition.CANDIDATES_PER_AREA == 40
    assert sorted(composition.greedy(schools)[0]) == first_group


def test_a_municipality_where_every_school_chose_the_same_area_gets_groups_of_three():
    result = compose([school(i, ["Lesing"]) for i in range(1, 46)])
    assert sorted(len(g.school_ids) for g in result.groups) == [3] * 15
    assert result.score == 15 * 3 * (100 + 10)


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
