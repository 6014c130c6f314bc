"""Parent events' evidence for development plans: the parents each school reached (area 6).

Answers :class:`lms.plugins.EvidenceQuery` in five queries however many
schools and links: the school-wide figures of
:func:`catalog.parents.operations.plan_figures` (events held, parents
reached, parents at the door), then the parents reached per linked event,
from the counts kept after the sign-ups are deleted and from the sign-ups
not yet deleted. No figure links to a list: the lists of parents are
deleted on time, and the plan is read long after.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _

from catalog.parents.models import ParentSignup, ParentTally, SignupState
from catalog.parents.operations import plan_figures
from lms.db import db, now_utc
from lms.plugins import EvidenceFigure, EvidenceQuery

#: Information to and anchoring with parents is area 6.
AREA = 6
#: The key the municipality overview reads for "parents reached".
PARENTS_REACHED = "parents_reached"


def _reached_per_event(school_ids: list[int], event_ids: list[int]) -> dict[tuple[int, int], int]:
    reached: dict[tuple[int, int], int] = defaultdict(int)
    for school_id, event_id, people in db.session.execute(
            sa.select(ParentTally.school_id, ParentTally.event_id, sa.func.sum(ParentTally.people))
            .where(ParentTally.event_id.in_(event_ids), ParentTally.school_id.in_(school_ids))
            .group_by(ParentTally.school_id, ParentTally.event_id)):
        reached[school_id, event_id] += int(people or 0)
    for school_id, event_id, people in db.session.execute(
            sa.select(ParentSignup.school_id, ParentSignup.event_id, sa.func.sum(ParentSignup.party_size))
            .where(ParentSignup.event_id.in_(event_ids), ParentSignup.school_id.in_(school_ids),
                   ParentSignup.state == SignupState.CONFIRMED)
            .group_by(ParentSignup.school_id, ParentSignup.event_id)):
        reached[school_id, event_id] += int(people or 0)
    return reached


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return each school's parent events held and parents reached, and the parents reached per linked event."""
    if not query.school_ids:
        return []
    schools = sorted(query.school_ids)
    until = min(query.ends_at, query.now or now_utc())
    figures: list[EvidenceFigure] = []
    for school_id, values in plan_figures(schools, query.starts_at, until).items():
        if values["events"] or values["reached"]:
            figures += [
                EvidenceFigure(school_id=school_id, area=AREA, key="parent_events", value=values["events"],
                               label=_("Foreldrearrangementer skolen holdt")),
                EvidenceFigure(school_id=school_id, area=AREA, key=PARENTS_REACHED, value=values["reached"],
                               label=_("Foreldre nådd (i salen og på strømmen)")),
                EvidenceFigure(school_id=school_id, area=AREA, key="parents_attended", value=values["attended"],
                               label=_("Foreldre registrert i døra"))]
    linked = sorted(query.links.get("parent_event", ()))
    if linked:
        for (school_id, event_id), people in sorted(_reached_per_event(schools, linked).items()):
            figures.append(EvidenceFigure(school_id=school_id, area=AREA, key="event_parents_reached", value=people,
                                          label=_("Foreldre nådd"), link=("parent_event", event_id)))
    return figures
