"""A connection the database dropped while it lay in the pool is replaced before a request uses it."""
import time

import psycopg
import pytest
import sqlalchemy as sa

from lms import pool
from lms.db import db


def _drop_every_other_connection() -> int:
    """Have PostgreSQL end every connection to this database (as a restart or failover does); return how many."""
    url = db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        return conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]


def _backend() -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


@pytest.fixture
def postgresql_pool(monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's connections are files in this process: the database cannot drop them")
    db.session.remove()
    monkeypatch.setattr(pool, "PING_AFTER_SECONDS", 0.2)
    yield
    db.session.remove()
    db.engine.dispose()  # no connection the test left dead reaches the next test


def test_a_page_after_the_database_dropped_the_idle_connections_answers(postgresql_pool, login, make_user):
    client = login(make_user("Kari Nordmann"))  # signed in: every page asks the database who this is
    assert client.get("/kurs").status_code == 200
    db.session.remove()  # the request's end gives its connection back (the tests' session outlives requests)
    before = _backend()
    assert _drop_every_other_connection() >= 1
    time.sleep(0.3)  # longer than the window: the pooled connection is checked before use

    response = client.get("/kurs")

    assert response.status_code == 200
    assert "Kari Nordmann" in response.get_data(as_text=True)
    db.session.remove()
    assert _backend() != before


def test_a_connection_back_in_the_pool_within_the_window_is_handed_out_unchecked(postgresql_pool, client):
    # The saving: under load nothing is sent before the request's own statements. Shown by a connection the
    # database dropped a moment ago: within the window it is handed out as it is, and fails.
    before = _backend()
    _drop_every_other_connection()
    with pytest.raises(sa.exc.OperationalError):
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == before
    # After a failure the pool starts afresh: the next request is served.
    assert client.get("/kurs").status_code == 200
