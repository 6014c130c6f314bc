"""Composing collaboration groups from the schools' focus areas: a pure function, no database.

Every participating school of a school year goes into exactly one group of
two to four schools, three wherever the numbers allow (a remainder of one
makes one group of four, of two makes two groups of four, or one of two when
there are fewer than eight schools). A group scores, for every pair of its
schools, :data:`AREA_POINTS` per focus area they share, :data:`DISTRICT_POINTS`
when they are in the same district (the tie-breaker), and, as the admin
chooses, a bonus or a penalty of :data:`LAST_YEAR_POINTS` when they were
partners last year.

The method is greedy, then improving: the schools with the fewest possible
partners are seeded first and each group takes, one by one, the free school
that adds most; then schools are swapped between groups while a swap raises
the total. Candidates come from the schools that share an area (a bounded
number per area), so 3,000 schools take well under two seconds (see
``bench/``). Ties are broken by the schools' order of input, so the same
input always gives the same groups.
"""
from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

AREA_POINTS = 100
DISTRICT_POINTS = 10
LAST_YEAR_POINTS = 150
#: How many free schools per focus area a group looks at when it takes its next school.
CANDIDATES_PER_AREA = 40
#: How many schools per focus area a school is tried swapped with, and how many passes.
SWAP_CANDIDATES = 12
SWAP_PASSES = 2


class LastYear(enum.StrEnum):
    """What to do with last year's partners."""

    IGNORE = "ignore"
    APART = "apart"
    TOGETHER = "together"


@dataclass(frozen=True)
class SchoolInput:
    id: int
    name: str
    district: str
    focus_areas: tuple[str, ...]


@dataclass
class Group:
    school_ids: list[int]
    #: Focus areas at least two of the group's schools share, as the first school wrote them.
    shared: list[str] = field(default_factory=list)
    score: int = 0
    #: Schools of the group that share no focus area with any other school in it.
    sharing_nothing: list[int] = field(default_factory=list)
    same_district: str = ""
    last_year_pairs: int = 0


@dataclass
class Composition:
    groups: list[Group]
    #: The total: every pair's shared focus areas (points) plus district and last-year points.
    score: int
    #: Sum over the groups' pairs of the focus areas they share: the figure the benchmark compares.
    shared_pairs: int
    #: Schools that share no focus area with any other participating school.
    unmatched: list[int]


def normalise(area: str) -> str:
    return " ".join(area.lower().split())


def group_sizes(n: int) -> list[int]:
    """Return the sizes of the groups for ``n`` schools: threes, with fours (or one two) for the remainder."""
    if n <= 0:
        return []
    if n < 2:
        return [n]
    if n in (2, 5):
        return [2] if n == 2 else [3, 2]
    threes, rest = divmod(n, 3)
    if rest == 0:
        return [3] * threes
    if rest == 1:
        return [4] + [3] * (threes - 1)
    return [4, 4] + [3] * (threes - 2)


class _Scorer:
    def __init__(self, schools: Sequence[SchoolInput], last_year: Iterable[tuple[int, int]], mode: LastYear):
        self.index = {s.id: i for i, s in enumerate(schools)}
        bits: dict[str, int] = {}
        self.masks = []
        for s in schools:
            mask = 0
            for area in s.focus_areas:
                key = normalise(area)
                if key:
                    mask |= 1 << bits.setdefault(key, len(bits))
            self.masks.append(mask)
        self.area_count = len(bits)
        self.districts = [normalise(s.district) for s in schools]
        self.partners: dict[int, set[int]] = {}
        self.mode = mode
        if mode != LastYear.IGNORE:
            for a, b in last_year:
                if a in self.index and b in self.index:
                    ia, ib = self.index[a], self.index[b]
                    self.partners.setdefault(ia, set()).add(ib)
                    self.partners.setdefault(ib, set()).add(ia)
        self.last_points = LAST_YEAR_POINTS if mode == LastYear.TOGETHER else -LAST_YEAR_POINTS

    def pair(self, a: int, b: int) -> int:
        score = (self.masks[a] & self.masks[b]).bit_count() * AREA_POINTS
        if self.districts[a] and self.districts[a] == self.districts[b]:
            score += DISTRICT_POINTS
        if self.partners and b in self.partners.get(a, ()):
            score += self.last_points
        return score

    def group(self, members: Sequence[int]) -> int:
        return sum(self.pair(members[i], members[j]) for i in range(len(members)) for j in range(i + 1, len(members)))

    def adding(self, members: Sequence[int], candidate: int) -> int:
        return sum(self.pair(m, candidate) for m in members)


