"""The fyrtårn rules: profiles, release time, bookable offerings, availability and open courses.

Every page (and the demo loader) calls these functions; permissions are
checked here (:class:`lms.auth.operations.PermissionDenied`, which the views
answer with 403) and refusals are :class:`ProfileError` with a translated
message for the user.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, TargetGroup
from lighthouse.bookings.models import (AvailabilityWindow, BookableKind, BookableOffering, Venue)
from lighthouse.bookings.operations import held_minutes, held_minutes_by_semester
from lighthouse.films.models import LearningFilm
from lighthouse.profiles.models import (GradeLevel, LighthouseProfile, ProfileGrade, ProfileSubject, ReleaseTime,
                                        Subject, semester_label, semester_of)
from lms.audit import operations as audit
from lms.auth.operations import require
from lms.db import begin_writing, db
from lms.i18n import OSLO, WallTimeError, oslo_wall_time
from lms.people.models import Membership, Role, School, User
from lms.schoolyear import school_year_of

#: Audit object type of release-time decisions.
RELEASE_TIME_AUDIT = "lighthouse.release_time"
#: The most hours one semester's release time may be (a full-time position is about 950 hours a semester).
MAX_RELEASE_HOURS = 1000
#: Limits of a bookable offering, as the schema's check constraints have them.
DURATION_RANGE = (15, 600)
BUFFER_RANGE = (0, 240)
NOTICE_RANGE = (0, 2160)


class ProfileError(Exception):
    """A change the fyrtårn rules refuse; the message (translated, Norwegian first) is for the user."""


# --- profiles -----------------------------------------------------------------

@dataclass
class ProfileData:
    """The editable fields of a profile, as the form gives them."""

    subjects: list[Subject] = field(default_factory=list)
    grades: list[GradeLevel] = field(default_factory=list)
    presentation: str = ""
    active: bool = True


def active_profiles(subject: Subject | None = None, grade: GradeLevel | None = None,
                    limit: int | None = None) -> list[LighthouseProfile]:
    """Return the active profiles, by name, that work in the subject and grade level (when given)."""
    query = (sa.select(LighthouseProfile).join(User, LighthouseProfile.user_id == User.id)
             .where(LighthouseProfile.active.is_(True), User.active.is_(True)))
    if subject:
        query = query.where(sa.exists().where(ProfileSubject.profile_id == LighthouseProfile.id,
                                              ProfileSubject.subject == subject))
    if grade:
        query = query.where(sa.exists().where(ProfileGrade.profile_id == LighthouseProfile.id,
                                              ProfileGrade.grade == grade))
    return list(db.session.scalars(query.order_by(User.name, LighthouseProfile.id).limit(limit)))


def profile_of(user: User | None) -> LighthouseProfile | None:
    """Return the person's own profile, if they have one."""
    if user is None:
        return None
    return db.session.scalar(sa.select(LighthouseProfile).where(LighthouseProfile.user_id == user.id))


def is_lighthouse(user: User | None) -> bool:
    return user is not None and user.has_role(Role.LIGHTHOUSE)


def can_edit_profile(actor: User | None, profile: LighthouseProfile) -> bool:
    """Whether the actor may change the profile: its fyrtårn, or an admin."""
    return actor is not None and (actor.is_admin or profile.user_id == actor.id)


def visible_to(actor: User | None, profile: LighthouseProfile) -> bool:
    """Whether the actor may see the profile page: active profiles for everyone, others for who may edit them."""
    return profile.active or can_edit_profile(actor, profile)


def _check_profile(data: ProfileData) -> None:
    if not data.subjects:
        raise ProfileError(_("Velg minst ett fagområde."))
    if not data.grades:
        raise ProfileError(_("Velg minst ett trinn."))
    if len(data.presentation) > 10000:
        raise ProfileError(_("Presentasjonen kan ha høyst 10 000 tegn."))


