"""Onboarding: which course a new hire is offered, and who has not taken it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OnboardingCohort
from lms.db import db
from lms.i18n import to_oslo
from lms.people.models import Membership, Role, User
from lms.schoolyear import school_year_of
from lms.settings import operations as settings

def month_day(value: str) -> str:
    """Return a day of the year written MM-DD, or raise ValueError."""
    month, day = (int(part) for part in value.split("-"))
    date(2001, month, day)  # a year without 29 February: the day must exist every year
    return f"{month:02d}-{day:02d}"


SCHOOL_START = settings.register("onboarding.school_start", month_day, "08-15",
                                 _l("Skolestart (MM-DD): ansatt etter denne dagen gir oppfølgingskurset"))


def school_start(school_year: int) -> date:
    """Return the first school day of a school year, from the setting."""
    raw = settings.get(SCHOOL_START.key)
    try:
        month, day = (int(part) for part in raw.split("-"))
        return date(school_year, month, day)
    except ValueError:
        return date(school_year, 8, 15)


def cohort_for(hire_date: date) -> OnboardingCohort:
    """Return the onboarding cohort: the August course, or the follow-up for those hired after school start."""
    year = school_year_of(hire_date)
    return OnboardingCohort.AUGUST if hire_date <= school_start(year) else OnboardingCohort.FOLLOW_UP


def _onboarding_courses(school_year: int) -> list[Offering]:
    return list(db.session.scalars(
        sa.select(Offering).where(Offering.kind == OfferingKind.ONBOARDING, Offering.school_year == school_year,
                                  Offering.status == OfferingStatus.PUBLISHED)
        .order_by(Offering.first_starts_at, Offering.id)))


def course_for(person: User, now: datetime, courses: list[Offering] | None = None,
               taken: set[int] | None = None) -> Offering | None:
    """Return the onboarding course of this school year to point a new hire to.

    The one they already have a place in (or wait for), if any; otherwise
    the first course for their cohort they can still join, and once the
    August course has taken place, the follow-up course. Never a course
    whose sign-up has closed: None when there is nothing left to join.
    ``courses`` are this school year's onboarding courses and ``taken`` the
    ids of those the person is in, when the caller has them already.
    """
    today = to_oslo(now).date()
    if not enrollment_ops.is_new_hire(person, today):
        return None
    if courses is None:
        courses = _onboarding_courses(school_year_of(today))
    if not courses:
        return None
    if taken is None:
        taken = set(db.session.scalars(sa.select(Enrollment.offering_id).where(
            Enrollment.user_id == person.id, Enrollment.state != EnrollmentState.CANCELLED,
            Enrollment.offering_id.in_([c.id for c in courses]))))
    for course in courses:
        if course.id in taken:
            return course
    cohort = cohort_for(max(person.hire_date, date(school_year_of(today), 8, 1)))
    # The August course for those hired before school start, then the follow-up for everyone.
    wanted = [cohort] if cohort == OnboardingCohort.FOLLOW_UP else [cohort, OnboardingCohort.FOLLOW_UP]
    for group in wanted:
        for course in courses:
            if course.onboarding_cohort == group and enrollment_ops.registration_problem(course, now) is None:
                return course
    return None


@dataclass
class NewHireStatus:
    person: User
    course: Offering | None
    enrollment: Enrollment | None

    @property
    def label(self) -> str:
        if self.course is None:
            return str(_l("Ingen oppstartskurs med åpen påmelding"))
        if self.enrollment is None:
            return str(_l("Ikke påmeldt"))
        return self.enrollment.state.label

    @property
    def done(self) -> bool:
        return self.enrollment is not None and self.enrollment.state == EnrollmentState.COMPLETED


def new_hires_at(school_ids: set[int], now: datetime) -> list[NewHireStatus]:
    """Return the new hires at these schools with their onboarding status, those left to act on first.

    A fixed number of queries however many people: the people, this school
    year's onboarding courses and the people's enrollments in them.
    """
    today = to_oslo(now).date()
    people = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id.in_(school_ids), Membership.role.in_([Role.TEACHER, Role.LIGHTHOUSE, Role.LEADER]),
               User.active.is_(True), User.hire_date.is_not(None))
        .distinct().order_by(User.name)).all()
    new = [person for person in people if enrollment_ops.is_new_hire(person, today)]
    courses = _onboarding_courses(school_year_of(today))
    course_ids = [course.id for course in courses]
    enrollments = {}
    if new and course_ids:
        enrollments = {(e.user_id, e.offering_id): e for e in db.session.scalars(sa.select(Enrollment).where(
            Enrollment.user_id.in_([person.id for person in new]), Enrollment.offering_id.in_(course_ids),
            Enrollment.state != EnrollmentState.CANCELLED))}
    rows = []
    for person in new:
        mine = {offering_id: e for (user_id, offering_id), e in enrollments.items() if user_id == person.id}
        course = course_for(person, now, courses, set(mine))
        enrollment = mine.get(course.id) if course is not None else None
        rows.append(NewHireStatus(person, course, enrollment))
    rows.sort(key=lambda r: (r.done, r.enrollment is not None, r.person.name))
    return rows
