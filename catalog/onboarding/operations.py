"""Onboarding: which course a new hire is offered, and who has not taken it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OnboardingCohort
from lms.db import db
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


def course_for(person: User, today: date) -> Offering | None:
    """Return the onboarding course of this school year that fits the person's hire date."""
    if not enrollment_ops.is_new_hire(person, today):
        return None
    cohort = cohort_for(max(person.hire_date, date(school_year_of(today), 8, 1)))
    return db.session.scalar(
        sa.select(Offering).where(Offering.kind == OfferingKind.ONBOARDING,
                                  Offering.onboarding_cohort == cohort,
                                  Offering.school_year == school_year_of(today),
                                  Offering.status == OfferingStatus.PUBLISHED)
        .order_by(Offering.first_starts_at).limit(1))


@dataclass
class NewHireStatus:
    person: User
    course: Offering | None
    enrollment: Enrollment | None

    @property
    def label(self) -> str:
        if self.course is None:
            return str(_l("Ingen oppstartskurs er publisert for denne gruppen"))
        if self.enrollment is None:
            return str(_l("Ikke påmeldt"))
        return self.enrollment.state.label

    @property
    def done(self) -> bool:
        return self.enrollment is not None and self.enrollment.state == EnrollmentState.COMPLETED


def new_hires_at(school_ids: set[int], today: date) -> list[NewHireStatus]:
    """Return the new hires at these schools with their onboarding status, those left to act on first."""
    people = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id.in_(school_ids), Membership.role.in_([Role.TEACHER, Role.LIGHTHOUSE, Role.LEADER]),
               User.active.is_(True), User.hire_date.is_not(None))
        .distinct().order_by(User.name)).all()
    rows = []
    for person in people:
        if not enrollment_ops.is_new_hire(person, today):
            continue
        course = course_for(person, today)
        enrollment = None
        if course is not None:
            enrollment = enrollment_ops.active_enrollment(course.id, person.id)
        rows.append(NewHireStatus(person, course, enrollment))
    rows.sort(key=lambda r: (r.done, r.enrollment is not None, r.person.name))
    return rows
