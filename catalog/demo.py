"""Loading the demo programme from ``content/programme/`` into the current school year.

Each Markdown file is one row of the municipality's competence programme:
YAML front matter (key, title, kind, theme, target groups and the table's
own words for them, organiser, when, plan area, capacity, place, sessions)
and the content as the Markdown body. Sessions are given relative to the
school year, as an ISO week and weekday
(``{week: 41, weekday: 2, start: "12:00", end: "15:30"}``) or a month and day
(``{month: 8, day: 12, ...}``), in Europe/Oslo local time; the loader dates
them into the school year that ``now`` falls in and stores them in UTC. A row
of ``kind: scheme`` has no sessions: it is a catalogue entry that leads to the
page of the feature that carries it (``endpoint``, ``endpoint_values``).

A row whose meetings are each joined on their own (``per_session: true``: a
forum twice a year, a network meeting three times a year) becomes a series
of offerings, one per session, each with its own seats and deadlines; the
series takes the row's key.

Offerings are created through the catalogue's operations, acting as the demo
programme admin, and found again by their source key (the file's key and the
school year), so loading twice changes nothing, an edited file updates its
offering, and a new school year gets its own programme beside last year's.
A file's ``formerly`` lists the keys its row had before: the first offering
found under one of them is taken over (renamed), so its enrollments stay;
an offering of the school year whose key no file has any more is taken out,
deleted when nobody ever enrolled in it and cancelled (with notice to those
enrolled) otherwise. ``content/demo/enrollments.md`` then enrolls a few demo
people through the ordinary enrollment rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import (Offering, OfferingKind, OfferingSeries, OfferingStatus, OnboardingCohort,
                                      TargetGroup)
from catalog.parents.demo import link_parent_events
from catalog.schemes import operations as scheme_ops
from catalog.schemes.models import Scheme
from lms.db import db
from lms.i18n import OSLO
from lms.schoolyear import school_year_bounds, school_year_of
from lms.content import DemoContentError, content_dir, read_front_matter
from lms.people.demo import demo_admin
from lms.people.models import User

PROGRAMME_DIR = "programme"
#: The ``kind`` of a row that is a scheme (a catalogue entry without sessions), not an offering.
SCHEME_KIND = "scheme"
ENROLLMENTS_FILE = Path("demo") / "enrollments.md"
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,100}$")
#: Participants may cancel themselves until this long before the first session.
CANCELLATION_NOTICE = timedelta(days=2)
#: Whether an offering with a minimum number of participants runs is decided this long before it starts.
GO_NO_GO_NOTICE = timedelta(days=14)
#: ISO weeks from this one on fall in the autumn; lower ones in the spring after New Year.
FIRST_AUTUMN_WEEK = 31


# --- dating a row into the school year ---------------------------------------------

def session_day(spec: dict, school_year: int, where: str = "") -> date:
    """Return the day a session falls on: an ISO week and weekday, or a month and day, of the school year."""
    try:
        if "week" in spec:
            week, weekday = int(spec["week"]), int(spec.get("weekday", 1))
            year = school_year if week >= FIRST_AUTUMN_WEEK else school_year + 1
            day = date.fromisocalendar(year, week, weekday)
        elif "month" in spec:
            month = int(spec["month"])
            year = school_year if month >= 8 else school_year + 1
            day = date(year, month, int(spec["day"]))
        else:
            raise DemoContentError(f"{where}: en økt trenger «week» og «weekday» eller «month» og «day»")
    except (KeyError, TypeError, ValueError) as err:
        raise DemoContentError(f"{where}: ugyldig dato i {spec!r} ({err})") from None
    first, last = school_year_bounds(school_year)
    if not first <= day <= last:
        raise DemoContentError(f"{where}: {day} er utenfor skoleåret {school_year}/{school_year + 1}")
    return day


def local_time(value, where: str = "") -> time:
    """Read a clock time written as "HH:MM" (YAML may have turned an unquoted 12:00 into minutes)."""
    if isinstance(value, int):  # YAML 1.1 reads 12:00 as the sexagesimal number 720
        hours, minutes = divmod(value, 60)
    else:
        match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", str(value).strip())
        if not match:
            raise DemoContentError(f"{where}: klokkeslettet {value!r} må skrives som \"TT:MM\"")
        hours, minutes = int(match[1]), int(match[2])
    try:
        return time(hours, minutes)
    except ValueError:
        raise DemoContentError(f"{where}: klokkeslettet {value!r} finnes ikke") from None


def oslo_to_utc(day: date, clock: time) -> datetime:
    """Return the aware UTC moment of a wall-clock time in Oslo on a given day."""
    return datetime.combine(day, clock, tzinfo=OSLO).astimezone(timezone.utc)


@dataclass(frozen=True)
class DatedSession:
    starts_at: datetime
    ends_at: datetime
    title: str = ""
    location: str = ""
    online_url: str = ""

    def differs_from(self, session) -> bool:
        return (self.starts_at, self.ends_at, self.title, self.location, self.online_url) != (
            session.starts_at, session.ends_at, session.title, session.location, session.online_url)


def dated_session(spec: dict, school_year: int, *, location: str = "", online_url: str = "",
                  where: str = "") -> DatedSession:
    """Date one session of a content file into the school year, in UTC."""
    if not isinstance(spec, dict):
        raise DemoContentError(f"{where}: en økt må være en tabell med dato og klokkeslett, ikke {spec!r}")
    day = session_day(spec, school_year, where)
    if "start" not in spec or "end" not in spec:
        raise DemoContentError(f"{where}: en økt trenger «start» og «end»")
    starts_at = oslo_to_utc(day, local_time(spec["start"], where))
    ends_at = oslo_to_utc(day, local_time(spec["end"], where))
    if ends_at <= starts_at:
        raise DemoContentError(f"{where}: økten slutter før den starter")
    return DatedSession(starts_at=starts_at, ends_at=ends_at, title=str(spec.get("title", "")).strip(),
                        location=str(spec.get("location", location)).strip(),
                        online_url=str(spec.get("online_url", online_url)).strip())


# --- reading the files ------------------------------------------------------------------

@dataclass
class ProgrammeRow:
    """One content file of an offering, dated into a school year and ready for the operations."""

    key: str
    path: Path
    data: offering_ops.OfferingData
    sessions: list[DatedSession]
    responsible_email: str | None
    #: Keys the row had in earlier versions of the programme.
    formerly: list[str] = field(default_factory=list)
    #: Each session is a meeting of a series, joined on its own.
    per_session: bool = False

    def offerings(self, school_year: int) -> list[tuple[str, offering_ops.OfferingData, list[DatedSession]]]:
        """Return (source key, data, sessions) of each offering the row becomes: one, or one per session."""
        key = source_key_for(self.key, school_year)
        if not self.per_session:
            return [(key, self.data, self.sessions)]
        return [(f"{key}/{number}", _meeting_data(self.data, session), [session])
                for number, session in enumerate(self.sessions, start=1)]


def _deadlines(data: offering_ops.OfferingData, first_start: datetime) -> None:
    """Set the cancellation deadline and (with a minimum) the go/no-go day from the first session."""
    data.cancellation_deadline = first_start - CANCELLATION_NOTICE
    data.go_no_go_date = (first_start.astimezone(OSLO).date() - GO_NO_GO_NOTICE) if data.min_participants else None


def _meeting_data(data: offering_ops.OfferingData, session: DatedSession) -> offering_ops.OfferingData:
    """Return the fields of one meeting of a series: the row's, titled and dated by the session."""
    meeting = replace(data, target_groups=list(data.target_groups),
                      title=f"{data.title}: {session.title}" if session.title
                      else f"{data.title} {session.starts_at.astimezone(OSLO):%d.%m.%Y}")
    _deadlines(meeting, session.starts_at)
    return meeting


