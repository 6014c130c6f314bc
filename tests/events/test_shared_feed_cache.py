"""Feeds answered from the validators that every instance shares in Redis (``KP_REDIS_URL``).

Two apps on the same database and the same Redis stand for two instances of
the platform behind a proxy. Each test has keys of its own in Redis (a random
prefix) and deletes them after. Skipped where no Redis answers on 127.0.0.1.
"""
from __future__ import annotations

import logging
import os
import secrets
from contextlib import contextmanager
from datetime import timedelta

import icalendar
import pytest
import redis
import sqlalchemy as sa
from flask import request, request_started

from catalog.enrollment import operations as enrollment_ops
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, OfferingKind, TargetGroup
from events import operations as ops
from events.calendar import body_etag
from events.models import FeedScope, Session
from lms.db import db
from lms.people.models import User
from lms.schoolyear import school_year_of
from tests.conftest import NOW, PASSWORD
from tests.missing import missing

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: A port nothing listens on: Redis "down".
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as error:
        missing(f"no Redis at {REDIS_URL} ({error})",
                "start redis-server, or set TEST_REDIS_URL")
    return client


@pytest.fixture
def instances(make_app):
    """Two instances sharing one Redis under a prefix of this test's own."""
    client = _redis_or_skip()
    prefix = f"kptest:{secrets.token_hex(8)}:"
    yield make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix), make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


@contextmanager
def database_use(instance):
    """Collect the statements an instance sends, and count the connections it takes from its pool."""
    with instance.app_context():
        engine = db.engine
    seen = {"statements": [], "checkouts": 0}

    def statement(_conn, _cursor, text, *_args):
        seen["statements"].append(text)

    def checkout(*_args):
        seen["checkouts"] += 1

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine.pool, "checkout", checkout)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine.pool, "checkout", checkout)


@pytest.fixture
def subscribed(make_user, make_offering):
    """A teacher with a seat in a two-session offering and a feed link; the test's session is left idle.

    Returns ``(teacher id, offering id, token)``. Nothing created here may be
    touched afterwards: on SQLite reloading it would begin a transaction that
    holds the write lock the other instances need.
    """
    teacher = make_user("Tone Lærer")
    offering = make_offering("Digital vurdering", sessions=2)
    enrollment_ops.enroll(offering.id, teacher, actor=teacher, now=NOW)
    ids = teacher.id, offering.id
    token = ops.issue_feed_token(FeedScope.PERSON, teacher.id, actor=teacher, now=NOW)
    db.session.commit()
    return (*ids, token)


def _kept(client, url: str):
    """Fetch a feed so that its validators are kept, check that they answer 304; return the first answer."""
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    return first


def _generation(instance) -> int:
    with instance.app_context():
        cache = instance.extensions["kp_shared_cache"]
        return int(cache._redis.get(f"{cache.prefix}generation") or 0)


def test_an_unchanged_feed_is_answered_304_without_the_database(instances, subscribed):
    _teacher, _offering, token = subscribed
    a, _b = instances
    client = a.test_client()
    url = f"/kalender/{token}.ics"
    first = client.get(url)  # fills the cache: the database is asked this once
    assert first.status_code == 200
    with database_use(a) as used:
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        whole = client.get(url)
    assert (again.status_code, whole.status_code) == (304, 200)
    assert used == {"statements": [], "checkouts": 0}
    for response in (again, whole):
        assert response.headers["ETag"] == first.headers["ETag"]
        assert response.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert whole.get_data() == first.get_data()
    for header in ("Content-Type", "Content-Disposition"):
        assert whole.headers[header] == first.headers[header]


