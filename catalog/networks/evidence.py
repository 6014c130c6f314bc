"""The networks' evidence for development plans: gatherings held and attended, and what was carried back.

Answers :class:`lms.plugins.EvidenceQuery` in the one query of
:func:`catalog.networks.operations.figures_by_school_and_network`, however
many schools, networks and links. Each school gets its figures over all its networks
(area 4, the staff's competence, shown with the area's goals), and each
measure that links a network gets that network's figures.
"""
from __future__ import annotations

from collections import defaultdict

from flask import url_for
from flask_babel import gettext as _

from catalog.networks.operations import FIGURE_KEYS as KEYS
from catalog.networks.operations import figures_by_school_and_network
from lms.db import now_utc
from lms.plugins import EvidenceFigure, EvidenceQuery

#: Network learning is competence building (area 4) that the school carries home.
AREA = 4


def _labels() -> dict[str, str]:
    return {"gatherings": _("Nettverkssamlinger holdt"), "attended": _("Deltakere fra skolen på samlingene"),
            "carried_back": _("Samlinger delt videre på skolen"),
            "carried_back_reached": _("Kolleger nådd da det ble delt på skolen")}


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return each school's network figures, and each linked network's, for the plan period."""
    if not query.school_ids:
        return []
    rows = figures_by_school_and_network(query.school_ids, query.starts_at, min(query.ends_at, query.now or now_utc()))
    labels = _labels()
    linked = set(query.links.get("network", ()))
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KEYS, 0))
    figures: list[EvidenceFigure] = []
    for (school_id, network_id), values in sorted(rows.items()):
        for key in KEYS:
            totals[school_id][key] += values[key]
        if network_id in linked:
            url = url_for("networks.show", network_id=network_id)
            figures += [EvidenceFigure(school_id=school_id, area=AREA, key=f"network_{key}", label=labels[key],
                                       value=values[key], url=url, link=("network", network_id)) for key in KEYS]
    for school_id, values in sorted(totals.items()):
        if values["gatherings"]:
            figures += [EvidenceFigure(school_id=school_id, area=AREA, key=f"network_{key}", label=labels[key],
                                       value=values[key]) for key in KEYS]
    return figures