def _by_area(scorer: _Scorer, order: Sequence[int]) -> list[list[int]]:
    lists: list[list[int]] = [[] for _ in range(scorer.area_count)]
    for i in order:
        mask = scorer.masks[i]
        while mask:
            low = mask & -mask
            lists[low.bit_length() - 1].append(i)
            mask ^= low
    return lists


def _areas_of(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def greedy(schools: Sequence[SchoolInput], last_year: Iterable[tuple[int, int]] = (),
           mode: LastYear = LastYear.IGNORE) -> list[list[int]]:
    """Return groups (school indexes) made greedily: hardest schools first, each taking the best free school."""
    scorer = _Scorer(schools, last_year, mode)
    return _greedy(scorer, len(schools))


def _greedy(scorer: _Scorer, n: int) -> list[list[int]]:
    area_sizes = Counter()
    for mask in scorer.masks:
        for area in _areas_of(mask):
            area_sizes[area] += 1
    reach = [sum(area_sizes[a] for a in _areas_of(scorer.masks[i])) for i in range(n)]
    order = sorted(range(n), key=lambda i: (reach[i], i))
    lists = _by_area(scorer, order)
    heads = [0] * len(lists)
    free = [True] * n
    by_district: dict[str, list[int]] = {}
    for i in order:
        by_district.setdefault(scorer.districts[i], []).append(i)
    district_heads = dict.fromkeys(by_district, 0)
    next_free = 0
    groups = []
    for size in group_sizes(n):
        while not free[order[next_free]]:
            next_free += 1
        seed = order[next_free]
        free[seed] = False
        members = [seed]
        while len(members) < size:
            best, best_score = -1, -1
            for area in {a for m in members for a in _areas_of(scorer.masks[m])}:
                items = lists[area]
                head = heads[area]
                while head < len(items) and not free[items[head]]:
                    head += 1
                heads[area] = head
                seen = 0
                for j in range(head, len(items)):
                    candidate = items[j]
                    if not free[candidate]:
                        continue
                    score = scorer.adding(members, candidate)
                    if score > best_score or (score == best_score and candidate < best):
                        best, best_score = candidate, score
                    seen += 1
                    if seen >= CANDIDATES_PER_AREA:
                        break
            if best < 0:
                # Nobody free shares an area: take a free school of the same district, else the next free one.
                district = scorer.districts[seed]
                items, head = by_district[district], district_heads[district]
                while head < len(items) and not free[items[head]]:
                    head += 1
                district_heads[district] = head
                if head < len(items):
                    best = items[head]
                else:
                    while not free[order[next_free]]:
                        next_free += 1
                    best = order[next_free]
            free[best] = False
            members.append(best)
        groups.append(members)
    return groups


def _improve(scorer: _Scorer, groups: list[list[int]]) -> None:
    """Swap schools between groups while a swap raises the total (a bounded number of tries)."""
    where = {}
    for g, members in enumerate(groups):
        for m in members:
            where[m] = g
    order = sorted(where)
    lists = _by_area(scorer, order)
    for _pass in range(SWAP_PASSES):
        improved = False
        for a in order:
            ga = where[a]
            rest_a = [m for m in groups[ga] if m != a]
            keep_a = scorer.adding(rest_a, a)
            for area in _areas_of(scorer.masks[a]):
                for b in lists[area][:SWAP_CANDIDATES]:
                    gb = where[b]
                    if gb == ga:
                        continue
                    rest_b = [m for m in groups[gb] if m != b]
                    delta = (scorer.adding(rest_a, b) + scorer.adding(rest_b, a)
                             - keep_a - scorer.adding(rest_b, b))
                    if delta > 0:
                        groups[ga] = rest_a + [b]
                        groups[gb] = rest_b + [a]
                        where[a], where[b] = gb, ga
                        ga, rest_a = gb, rest_b
                        keep_a = scorer.adding(rest_a, a)
                        improved = True
        if not improved:
            break


def _describe(schools: Sequence[SchoolInput], scorer: _Scorer, members: list[int]) -> Group:
    members = sorted(members)
    shared = shared_areas([schools[i].focus_areas for i in members])
    nothing = [schools[i].id for i in members
               if all(scorer.masks[i] & scorer.masks[j] == 0 for j in members if j != i)]
    districts = {scorer.districts[i] for i in members}
    same = schools[members[0]].district if len(districts) == 1 and schools[members[0]].district else ""
    last = sum(1 for x in members for y in members if x < y and y in scorer.partners.get(x, ()))
    return Group(school_ids=[schools[i].id for i in members], shared=shared, score=scorer.group(members),
                 sharing_nothing=nothing, same_district=same, last_year_pairs=last)


def shared_pairs(masks_of_groups: Iterable[Sequence[int]], masks: Sequence[int]) -> int:
    return sum((masks[a] & masks[b]).bit_count() for g in masks_of_groups
               for i, a in enumerate(g) for b in g[i + 1:])


def summarise(schools: Sequence[SchoolInput], groups_by_index: list[list[int]], last_year=(),
              mode: LastYear = LastYear.IGNORE) -> Composition:
    """Describe groups given as lists of indexes into ``schools``: shared areas, scores, who shares nothing."""
    scorer = _Scorer(schools, last_year, mode)
    area_sizes = Counter()
    for mask in scorer.masks:
        for area in _areas_of(mask):
            area_sizes[area] += 1
    unmatched = [s.id for i, s in enumerate(schools) if all(area_sizes[a] < 2 for a in _areas_of(scorer.masks[i]))]
    described = [_describe(schools, scorer, g) for g in groups_by_index]
    described.sort(key=lambda g: (-g.score, g.school_ids))
    return Composition(groups=described, score=sum(g.score for g in described),
                       shared_pairs=shared_pairs(groups_by_index, scorer.masks), unmatched=unmatched)


def compose(schools: Sequence[SchoolInput], last_year: Iterable[tuple[int, int]] = (),
            mode: LastYear = LastYear.IGNORE) -> Composition:
    """Partition the schools into groups of two to four, scored by shared focus areas (see the module)."""
    last_year = list(last_year)
    schools = sorted(schools, key=lambda s: s.id)
    scorer = _Scorer(schools, last_year, mode)
    groups = _greedy(scorer, len(schools))
    _improve(scorer, groups)
    return summarise(schools, groups, last_year, mode)


def shared_areas(area_lists: Sequence[Sequence[str]]) -> list[str]:
    """Return the focus areas at least two of the lists share (as first written), most shared first."""
    counts = Counter()
    shown: dict[str, str] = {}
    for areas in area_lists:
        for area in dict.fromkeys(areas):
            key = normalise(area)
            if key:
                counts[key] += 1
                shown.setdefault(key, area.strip())
    return [shown[k] for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= 2]


def score_of(schools: Sequence[SchoolInput], groups: Sequence[Sequence[int]], last_year=(),
             mode: LastYear = LastYear.IGNORE) -> int:
    """Return the total score of groups given as school ids (for the admin's moved groups)."""
    ordered = sorted(schools, key=lambda s: s.id)
    scorer = _Scorer(ordered, last_year, mode)
    return sum(scorer.group([scorer.index[i] for i in g]) for g in groups)
