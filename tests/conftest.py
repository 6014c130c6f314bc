"""Shared fixtures: an app on SQLite (or TEST_DATABASE_URL), factories, clients per role.

The schema is built once per run by the Alembic migrations themselves, so the
suite also proves that the migrations match the models; every test then starts
from empty tables.
"""
from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, OfferingKind, TargetGroup
from lms import create_app
from lms.auth.operations import hash_password
from lms.cache import FragmentCache
from lms.db import db, set_clock
from lms.lti.operations import frame_origins, platform_changed
from lms.people.models import Membership, Role, School, User
from lms.schoolyear import school_year_of

PASSWORD = "riktig-hest-batteri"
# One scrypt hash for every test person: hashing is slow on purpose.
_PASSWORD_HASH = hash_password(PASSWORD)
#: The frozen "now" of the tests: a Tuesday in September, school year 2026/2027.
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


#: Folders whose tests do not depend on the database underneath (the browser, the form fuzzing): `make test`
#: runs them in its SQLite pass only, as it does every test marked ``browser`` wherever it lives. A single test
#: elsewhere says so with ``@pytest.mark.db_independent``.
DB_INDEPENDENT = ("browser", "forms")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    folders = [here / name for name in DB_INDEPENDENT]
    for item in items:
        if item.get_closest_marker("browser") or any(folder in Path(str(item.fspath)).parents for folder in folders):
            item.add_marker(pytest.mark.db_independent)


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``.

    The tests keep one app context open so that requests share their database
    session; ``g`` lives in that context too, and without this Flask-Login's
    signed-in user and Flask-Babel's locale would leak from one request (and
    one client) into the next.
    """

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = database_url(tmp_path_factory)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        # Tests move the frozen clock by days and months with signed-in clients; the tests of expiry
        # (tests/lms/test_sessions.py) set these back to the platform's defaults.
        "SESSION_IDLE_TIMEOUT": timedelta(days=36500),
        "SESSION_LIFETIME": timedelta(days=36500),
    })
    app.test_client_class = FreshRequestClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Give every test empty tables and a frozen clock at NOW."""
    set_clock(NOW)
    # What the process keeps lives by the platform's clock, which each test sets back to NOW.
    FragmentCache.invalidate_all()
    platform_changed()
    ctx = app.app_context()
    ctx.push()
    # Read as of NOW (there are none yet), so that no test's first page counts the query for them.
    frame_origins()
    db.session.rollback()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE")
            else:
                for table in tables:
                    conn.execute(table.delete())
        ctx.pop()
        set_clock(None)


@pytest.fixture
def now():
    return NOW


_seq = itertools.count(1)


@pytest.fixture
def make_school():
    def make(name: str | None = None, **kw) -> School:
        n = next(_seq)
        school = School(name=name or f"Testskole {n}", org_number=kw.pop("org_number", f"{900000000 + n}"),
                        district=kw.pop("district", "Vest"), **kw)
        db.session.add(school)
        db.session.flush()
        return school
    return make


@pytest.fixture
def make_user(make_school):
    def make(name: str | None = None, *, roles=(Role.TEACHER,), school: School | None = None,
             email: str | None = None, **kw) -> User:
        n = next(_seq)
        user = User(name=name or f"Person {n}", email=email or f"person{n}@skole.test",
                    password_hash=_PASSWORD_HASH, **kw)
        db.session.add(user)
        if any(r != Role.ADMIN for r in roles) and school is None:
            school = make_school()
        for role in roles:
            user.memberships.append(Membership(role=role, school=None if role == Role.ADMIN else school))
        db.session.flush()
        return user
    return make


@pytest.fixture
def admin(make_user):
    return make_user("Ada Admin", roles=(Role.ADMIN,), email="admin@kommune.test")