def test_a_change_through_one_instance_reaches_the_other_at_once(instances, subscribed):
    teacher_id, offering_id, token = subscribed
    a, b = instances
    url = f"/kalender/{token}.ics"
    reader = b.test_client()
    before = _kept(reader, url)

    with a.app_context():
        offering = db.session.get(Offering, offering_id)
        session = db.session.scalars(sa.select(Session).where(Session.schedule_id == offering.schedule_id)
                                     .order_by(Session.starts_at)).first()
        moved = session.starts_at + timedelta(hours=3)
        offering_ops.update_session(offering, session, actor=_admin(), now=NOW, starts_at=moved,
                                    ends_at=moved + timedelta(hours=2), location="Rådhuset, sal 3")
        db.session.commit()

    after = reader.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    starts = sorted(event.decoded("dtstart") for event in icalendar.Calendar.from_ical(after.get_data()).walk("VEVENT"))
    assert moved in starts

    # A second instance's own enrollment changes what the first one serves, too.
    with a.app_context():
        other = _new_offering("Lesing i alle fag")
        teacher = db.session.get(User, teacher_id)
        enrollment_ops.enroll(other, teacher, actor=teacher, now=NOW)
        db.session.commit()
    latest = reader.get(url, headers={"If-None-Match": after.headers["ETag"]})
    assert latest.status_code == 200
    assert b"Lesing i alle fag" in latest.get_data()


def _admin() -> User:
    return db.session.scalars(sa.select(User).where(User.email == "admin@kommune.test")).one()


def _new_offering(title: str) -> int:
    """Create and publish a one-session offering through the current app's session; return its id."""
    data = offering_ops.OfferingData(title=title, kind=OfferingKind.COURSE, capacity=10,
                                     school_year=school_year_of(NOW.date()), target_groups=[TargetGroup.ALL_STAFF],
                                     organiser="Oppvekst skole")
    offering = offering_ops.create_offering(data, actor=_admin(), now=NOW)
    start = NOW + timedelta(days=40)
    offering_ops.add_session(offering, actor=_admin(), now=NOW, starts_at=start, ends_at=start + timedelta(hours=2),
                             location="Rådhuset")
    offering_ops.publish(offering, actor=_admin(), now=NOW)
    return offering.id


@pytest.mark.parametrize("how", ["revoke", "regenerate"])
def test_a_link_stopped_on_one_instance_is_404_on_the_other_at_once(instances, subscribed, how):
    teacher_id, _offering, token = subscribed
    a, b = instances
    url = f"/kalender/{token}.ics"
    reader = b.test_client()
    first = _kept(reader, url)

    with a.app_context():
        teacher = db.session.get(User, teacher_id)
        if how == "revoke":
            assert ops.revoke_feed_token(FeedScope.PERSON, teacher_id, actor=teacher, now=NOW)
            new_token = None
        else:
            new_token = ops.issue_feed_token(FeedScope.PERSON, teacher_id, actor=teacher, now=NOW)
        db.session.commit()

    for headers in ({"If-None-Match": first.headers["ETag"]}, {}):
        stopped = reader.get(url, headers=headers)
        assert stopped.status_code == 404
        assert stopped.get_data(as_text=True) == "Fant ikke kalenderen."
    if new_token is not None:
        assert reader.get(f"/kalender/{new_token}.ics").status_code == 200


def test_a_wrong_token_stays_404_with_the_cache_on(instances, subscribed):
    _teacher, _offering, token = subscribed
    a, _b = instances
    client = a.test_client()
    assert client.get(f"/kalender/{token}.ics").status_code == 200
    wrong = f"/kalender/{secrets.token_urlsafe(32)}.ics"
    assert [client.get(wrong).status_code for _ in range(2)] == [404, 404]