def _apply_profile(profile: LighthouseProfile, data: ProfileData, now: datetime) -> None:
    subjects = list(dict.fromkeys(data.subjects))
    profile.subject_rows = [row for row in profile.subject_rows if row.subject in subjects]
    have = {row.subject for row in profile.subject_rows}
    profile.subject_rows += [ProfileSubject(subject=s) for s in subjects if s not in have]
    grades = list(dict.fromkeys(data.grades))
    profile.grade_rows = [row for row in profile.grade_rows if row.grade in grades]
    have_grades = {row.grade for row in profile.grade_rows}
    profile.grade_rows += [ProfileGrade(grade=g) for g in grades if g not in have_grades]
    profile.presentation = data.presentation.strip()
    profile.active = data.active
    profile.updated_at = now


def update_profile(profile: LighthouseProfile, data: ProfileData, *, actor: User, now: datetime,
                   home_school_id: int | None = None) -> None:
    """Save changes to a profile; only an admin may move it to another home school."""
    require(can_edit_profile(actor, profile))
    _check_profile(data)
    if home_school_id is not None and home_school_id != profile.home_school_id:
        require(actor.is_admin)
        profile.home_school = _school(home_school_id)
    _apply_profile(profile, data, now)
    db.session.flush()


def _school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        raise ProfileError(_("Skolen finnes ikke."))
    return school


def lighthouse_people_without_profile() -> list[User]:
    """Return the people with the fyrtårn role who have no profile yet, by name."""
    has_profile = sa.select(LighthouseProfile.user_id)
    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.id.not_in(has_profile),
                              User.id.in_(sa.select(Membership.user_id).where(Membership.role == Role.LIGHTHOUSE)))
        .order_by(User.name)))


def create_profile(user_id: int, home_school_id: int, data: ProfileData, *, actor: User,
                   now: datetime) -> LighthouseProfile:
    """Create the profile of a person with the fyrtårn role (admins only)."""
    require(actor.is_admin, _("Bare programadministratorer kan opprette fyrtårnprofiler."))
    person = db.session.get(User, user_id)
    if person is None or not person.has_role(Role.LIGHTHOUSE):
        raise ProfileError(_("Personen har ikke rollen fyrtårn. Gi personen rollen først."))
    if profile_of(person) is not None:
        raise ProfileError(_("%(name)s har allerede en fyrtårnprofil.", name=person.name))
    _check_profile(data)
    profile = LighthouseProfile(user=person, home_school=_school(home_school_id), created_at=now, updated_at=now)
    _apply_profile(profile, data, now)
    db.session.add(profile)
    db.session.flush()
    return profile


# --- release time ---------------------------------------------------------------

def next_semester(code: str) -> str:
    """Return the semester after ``code``: 2026H -> 2027V, 2027V -> 2027H."""
    year, half = int(code[:4]), code[4:]
    return f"{year + 1}V" if half == "H" else f"{year}H"


def askable_semesters(now: datetime) -> list[str]:
    """Return the semesters a fyrtårn may ask release time for: the current and the next."""
    current = semester_of(now.astimezone(OSLO).date())
    return [current, next_semester(current)]


@dataclass
class ReleaseTimeLine:
    """One semester of a fyrtårn's release time, as the profile and the principal see it."""

    semester: str
    requested_minutes: int
    #: None until the principal has decided.
    approved_minutes: int | None
    held_minutes: int
    left_minutes: int
    release_time: ReleaseTime | None = None

    @property
    def label(self) -> str:
        return semester_label(self.semester)

    @property
    def pending(self) -> bool:
        return self.release_time is not None and (
            self.approved_minutes is None or self.requested_minutes != self.approved_minutes)


def release_time_lines(profile: LighthouseProfile, now: datetime) -> list[ReleaseTimeLine]:
    """Return the profile's release time per semester, newest first, with the current semester always there."""
    rows = {rt.semester: rt for rt in db.session.scalars(
        sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id))}
    held_by_semester = held_minutes_by_semester(profile.id)
    semesters = set(rows) | {askable_semesters(now)[0]}
    lines = []
    for semester in sorted(semesters, reverse=True):
        rt = rows.get(semester)
        held = held_by_semester.get(semester, 0)
        approved = rt.approved_minutes if rt else None
        lines.append(ReleaseTimeLine(semester=semester, requested_minutes=rt.requested_minutes if rt else 0,
                                     approved_minutes=approved, held_minutes=held,
                                     left_minutes=max((approved or 0) - held, 0), release_time=rt))
    return lines


