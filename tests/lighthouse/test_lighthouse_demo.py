"""The fyrtårn demo: three fyrtårn with everything the pages show, loaded by `flask demo load`, twice changes nothing."""
from __future__ import annotations

import sqlalchemy as sa

from catalog.offerings.models import Offering, OfferingStatus
from events.models import Session
from lighthouse.bookings.models import AvailabilityWindow, BookableKind, BookableOffering, Booking, BookingState
from lighthouse.demo import demo_lighthouse_emails
from lighthouse.films.models import LearningFilm
from lighthouse.profiles.models import LighthouseProfile, ReleaseTime, semester_of
from lms.audit.models import AuditEntry
from lms.db import db
from lms.people.models import Membership, Role, User


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def snapshot():
    return {
        "counts": [count(m) for m in (User, Membership, LighthouseProfile, ReleaseTime, BookableOffering,
                                      AvailabilityWindow, LearningFilm, Offering, Session, AuditEntry, Booking)],
        "release": sorted(db.session.execute(sa.select(ReleaseTime.profile_id, ReleaseTime.semester,
                                                       ReleaseTime.approved_minutes, ReleaseTime.updated_at))),
        "offerings": sorted(db.session.execute(sa.select(BookableOffering.id, BookableOffering.updated_at))),
    }


def load(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_demo_loads_three_fyrtarn_and_twice_changes_nothing(app, client, now):
    output = load(app)
    assert "3 fyrtårn (3 nye)" in output
    first = snapshot()
    output = load(app)
    assert "3 fyrtårn (0 nye), 0 nye tilbud, 0 nye tider, 0 godkjent frikjøpstid, 0 nye åpne kurs" in output
    assert "0 nye bestillinger" in output
    assert snapshot() == first

    # The first fyrtårn has a request to answer and a confirmed booking, from two demo schools.
    marte = db.session.scalar(sa.select(LighthouseProfile).join(User).where(User.email == "marte.holm@kommune.example"))
    bookings = db.session.scalars(sa.select(Booking).where(Booking.profile_id == marte.id)
                                  .order_by(Booking.starts_at)).all()
    assert [b.state for b in bookings] == [BookingState.REQUESTED, BookingState.CONFIRMED]
    assert {b.school.name for b in bookings} == {"Furulund skole", "Tjernsrud skole"}
    assert all(b.starts_at > now for b in bookings)

    profiles = db.session.scalars(sa.select(LighthouseProfile)).all()
    assert len(profiles) == 3
    for profile in profiles:
        assert profile.user.has_role(Role.LIGHTHOUSE, profile.home_school_id)
        rt = db.session.scalar(sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id))
        assert rt.semester == semester_of(now) and rt.approved_minutes > 0
        assert rt.approved_by.has_role(Role.LEADER, profile.home_school_id)
        offerings = db.session.scalars(sa.select(BookableOffering)
                                       .where(BookableOffering.profile_id == profile.id)).all()
        assert 2 <= len(offerings) <= 3 and any(o.kind == BookableKind.GUIDANCE for o in offerings)
        windows = db.session.scalars(sa.select(AvailabilityWindow)
                                     .where(AvailabilityWindow.profile_id == profile.id)).all()
        assert windows and all(w.valid_from <= now.date() <= w.valid_until for w in windows)
    films = db.session.scalars(sa.select(LearningFilm)).all()
    assert len(films) == 2 and all(f.published_at and f.licence == "CC BY 4.0" for f in films)

    # What people see: the public page, a profile, the open course in the catalogue.
    page = client.get("/fyrtarn").get_data(as_text=True)
    assert "Marte Holm" in page and "Kari Solberg" in page and "Thomas Moe" in page
    assert "Kari Solberg" in client.get("/fyrtarn?fag=reading_writing&trinn=1-4").get_data(as_text=True)
    course = db.session.scalar(sa.select(Offering).where(Offering.title == "Åpent kurs: lesestart med bildebøker"))
    assert course.status == OfferingStatus.PUBLISHED and course.organiser == "Fyrtårn Kari Solberg"
    assert course.title in client.get("/kurs").get_data(as_text=True)
    kari = next(p for p in profiles if p.user.email == "kari.solberg@kommune.example")
    assert course.title in client.get(f"/fyrtarn/{kari.id}").get_data(as_text=True)


def test_demo_fyrtarn_are_listed_with_the_demo_password(app):
    load(app)
    result = app.test_cli_runner().invoke(args=["demo", "accounts"])
    assert result.exit_code == 0
    for email in demo_lighthouse_emails():
        line = next(line for line in result.output.splitlines() if email in line)
        assert "demo-passord-2026" in line
