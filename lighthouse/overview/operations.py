"""The programme admins' figures: demand per subject area and each fyrtårn's use of release time, per semester.

The municipality reads these to decide where to recruit new fyrtårn: many
requests declined for lack of capacity in a subject mean too few fyrtårn there.
Every figure is counted by the database in one aggregate query per table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lighthouse.bookings.models import HOLDING_STATES, BookableOffering, Booking, BookingState
from lighthouse.profiles.models import LighthouseProfile, ReleaseTime, Subject, semester_of
from lms.db import db
from lms.i18n import to_oslo
from lms.people.models import School, User

_SEMESTER = re.compile(r"^\d{4}[HV]$")


def current_semester(now: datetime) -> str:
    """Return the semester code of ``now`` in Oslo."""
    return semester_of(to_oslo(now).date())


def parse_semester(raw: str | None, now: datetime) -> str:
    """Return the semester a query argument names, or the current one when it names none."""
    raw = (raw or "").strip().upper()
    if _SEMESTER.match(raw) and 2000 <= int(raw[:4]) <= 2100:
        return raw
    return current_semester(now)


def semesters(now: datetime, chosen: str) -> list[str]:
    """Return the semesters with release time or bookings, the current and the chosen one, newest first."""
    codes = set(db.session.scalars(sa.union(sa.select(ReleaseTime.semester), sa.select(Booking.semester))))
    codes |= {current_semester(now), chosen}
    # Within a year the spring (V) comes before the autumn (H), which plain string order gets wrong.
    return sorted(codes, key=lambda c: (c[:4], c[4:] == "H"), reverse=True)


@dataclass(frozen=True)
class SubjectDemand:
    """The bookings of one subject area in one semester, counted by how they ended."""

    subject: Subject | None
    requests: int
    confirmed: int
    declined: int
    declined_for_capacity: int
    cancelled: int
    waiting: int


def demand_by_subject(semester: str) -> list[SubjectDemand]:
    """Return requests per subject area for the semester, most requested first, in one query."""
    def count(condition) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        sa.select(BookableOffering.subject, sa.func.count(Booking.id),
                  count(Booking.state.in_([BookingState.CONFIRMED, BookingState.COMPLETED])),
                  count(Booking.state == BookingState.DECLINED),
                  count(sa.and_(Booking.state == BookingState.DECLINED, Booking.declined_for_capacity)),
                  count(Booking.state == BookingState.CANCELLED),
                  count(Booking.state.in_([BookingState.REQUESTED, BookingState.PROPOSED])))
        .join(BookableOffering, Booking.offering_id == BookableOffering.id)
        .where(Booking.semester == semester)
        .group_by(BookableOffering.subject)).all()
    demand = [SubjectDemand(subject, *(int(n) for n in numbers)) for subject, *numbers in rows]
    return sorted(demand, key=lambda d: (-d.requests, str(d.subject.label)))


def total(rows: list[SubjectDemand]) -> SubjectDemand:
    """Return the sums of all subject areas."""
    return SubjectDemand(None, *(sum(getattr(r, name) for r in rows) for name in (
        "requests", "confirmed", "declined", "declined_for_capacity", "cancelled", "waiting")))


@dataclass(frozen=True)
class ReleaseTimeUse:
    """How much of one fyrtårn's approved release time a semester's bookings hold and have used."""

    profile_id: int
    name: str
    home_school: str
    approved_minutes: int
    #: Held by bookings: requested, proposed, confirmed and completed.
    held_minutes: int
    completed_minutes: int
    #: Held bookings (the requests that take time).
    bookings: int

    @property
    def left_minutes(self) -> int:
        return max(self.approved_minutes - self.held_minutes, 0)


def release_time_use(semester: str) -> list[ReleaseTimeUse]:
    """Return every fyrtårn with release time or bookings in the semester (and every active one), by name."""
    held = Booking.state.in_(list(HOLDING_STATES))
    booked = (sa.select(Booking.profile_id,
                        sa.func.coalesce(sa.func.sum(sa.case((held, Booking.minutes), else_=0)), 0).label("held"),
                        sa.func.coalesce(sa.func.sum(sa.case((Booking.state == BookingState.COMPLETED,
                                                              Booking.minutes), else_=0)), 0).label("completed"),
                        sa.func.coalesce(sa.func.sum(sa.case((held, 1), else_=0)), 0).label("bookings"))
              .where(Booking.semester == semester).group_by(Booking.profile_id).subquery())
    release = (sa.select(ReleaseTime.profile_id, ReleaseTime.approved_minutes)
               .where(ReleaseTime.semester == semester).subquery())
    rows = db.session.execute(
        sa.select(LighthouseProfile.id, User.name, School.name,
                  sa.func.coalesce(release.c.approved_minutes, 0),
                  sa.func.coalesce(booked.c.held, 0), sa.func.coalesce(booked.c.completed, 0),
                  sa.func.coalesce(booked.c.bookings, 0))
        .join(User, LighthouseProfile.user_id == User.id)
        .join(School, LighthouseProfile.home_school_id == School.id)
        .outerjoin(release, release.c.profile_id == LighthouseProfile.id)
        .outerjoin(booked, booked.c.profile_id == LighthouseProfile.id)
        .where(sa.or_(LighthouseProfile.active, release.c.profile_id.is_not(None),
                      booked.c.profile_id.is_not(None)))
        .order_by(User.name, LighthouseProfile.id)).all()
    return [ReleaseTimeUse(profile_id, name, school, *(int(n) for n in numbers))
            for profile_id, name, school, *numbers in rows]
