"""What a leader sees on the onboarding page: new hires and their course."""
from datetime import date, timedelta

from catalog.enrollment import operations as ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings.models import OfferingKind, OnboardingCohort, TargetGroup
from catalog.onboarding import operations as onboarding_ops
from lms.db import db
from lms.people.models import Role


def test_leader_sees_new_hires_without_onboarding(login, make_offering, make_user, make_school, now):
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    early = make_user("Nina Ny", school=school, hire_date=date(2026, 8, 1))
    make_user("Ola Oktober", school=school, hire_date=date(2026, 10, 15))
    make_user("Gammel Ansatt", school=school, hire_date=date(2010, 8, 1))
    august = make_offering("Oppstart august", kind=OfferingKind.ONBOARDING, target_groups=(TargetGroup.NEW_HIRES,),
                           onboarding_cohort=OnboardingCohort.AUGUST)
    make_offering("Oppfølging for nyansatte", kind=OfferingKind.ONBOARDING, target_groups=(TargetGroup.NEW_HIRES,),
                  onboarding_cohort=OnboardingCohort.FOLLOW_UP)
    ops.enroll(august.id, early, actor=early, now=now)
    db.session.commit()
    page = login(leader).get("/nyansatte").get_data(as_text=True)
    assert "Nina Ny" in page and "Ola Oktober" in page and "Gammel Ansatt" not in page
    assert "Oppfølging for nyansatte" in page and "Meld på oppstartskurset" in page
    assert "Oppstart august" in login(early).get("/mine-kurs").get_data(as_text=True)


def _onboarding(make_offering, title, cohort, days):
    return make_offering(title, kind=OfferingKind.ONBOARDING, target_groups=(TargetGroup.NEW_HIRES,),
                         onboarding_cohort=cohort, starts_in=timedelta(days=days))


def test_after_the_august_course_a_new_hire_is_pointed_to_the_follow_up(login, make_offering, make_user, now):
    _onboarding(make_offering, "Oppstart august", OnboardingCohort.AUGUST, -10)  # took place in August
    follow_up = _onboarding(make_offering, "Oppfølging for nyansatte", OnboardingCohort.FOLLOW_UP, 60)
    hired_in_july = make_user("Nina Ny", hire_date=date(2026, 7, 1))
    db.session.commit()
    assert onboarding_ops.course_for(hired_in_july, now) == follow_up
    page = login(hired_in_july).get("/mine-kurs").get_data(as_text=True)
    assert "Oppfølging for nyansatte" in page and "Oppstart august" not in page


def test_a_new_hire_is_never_pointed_to_a_course_that_has_ended(make_offering, make_user, now):
    _onboarding(make_offering, "Oppstart august", OnboardingCohort.AUGUST, -10)
    _onboarding(make_offering, "Oppfølging for nyansatte", OnboardingCohort.FOLLOW_UP, -3)
    late = make_user(hire_date=date(2026, 8, 20))
    assert onboarding_ops.course_for(late, now) is None


def test_before_the_august_course_an_early_hire_gets_it(make_offering, make_user, now):
    august = _onboarding(make_offering, "Oppstart august", OnboardingCohort.AUGUST, 5)
    _onboarding(make_offering, "Oppfølging for nyansatte", OnboardingCohort.FOLLOW_UP, 60)
    assert onboarding_ops.course_for(make_user(hire_date=date(2026, 8, 1)), now) == august


def test_the_leader_enrolls_a_new_hire_from_the_new_hires_page(login, make_offering, make_user, make_school, now):
    school = make_school()
    leader = make_user(roles=(Role.LEADER,), school=school)
    hire = make_user("Ola Oktober", school=school, hire_date=date(2026, 10, 15))
    follow_up = _onboarding(make_offering, "Oppfølging for nyansatte", OnboardingCohort.FOLLOW_UP, 60)
    db.session.commit()
    c = login(leader)
    page = c.get("/nyansatte").get_data(as_text=True)
    row = page.split("Ola Oktober</th>")[1].split("</tr>")[0]
    assert f'action="/kurs/{follow_up.id}/pamelding"' in row and f'value="{hire.id}"' in row
    done = c.post(f"/kurs/{follow_up.id}/pamelding", data={"person_id": str(hire.id), "next": "/nyansatte"},
                  follow_redirects=True).get_data(as_text=True)
    assert "Ola Oktober er påmeldt «Oppfølging for nyansatte»." in done
    assert "Meld på oppstartskurset" not in done.split("Ola Oktober</th>")[1].split("</tr>")[0]
    assert ops.active_enrollment(follow_up.id, hire.id).state == EnrollmentState.ENROLLED
