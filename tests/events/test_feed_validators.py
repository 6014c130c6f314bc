"""A feed's validator moves with everything the feed prints: names, titles, times, staff (issue 15, finding 1).

Each change is made through a second instance (a second app on the same
database) and the feed is read through a first one, once without and once
with the validators shared in Redis. After every change a client that asks
with the ETag it had must get the new body, never a 304 or a kept old body.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from catalog.enrollment import operations as enrollment_ops
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering
from events import operations as ops
from events.calendar import body_etag
from events.models import FeedScope, Session
from lms.db import db
from lms.people.models import Membership, Role, School, User
from tests.conftest import NOW
from tests.events.test_shared_feed_cache import REDIS_URL, _redis_or_skip


@pytest.fixture(params=["without-redis", "with-redis"])
def instances(request, make_app):
    """A reading and a writing instance, sharing validators in Redis or not."""
    if request.param == "without-redis":
        yield make_app(), make_app()
        return
    client = _redis_or_skip()
    prefix = f"kptest:{secrets.token_hex(8)}:"
    yield make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix), make_app(REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def school_feed(make_school, make_user, make_offering, admin):
    """A school whose teacher has a seat, another school's teacher with one too; return ids and the feed's URL."""
    school = make_school("Bekkestua skole")
    other_school = make_school("Hosle skole")
    tone = make_user("Tone Lærer", school=school)
    per = make_user("Per Pedagog", school=other_school)
    offering = make_offering("Digital vurdering", sessions=2)
    for person in (tone, per):
        enrollment_ops.enroll(offering.id, person, actor=person, now=NOW)
    token = ops.issue_feed_token(FeedScope.SCHOOL, school.id, actor=admin, now=NOW)
    # Read before the commit: nothing may be loaded afterwards, or SQLite's lock stays with this session.
    ids = {"school": school.id, "tone": tone.id, "per": per.id, "offering": offering.id,
           "url": f"/kalender/{token}.ics"}
    db.session.commit()
    return ids


def _rename_person(ids):
    db.session.get(User, ids["tone"]).name = "Tone Berg"
    return "Fra skolen: Tone Berg"


def _rename_school(ids):
    db.session.get(School, ids["school"]).name = "Bekkestua barneskole"
    return "Kompetanseportalen – Bekkestua barneskole"


def _retitle(ids):
    db.session.get(Offering, ids["offering"]).title = "Vurdering for læring"
    return "Vurdering for læring"


def _new_organiser(ids):
    db.session.get(Offering, ids["offering"]).organiser = "Utdanningsetaten"
    return "Utdanningsetaten"


def _move(ids):
    offering = db.session.get(Offering, ids["offering"])
    session = db.session.scalars(sa.select(Session).where(Session.schedule_id == offering.schedule_id)
                                 .order_by(Session.starts_at)).first()
    admin = db.session.scalars(sa.select(User).where(User.email == "admin@kommune.test")).one()
    start = session.starts_at + timedelta(hours=3)
    offering_ops.update_session(offering, session, actor=admin, now=NOW, starts_at=start,
                                ends_at=start + timedelta(hours=2), location="Biblioteket")
    return "Biblioteket"


def _staff_joins(ids):
    db.session.add(Membership(user_id=ids["per"], school_id=ids["school"], role=Role.TEACHER))
    return "Per Pedagog"


def _staff_leaves(ids):
    db.session.execute(sa.delete(Membership).where(Membership.user_id == ids["tone"]))
    return "Fra skolen: Per Pedagog\\n"  # Tone is no longer listed beside him


CHANGES = [_rename_person, _rename_school, _retitle, _new_organiser, _move, _staff_joins, _staff_leaves]


def _text(body: bytes) -> str:
    """Return the calendar's text with folded lines joined, as a client reads it."""
    return icalendar.Calendar.from_ical(body).to_ical().decode().replace("\r\n ", "")


def test_every_printed_change_moves_the_school_feeds_validator(instances, school_feed):
    reader_app, writer = instances
    reader = reader_app.test_client()
    url = school_feed["url"]
    first = reader.get(url)
    assert first.status_code == 200
    assert first.headers["ETag"] == f'"{body_etag(first.get_data())}"'
    assert "Last-Modified" not in first.headers
    assert "Fra skolen: Tone Lærer" in _text(first.get_data())
    seen = first
    for change in CHANGES:
        assert reader.get(url, headers={"If-None-Match": seen.headers["ETag"]}).status_code == 304
        with writer.app_context():
            expected = change(school_feed)
            db.session.commit()
        asked = reader.get(url, headers={"If-None-Match": seen.headers["ETag"]})
        assert asked.status_code == 200, change.__name__
        assert asked.headers["ETag"] != seen.headers["ETag"], change.__name__
        assert expected in _text(asked.get_data()), change.__name__
        plain = reader.get(url)
        assert plain.get_data() == asked.get_data(), change.__name__
        assert plain.headers["ETag"] == f'"{body_etag(plain.get_data())}"'
        seen = asked
