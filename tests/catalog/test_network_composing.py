"""Composing a school year's collaboration groups: from the schools' inputs and last year's pairs, to the draft shown.

These tests hold the operations around the algorithm (``catalog/networks/composition.py`` has its own): which
schools and which of last year's groups go in, the draft groups saved (named, numbered, for leaders and teachers,
hidden until published), drafts replaced when composed again and never once the year is published, what the draft
shows (each group's schools by name, what they share, who shares nothing, the score), and the admin moving a
school between draft groups, with every refusal word for word.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalog.networks import operations as ops
from catalog.networks.composition import LastYear
from catalog.networks.models import Network, NetworkKind
from lms.auth.operations import PermissionDenied
from lms.db import db
from lms.people.models import Role
from tests.conftest import NOW, nothing_changes

LATER = NOW + timedelta(hours=1)


def group(schools, year, *, published=False, name="Samarbeidsgruppe"):
    return ops.create_network(ops.NetworkData(
        name=name, kind=NetworkKind.GROUP, school_year=year, include_leaders=True, include_teachers=True,
        school_ids=[s.id for s in schools]), actor=None, now=NOW, published=published)


def groups_of(year):
    """Return the year's groups as the database holds them: name, member schools by name, published or not."""
    db.session.expire_all()
    networks = db.session.scalars(sa.select(Network).where(Network.kind == NetworkKind.GROUP,
                                                           Network.school_year == year).order_by(Network.name))
    return [(n.name, sorted(row.school.name for row in n.member_rows), n.published_at is not None)
            for n in networks]


@pytest.fixture
def six(make_school):
    """Six schools that all chose reading, in one district: only last year's partners tell them apart."""
    made = [make_school(f"Skole {i}", district="Øst", focus_areas_text="Lesing") for i in range(1, 7)]
    db.session.commit()
    return made


# --- composing -------------------------------------------------------------------------------------------

def test_composing_saves_numbered_draft_groups_of_every_school_for_their_leaders_and_teachers(six, admin, make_user):
    leader = make_user("Lise Leder", roles=(Role.LEADER,), school=six[0])
    make_user("Tore Lærer", school=six[0])
    make_user("Frida Fyrtårn", roles=(Role.LIGHTHOUSE,), school=six[0])
    # Stamped with the time given, not the clock's (the tests' clock stands at NOW).
    drafts = ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=LATER)
    db.session.commit()
    assert groups_of(2026) == [("Samarbeidsgruppe 1", ["Skole 1", "Skole 2", "Skole 3"], False),
                               ("Samarbeidsgruppe 2", ["Skole 4", "Skole 5", "Skole 6"], False)]
    assert [n.name for n in drafts] == ["Samarbeidsgruppe 1", "Samarbeidsgruppe 2"]
    first = drafts[0]
    assert (first.kind, first.school_year, first.target_group_text, first.timing, first.organiser) == (
        NetworkKind.GROUP, 2026, "Lærere", "Fra og med våren 2019, neste samling i uke 41 eller 42", "Skoleledere")
    assert (first.published_at, first.created_at, first.updated_at) == (None, LATER, LATER)
    assert sorted(user.name for user, _school in ops.participants(first)) == ["Lise Leder", "Tore Lærer"]
    # A draft is the admin's alone until published.
    assert not ops.may_view(leader, first)


@pytest.mark.parametrize("mode, expected", [
    (LastYear.IGNORE, [["Skole 1", "Skole 2", "Skole 3"], ["Skole 4", "Skole 5", "Skole 6"]]),
    (LastYear.APART, [["Skole 1", "Skole 3", "Skole 4"], ["Skole 2", "Skole 5", "Skole 6"]]),
    (LastYear.TOGETHER, [["Skole 1", "Skole 2", "Skole 4"], ["Skole 3", "Skole 5", "Skole 6"]]),
], ids=["ignored", "kept-apart", "kept-together"])
def test_last_years_published_groups_are_kept_apart_or_together_as_the_admin_chooses(six, admin, mode, expected):
    # Last year 1 and 2 were partners, and 3 and 6; a draft of last year and a group of two years ago were not.
    group([six[0], six[1]], 2025, published=True)
    group([six[2], six[5]], 2025, published=True)
    group([six[0], six[3]], 2025)
    group([six[1], six[2]], 2024, published=True)
    ops.compose_groups(2026, mode, actor=admin, now=NOW)
    db.session.commit()
    assert [schools for _name, schools, _published in groups_of(2026)] == expected


