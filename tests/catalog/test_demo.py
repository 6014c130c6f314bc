"""The demo programme: every row of content/programme dated into the school year, loaded idempotently.

The programme is the Bærum appendix's tables "Videre innsats skoleåret
2019/2020": nineteen rows, each found here under its own name with its
target group, organiser and timing as the table words them.
"""
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import frontmatter
import pytest
import sqlalchemy as sa

from catalog import demo
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OnboardingCohort, TargetGroup
from catalog.schemes.models import Scheme
from lms.schoolyear import school_year_of
from events.models import Session
from lms.audit.models import AuditEntry
from lms.auth.operations import authenticate
from lms.db import db
from lms.i18n import OSLO
from lms.mail.models import OutboxMessage
from lms.mail.operations import render
from lms.content import DEFAULT_CONTENT_DIR, DemoContentError
from lms.people.demo import load_people, read_demo_people, valid_org_number
from lms.schoolyear import school_year_bounds
from lms.people.models import Membership, Role, School, User

PROGRAMME = sorted((DEFAULT_CONTENT_DIR / "programme").glob("*.md"))
OFFERING_FILES = [p for p in PROGRAMME if frontmatter.load(p).metadata["kind"] != "scheme"]
SCHEME_FILES = [p for p in PROGRAMME if frontmatter.load(p).metadata["kind"] == "scheme"]
G = TargetGroup

#: The appendix's nineteen rows: name, målgruppe as written, the target groups it means, arrangør, når.
APPENDIX = [
    # Kompetanseutvikling for lærere
    ("Nettverk for digital profesjonsutøvelse", "Skoleledere og digitale veiledere",
     {G.LEADERS, G.DIGITAL_SUPERVISORS}, "Oppvekst skole", "Skoleåret 19/20"),
    ("Samarbeidsskoler for deling av god praksis", "Lærere", {G.TEACHERS}, "Skoleledere",
     "Fra og med våren 2019, neste samling i uke 41 eller 42"),
    ("Ressursplattform med læringsfilmer", "Lærere i og utenfor bærumsskolen", {G.TEACHERS},
     "Fyrtårn/oppvekst skole", "Fra høsten 2019"),
    ("Fyrtårnsordning videreutvikles", "Skoler/lærere/ledere", {G.TEACHERS, G.LEADERS},
     "Fyrtårn/oppvekst skole", "Fra høsten 2019"),
    ("Skolebasert kompetanseutvikling, støtte", "Lærere og ledere", {G.TEACHERS, G.LEADERS}, "Oppvekst skole",
     "Fra og med høsten 2019"),
    ("Oppstartkurs for nyansatte", "Nyansatte i bærumsskolen", {G.NEW_HIRES}, "Oppvekst skole",
     "August 2019 Og første kvartal 2020"),
    ("Implementering av Office 365, samarbeidsverktøy", "Lærere og ledere", {G.TEACHERS, G.LEADERS},
     "Digit/Oppvekst skole", "Pilotering starter høsten 2019"),
    # Kompetanseutvikling ledere
    ("Tjenesteledermøter", "Skoleledere", {G.LEADERS}, "Seksjonsledelsen", "3 ganger per skoleår"),
    ("Ledersamlinger i nettverk for digital profesjonsutøvelse", "Skoleledere", {G.LEADERS}, "Oppvekst skole",
     "Høst 19 og vår 20"),
    ("Støtte til lederteam i skolebasert kompetanseutvikling", "Skoleledere", {G.LEADERS},
     "Skoleledelse/Oppvekst skole", "Skoleåret 19/20"),
    ("Bistand ved kompliserte henvendelser og dialog", "Skoleledere", {G.LEADERS}, "Oppvekst skole og DigIT",
     "Skoleåret 19/20"),
    # Digital dannelse
    ("Nettverkssamlinger for å videreutvikle skolenes arbeid med digital dannelse",
     "Skoleledere, miljølærere og digitale veiledere", {G.LEADERS, G.TEACHERS, G.DIGITAL_SUPERVISORS},
     "Oppvekst skole", "2 ganger pr skoleår"),
    ("It-sikkerhet skolebesøk", "Elever, lærere og skoleledere", {G.PUPILS, G.TEACHERS, G.LEADERS},
     "DigiT og Oppvekst skole", "Gjennom skoleåret"),
    # Samarbeid hjem-skole
    ("Foreldreskole", "Nye foreldre", {G.PARENTS}, "Oppvekst skole og hver enkelt skole", "Fra høst 2019"),
    ("Foreldremøter", "Foreldre", {G.PARENTS}, "FAU, BKFU og Oppvekst skole", "Skoleåret 19/20"),
    ("Nettsider", "Foreldre, andre interessenter", {G.PARENTS}, "Oppvekst skole", "Høst 2019"),
    ("Kommunalt felles foreldreutvalg", "KFU, FAU og Oppvekst skole", {G.PARENTS}, "Oppvekst skole",
     "Fra høst 2019"),
    ("Digiråd", "Elever, foreldre, skoleledelse, lærere og andre ansatte",
     {G.PUPILS, G.PARENTS, G.LEADERS, G.TEACHERS, G.ALL_STAFF}, "Skoleledelsen", "Skoleåret 19/20"),
    ("Brukerforum/webinar", "Foreldre og elever", {G.PARENTS, G.PUPILS}, "Oppvekst skole og DigIT",
     "2 ganger per skoleår"),
]


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
                                      AuditEntry, Scheme)],
        "offerings": sorted(db.session.execute(sa.select(Offering.source_key, Offering.updated_at,
                                                         Offering.registration_opens_at, Offering.capacity))),
        "sessions": sorted(db.session.execute(sa.select(Session.id, Session.starts_at, Session.sequence))),
        "enrollments": sorted(db.session.execute(sa.select(Enrollment.id, Enrollment.state))),
    }


