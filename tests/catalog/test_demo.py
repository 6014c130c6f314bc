"""The demo programme: every row of content/programme dated into the school year, loaded idempotently."""
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import frontmatter
import pytest
import sqlalchemy as sa

from catalog import demo
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingKind, OnboardingCohort, TargetGroup
from lms.schoolyear import school_year_of
from events.models import Session
from lms.audit.models import AuditEntry
from lms.auth.operations import authenticate
from lms.db import db
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.content import DEFAULT_CONTENT_DIR, DemoContentError
from lms.people.demo import load_people, read_demo_people, valid_org_number
from lms.schoolyear import school_year_bounds
from lms.people.models import Membership, Role, School, User

PROGRAMME = sorted((DEFAULT_CONTENT_DIR / "programme").glob("*.md"))


def load_all(now):
    load_people(now)
    summary = demo.load_demo(now)
    db.session.commit()
    return summary


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def snapshot():
    return {
        "counts": [count(m) for m in (School, User, Membership, Offering, Session, Enrollment, OutboxMessage,
                                      AuditEntry)],
        "offerings": sorted(db.session.execute(sa.select(Offering.source_key, Offering.updated_at,
                                                         Offering.registration_opens_at, Offering.capacity))),
        "sessions": sorted(db.session.execute(sa.select(Session.id, Session.starts_at, Session.sequence))),
        "enrollments": sorted(db.session.execute(sa.select(Enrollment.id, Enrollment.state))),
    }


def offering_for(key: str, now) -> Offering:
    school_year = school_year_of(now.astimezone(OSLO).date())
    return db.session.scalars(sa.select(Offering).where(
        Offering.source_key == demo.source_key_for(key, school_year))).one()


def offerings_per_file(meta) -> int:
    return len(meta["sessions"]) if meta.get("per_session") else 1


#: How many offerings the programme loads: one per file, one per session for a series.
OFFERINGS = sum(offerings_per_file(frontmatter.load(p).metadata) for p in PROGRAMME)


def test_loading_twice_changes_nothing(now):
    load_all(now)
    first = snapshot()
    assert first["counts"][3] == OFFERINGS
    assert count(Enrollment) > 0
    summary = load_all(now + timedelta(hours=1))
    assert snapshot() == first
    assert "(0 nye, 0 endret)" in summary


def test_programme_covers_the_appendix_tables_with_20_to_25_rows():
    tables = {frontmatter.load(p).metadata["table"] for p in PROGRAMME}
    assert tables == {"teachers", "leaders", "digital_citizenship", "home_school"}
    assert 20 <= len(PROGRAMME) <= 25
    keys = [frontmatter.load(p).metadata["key"] for p in PROGRAMME]
    assert len(set(keys)) == len(keys)


def test_every_programme_file_loads_with_sessions_inside_the_school_year(now):
    load_all(now)  # once for all files: a load takes about a second
    for path in PROGRAMME:
        meta = frontmatter.load(path).metadata
        offerings = demo.offerings_for_key(meta["key"], 2026)
        assert len(offerings) == offerings_per_file(meta), path.name
        sessions = [s for o in offerings for s in o.live_sessions]
        assert len(sessions) == len(meta["sessions"]) >= 1, path.name
        specs = sorted(meta["sessions"], key=lambda s: demo.session_day(s, 2026))
        for session, spec in zip(sessions, specs):
            local = session.starts_at.astimezone(OSLO)
            first, last = school_year_bounds(2026)
            assert first <= local.date() <= last, path.name
            # The wall-clock time in Oslo is the one in the file, whatever the UTC offset that day.
            assert local.strftime("%H:%M") == spec["start"], path.name
            assert session.ends_at.astimezone(OSLO).strftime("%H:%M") == spec["end"], path.name
        for offering in offerings:
            assert offering.school_year == 2026, path.name
            assert offering.title and offering.description and offering.organiser, path.name
            assert offering.status.value == "published", path.name
            assert offering.registration_opens_at == now, path.name
            assert offering.cancellation_deadline == offering.first_starts_at - timedelta(days=2), path.name


def test_a_series_row_gives_meetings_joined_one_by_one(now):
    """The network meets three times a year: after the autumn meeting one can still sign up for the next."""
    load_all(now)
    meetings = demo.offerings_for_key("digitalt-medborgerskap-nettverk", 2026)
    assert [len(m.live_sessions) for m in meetings] == [1, 1, 1]
    assert meetings[0].title == "Nettverksmøter i digitalt medborgerskap: Kildekritikk og falske nyheter"
    assert {m.series.title for m in meetings} == {"Nettverksmøter i digitalt medborgerskap"}
    after_autumn = meetings[0].first_starts_at + timedelta(days=1)
    assert enrollment_ops.registration_problem(meetings[0], after_autumn) is not None
    assert enrollment_ops.registration_problem(meetings[1], after_autumn) is None
    teacher = db.session.scalars(sa.select(User).where(User.email == "eva.strand@kommune.example")).one()
    assert enrollment_ops.enroll(meetings[1].id, teacher, actor=teacher, now=after_autumn).state \
        == EnrollmentState.ENROLLED
    # The demo's sign-up for the network reached every meeting.
    lars = db.session.scalars(sa.select(User.id).where(User.email == "lars.nilsen@kommune.example")).one()
    assert all(enrollment_ops.active_enrollment(m.id, lars) for m in meetings)