@dataclass
class SchemeRow:
    """One content file of a scheme: a catalogue entry that leads to a feature's page."""

    key: str
    path: Path
    data: scheme_ops.SchemeData
    formerly: list[str] = field(default_factory=list)


def programme_files() -> list[Path]:
    """Return the programme's content files in name order."""
    return sorted((content_dir() / PROGRAMME_DIR).glob("*.md"))


def source_key_for(key: str, school_year: int) -> str:
    """Return the source key of a content file's offering in a school year."""
    return f"{key}/{school_year}"


def _enum_list(cls, values, where: str, name: str) -> list:
    if isinstance(values, str):
        values = [values]
    try:
        return [cls(v) for v in values or []]
    except ValueError as err:
        allowed = ", ".join(m.value for m in cls)
        raise DemoContentError(f"{where}: {name}: {err} (gyldige verdier: {allowed})") from None


def _text(meta: dict, name: str) -> str:
    return str(meta.get(name, "") or "").strip()


def _keys(meta: dict, where: str) -> tuple[str, list[str]]:
    """Return the row's key and its former keys, checked."""
    key = _text(meta, "key")
    if not KEY_PATTERN.match(key):
        raise DemoContentError(f"{where}: «key» må være små bokstaver, tall og bindestrek, ikke {key!r}")
    formerly = meta.get("formerly") or []
    formerly = [formerly] if isinstance(formerly, str) else list(formerly)
    for old in formerly:
        if not KEY_PATTERN.match(str(old)) or str(old) == key:
            raise DemoContentError(f"{where}: «formerly» må være andre nøkler enn {key!r}, ikke {old!r}")
    return key, [str(old) for old in formerly]


