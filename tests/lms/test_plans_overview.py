"""The municipality overview counts each school as the school's own plan page does."""
from __future__ import annotations

import re
from datetime import date, timedelta

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings.models import OfferingKind, OnboardingCohort, TargetGroup
from lms.db import db
from lms.people.models import Membership, Role
from lms.plans import operations as ops

COVERAGE = "Ansatte med fullført kompetansetiltak i planperioden"


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def test_the_overview_gives_each_school_the_figures_of_its_own_plan_page(login, admin, make_school, make_user,
                                                                           make_offering, now):
    course = make_offering("Digital vurdering", capacity=30)
    onboarding = make_offering("Oppstart august", kind=OfferingKind.ONBOARDING, capacity=30,
                               target_groups=(TargetGroup.NEW_HIRES,), onboarding_cohort=OnboardingCohort.AUGUST)
    schools = [make_school(f"Overblikk skole {n}", district="Nord") for n in range(3)]
    leaders = [make_user(f"Leder {n}", roles=(Role.LEADER,), school=s) for n, s in enumerate(schools)]
    plans = [ops.create_plan(s.id, 2026, 2028, actor=leader, now=now) for s, leader in zip(schools, leaders)]
    first, second, third = schools

    def completes(person, offering=course) -> None:
        enrollment_ops.enroll(offering.id, person, actor=person, now=now)
        enrollment = enrollment_ops.active_enrollment(offering.id, person.id)
        enrollment_ops.transition(enrollment, EnrollmentState.COMPLETED, actor=admin, now=now + timedelta(days=1))

    # The first school: a teacher who completed, one who did not, a digital supervisor who did, a new hire
    # who completed onboarding, a teacher and leader in one person who completed (counted once), and a
    # teacher who left (inactive), whose completion does not count.
    completes(make_user(school=first))
    make_user(school=first)
    completes(make_user(school=first, is_digital_supervisor=True))
    completes(make_user(school=first, hire_date=date(2026, 8, 1)), onboarding)
    completes(make_user(roles=(Role.TEACHER, Role.LEADER), school=first))
    completes(make_user(school=first, active=False))
    # The second school: one of two teachers completed, and a teacher of both schools who completed
    # counts at each.
    completes(make_user(school=second))
    make_user(school=second)
    both = make_user(school=second)
    both.memberships.append(Membership(role=Role.TEACHER, school=first))
    completes(both)
    # The third: nobody has completed anything.
    make_user(school=third)
    db.session.commit()

    overview = plain(login(admin).get("/utviklingsplan/oversikt?omrade=Nord"))
    for school, leader, plan in zip(schools, leaders, plans):
        page = plain(login(leader).get(f"/utviklingsplan/{plan.id}"))
        completed, staff = re.search(rf"{COVERAGE}: (\d+) av (\d+)", page).groups()
        share = round(100 * int(completed) / int(staff))
        assert f"{school.name} Nord Utkast 0 {share} % ({completed} av {staff})" in overview, (school.name, page)
    assert re.search(rf"{COVERAGE}: 5 av 7", plain(login(leaders[0]).get(f"/utviklingsplan/{plans[0].id}")))
    assert "Overblikk skole 1 Nord Utkast 0 50 % (2 av 4)" in overview
    assert "Overblikk skole 2 Nord Utkast 0 0 % (0 av 2)" in overview