def test_collaboration_school_gathering_is_in_week_41_or_42(now):
    load_all(now)
    gathering = offering_for("samarbeidsskoler-hostsamling", now)
    assert gathering.kind == OfferingKind.NETWORK_GATHERING
    assert {s.starts_at.astimezone(OSLO).isocalendar().week for s in gathering.live_sessions} <= {41, 42}


def test_oslo_noon_stays_noon_on_both_sides_of_the_dst_changes(now):
    load_all(now)
    october = offering_for("samarbeidsskoler-hostsamling", now).live_sessions[0]  # summer time
    march = [s for s in offering_for("nettverk-digital-praksis", now).live_sessions
             if s.starts_at.astimezone(OSLO).month == 3][0]  # winter time
    assert october.starts_at.astimezone(OSLO).hour == march.starts_at.astimezone(OSLO).hour == 12
    assert october.starts_at == datetime(2026, 10, 6, 10, 0, tzinfo=timezone.utc)
    assert march.starts_at == datetime(2027, 3, 11, 11, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("week, utc_hour", [(43, 10), (44, 11), (12, 11), (13, 10)])
def test_dated_session_converts_oslo_time_around_the_dst_weeks(week, utc_hour):
    # 2026/2027: summer time ends Sunday 25 October 2026 and starts Sunday 28 March 2027.
    session = demo.dated_session({"week": week, "weekday": 2, "start": "12:00", "end": "15:30"}, 2026)
    assert session.starts_at.tzinfo is not None
    assert session.starts_at.utcoffset() == timedelta(0)
    assert session.starts_at.hour == utc_hour
    assert session.starts_at.astimezone(OSLO).strftime("%H:%M") == "12:00"
    assert session.ends_at - session.starts_at == timedelta(hours=3, minutes=30)


@pytest.mark.parametrize("spec, expected", [
    ({"week": 33, "weekday": 3}, date(2026, 8, 12)),
    ({"week": 5, "weekday": 4}, date(2027, 2, 4)),
    ({"month": 8, "day": 12}, date(2026, 8, 12)),
    ({"month": 3, "day": 1}, date(2027, 3, 1)),
])
def test_session_days_fall_in_the_school_year(spec, expected):
    assert demo.session_day(spec, 2026) == expected


@pytest.mark.parametrize("spec, school_year", [
    ({"week": 53, "weekday": 1}, 2027),  # 2027 has 52 ISO weeks (2026 has 53)
    ({"month": 2, "day": 30}, 2026),
    ({"weekday": 2}, 2026),
    ({"week": 31, "weekday": 1}, 2026),  # Monday 27 July 2026: before the school year
])
def test_impossible_session_days_are_refused(spec, school_year):
    with pytest.raises(DemoContentError):
        demo.session_day(spec, school_year)


def test_unquoted_yaml_clock_times_are_read_as_minutes():
    assert demo.local_time(720).strftime("%H:%M") == "12:00"
    assert demo.local_time("08:30").strftime("%H:%M") == "08:30"
    with pytest.raises(DemoContentError):
        demo.local_time("kl. 12")


def test_onboarding_courses_cover_both_cohorts_and_the_first_quarter(now):
    load_all(now)
    august = offering_for("oppstartskurs-nyansatte-august", now)
    follow_up = offering_for("oppfolgingskurs-nyansatte", now)
    assert august.onboarding_cohort == OnboardingCohort.AUGUST
    assert august.first_starts_at.astimezone(OSLO).month == 8
    assert follow_up.onboarding_cohort == OnboardingCohort.FOLLOW_UP
    assert follow_up.first_starts_at.astimezone(OSLO).month in (1, 2, 3)
    assert TargetGroup.NEW_HIRES in follow_up.target_groups


def test_demo_people_have_valid_schools_and_new_hires_of_this_school_year(now):
    load_all(now)
    schools = db.session.scalars(sa.select(School)).all()
    assert 4 <= len(schools) <= 5
    assert all(valid_org_number(s.org_number) and s.focus_areas for s in schools)
    by_email = {u.email: u for u in db.session.scalars(sa.select(User))}
    assert by_email["sofie.lie@kommune.example"].hire_date == date(2026, 8, 1)
    assert by_email["jonas.ruud@kommune.example"].hire_date == date(2026, 10, 15)
    users = by_email.values()
    assert sum(u.is_admin for u in users) == 1
    assert all(s.id in {sid for u in users for sid in u.led_school_ids()} for s in schools)
    assert any(u.is_digital_supervisor for u in users)
    assert any(u.has_role(Role.LIGHTHOUSE) for u in users)
    password = read_demo_people().password
    assert len(password) >= 10
    assert authenticate("hanne.vik@kommune.example", password).name == "Hanne Vik"


def test_demo_enrollments_fill_a_course_and_start_a_waitlist_in_file_order(now):
    load_all(now)
    workshop = offering_for("fyrtarn-skaperverksted", now)
    assert enrollment_ops.seats_left(workshop) == 0
    assert [e.user.email for e in enrollment_ops.waitlist(workshop.id)] == [
        "ole.haugland@kommune.example", "lars.nilsen@kommune.example"]
    maths = offering_for("fyrtarn-matematikk", now)
    kari = enrollment_ops.active_enrollment(maths.id, db.session.scalars(
        sa.select(User.id).where(User.email == "kari.solberg@kommune.example")).one())
    assert kari.state == EnrollmentState.ENROLLED and kari.enrolled_by.email == "hanne.vik@kommune.example"
    assert maths.responsible.email == "marte.holm@kommune.example"


def test_demo_enrollments_skip_offerings_that_have_started(now):
    later = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # the network's first gathering is past
    load_people(later)
    summary = demo.load_demo(later)
    network = offering_for("nettverk-digital-praksis", later)
    assert count(Enrollment) > 0
    assert not db.session.scalars(sa.select(Enrollment).where(Enrollment.offering_id == network.id)).all()
    assert "hoppet over" in summary


def test_cli_loads_twice_and_lists_the_accounts(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Personer: 16 (16 nye, 0 endret)" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "Personer: 16 (0 nye, 0 endret)" in second.output
    assert "(0 nye, 0 endret)" in second.output.split("catalog:")[1]
    accounts = runner.invoke(args=["demo", "accounts"])
    assert accounts.exit_code == 0, accounts.output
    assert "ingrid.haugen@kommune.example" in accounts.output
    assert "Programadministrator" in accounts.output
    assert "demo-passord-2026" in accounts.output
    assert "finnes ikke i databasen" not in accounts.output


@pytest.fixture
def content_copy(app, tmp_path, monkeypatch):
    """A copy of content/ that a test may edit, used in place of the real one."""
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    monkeypatch.setitem(app.config, "CONTENT_DIR", str(target))
    return target


def _edit(path: Path, **changes):
    post = frontmatter.load(path)
    post.metadata.update(changes)
    path.write_text(frontmatter.dumps(post), encoding="utf-8")


def test_an_edited_file_updates_its_offering_in_place(content_copy, now):
    load_all(now)
    before = offering_for("fyrtarn-norsk-lesing-skriving", now)
    first_session_id = before.live_sessions[0].id
    _edit(content_copy / "programme" / "fyrtarn-norsk-lesing-skriving.md", capacity=30, sessions=[
        {"week": 46, "weekday": 3, "start": "14:00", "end": "15:30", "title": "Begynneropplæring"}])
    summary = load_all(now)
    after = offering_for("fyrtarn-norsk-lesing-skriving", now)
    assert after.id == before.id and after.capacity == 30
    assert [s.id for s in after.live_sessions] == [first_session_id]
    moved = after.live_sessions[0]
    assert moved.starts_at.astimezone(OSLO) == datetime(2026, 11, 11, 14, 0, tzinfo=OSLO)
    assert moved.sequence == 1
    assert count(Offering) == OFFERINGS
    assert "(0 nye, 1 endret)" in summary


def test_a_new_school_year_gets_its_own_programme(now):
    load_all(now)
    next_year = now + timedelta(days=365)
    load_all(next_year)
    assert count(Offering) == 2 * OFFERINGS
    assert len(demo.demo_offerings(2027)) == OFFERINGS
    assert offering_for("samarbeidsskoler-hostsamling", next_year).first_starts_at.year == 2027


def test_a_broken_file_is_reported_with_its_name(content_copy, now):
    _edit(content_copy / "programme" / "digirad.md", sessions=[{"week": 44, "weekday": 2, "start": "18:00"}])
    load_people(now)
    with pytest.raises(DemoContentError, match="digirad.md"):
        demo.load_demo(now)


def test_programme_needs_the_demo_admin(now):
    with pytest.raises(DemoContentError, match="last demopersonene"):
        demo.load_demo(now)


@pytest.mark.parametrize("number, ok", [("974512300", True), ("974512319", True), ("974512301", False),
                                        ("97451230", False), ("97451230x", False)])
def test_org_number_check_digit(number, ok):
    assert valid_org_number(number) is ok


def test_cli_refuses_demo_accounts_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "produksjon" in result.output
    assert count(User) == 0
