"""What a leader sees on the onboarding page: new hires and their course."""
from datetime import date

from catalog.enrollment import operations as ops
from catalog.offerings.models import OfferingKind, OnboardingCohort, TargetGroup
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
    assert "Oppfølging for nyansatte" in page and "Ikke påmeldt" in page
    assert "Oppstart august" in login(early).get("/mine-kurs").get_data(as_text=True)
