"""Fixtures of the host's tests."""
import pytest

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