def request_release_time(profile: LighthouseProfile, semester: str, hours: int, *, actor: User,
                         now: datetime) -> ReleaseTime:
    """Ask the home school for a number of hours in the current or next semester."""
    require(can_edit_profile(actor, profile))
    if semester not in askable_semesters(now):
        raise ProfileError(_("Du kan be om frikjøpstid for dette eller neste semester."))
    if not 1 <= hours <= MAX_RELEASE_HOURS:
        raise ProfileError(_("Skriv et antall timer fra 1 til %(n)d.", n=MAX_RELEASE_HOURS))
    rt = db.session.scalar(sa.select(ReleaseTime).where(ReleaseTime.profile_id == profile.id,
                                                        ReleaseTime.semester == semester))
    if rt is None:
        rt = ReleaseTime(profile_id=profile.id, semester=semester, created_at=now)
        db.session.add(rt)
    rt.requested_minutes = hours * 60
    rt.updated_at = now
    db.session.flush()
    audit.record(object_type=RELEASE_TIME_AUDIT, object_id=rt.id, from_state=None, to_state="requested",
                 actor_id=actor.id, at=now, note=_("%(h)d timer bedt om for %(s)s", h=hours,
                                                   s=semester_label(semester)))
    return rt


def can_approve(actor: User | None, profile: LighthouseProfile) -> bool:
    """Whether the actor decides the profile's release time: a leader of the home school, or an admin."""
    return actor is not None and (actor.is_admin or actor.has_role(Role.LEADER, profile.home_school_id))


def approve_release_time(rt: ReleaseTime, hours: int, *, actor: User, now: datetime) -> None:
    """Approve a number of hours (which may differ from the request), never fewer than bookings hold."""
    require(can_approve(actor, rt.profile), _("Bare rektor ved fyrtårnets hjemmeskole kan godkjenne frikjøpstid."))
    if not 0 <= hours <= MAX_RELEASE_HOURS:
        raise ProfileError(_("Skriv et antall timer fra 0 til %(n)d.", n=MAX_RELEASE_HOURS))
    # Under the fyrtårn's lock, as the booking rules take it: no booking can
    # draw on the hours between the count below and the commit.
    begin_writing()
    db.session.execute(sa.select(LighthouseProfile.id).where(LighthouseProfile.id == rt.profile_id)
                       .with_for_update())
    held = held_minutes(rt.profile_id, rt.semester)
    minutes = hours * 60
    if minutes < held:
        raise ProfileError(_("Bestillinger holder allerede %(held)s timer av frikjøpstiden i %(s)s. "
                             "Du kan ikke godkjenne færre timer enn det.",
                             held=format_hours(held), s=semester_label(rt.semester)))
    before = rt.approved_minutes
    rt.approved_minutes = minutes
    rt.approved_by_id = actor.id
    rt.approved_at = now
    rt.updated_at = now
    db.session.flush()
    audit.record(object_type=RELEASE_TIME_AUDIT, object_id=rt.id,
                 from_state="requested" if before is None else f"approved:{before}",
                 to_state=f"approved:{minutes}", actor_id=actor.id, at=now,
                 note=_("%(h)d timer godkjent for %(s)s (bedt om %(r)s)", h=hours, s=semester_label(rt.semester),
                        r=format_hours(rt.requested_minutes)))


def format_hours(minutes: int | None) -> str:
    """Return minutes as hours the Norwegian way: 90 -> "1,5"."""
    if minutes is None:
        return ""
    hours = minutes / 60
    return f"{hours:.0f}" if minutes % 60 == 0 else f"{hours:.1f}".replace(".", ",")


