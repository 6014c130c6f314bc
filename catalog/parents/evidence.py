"""Parent events' evidence for development plans: the parents each school reached (area 6).

Answers :class:`lms.plugins.EvidenceQuery` in five queries however many
schools and links: the school-wide figures of
:func:`catalog.parents.operations.plan_figures` (events held, parents
reached, parents at the door), then
:func:`~catalog.parents.operations.reached_by_school_and_event` for the
linked events held in the period (from the counts kept after the sign-ups
are deleted and from the sign-ups not yet deleted). No figure links to a list: the lists of parents are
deleted on time, and the plan is read long after.
"""
from __future__ import annotations

from flask_babel import gettext as _

from catalog.parents.operations import plan_figures, reached_by_school_and_event
from lms.db import now_utc
from lms.plugins import EvidenceFigure, EvidenceQuery

#: Information to and anchoring with parents is area 6.
AREA = 6
#: The key the municipality overview reads for "parents reached".
PARENTS_REACHED = "parents_reached"


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
        for (school_id, event_id), values in sorted(
                reached_by_school_and_event(schools, query.starts_at, until, linked).items()):
            figures.append(EvidenceFigure(school_id=school_id, area=AREA, key="event_parents_reached",
                                          value=values["reached"],
                                          label=_("Foreldre nådd"), link=("parent_event", event_id)))
    return figures