def _plan_area(meta: dict, where: str) -> int | None:
    try:
        return None if meta.get("plan_area") in (None, "") else int(meta["plan_area"])
    except (TypeError, ValueError) as err:
        raise DemoContentError(f"{where}: {err}") from None


def read_row(path: Path, school_year: int) -> ProgrammeRow | SchemeRow:
    """Read and check one programme file; an offering's sessions are dated into the school year."""
    post = read_front_matter(path)
    meta, where = post.metadata, str(path)
    key, formerly = _keys(meta, where)
    if meta.get("kind") == SCHEME_KIND:
        return _read_scheme(meta, post.content.strip(), key, formerly, path, school_year)
    for required in ("title", "kind", "capacity", "target_groups", "sessions"):
        if meta.get(required) in (None, "", []):
            raise DemoContentError(f"{where}: mangler «{required}»")
    kind = _enum_list(OfferingKind, meta["kind"], where, "kind")[0]
    cohort = meta.get("onboarding_cohort")
    location, online_url = _text(meta, "location"), _text(meta, "online_url")
    sessions = sorted((dated_session(spec, school_year, location=location, online_url=online_url,
                                     where=f"{where}: økt {i + 1}")
                       for i, spec in enumerate(meta["sessions"])), key=lambda s: s.starts_at)
    first_start = sessions[0].starts_at
    try:
        capacity, min_participants = int(meta["capacity"]), int(meta.get("min_participants", 0))
    except (TypeError, ValueError) as err:
        raise DemoContentError(f"{where}: {err}") from None
    data = offering_ops.OfferingData(
        title=_text(meta, "title"), kind=kind, capacity=capacity, school_year=school_year,
        theme=_text(meta, "theme"), description=post.content.strip(), organiser=_text(meta, "organiser"),
        target_groups=_enum_list(TargetGroup, meta["target_groups"], where, "target_groups"),
        target_group_text=_text(meta, "target_group_text"), timing=_text(meta, "when"),
        plan_area=_plan_area(meta, where), min_participants=min_participants,
        location=location, online_url=online_url,
        onboarding_cohort=_enum_list(OnboardingCohort, cohort, where, "onboarding_cohort")[0] if cohort else None,
    )
    _deadlines(data, first_start)
    responsible = meta.get("responsible")
    return ProgrammeRow(key=key, path=path, data=data, sessions=sessions,
                        responsible_email=str(responsible).strip().lower() if responsible else None,
                        formerly=formerly, per_session=bool(meta.get("per_session", False)))


def _read_scheme(meta: dict, body: str, key: str, formerly: list[str], path: Path, school_year: int) -> SchemeRow:
    where = str(path)
    for required in ("title", "endpoint", "target_groups"):
        if meta.get(required) in (None, "", []):
            raise DemoContentError(f"{where}: mangler «{required}»")
    if meta.get("sessions"):
        raise DemoContentError(f"{where}: en ordning (kind: scheme) har ingen økter")
    values = meta.get("endpoint_values") or {}
    if not isinstance(values, dict):
        raise DemoContentError(f"{where}: «endpoint_values» må være en tabell, ikke {values!r}")
    data = scheme_ops.SchemeData(
        title=_text(meta, "title"), endpoint=_text(meta, "endpoint"), school_year=school_year,
        endpoint_values={str(k): str(v) for k, v in values.items()}, theme=_text(meta, "theme"),
        description=body, organiser=_text(meta, "organiser"),
        target_groups=_enum_list(TargetGroup, meta["target_groups"], where, "target_groups"),
        target_group_text=_text(meta, "target_group_text"), timing=_text(meta, "when"),
        plan_area=_plan_area(meta, where))
    return SchemeRow(key=key, path=path, data=data, formerly=formerly)