def test_last_years_pairs_are_every_two_schools_of_one_published_group_the_year_before(make_school):
    a, b, c, d, e = (make_school(f"Skole {n}") for n in "ABCDE")
    group([c, a, b], 2025, published=True)
    group([d, e], 2025, published=True)
    group([a, d], 2025)
    group([a, e], 2024, published=True)
    group([b, d], 2026, published=True)
    group([c, e], 2027, published=True)
    assert ops.last_year_pairs(2026) == [(a.id, b.id), (a.id, c.id), (b.id, c.id), (d.id, e.id)]
    assert ops.last_year_pairs(2023) == []


def test_composing_again_replaces_the_years_drafts_and_no_other_years(six, admin):
    other_year = group(six[:2], 2027)
    ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    db.session.commit()
    again = ops.compose_groups(2026, LastYear.TOGETHER, actor=admin, now=LATER)
    db.session.commit()
    assert groups_of(2026) == [("Samarbeidsgruppe 1", ["Skole 1", "Skole 2", "Skole 3"], False),
                               ("Samarbeidsgruppe 2", ["Skole 4", "Skole 5", "Skole 6"], False)]
    # New groups (SQLite may give them the old ones' ids): the earlier drafts are gone.
    assert [n.created_at for n in again] == [LATER, LATER] and db.session.scalar(
        sa.select(sa.func.count()).select_from(Network).where(Network.school_year == 2026)) == 2
    assert groups_of(2027) == [("Samarbeidsgruppe", ["Skole 1", "Skole 2"], False)]
    assert db.session.get(Network, other_year.id) is not None


def test_a_published_year_is_not_composed_again_and_nothing_changes(six, admin):
    ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    ops.publish_groups(2026, actor=admin, now=NOW)
    with nothing_changes(), pytest.raises(ops.NetworkError) as refused:
        ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=LATER)
    assert str(refused.value) == "Gruppene for dette skoleåret er allerede publisert."
    # The next school year is composed as ever.
    assert len(ops.compose_groups(2027, LastYear.APART, actor=admin, now=LATER)) == 2


def test_two_schools_make_one_group_and_one_school_is_refused(make_school, admin):
    first = make_school("Eneste skole")
    db.session.commit()
    with nothing_changes(), pytest.raises(ops.NetworkError) as refused:
        ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    assert str(refused.value) == "Det trengs minst to skoler for å sette sammen grupper."
    make_school("Andre skole")
    ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    assert groups_of(2026) == [("Samarbeidsgruppe 1", ["Andre skole", first.name], False)]


def test_only_an_admin_composes_or_moves_and_is_told_so(six, admin, make_user):
    leader = make_user("Lise Leder", roles=(Role.LEADER,), school=six[0])
    ops.compose_groups(2026, LastYear.IGNORE, actor=admin, now=NOW)
    db.session.commit()
    second = db.session.scalar(sa.select(Network).where(Network.name == "Samarbeidsgruppe 2"))
    with nothing_changes():
        with pytest.raises(PermissionDenied) as refused:
            ops.compose_groups(2026, LastYear.IGNORE, actor=leader, now=LATER)
        assert str(refused.value) == "Bare programadministratorer setter sammen samarbeidsgrupper."
        with pytest.raises(PermissionDenied) as refused:
            ops.move_school(six[0].id, second.id, school_year=2026, actor=leader, now=LATER)
        assert str(refused.value) == "Bare programadministratorer endrer samarbeidsgruppene."


# --- what the draft shows ------------------------------------------------------------------------------------

@pytest.fixture
def drafted(make_school):
    """Two draft groups made by hand; the schools' names sort otherwise than their order of creation."""
    vika = make_school("Vika skole", district="Øst", focus_areas_text="Lesing\nVurdering")
    berg = make_school("Berg skole", district="Øst", focus_areas_text="lesing")
    nordby = make_school("Nordby skole", district="Vest", focus_areas_text="Programmering")
    haug = make_school("Haug skole", district="Vest", focus_areas_text="Programmering")
    tangen = make_school("Tangen skole", district="Nord", focus_areas_text="Sjakk")
    dal = make_school("Dal skole", district="Sør", focus_areas_text="Unikt")
    first = group([nordby, haug, dal], 2026, name="Samarbeidsgruppe 1")
    second = group([vika, berg, tangen], 2026, name="Samarbeidsgruppe 2")
    db.session.commit()
    return first, second


def shown(draft):
    return ([(g.network.name, [s.name for s in g.schools], g.shared, g.score, [s.name for s in g.sharing_nothing])
             for g in draft.groups], draft.score, [s.name for s in draft.unmatched], draft.published)


