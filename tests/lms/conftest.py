"""Fixtures of the host's tests."""
from datetime import timedelta

import pytest

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings.models import TargetGroup

from lms import create_app
from lms.db import db
from lms.people.models import Role
from lms.plans import operations as plan_ops
from tests.conftest import FreshRequestClient


@pytest.fixture
def make_app(app):
    """Return a factory for a second app on the test database, with settings changed."""
    made = []

    def make(**overrides):
        db.session.commit()  # the second app has its own connections; let it see our data
        other = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "SECRET_KEY": app.config["SECRET_KEY"], **overrides})
        other.test_client_class = FreshRequestClient
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


# --- a school with its leader and a development plan (the plan tests) ----------------------

@pytest.fixture
def school(make_school):
    return make_school("Bakkehaugen skole")


@pytest.fixture
def leader(make_user, school):
    return make_user("Rita Rektor", roles=(Role.LEADER,), school=school)


@pytest.fixture
def plan(leader, school, now):
    plan = plan_ops.create_plan(school.id, 2026, 2028, actor=leader, now=now)
    db.session.commit()
    return plan


@pytest.fixture
def people(make_user, make_school, school, leader, admin):
    other_school = make_school("Dalen skole")
    return {
        "leader": leader,
        "teacher": make_user("Tor Lærer", school=school),
        "other_leader": make_user("Olav Annen", roles=(Role.LEADER,), school=other_school),
        "other_teacher": make_user("Otto Annen", school=other_school),
        "admin": admin,
    }


@pytest.fixture
def course_plan(leader, school, plan, make_offering, make_user, now, admin):
    course = make_offering("Digital vurdering", target_groups=(TargetGroup.TEACHERS,))
    teachers = [make_user(f"Lærer {i}", school=school) for i in range(4)]
    for teacher in teachers[:3]:
        enrollment_ops.enroll(course.id, teacher, actor=teacher, now=now)
    done = enrollment_ops.active_enrollment(course.id, teachers[0].id)
    enrollment_ops.transition(done, EnrollmentState.COMPLETED, actor=admin, now=now + timedelta(days=1))
    plan_ops.add_measure(plan, 4, "Kurs i digital vurdering", plan_ops.PlanTargetGroup.TEACHERS, "Rita", "Høst",
                    [("offering", course.id), ("lighthouse_offering", 77)], actor=leader, now=now)
    db.session.commit()
    return plan, course
