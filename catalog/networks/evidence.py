"""The networks' evidence for development plans: gatherings held and attended, and what was carried back.

Answers :class:`lms.plugins.EvidenceQuery` in three queries however many
schools, networks and links: gatherings held in the period per school and
network, the school's attendance at them, and its records of sharing what
was learned at home. Each school gets its figures over all its networks
(area 4, the staff's competence, shown with the area's goals), and each
measure that links a network gets that network's figures.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from catalog.networks.models import CarriedBack, Gathering, GatheringAttendance, NetworkSchool
from events.models import Session, SessionStatus
from lms.db import db, now_utc
from lms.plugins import EvidenceFigure, EvidenceQuery

#: Network learning is competence building (area 4) that the school carries home.
AREA = 4
KEYS = ("gatherings", "attended", "carried_back", "carried_back_reached")


def _labels() -> dict[str, str]:
    return {"gatherings": _("Nettverkssamlinger holdt"), "attended": _("Deltakere fra skolen på samlingene"),
            "carried_back": _("Samlinger delt videre på skolen"),
            "carried_back_reached": _("Kolleger nådd da det ble delt på skolen")}


def _by_school_and_network(query: EvidenceQuery) -> dict[tuple[int, int], dict[str, int]]:
    """Return the figures per (school, network) for gatherings held in the period, in three queries."""
    until = min(query.ends_at, query.now or now_utc())
    held = sa.and_(Session.status == SessionStatus.SCHEDULED, Session.starts_at >= query.starts_at,
                   Session.starts_at < until)
    schools = list(query.school_ids)
    figures: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(KEYS, 0))
    for school_id, network_id, count in db.session.execute(
            sa.select(NetworkSchool.school_id, Gathering.network_id, sa.func.count(Gathering.id))
            .join(Gathering, Gathering.network_id == NetworkSchool.network_id)
            .join(Session, Session.id == Gathering.session_id)
            .where(NetworkSchool.school_id.in_(schools), held)
            .group_by(NetworkSchool.school_id, Gathering.network_id)):
        figures[school_id, network_id]["gatherings"] = count
    for school_id, network_id, total in db.session.execute(
            sa.select(GatheringAttendance.school_id, Gathering.network_id, sa.func.sum(GatheringAttendance.count))
            .join(Gathering, Gathering.id == GatheringAttendance.gathering_id)
            .join(Session, Session.id == Gathering.session_id)
            .where(GatheringAttendance.school_id.in_(schools), held)
            .group_by(GatheringAttendance.school_id, Gathering.network_id)):
        figures[school_id, network_id]["attended"] = int(total or 0)
    for school_id, network_id, count, reached in db.session.execute(
            sa.select(CarriedBack.school_id, Gathering.network_id, sa.func.count(CarriedBack.id),
                      sa.func.sum(CarriedBack.reached))
            .join(Gathering, Gathering.id == CarriedBack.gathering_id)
            .join(Session, Session.id == Gathering.session_id)
            .where(CarriedBack.school_id.in_(schools), held)
            .group_by(CarriedBack.school_id, Gathering.network_id)):
        figures[school_id, network_id]["carried_back"] = count
        figures[school_id, network_id]["carried_back_reached"] = int(reached or 0)
    return figures


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return each school's network figures, and each linked network's, for the plan period."""
    if not query.school_ids:
        return []
    rows = _by_school_and_network(query)
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