def by_title(model, title: str):
    return db.session.scalars(sa.select(model).where(model.title == title)).one_or_none()


def offering_for(key: str, now) -> Offering:
    school_year = school_year_of(now.astimezone(OSLO).date())
    return db.session.scalars(sa.select(Offering).where(
        Offering.source_key == demo.source_key_for(key, school_year))).one()


def offerings_per_file(meta) -> int:
    return len(meta["sessions"]) if meta.get("per_session") else 1


#: How many offerings the programme loads: one per file, one per session for a series.
OFFERINGS = sum(offerings_per_file(frontmatter.load(p).metadata) for p in OFFERING_FILES)


def test_loading_twice_changes_nothing(now):
    load_all(now)
    first = snapshot()
    assert first["counts"][3] == OFFERINGS
    assert first["counts"][8] == len(SCHEME_FILES)
    assert count(Enrollment) > 0
    summary = load_all(now + timedelta(hours=1))
    assert snapshot() == first
    assert "(0 nye, 0 endret)" in summary


def test_demo_holds_each_of_the_nineteen_appendix_rows_with_its_target_group_and_organiser(now):
    load_all(now)
    assert len(APPENDIX) == 19
    for title, words, groups, organiser, when in APPENDIX:
        row = by_title(Offering, title) or by_title(Scheme, title)
        assert row is not None, title
        assert row.target_group_text == words, title
        assert set(row.target_groups) == groups, title
        assert row.organiser == organiser, title
        assert row.timing == when, title
        assert row.description.strip(), title
        if isinstance(row, Offering):
            assert row.status == OfferingStatus.PUBLISHED and row.live_sessions, title


def test_programme_files_are_the_appendix_tables_and_a_few_extra_courses():
    tables = [frontmatter.load(p).metadata["table"] for p in PROGRAMME]
    assert set(tables) == {"teachers", "leaders", "digital_citizenship", "home_school", "extra"}
    # Nineteen rows; the onboarding row is two courses (August, and the follow-up for later hires).
    assert len([t for t in tables if t != "extra"]) == 20
    assert {t: tables.count(t) for t in set(tables) - {"extra"}} == {
        "teachers": 8, "leaders": 4, "digital_citizenship": 2, "home_school": 6}
    keys = [frontmatter.load(p).metadata["key"] for p in PROGRAMME]
    assert len(set(keys)) == len(keys)


def test_each_scheme_leads_to_the_page_that_carries_it(client, now):
    load_all(now)
    pages = {s.title: (s.endpoint, s.endpoint_values) for s in db.session.scalars(sa.select(Scheme))}
    assert pages == {
        "Ressursplattform med læringsfilmer": ("films.index", {}),
        "Fyrtårnsordning videreutvikles": ("fyrtarn.index", {}),
        "Nettsider": ("pages.show", {"slug": "foresatte"}),
        "Digiråd": ("pages.show", {"slug": "digirad"}),
    }
    catalogue = client.get("/kurs").get_data(as_text=True)
    for path, heading in (("/laeringsfilmer", "Læringsfilmer"), ("/fyrtarn", "Fyrtårn"),
                          ("/info/foresatte", "Digital skolehverdag – informasjon for foresatte"),
                          ("/info/digirad", "Digiråd på hver skole")):
        assert f'href="{path}"' in catalogue, path
        page = client.get(path)
        assert page.status_code == 200 and heading in page.get_data(as_text=True), path


