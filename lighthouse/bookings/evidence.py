"""The fyrtårn scheme's evidence for development plans: the school's bookings held and completed, and their feedback.

Answers :class:`lms.plugins.EvidenceQuery` in one query however many schools
and links: the bookings of the schools that start in the period, grouped by
school, offering and state.
"""
from __future__ import annotations

import functools
from collections import defaultdict

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from lighthouse.bookings.models import Booking, BookingState
from lms.db import db, now_utc
from lms.plugins import EvidenceFigure, EvidenceQuery, school_values, schools_parameter

#: Guidance and courses from fyrtårn teachers build the staff's competence.
AREA = 4


@functools.cache
def _bookings_statement(many: bool) -> sa.Select:
    """The schools' confirmed and completed bookings starting in [``starts_at``, ``ends_at``), built once."""
    return (sa.select(Booking.school_id, Booking.offering_id, Booking.state, Booking.starts_at, Booking.feedback_rating)
            .where(schools_parameter(Booking.school_id, many), Booking.starts_at >= sa.bindparam("starts_at"),
                   Booking.starts_at < sa.bindparam("ends_at"),
                   Booking.state.in_([BookingState.CONFIRMED, BookingState.COMPLETED])))


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return bookings held and completed, with their feedback, per linked fyrtårn offering and for the school."""
    if not query.school_ids:
        return []
    now = query.now or now_utc()
    #: Per school, per fyrtårn offering.
    counts: dict[int, dict[int, dict]] = defaultdict(lambda: defaultdict(lambda: {"held": 0, "completed": 0,
                                                                                  "ratings": []}))
    many, values = school_values(query.school_ids)
    rows = db.session.execute(_bookings_statement(many), values | {"starts_at": query.starts_at,
                                                                   "ends_at": query.ends_at})
    for school_id, offering_id, state, starts_at, rating in rows:
        if school_id not in query.school_ids:  # every school's, when they are many (see lms.plugins.at_schools)
            continue
        mine = counts[school_id][offering_id]
        if state == BookingState.COMPLETED or starts_at <= now:
            mine["held"] += 1
        if state == BookingState.COMPLETED:
            mine["completed"] += 1
        if rating is not None:
            mine["ratings"].append(rating)
    linked = set(query.links.get("lighthouse_offering", ()))
    url = url_for("bookings.index")
    held_label, completed_label = _("Fyrtårnbestillinger holdt"), _("Fyrtårnbestillinger gjennomført")
    feedback_label = _("Snitt av tilbakemeldinger (1–5)")
    figures = []
    for school_id in sorted(query.school_ids):
        mine = counts.get(school_id, {})
        for offering_id in sorted(linked):
            c = mine.get(offering_id, {"held": 0, "completed": 0, "ratings": []})
            link = ("lighthouse_offering", offering_id)
            figures.append(EvidenceFigure(school_id, AREA, "bookings_held", held_label, c["held"],
                                          url=url, link=link))
            figures.append(EvidenceFigure(school_id, AREA, "bookings_completed", completed_label,
                                          c["completed"], url=url, link=link))
            if c["ratings"]:
                figures.append(EvidenceFigure(school_id, AREA, "feedback", feedback_label,
                                              round(sum(c["ratings"]) / len(c["ratings"]), 1), url=url, link=link))
        if mine:
            figures.append(EvidenceFigure(school_id, AREA, "bookings_completed",
                                          _("Fyrtårnbestillinger gjennomført i planperioden"),
                                          sum(c["completed"] for c in mine.values()), url=url))
    return figures
