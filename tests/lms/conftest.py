"""Fixtures of the host's tests."""
import pytest

from lms import create_app
from lms.db import db
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