def test_school_year_timings_become_that_many_sessions(now):
    load_all(now)

    def local_starts(title):
        return [s.starts_at.astimezone(OSLO) for s in by_title(Offering, title).live_sessions]

    assert len(local_starts("Tjenesteledermøter")) == 3  # 3 ganger per skoleår
    assert len(local_starts("Nettverkssamlinger for å videreutvikle skolenes arbeid med digital dannelse")) == 2
    assert len(local_starts("Brukerforum/webinar")) == 2  # 2 ganger per skoleår
    autumn, spring = local_starts("Ledersamlinger i nettverk for digital profesjonsutøvelse")  # Høst 19 og vår 20
    assert (autumn.year, spring.year) == (2026, 2027) and autumn.month >= 8 and spring.month <= 6
    assert [d.isocalendar().week for d in local_starts("Samarbeidsskoler for deling av god praksis")] == [41]
    august = local_starts("Oppstartkurs for nyansatte")
    follow_up = local_starts("Oppstartkurs for nyansatte: tilleggskurs")
    assert {d.month for d in august} == {8} and {d.month for d in follow_up} <= {1, 2, 3}


def test_every_programme_file_loads_with_sessions_inside_the_school_year(now):
    load_all(now)  # once for all files: a load takes about a second
    for path in OFFERING_FILES:
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


def test_a_series_row_gives_meetings_joined_one_by_one(content_copy, now):
    """A network that meets twice a year as a series: after the autumn meeting one can still sign up for the next."""
    path = content_copy / "programme" / "nettverkssamlinger-digital-dannelse.md"
    _edit(path, per_session=True)
    sessions = frontmatter.load(path).metadata["sessions"]
    title = frontmatter.load(path).metadata["title"]
    load_all(now)
    meetings = demo.offerings_for_key("nettverkssamlinger-digital-dannelse", 2026)
    assert [len(m.live_sessions) for m in meetings] == [1] * len(sessions) and len(meetings) == 2
    first_title = sessions[0].get("title")
    assert meetings[0].title == (f"{title}: {first_title}" if first_title else
                                 f"{title} {meetings[0].first_starts_at.astimezone(OSLO):%d.%m.%Y}")
    assert {m.series.title for m in meetings} == {title}
    after_autumn = meetings[0].first_starts_at + timedelta(days=1)
    assert enrollment_ops.registration_problem(meetings[0], after_autumn) is not None
    assert enrollment_ops.registration_problem(meetings[1], after_autumn) is None
    teacher = db.session.scalars(sa.select(User).where(User.email == "hanne.vik@kommune.example")).one()
    assert enrollment_ops.enroll(meetings[1].id, teacher, actor=teacher, now=after_autumn).state \
        == EnrollmentState.ENROLLED
    # The demo's sign-up for the network reached every meeting.
    lars = db.session.scalars(sa.select(User.id).where(User.email == "lars.nilsen@kommune.example")).one()
    assert all(enrollment_ops.active_enrollment(m.id, lars) for m in meetings)
    # Loading again changes nothing, and no single offering of the row is left beside its meetings.
    before = snapshot()
    load_all(now + timedelta(hours=1))
    assert snapshot()["counts"] == before["counts"]
    assert offering_for_or_none("nettverkssamlinger-digital-dannelse", now) is None


def offering_for_or_none(key: str, now):
    school_year = school_year_of(now.astimezone(OSLO).date())
    return db.session.scalars(sa.select(Offering).where(
        Offering.source_key == demo.source_key_for(key, school_year))).one_or_none()


def test_collaboration_school_gathering_is_in_week_41_or_42(now):
    load_all(now)
    gathering = offering_for("samarbeidsskoler-deling-god-praksis", now)
    assert gathering.kind == OfferingKind.NETWORK_GATHERING
    assert {s.starts_at.astimezone(OSLO).isocalendar().week for s in gathering.live_sessions} <= {41, 42}


