"""Factories for the fyrtårn tests: profiles with approved release time, offerings, availability."""
from __future__ import annotations

import itertools
from datetime import date, time

import pytest

from lighthouse.bookings.models import AvailabilityWindow, BookableKind, BookableOffering, Venue
from lighthouse.profiles.models import (GradeLevel, LighthouseProfile, ProfileGrade, ProfileSubject, ReleaseTime,
                                        Subject, semester_of)
from lms.db import db
from lms.people.models import Role

_seq = itertools.count(1)


@pytest.fixture
def make_profile(make_user, make_school, now):
    """Return a factory of fyrtårn with a profile and, by default, 20 approved hours this semester."""
    def make(name: str | None = None, *, subjects=(Subject.MATHEMATICS,), grades=(GradeLevel.PRIMARY_UPPER,),
             approved_hours: int | None = 20, school=None, semester: str | None = None) -> LighthouseProfile:
        school = school or make_school()
        user = make_user(name or f"Fyrtårn {next(_seq)}", roles=(Role.TEACHER, Role.LIGHTHOUSE), school=school)
        profile = LighthouseProfile(user=user, home_school=school, presentation="Erfaren lærer.")
        profile.subject_rows = [ProfileSubject(subject=s) for s in subjects]
        profile.grade_rows = [ProfileGrade(grade=g) for g in grades]
        db.session.add(profile)
        db.session.flush()
        if approved_hours is not None:
            db.session.add(ReleaseTime(profile_id=profile.id, semester=semester or semester_of(now),
                                       requested_minutes=approved_hours * 60, approved_minutes=approved_hours * 60))
            db.session.flush()
        return profile
    return make


@pytest.fixture
def make_bookable(make_profile):
    """Return a factory of bookable offerings (90-minute guidance by default)."""
    def make(profile: LighthouseProfile | None = None, *, kind=BookableKind.GUIDANCE, title="Veiledning i matematikk",
             duration_minutes=90, max_participants=10, buffer_minutes=15, min_notice_hours=48,
             venue=Venue.EITHER, subject=Subject.MATHEMATICS) -> BookableOffering:
        offering = BookableOffering(profile=profile or make_profile(), kind=kind, title=title,
                                    duration_minutes=duration_minutes, max_participants=max_participants,
                                    buffer_minutes=buffer_minutes, min_notice_hours=min_notice_hours,
                                    venue=venue, subject=subject, audience="Lærere")
        db.session.add(offering)
        db.session.flush()
        return offering
    return make


@pytest.fixture
def make_window():
    """Return a factory of weekly availability windows (Oslo local time)."""
    def make(profile: LighthouseProfile, *, weekday=1, start=time(12, 0), end=time(15, 0),
             valid_from=date(2026, 8, 17), valid_until=date(2026, 12, 18)) -> AvailabilityWindow:
        window = AvailabilityWindow(profile_id=profile.id, weekday=weekday, start_time=start, end_time=end,
                                    valid_from=valid_from, valid_until=valid_until)
        db.session.add(window)
        db.session.flush()
        return window
    return make