def approvable_profiles(actor: User) -> list[LighthouseProfile]:
    """Return the profiles whose release time the actor decides: all for admins, else the led schools'."""
    query = sa.select(LighthouseProfile).join(User, LighthouseProfile.user_id == User.id)
    if not actor.is_admin:
        query = query.where(LighthouseProfile.home_school_id.in_(actor.led_school_ids() or {-1}))
    return list(db.session.scalars(query.order_by(User.name)))


def get_release_time(release_time_id: int) -> ReleaseTime | None:
    return db.session.get(ReleaseTime, release_time_id)


# --- bookable offerings -----------------------------------------------------------

@dataclass
class BookableData:
    """The editable fields of a bookable offering."""

    kind: BookableKind
    title: str
    subject: Subject
    duration_minutes: int
    max_participants: int
    description: str = ""
    audience: str = ""
    venue: Venue = Venue.EITHER
    buffer_minutes: int = 15
    min_notice_hours: int = 48
    active: bool = True


def _check_bookable(data: BookableData) -> None:
    if not data.title.strip():
        raise ProfileError(_("Tilbudet må ha en tittel."))
    if not DURATION_RANGE[0] <= data.duration_minutes <= DURATION_RANGE[1]:
        raise ProfileError(_("Varigheten må være fra 15 til 600 minutter."))
    if data.max_participants < 1:
        raise ProfileError(_("Maks antall deltakere må være minst 1."))
    if not BUFFER_RANGE[0] <= data.buffer_minutes <= BUFFER_RANGE[1]:
        raise ProfileError(_("Buffer må være fra 0 til 240 minutter."))
    if not NOTICE_RANGE[0] <= data.min_notice_hours <= NOTICE_RANGE[1]:
        raise ProfileError(_("Varsel må være fra 0 til 2160 timer (90 dager)."))


def _apply_bookable(offering: BookableOffering, data: BookableData, now: datetime) -> None:
    for name in ("kind", "subject", "duration_minutes", "max_participants", "venue", "buffer_minutes",
                 "min_notice_hours", "active"):
        setattr(offering, name, getattr(data, name))
    offering.title = data.title.strip()
    offering.description = data.description.strip()
    offering.audience = data.audience.strip()
    offering.updated_at = now


def create_bookable(profile: LighthouseProfile, data: BookableData, *, actor: User, now: datetime) -> BookableOffering:
    """Add an offering schools can book from the fyrtårn."""
    require(can_edit_profile(actor, profile))
    _check_bookable(data)
    offering = BookableOffering(profile=profile, created_at=now)
    _apply_bookable(offering, data, now)
    db.session.add(offering)
    db.session.flush()
    return offering


def update_bookable(offering: BookableOffering, data: BookableData, *, actor: User, now: datetime) -> None:
    """Change a bookable offering; bookings already made keep their length and place."""
    require(can_edit_profile(actor, offering.profile))
    _check_bookable(data)
    _apply_bookable(offering, data, now)
    db.session.flush()


def deactivate_bookable(offering: BookableOffering, *, actor: User, now: datetime) -> None:
    """Stop schools from booking an offering; bookings already made go on."""
    require(can_edit_profile(actor, offering.profile))
    offering.active = False
    offering.updated_at = now
    db.session.flush()


def bookables_of(profile: LighthouseProfile, *, active_only: bool = False) -> list[BookableOffering]:
    """Return the profile's offerings, active first, by title."""
    query = sa.select(BookableOffering).where(BookableOffering.profile_id == profile.id)
    if active_only:
        query = query.where(BookableOffering.active.is_(True))
    return list(db.session.scalars(query.order_by(BookableOffering.active.desc(), BookableOffering.title,
                                                  BookableOffering.id)))


# --- availability ------------------------------------------------------------------

def windows_of(profile: LighthouseProfile) -> list[AvailabilityWindow]:
    """Return the profile's availability windows by weekday and time."""
    return list(db.session.scalars(
        sa.select(AvailabilityWindow).where(AvailabilityWindow.profile_id == profile.id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time, AvailabilityWindow.valid_from,
                  AvailabilityWindow.id)))