def test_the_draft_shows_each_groups_schools_by_name_what_they_share_who_shares_nothing_and_the_score(drafted):
    # 100 for each area two schools share, 10 for the same district; Tangen and Dal share with nobody.
    assert shown(ops.composition_of_year(2026)) == ([
        ("Samarbeidsgruppe 1", ["Dal skole", "Haug skole", "Nordby skole"], ["Programmering"], 110, ["Dal skole"]),
        ("Samarbeidsgruppe 2", ["Berg skole", "Tangen skole", "Vika skole"], ["Lesing"], 110, ["Tangen skole"]),
    ], 220, ["Tangen skole", "Dal skole"], False)
    assert shown(ops.composition_of_year(2027)) == ([], 0, [], False)


def test_the_groups_page_shows_the_draft_with_what_is_shared_and_the_score(drafted, admin, login):
    page = login(admin).get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)
    assert '<h2 class="ds-heading" data-size="md">Forslag</h2>' in page and "Lag nytt forslag" in page
    assert "<strong>Samlet poengsum: 220</strong>" in page
    assert ("<td>Berg skole, Tangen skole, Vika skole</td>\n    <td>Lesing\n      <br><span class=\"kp-muted\">"
            "Deler ingenting med de andre i gruppen: Tangen skole</span></td>\n    <td>110</td>") in page
    assert ("Disse skolene deler ingen satsingsområder med noen annen skole og er satt sammen etter område: "
            "Tangen skole, Dal skole</p>") in page


def test_last_years_partners_together_again_cost_points_in_the_draft_only_when_they_were_to_be_kept_apart(
        drafted):
    first, second = drafted
    vika, berg = (row.school for row in second.member_rows[:2])
    group([vika, berg], 2025, published=True)
    db.session.commit()
    assert shown(ops.composition_of_year(2026))[1] == 220
    apart = shown(ops.composition_of_year(2026, LastYear.APART))
    assert [g[3] for g in apart[0]] == [110, 110 - 150] and apart[1] == 220 - 150
    assert shown(ops.composition_of_year(2026, LastYear.TOGETHER))[1] == 220 + 150


@pytest.mark.parametrize("mode, score, told", [
    ("together", 660 + 2 * 150, "Foreslått med fjorårets partnere holdt sammen: poengsummen legger til 150 for hvert "
                                "par skoler som var i samme gruppe i fjor."),
    ("apart", 660, "Foreslått med fjorårets partnere holdt fra hverandre: poengsummen trekker fra 150 for hvert par "
                   "skoler som var i samme gruppe i fjor."),
    ("ignore", 660, "Foreslått uten hensyn til fjorårets grupper."),
], ids=["together", "apart", "ignore"])
def test_the_groups_page_scores_the_draft_and_the_published_groups_as_the_admin_composed_them(
        six, admin, login, mode, score, told):
    # Last year 1 and 2 were partners, and 3 and 6; every pair of this year's schools shares reading and district.
    group([six[0], six[1]], 2025, published=True)
    group([six[2], six[5]], 2025, published=True)
    db.session.commit()
    client = login(admin)
    composed = client.post("/nettverk/grupper/foresla", data={"school_year": "2026", "last_year": mode},
                           follow_redirects=True)
    assert composed.status_code == 200
    for page in (composed.get_data(as_text=True), client.get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)):
        assert f"<strong>Samlet poengsum: {score}</strong>" in page and told in page
        # A new proposal starts from the same choice.
        choice = page[page.index('name="last_year"'):]
        choice = choice[:choice.index("</select>")]
        assert f'<option selected value="{mode}">' in choice and choice.count("<option selected") == 1
    assert client.post("/nettverk/grupper/2026/publiser").status_code == 303
    published = client.get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)
    assert "Publiserte grupper" in published
    assert f"<strong>Samlet poengsum: {score}</strong>" in published and told in published


@pytest.mark.parametrize("asked", ["5", "1999", "2101", "-2026", "tjue"])
def test_a_school_year_the_compose_form_would_refuse_opens_the_page_on_this_school_year(admin, login, asked):
    # The tests' clock stands in the school year 2026/2027.
    page = login(admin).get(f"/nettverk/grupper?skoleaar={asked}").get_data(as_text=True)
    (year,) = [field for field in page.split("<input")[1:] if 'name="school_year"' in field]
    assert "Samarbeidsgrupper 2026/2027" in page and 'value="2026"' in year