# --- loading ------------------------------------------------------------------------

@dataclass
class ProgrammeSummary:
    school_year: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Offerings taken over from a former key, deleted or cancelled because no file has their key.
    renamed: int = 0
    removed: int = 0
    cancelled: int = 0
    schemes: int = 0
    schemes_created: int = 0
    schemes_updated: int = 0
    schemes_removed: int = 0
    sessions: int = 0
    enrolled: int = 0
    waitlisted: int = 0
    already_enrolled: int = 0
    closed: int = 0

    def __str__(self) -> str:
        total = self.created + self.updated + self.unchanged
        return (f"{total} tilbud i skoleåret {self.school_year}/{self.school_year + 1} "
                f"({self.created} nye, {self.updated} endret), {self.sessions} økter; "
                f"fra tidligere programmer: {self.renamed} med ny nøkkel, {self.removed} slettet, "
                f"{self.cancelled} avlyst; {self.schemes} ordninger ({self.schemes_created} nye, "
                f"{self.schemes_updated} endret, {self.schemes_removed} fjernet); "
                f"påmeldinger: {self.enrolled} nye ({self.waitlisted} på venteliste), "
                f"{self.already_enrolled} fantes fra før, {self.closed} hoppet over fordi påmeldingen er stengt")


def _differs(offering: Offering, data: offering_ops.OfferingData) -> bool:
    for f in fields(data):
        if f.name == "target_groups":
            if set(offering.target_groups) != set(data.target_groups):
                return True
        elif getattr(offering, f.name) != getattr(data, f.name):
            return True
    return False


def _sync_sessions(offering: Offering, wanted: list[DatedSession], *, admin: User, now: datetime) -> bool:
    """Make the offering's live sessions match the file's, pairing them in time order."""
    changed = False
    live = sorted(offering.live_sessions, key=lambda s: s.starts_at)
    for session, want in zip(live, wanted):
        if want.differs_from(session):
            offering_ops.update_session(offering, session, actor=admin, now=now, starts_at=want.starts_at,
                                        ends_at=want.ends_at, title=want.title, location=want.location,
                                        online_url=want.online_url)
            changed = True
    for want in wanted[len(live):]:
        offering_ops.add_session(offering, actor=admin, now=now, starts_at=want.starts_at, ends_at=want.ends_at,
                                 title=want.title, location=want.location, online_url=want.online_url)
        changed = True
    for session in live[len(wanted):]:
        offering_ops.cancel_session(offering, session, actor=admin, now=now)
        changed = True
    return changed