def test_public_feeds_are_answered_304_without_the_database_and_follow_changes(instances, subscribed):
    _teacher, offering_id, _token = subscribed
    a, b = instances
    for url in ("/kurs/kalender.ics?type=course", f"/kurs/{offering_id}/kalender.ics"):
        client = b.test_client()
        first = client.get(url)
        assert first.status_code == 200
        with database_use(b) as used:
            again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert used["statements"] == []
        # The language is part of what is kept: nynorsk asks the database once, and gets the ETag of
        # its own body; a browser asking for English alone gets the bokmål feed.
        nynorsk = client.get(url, headers={"Accept-Language": "nn"})
        assert nynorsk.headers["ETag"] == f'"{body_etag(nynorsk.get_data())}"'
        assert (nynorsk.headers["ETag"] == first.headers["ETag"]) == (nynorsk.get_data() == first.get_data())
        english = client.get(url, headers={"Accept-Language": "en"})
        assert english.headers["ETag"] == first.headers["ETag"]

    with a.app_context():
        offering = db.session.get(Offering, offering_id)
        offering_ops.cancel_offering(offering, actor=_admin(), now=NOW, reason="Sykdom")
        db.session.commit()
    changed = b.test_client().get(f"/kurs/{offering_id}/kalender.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert b"STATUS:CANCELLED" in changed.get_data()


def test_a_draft_offerings_feed_seen_by_its_organiser_is_not_kept_for_others(instances, make_offering, admin):
    draft_id = make_offering("Utkast", publish=False).id
    db.session.commit()
    _a, b = instances
    organiser = b.test_client()
    signed_in = organiser.post("/logg-inn", data={"email": "admin@kommune.test", "password": PASSWORD})
    assert signed_in.status_code == 302
    url = f"/kurs/{draft_id}/kalender.ics"
    seen = organiser.get(url)
    assert seen.status_code == 200
    assert organiser.get(url, headers={"If-None-Match": seen.headers["ETag"]}).status_code == 304
    anonymous = b.test_client()
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(url, headers={"If-None-Match": seen.headers["ETag"]}).status_code == 404


def test_every_writing_commit_raises_the_generation_and_reading_ones_do_not(instances, subscribed):
    teacher_id, _offering, _token = subscribed
    a, b = instances
    b.test_client().get("/ping")
    start = _generation(a)
    with a.app_context():
        db.session.execute(sa.select(User.name).where(User.id == teacher_id)).all()
        db.session.commit()
        assert _generation(a) == start  # nothing written
        db.session.execute(sa.update(User).where(User.id == teacher_id).values(name="Tone Lærer-Hansen"))
        assert _generation(a) == start  # not before the commit
        db.session.commit()
        assert _generation(a) == start + 1  # a Core update through the session
        with db.session.begin_nested():
            db.session.get(User, teacher_id).name = "Tone L."
        assert _generation(a) == start + 1  # a savepoint's release is no commit
        db.session.commit()
        assert _generation(a) == start + 2
        db.session.get(User, teacher_id).name = "Tone"
        db.session.flush()
        db.session.rollback()
        db.session.commit()
        assert _generation(a) == start + 2  # what was rolled back was never written


def test_feeds_work_as_before_when_redis_is_down(app, make_app, subscribed, caplog, monkeypatch):
    teacher_id, offering_id, token = subscribed
    # Alembic's logging setup, run by the migrations at the start of the tests, disables existing loggers.
    monkeypatch.setattr(logging.getLogger("lms.shared_cache"), "disabled", False)
    down = make_app(REDIS_URL=CLOSED_REDIS_URL, REDIS_PREFIX=f"kptest:{secrets.token_hex(8)}:")
    plain = app.test_client()
    client = down.test_client()
    caplog.set_level(logging.WARNING, logger="lms.shared_cache")
    for url in (f"/kalender/{token}.ics", "/kurs/kalender.ics", f"/kurs/{offering_id}/kalender.ics"):
        expected = plain.get(url)
        first = client.get(url)
        assert first.status_code == expected.status_code == 200
        assert first.get_data() == expected.get_data()
        for header in ("ETag", "Last-Modified", "Cache-Control", "Content-Type", "Content-Disposition"):
            assert first.headers.get(header) == expected.headers.get(header)
        assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(f"/kalender/{secrets.token_urlsafe(32)}.ics").status_code == 404
    with down.app_context():
        db.session.get(User, teacher_id).name = "Tone Lærer-Hansen"
        db.session.commit()  # the generation cannot be raised: the commit stands all the same
        assert db.session.get(User, teacher_id).name == "Tone Lærer-Hansen"
        db.session.commit()
    warnings = [r for r in caplog.records if r.name == "lms.shared_cache"]
    assert len(warnings) == 1  # once a minute, not once a request


@contextmanager
def requests_flask_handled(instance):
    """Collect the paths of the requests that reached Flask's own handling (its request context)."""
    handled: list[str] = []

    def started(_sender, **_extra):
        handled.append(request.path)

    request_started.connect(started, instance)
    try:
        yield handled
    finally:
        request_started.disconnect(started, instance)


def _all_headers(response) -> list[tuple[str, str]]:
    return sorted(response.headers.items())


def test_a_poll_for_an_unchanged_feed_is_answered_before_flask_with_the_headers_flask_gives(
        instances, make_app, subscribed):
    """A calendar app polling an unchanged feed gets its 304 without a request context, a statement or a
    connection; the answer is the one Flask makes from the database, header for header."""
    _teacher, _offering, token = subscribed
    a, _b = instances
    url = f"/kalender/{token}.ics"
    client = a.test_client()
    etag = client.get(url).headers["ETag"]
    with requests_flask_handled(a) as handled, database_use(a) as used:
        polled = client.get(url, headers={"If-None-Match": etag})
        looked = client.head(url, headers={"If-None-Match": etag})
    assert (polled.status_code, looked.status_code) == (304, 304)
    assert handled == []
    assert used == {"statements": [], "checkouts": 0}
    # The same poll on an instance without the shared cache: Flask, the database, the same answer.
    made = make_app().test_client().get(url, headers={"If-None-Match": etag})
    assert made.status_code == 304
    assert _all_headers(polled) == _all_headers(made)
    assert ("Content-Security-Policy" in polled.headers and polled.headers["X-Content-Type-Options"] == "nosniff"
            and polled.headers["ETag"] == etag and polled.get_data() == b"")


def test_a_poll_the_kept_validators_do_not_answer_goes_to_flask(instances, subscribed):
    """An older copy, a write since, a query the feed was never asked with, a wrong link: each is Flask's."""
    teacher_id, _offering, token = subscribed
    a, _b = instances
    url = f"/kalender/{token}.ics"
    client = a.test_client()
    first = client.get(url)
    etag = first.headers["ETag"]
    wrong = f"/kalender/{secrets.token_urlsafe(32)}.ics"
    with requests_flask_handled(a) as handled:
        assert client.get(url, headers={"If-None-Match": '"an-older-copy"'}).status_code == 200
        assert client.get(url + "?x=1", headers={"If-None-Match": etag}).status_code == 304
        assert client.get(wrong, headers={"If-None-Match": etag}).status_code == 404
        assert client.post(url, headers={"If-None-Match": etag}).status_code == 405
    assert handled == [f"/kalender/{token}.ics"] * 2 + [wrong, f"/kalender/{token}.ics"]
    with a.app_context():
        enrollment_ops.enroll(_new_offering("Lesing i alle fag"), db.session.get(User, teacher_id),
                              actor=db.session.get(User, teacher_id), now=NOW)
        db.session.commit()
    with requests_flask_handled(a) as handled:
        changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Lesing i alle fag" in changed.get_data(as_text=True)
    assert handled == [f"/kalender/{token}.ics"]


def test_behind_the_proxy_of_an_https_site_a_poll_is_answered_before_flask_and_plain_http_is_redirected(
        instances, make_app, subscribed):
    """The proxy's fix of the scheme runs before the early answer: over https (X-Forwarded-Proto) a poll gets
    its 304 at once; over plain http only the redirect, however current the client's copy."""
    _teacher, _offering, token = subscribed
    a, _b = instances
    with a.app_context():
        prefix = a.extensions["kp_shared_cache"].prefix
    site = make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix, PREFERRED_URL_SCHEME="https", TRUSTED_PROXIES=1)
    client = site.test_client()
    url = f"/kalender/{token}.ics"
    behind_tls = {"X-Forwarded-Proto": "https"}
    etag = client.get(url, base_url="http://kp.example", headers=behind_tls).headers["ETag"]
    with requests_flask_handled(site) as handled:
        polled = client.get(url, base_url="http://kp.example", headers={**behind_tls, "If-None-Match": etag})
        plain = client.get(url, base_url="http://kp.example", headers={"If-None-Match": etag})
    assert polled.status_code == 304
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://kp.example{url}"
    assert handled == [url]