def test_groups_made_otherwise_are_scored_without_last_year_and_say_nothing_of_it(drafted, admin, login):
    first, second = drafted
    vika, berg = (row.school for row in second.member_rows[:2])
    group([vika, berg], 2025, published=True)
    db.session.commit()
    page = login(admin).get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)
    assert "<strong>Samlet poengsum: 220</strong>" in page and 'id="fjoraret"' not in page
    # The form offers what it always has: to keep last year's partners apart.
    choice = page[page.index('name="last_year"'):]
    assert '<option selected value="apart">' in choice[:choice.index("</select>")]


def test_once_published_the_year_shows_its_published_groups_and_no_forms(drafted, admin, login):
    ops.publish_groups(2026, actor=admin, now=NOW)
    db.session.commit()
    groups, score, unmatched, published = shown(ops.composition_of_year(2026))
    assert [g[0] for g in groups] == ["Samarbeidsgruppe 1", "Samarbeidsgruppe 2"] and score == 220
    assert published is True
    page = login(admin).get("/nettverk/grupper?skoleaar=2026").get_data(as_text=True)
    assert '<h2 class="ds-heading" data-size="md">Publiserte grupper</h2>' in page
    assert "Flytt skolen" not in page and "Lag nytt forslag" not in page


# --- moving a school --------------------------------------------------------------------------------------

@pytest.fixture
def three_groups(make_school):
    """Draft groups of four, two and three schools, a school in none of them, and groups that are not drafts."""
    s = {n: make_school(f"Skole {n}") for n in "ABCDEFGHIX"}
    groups = (group([s[n] for n in "ABCD"], 2026, name="Samarbeidsgruppe 1"),
              group([s[n] for n in "EF"], 2026, name="Samarbeidsgruppe 2"),
              group([s[n] for n in "GHI"], 2026, name="Samarbeidsgruppe 3"),
              group([s["X"], s["A"]], 2027, name="Neste år"),
              ops.create_network(ops.NetworkData(name="Digiråd", school_ids=[s["X"].id]), actor=None, now=NOW))
    db.session.commit()
    return s, groups


def refusal(school, network, year=2026, *, actor):
    with nothing_changes(), pytest.raises(ops.NetworkError) as refused:
        ops.move_school(school.id, network.id, school_year=year, actor=actor, now=LATER)
    return str(refused.value)


def test_moving_a_school_keeps_each_group_between_two_and_four_and_says_why_not(three_groups, admin):
    s, (first, second, third, _next_year, _municipal) = three_groups
    assert refusal(s["E"], first, actor=admin) == "Samarbeidsgruppe 1 har allerede fire skoler."
    assert refusal(s["E"], third, actor=admin) == "Samarbeidsgruppe 2 ville fått bare én skole igjen."
    assert refusal(s["A"], first, actor=admin) == "Skolen er allerede i den gruppen."
    ops.move_school(s["G"].id, second.id, school_year=2026, actor=admin, now=LATER)
    db.session.commit()
    assert groups_of(2026) == [("Samarbeidsgruppe 1", ["Skole A", "Skole B", "Skole C", "Skole D"], False),
                               ("Samarbeidsgruppe 2", ["Skole E", "Skole F", "Skole G"], False),
                               ("Samarbeidsgruppe 3", ["Skole H", "Skole I"], False)]
    assert [(n.updated_at, n.created_at) for n in (first, second, third)] == [(NOW, NOW), (LATER, NOW), (LATER, NOW)]
    ops.move_school(s["A"].id, third.id, school_year=2026, actor=admin, now=LATER)
    assert groups_of(2026)[0][1] == ["Skole B", "Skole C", "Skole D"]
    assert groups_of(2026)[2][1] == ["Skole A", "Skole H", "Skole I"]


def test_only_a_school_and_a_group_of_the_years_draft_can_be_chosen(three_groups, admin):
    s, (first, second, _third, next_year, municipal) = three_groups
    choose = "Velg en skole og en gruppe fra forslaget."
    assert refusal(s["X"], first, actor=admin) == choose  # in no draft group of the year
    assert refusal(s["A"], next_year, actor=admin) == choose  # next year's draft
    assert refusal(s["A"], municipal, actor=admin) == choose  # not a collaboration group
    assert refusal(s["X"], municipal, actor=admin) == choose
    ops.publish_groups(2026, actor=admin, now=NOW)
    assert refusal(s["A"], second, actor=admin) == choose  # published: no longer a draft
    assert refusal(s["A"], next_year, 2027, actor=admin) == "Skolen er allerede i den gruppen."