@pytest.fixture
def make_offering(admin, now):
    def make(title: str = "Digital vurdering", *, capacity: int = 10, kind=OfferingKind.COURSE,
             target_groups=(TargetGroup.ALL_STAFF,), sessions: int = 1, starts_in=timedelta(days=30),
             publish: bool = True, session_hours: int = 2, **kw) -> Offering:
        data = offering_ops.OfferingData(title=title, kind=kind, capacity=capacity,
                                         school_year=school_year_of(now.date()),
                                         target_groups=list(target_groups), organiser=kw.pop("organiser", "Oppvekst skole"),
                                         **kw)
        offering = offering_ops.create_offering(data, actor=admin, now=now)
        for i in range(sessions):
            start = now + starts_in + timedelta(days=7 * i)
            offering_ops.add_session(offering, actor=admin, now=now, starts_at=start,
                                     ends_at=start + timedelta(hours=session_hours), location="Rådhuset, sal 2")
        if publish:
            offering_ops.publish(offering, actor=admin, now=now)
        db.session.commit()
        return offering
    return make


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app):
    """Return a test client signed in as the given user."""
    def make(user: User):
        c = app.test_client()
        db.session.commit()
        response = c.post("/logg-inn", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return c
    return make


def database_rows() -> dict[str, list[tuple]]:
    """Return every row of every table but the sign-in sessions, as the database holds them now."""
    return {table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
            for table in db.metadata.sorted_tables if table.name != "login_session"}


@contextmanager
def nothing_changes():
    """Assert that what runs inside (a refused request) leaves every table as it was; signing in may happen."""
    db.session.commit()
    before = database_rows()
    yield
    db.session.rollback()
    after = database_rows()
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert changed == {}, f"a refused request changed {sorted(changed)}: {changed}"


def statements_sent(call) -> tuple[list[str], object]:
    """Return the statements the database was sent while ``call()`` ran, and what it returned."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return sent, result


def count_statements(call) -> int:
    """Return how many statements the database was sent while ``call()`` ran."""
    return len(statements_sent(call)[0])


_CSRF_INPUT = re.compile(r'<input\b[^>]*\bname="(?:[\w-]+-)?csrf_token"[^>]*>')


def without_csrf_tokens(html: str) -> str:
    """Return ``html`` with each CSRF token's input replaced by ``TOKEN``, whatever the order of its attributes.

    A token is signed with the time, so two answers a second apart differ there and nowhere else.
    """
    return _CSRF_INPUT.sub("TOKEN", html)


# --- the shared cache (Redis) turned on for the test app ------------------------------------

@pytest.fixture
def shared_cache_on(app):
    """Turn the shared cache on for the test app, as ``KP_REDIS_URL`` does when the platform starts.

    Its keys live under a prefix of the test's own (returned), deleted after; skipped where no Redis
    answers (failed in CI).
    """
    import secrets

    from lms import shared_cache
    from tests.events.test_shared_feed_cache import REDIS_URL, _redis_or_skip

    client = _redis_or_skip()
    prefix = f"kptest:{secrets.token_hex(8)}:"
    before = {name: app.config.get(name) for name in ("REDIS_URL", "REDIS_PREFIX")}
    app.config.update(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix)
    shared_cache.init_app(app)
    try:
        yield prefix
    finally:
        app.extensions.pop("kp_shared_cache", None)
        app.config.update(before)
        sa.event.remove(db.engine, "after_cursor_execute", shared_cache._note_statement)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def login_welcomed(app):
    """Like ``login``, with the welcome already shown: a page with a message to show once is never kept."""
    def make(user: User):
        client = app.test_client()
        db.session.commit()
        assert client.post("/logg-inn", data={"email": user.email, "password": PASSWORD}).status_code == 302
        assert "Velkommen" in client.get("/").get_data(as_text=True)
        return client
    return make


def vacuum(*tables: str) -> None:
    """Commit, then on PostgreSQL free the places of dead rows (removed, rolled back or rewritten) as autovacuum
    does, so that a row written next may fill one and lie before older rows; SQLite has no such places."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f"VACUUM {table}")