def add_window(profile: LighthouseProfile, *, weekday: int, start: time, end: time, valid_from: date,
               valid_until: date, actor: User, now: datetime) -> AvailabilityWindow:
    """Add a weekly time (Oslo local time) when schools can book the fyrtårn."""
    require(can_edit_profile(actor, profile))
    if not 0 <= weekday <= 6:
        raise ProfileError(_("Velg en ukedag."))
    if end <= start:
        raise ProfileError(_("Sluttid må være etter starttid."))
    if valid_until < valid_from:
        raise ProfileError(_("«Gjelder til» kan ikke være før «Gjelder fra»."))
    window = AvailabilityWindow(profile_id=profile.id, weekday=weekday, start_time=start, end_time=end,
                                valid_from=valid_from, valid_until=valid_until, created_at=now)
    db.session.add(window)
    db.session.flush()
    return window


def delete_window(window: AvailabilityWindow, *, actor: User) -> None:
    """Remove an availability window; bookings already made in it go on."""
    profile = db.session.get(LighthouseProfile, window.profile_id)
    require(profile is not None and can_edit_profile(actor, profile))
    db.session.delete(window)
    db.session.flush()


# --- open courses in the catalogue ----------------------------------------------------

@dataclass
class OpenCourseData:
    """An open course the fyrtårn runs for everyone: one offering in the catalogue with one session."""

    title: str
    subject: Subject
    capacity: int
    day: date
    start: time
    end: time
    target_groups: list[TargetGroup] = field(default_factory=list)
    description: str = ""
    location: str = ""
    online_url: str = ""


def create_open_course(profile: LighthouseProfile, data: OpenCourseData, *, actor: User,
                       now: datetime) -> Offering:
    """Publish an open course in the catalogue with the fyrtårn responsible; it uses the catalogue's enrollment."""
    require(can_edit_profile(actor, profile))
    if data.end <= data.start:
        raise ProfileError(_("Sluttid må være etter starttid."))
    try:
        starts_at, ends_at = oslo_wall_time(data.day, data.start), oslo_wall_time(data.day, data.end)
    except WallTimeError as err:
        raise ProfileError(str(err)) from None
    if starts_at <= now:
        raise ProfileError(_("Kurset må ligge fram i tid."))
    # The catalogue asks the booking rules whether a school's booking holds the
    # time (lighthouse.bookings.operations.session_clash), under the fyrtårn's lock.
    catalogue_data = offering_ops.OfferingData(
        title=data.title.strip(), kind=OfferingKind.COURSE, capacity=data.capacity,
        school_year=school_year_of(data.day), theme=data.subject.label, description=data.description,
        organiser=_("Fyrtårn %(name)s", name=profile.user.name), target_groups=list(data.target_groups),
        location=data.location.strip(), online_url=data.online_url.strip(), responsible_id=profile.user_id)
    try:
        offering = offering_ops.create_offering(catalogue_data, actor=actor, now=now)
        # The rest as the responsible fyrtårn: the catalogue lets them manage their own offering.
        offering_ops.add_session(offering, actor=actor, now=now, starts_at=starts_at, ends_at=ends_at)
        offering_ops.publish(offering, actor=actor, now=now)
    except offering_ops.OfferingError as err:
        raise ProfileError(str(err)) from None
    return offering


def open_courses_of(profile: LighthouseProfile, now: datetime) -> list[Offering]:
    """Return the fyrtårn's published catalogue offerings with a session still to come, soonest first."""
    return list(db.session.scalars(
        sa.select(Offering).where(Offering.responsible_id == profile.user_id,
                                  Offering.status == OfferingStatus.PUBLISHED,
                                  Offering.last_starts_at >= now - timedelta(hours=12))
        .order_by(Offering.first_starts_at, Offering.id)))


# --- films ----------------------------------------------------------------------------

def published_films_of(profile: LighthouseProfile) -> list[LearningFilm]:
    """Return the fyrtårn's published learning films, newest first."""
    return list(db.session.scalars(
        sa.select(LearningFilm).where(LearningFilm.profile_id == profile.id, LearningFilm.published_at.is_not(None))
        .order_by(LearningFilm.published_at.desc(), LearningFilm.id.desc())))