def _person(email: str, where: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise DemoContentError(f"{where}: {email} står ikke i content/demo/people.md")
    return user


def read_programme(school_year: int) -> list[ProgrammeRow | SchemeRow]:
    """Read every programme file for a school year, checking that keys are used once."""
    rows: list[ProgrammeRow | SchemeRow] = []
    seen: dict[str, Path] = {}
    for path in programme_files():
        row = read_row(path, school_year)
        if row.key in seen:
            raise DemoContentError(f"{path}: nøkkelen {row.key!r} er også brukt i {seen[row.key].name}")
        seen[row.key] = path
        rows.append(row)
    offering_keys = {row.key for row in rows if isinstance(row, ProgrammeRow)}
    for row in rows:
        for old in row.formerly:
            if old in offering_keys:
                raise DemoContentError(f"{row.path}: «formerly» nevner {old!r}, som er nøkkelen til et tilbud nå")
    return rows


def _offering_by_key(key: str, school_year: int) -> Offering | None:
    return db.session.scalar(sa.select(Offering).where(Offering.source_key == source_key_for(key, school_year)))


def _take_over_former(row: ProgrammeRow, school_year: int) -> Offering | None:
    """Return the offering of one of the row's former keys, now under the row's key; None if there is none."""
    for old in row.formerly:
        offering = _offering_by_key(old, school_year)
        if offering is not None and offering.status != OfferingStatus.CANCELLED:
            offering.source_key = source_key_for(row.key, school_year)
            db.session.flush()
            return offering
    return None


def _load_offering(row: ProgrammeRow, now: datetime, admin: User, summary: ProgrammeSummary) -> None:
    """Create or update the offerings of one programme file (one, or one per session of a series)."""
    # Without a named organiser the admin manages the offering, as create_offering would decide.
    row.data.responsible_id = (_person(row.responsible_email, str(row.path)).id if row.responsible_email
                               else admin.id)
    series = _series(row, summary.school_year, now) if row.per_session else None
    for source_key, data, sessions in row.offerings(summary.school_year):
        offering = db.session.scalar(sa.select(Offering).where(Offering.source_key == source_key))
        if offering is None and series is None:
            offering = _take_over_former(row, summary.school_year)
            summary.renamed += offering is not None
        try:
            offering = _load_one(offering, source_key, data, sessions, admin=admin, now=now, summary=summary)
        except offering_ops.OfferingError as err:
            raise DemoContentError(f"{row.path}: {err}") from None
        if series is not None and offering.series_id != series.id:
            offering.series = series
        summary.sessions += len(offering.live_sessions)


def _series(row: ProgrammeRow, school_year: int, now: datetime) -> OfferingSeries:
    """Return the series a per-session row's meetings belong to, made the first time."""
    key = source_key_for(row.key, school_year)
    series = db.session.scalar(sa.select(OfferingSeries).where(OfferingSeries.source_key == key))
    if series is None:
        series = OfferingSeries(title=row.data.title, source_key=key, created_at=now)
        db.session.add(series)
    series.title = row.data.title
    return series


def _load_one(offering: Offering | None, source_key: str, data: offering_ops.OfferingData,
              sessions: list[DatedSession], *, admin: User, now: datetime, summary: ProgrammeSummary) -> Offering:
    """Create, update or leave be the offering of ``source_key``; return it."""
    if offering is None:
        data.registration_opens_at = now
        offering = offering_ops.create_offering(data, actor=admin, now=now, source_key=source_key)
        _sync_sessions(offering, sessions, admin=admin, now=now)
        offering_ops.publish(offering, actor=admin, now=now)
        summary.created += 1
    elif offering.status == OfferingStatus.CANCELLED:
        summary.unchanged += 1  # cancelled by hand: leave it be
    else:
        data.registration_opens_at = offering.registration_opens_at
        changed = _differs(offering, data)
        if changed:
            offering_ops.update_offering(offering, data, actor=admin, now=now)
        changed = _sync_sessions(offering, sessions, admin=admin, now=now) or changed
        if changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
    return offering


def offerings_for_key(key: str, school_year: int) -> list[Offering]:
    """Return the offering a programme key names in a school year, or the meetings of its series."""
    source_key = source_key_for(key, school_year)
    offering = db.session.scalar(sa.select(Offering).where(Offering.source_key == source_key))
    if offering is not None:
        return [offering]
    return list(db.session.scalars(
        sa.select(Offering).join(OfferingSeries, OfferingSeries.id == Offering.series_id)
        .where(OfferingSeries.source_key == source_key).order_by(Offering.first_starts_at, Offering.id)))


def _load_scheme(row: SchemeRow, now: datetime, admin: User, summary: ProgrammeSummary) -> None:
    source_key = source_key_for(row.key, summary.school_year)
    scheme = db.session.scalar(sa.select(Scheme).where(Scheme.source_key == source_key))
    try:
        if scheme is None:
            scheme_ops.create_scheme(row.data, actor=admin, now=now, source_key=source_key)
            summary.schemes_created += 1
        elif scheme_ops.differs(scheme, row.data):
            scheme_ops.update_scheme(scheme, row.data, actor=admin, now=now)
            summary.schemes_updated += 1
    except scheme_ops.SchemeError as err:
        raise DemoContentError(f"{row.path}: {err}") from None
    summary.schemes += 1


def _retire_former_offerings(rows: list[ProgrammeRow | SchemeRow], now: datetime, admin: User,
                             summary: ProgrammeSummary) -> None:
    """Take out the school year's offerings whose key no offering file has: delete, or cancel with notice.

    A row that became a series (or stopped being one) has its offerings under
    other keys (``key/year/n`` for each meeting): the ones of its former shape go.
    """
    single = {row.key for row in rows if isinstance(row, ProgrammeRow) and not row.per_session}
    series = {row.key for row in rows if isinstance(row, ProgrammeRow) and row.per_session}
    successor = {row.key: row.data.title for row in rows if isinstance(row, (SchemeRow, ProgrammeRow))}
    successor.update({old: row.data.title for row in rows for old in row.formerly})
    year = summary.school_year
    former = db.session.scalars(sa.select(Offering).where(
        sa.or_(Offering.source_key.like(f"%/{year}"), Offering.source_key.like(f"%/{year}/%")),
        Offering.status != OfferingStatus.CANCELLED).order_by(Offering.source_key)).all()
    for offering in former:
        key, *rest = offering.source_key.split("/")
        meeting = len(rest) > 1
        if (key in single and not meeting) or (key in series and meeting):
            continue
        title = successor.get(key)
        reason = (f"Tilbudet inngår nå i «{title}» i programmet." if title
                  else "Tilbudet er tatt ut av programmet.")
        try:
            offering_ops.delete_offering(offering, actor=admin, now=now, note=reason)
            summary.removed += 1
        except offering_ops.OfferingError:
            # Someone has been enrolled: they are told, and the history stays.
            offering_ops.cancel_offering(offering, actor=admin, now=now, reason=reason)
            summary.cancelled += 1


def _remove_former_schemes(rows: list[ProgrammeRow | SchemeRow], now: datetime, admin: User,
                           summary: ProgrammeSummary) -> None:
    current = {source_key_for(row.key, summary.school_year) for row in rows if isinstance(row, SchemeRow)}
    for scheme in db.session.scalars(sa.select(Scheme).where(
            Scheme.source_key.like(f"%/{summary.school_year}")).order_by(Scheme.source_key)).all():
        if scheme.source_key not in current:
            scheme_ops.remove_scheme(scheme, actor=admin, now=now, note="Tatt ut av programmet.")
            summary.schemes_removed += 1


def load_programme(now: datetime, admin: User, summary: ProgrammeSummary) -> None:
    """Bring the summary's school year to the programme files: one offering or scheme per file, no others."""
    rows = read_programme(summary.school_year)
    for row in rows:
        if isinstance(row, ProgrammeRow):
            _load_offering(row, now, admin, summary)
    for row in rows:
        if isinstance(row, SchemeRow):
            _load_scheme(row, now, admin, summary)
    _retire_former_offerings(rows, now, admin, summary)
    _remove_former_schemes(rows, now, admin, summary)


def load_enrollments(now: datetime, summary: ProgrammeSummary) -> None:
    """Enroll the demo people listed in ``content/demo/enrollments.md``, skipping those already in."""
    path = content_dir() / ENROLLMENTS_FILE
    if not path.exists():
        return
    for i, row in enumerate(read_front_matter(path).metadata.get("enrollments") or []):
        where = f"{path}: påmelding {i + 1}"
        key = str(row.get("offering", ""))
        offerings = offerings_for_key(key, summary.school_year)
        if not offerings:
            raise DemoContentError(f"{where}: ukjent tilbud {key!r}")
        by = _person(row["by"], where) if row.get("by") else None
        for email in row.get("people") or []:
            person = _person(email, where)
            # A series' meetings are joined one by one: the person is signed up for each still open.
            for offering in offerings:
                _enroll(offering, person, by, now, summary, f"{where}: {email}")


def _enroll(offering: Offering, person: User, by: User | None, now: datetime, summary: ProgrammeSummary,
            where: str) -> None:
    if enrollment_ops.active_enrollment(offering.id, person.id) is not None:
        summary.already_enrolled += 1
    elif enrollment_ops.registration_problem(offering, now):
        summary.closed += 1  # the offering has started: the demo runs later in the year
    else:
        try:
            enrollment = enrollment_ops.enroll(offering.id, person, actor=by or person, now=now)
        except enrollment_ops.EnrollmentError as err:
            raise DemoContentError(f"{where}: {err}") from None
        summary.enrolled += 1
        if enrollment.state == EnrollmentState.WAITLISTED:
            summary.waitlisted += 1


def load_demo(now: datetime) -> str:
    """Load the demo programme and its enrollments; running it twice changes nothing."""
    summary = ProgrammeSummary(school_year=school_year_of(now.astimezone(OSLO).date()))
    load_programme(now, demo_admin(), summary)
    load_enrollments(now, summary)
    added = link_parent_events(summary.school_year)
    return str(summary) + (f" {added} av dem nye som foreldrearrangementer." if added else "")


def demo_offerings(school_year: int) -> list[Offering]:
    """Return the offerings the demo programme loaded for a school year."""
    return list(db.session.scalars(sa.select(Offering).where(sa.or_(
        Offering.source_key.like(f"%/{school_year}"), Offering.source_key.like(f"%/{school_year}/%")))
        .order_by(Offering.source_key)))