def test_oslo_noon_stays_noon_on_both_sides_of_the_dst_changes(now):
    load_all(now)
    october = offering_for("samarbeidsskoler-deling-god-praksis", now).live_sessions[0]  # summer time
    march = [s for s in offering_for("nettverk-digital-profesjonsutovelse", now).live_sessions
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
    august = offering_for("oppstartkurs-nyansatte", now)
    follow_up = offering_for("oppstartkurs-nyansatte-tilleggskurs", now)
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
    network = offering_for("nettverk-digital-profesjonsutovelse", later)
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
    assert count(Scheme) == 2 * len(SCHEME_FILES)
    assert len(demo.demo_offerings(2027)) == OFFERINGS
    assert offering_for("samarbeidsskoler-deling-god-praksis", next_year).first_starts_at.year == 2027


def test_a_broken_file_is_reported_with_its_name(content_copy, now):
    _edit(content_copy / "programme" / "tjenesteledermoter.md", sessions=[{"week": 44, "weekday": 2, "start": "18:00"}])
    load_people(now)
    with pytest.raises(DemoContentError, match="tjenesteledermoter.md"):
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


# --- a database loaded by the old demo -----------------------------------------------------

#: content/programme and content/demo/enrollments.md as main had them before the programme
#: followed the appendix (commit 3f20a2d): invented rows, other keys, no schemes.
OLD_CONTENT = Path(__file__).parent / "old_demo_content"


@pytest.fixture
def old_content(app, tmp_path, monkeypatch):
    """A content directory with the old programme and enrollments beside today's schools and people."""
    target = tmp_path / "old-content"
    shutil.copytree(OLD_CONTENT, target)
    for name in ("schools.md", "people.md"):
        shutil.copy(DEFAULT_CONTENT_DIR / "demo" / name, target / "demo" / name)
    monkeypatch.setitem(app.config, "CONTENT_DIR", str(target))
    return target


def test_a_database_loaded_by_the_old_demo_is_brought_to_the_new_one_without_duplicates(
        app, old_content, monkeypatch, now):
    load_all(now)
    assert count(Scheme) == 0 and count(Offering) == 24
    old = {o.source_key.split("/")[0]: o.id for o in db.session.scalars(sa.select(Offering))}
    network_people = {e.user.email for e in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.offering_id == old["nettverk-digital-praksis"]))}
    # Someone signed up for an invented row that the new programme no longer has.
    ahmed = db.session.scalars(sa.select(User).where(User.email == "ahmed.karimi@kommune.example")).one()
    enrollment_ops.enroll(old["fyrtarn-veiledning"], ahmed, actor=ahmed, now=now)
    db.session.commit()
    mails_before = count(OutboxMessage)

    monkeypatch.setitem(app.config, "CONTENT_DIR", str(DEFAULT_CONTENT_DIR))
    summary = load_all(now + timedelta(hours=1))

    # Exactly one live offering per file, and the nineteen rows under their names.
    live = db.session.scalars(sa.select(Offering).where(Offering.status != OfferingStatus.CANCELLED)).all()
    assert sorted(o.source_key.split("/")[0] for o in live) == sorted(
        frontmatter.load(p).metadata["key"] for p in OFFERING_FILES)
    assert count(Scheme) == len(SCHEME_FILES)
    for title, *_rest in APPENDIX:
        assert by_title(Offering, title) or by_title(Scheme, title), title
    # A renamed key keeps its offering and the people in it.
    network = offering_for("nettverk-digital-profesjonsutovelse", now)
    assert network.id == old["nettverk-digital-praksis"]
    assert network.title == "Nettverk for digital profesjonsutøvelse"
    assert {e.user.email for e in db.session.scalars(sa.select(Enrollment).where(
        Enrollment.offering_id == network.id, Enrollment.state == EnrollmentState.ENROLLED))} == network_people
    # Two workshops became one row: the leaders enrolled in the one taken over keep their seat, once.
    leaders = offering_for("ledersamlinger-nettverk", now)
    assert leaders.id == old["lederverksted-forankring"]
    assert sorted(e.user.email for e in db.session.scalars(sa.select(Enrollment).where(
        Enrollment.offering_id == leaders.id))) == ["hanne.vik@kommune.example", "jon.berg@kommune.example"]
    # Rows nobody enrolled in are gone; the one with a participant is cancelled, and they are told why.
    for key in ("digirad", "ressursplattform-laeringsfilmer", "lederverksted-kompetanseplan",
                "foreldreskole-8-trinn", "foresattekveld-nettvett"):
        assert db.session.get(Offering, old[key]) is None, key
    guidance = db.session.get(Offering, old["fyrtarn-veiledning"])
    assert guidance.status == OfferingStatus.CANCELLED
    assert "Fyrtårnsordning videreutvikles" in guidance.cancel_reason
    assert enrollment_ops.active_enrollment(guidance.id, ahmed.id) is None
    told = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > 0)).all()[mails_before:]
    assert any(m.recipient == ahmed.email and "Fyrtårnsordning videreutvikles" in render(m).text for m in told)
    assert "12 med ny nøkkel, 5 slettet, 1 avlyst" in summary

    # And from there on, loading changes nothing.
    settled = snapshot()
    load_all(now + timedelta(hours=2))
    assert snapshot() == settled
