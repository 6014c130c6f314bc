"""The fyrtårn part of the demo programme.

Three demo teachers from ``content/demo/people.md`` become fyrtårn at their
own schools: Marte Holm (digital kompetanse and matematikk, 8.–10. trinn),
Kari Solberg (lesing og skriving, 1.–4. trinn) and Thomas Moe (matematikk,
5.–7. trinn). Each gets a profile, release time for the current semester
approved by the principal of the home school, offerings to book, weekly
availability through the semester, and Marte Holm two published learning
films; Kari Solberg runs one open course in the catalogue.

Everything is found again by stable keys (the person's e-mail, an offering's
or film's title, a window's weekday and times, a semester), so loading twice
changes nothing. Rules go through :mod:`lighthouse.profiles.operations`,
acting as the fyrtårn or their principal, as the pages do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from catalog.offerings.models import Offering, OfferingStatus, TargetGroup
from lighthouse.bookings import operations as booking_ops
from lighthouse.bookings.models import BookableKind, Booking, Venue
from lighthouse.films.models import DEFAULT_LICENCE, FilmGrade, LearningFilm
from lighthouse.profiles import operations as ops
from lighthouse.profiles.models import GradeLevel, LighthouseProfile, ReleaseTime, Subject
from lms.content import DemoContentError
from lms.db import db
from lms.i18n import OSLO
from lms.people.demo import demo_admin
from lms.people.models import Membership, Role, User


@dataclass
class DemoOffering:
    kind: BookableKind
    title: str
    subject: Subject
    audience: str
    duration_minutes: int
    max_participants: int
    venue: Venue
    description: str
    buffer_minutes: int = 15
    min_notice_hours: int = 72


@dataclass
class DemoFilm:
    title: str
    summary: str
    video_url: str
    subject: Subject
    grades: list[GradeLevel]
    tasks: str


@dataclass
class DemoOpenCourse:
    title: str
    subject: Subject
    description: str
    location: str
    capacity: int
    #: Weeks from loading, and the Oslo weekday (0 is Monday) and times.
    weeks_ahead: int
    weekday: int
    start: time
    end: time


@dataclass
class DemoLighthouse:
    email: str
    subjects: list[Subject]
    grades: list[GradeLevel]
    presentation: str
    hours: int
    #: (weekday, start, end) in Oslo time, every week of the semester.
    windows: list[tuple[int, time, time]]
    offerings: list[DemoOffering]
    films: list[DemoFilm] = field(default_factory=list)
    open_course: DemoOpenCourse | None = None


LIGHTHOUSES = [
    DemoLighthouse(
        email="marte.holm@kommune.example",
        subjects=[Subject.DIGITAL, Subject.MATHEMATICS], grades=[GradeLevel.LOWER_SECONDARY],
        presentation=(
            "Jeg underviser i matematikk og programmering på Åsbakken ungdomsskole og har vært fyrtårn "
            "for digital kompetanse i tre år.\n\n"
            "Jeg hjelper gjerne med:\n\n"
            "- programmering i matematikk med Python og blokkbasert koding\n"
            "- regneark og dynamisk geometri i utforskende oppgaver\n"
            "- vurdering for læring når elevene leverer digitalt"),
        hours=60,
        windows=[(1, time(12, 0), time(15, 30)), (3, time(8, 30), time(11, 30))],
        offerings=[
            DemoOffering(BookableKind.GUIDANCE, "Veiledning: programmering i matematikkfaget", Subject.DIGITAL,
                         "Lærere på 8.–10. trinn", 90, 8, Venue.EITHER,
                         "Vi går gjennom et opplegg dere vil prøve, og jeg er med i en time i klassen eller "
                         "på nett. Ta med årsplanen, så finner vi et godt sted å begynne."),
            DemoOffering(BookableKind.WORKSHOP, "Verksted: regneark og dynamisk geometri", Subject.MATHEMATICS,
                         "Matematikklærere på ungdomstrinnet", 180, 20, Venue.AT_SCHOOL,
                         "Et praktisk verksted på skolen deres. Alle lager et ferdig undervisningsopplegg "
                         "med **regneark** eller **GeoGebra** som kan brukes uka etter.", buffer_minutes=30),
            DemoOffering(BookableKind.COURSE, "Kurs: vurdering for læring med digitale innleveringer",
                         Subject.ASSESSMENT, "Alle lærere på 8.–10. trinn", 120, 30, Venue.ONLINE,
                         "Et nettkurs om tilbakemeldinger underveis når elevene leverer digitalt."),
        ],
        films=[
            DemoFilm("Funksjoner i regneark", "Vi lager en tabell og en graf for en lineær funksjon i regneark.",
                     "https://vimeo.com/76979871", Subject.MATHEMATICS, [GradeLevel.LOWER_SECONDARY],
                     "## Oppgaver\n\n1. Lag en tabell for *y = 2x + 3* for x fra -5 til 5.\n"
                     "2. Lag en graf av tabellen. Hvor skjærer grafen y-aksen?\n"
                     "3. Endre stigningstallet til -1. Hva skjer med grafen? Forklar for en medelev."),
            DemoFilm("Din første løkke i Python", "En løkke som skriver gangetabellen, forklart linje for linje.",
                     "https://vimeo.com/22439234", Subject.DIGITAL, [GradeLevel.PRIMARY_UPPER,
                                                                    GradeLevel.LOWER_SECONDARY],
                     "## Oppgaver\n\n1. Skriv av programmet fra filmen og kjør det.\n"
                     "2. Endre programmet så det skriver 7-gangen.\n"
                     "3. **Utfordring:** skriv bare partallene i gangetabellen."),
        ]),
    DemoLighthouse(
        email="kari.solberg@kommune.example",
        subjects=[Subject.READING_WRITING, Subject.NORWEGIAN], grades=[GradeLevel.PRIMARY_LOWER],
        presentation=(
            "Jeg har undervist på småtrinnet på Eikeli skole i femten år og er fyrtårn for lesing og "
            "skriving.\n\nJeg kommer gjerne til skolen deres og viser hvordan vi jobber med "
            "**lesestart**, stasjonsundervisning og skriving med nettbrett på 1.–4. trinn."),
        hours=40,
        windows=[(2, time(12, 30), time(15, 0))],
        offerings=[
            DemoOffering(BookableKind.GUIDANCE, "Veiledning: begynneropplæring i lesing", Subject.READING_WRITING,
                         "Lærere på 1.–4. trinn", 60, 6, Venue.AT_SCHOOL,
                         "Jeg observerer en leseøkt og vi snakker sammen etterpå om neste steg for klassen."),
            DemoOffering(BookableKind.COURSE, "Kurs: skriving med nettbrett på småtrinnet",
                         Subject.READING_WRITING, "Lærere på 1.–4. trinn", 120, 25, Venue.EITHER,
                         "Skriv-deg-til-lesing, lydskriving og deling av elevtekster på nettbrett."),
        ],
        open_course=DemoOpenCourse(
            "Åpent kurs: lesestart med bildebøker", Subject.READING_WRITING,
            "Et kurs for alle som underviser på 1.–4. trinn: hvordan bildebøker og samtaler om bilder "
            "bygger ordforråd og leselyst. Vi prøver ut opplegg sammen og deler erfaringer.",
            "Eikeli skole, biblioteket", 25, weeks_ahead=4, weekday=3, start=time(14, 30), end=time(16, 0))),
    DemoLighthouse(
        email="thomas.moe@kommune.example",
        subjects=[Subject.MATHEMATICS], grades=[GradeLevel.PRIMARY_UPPER],
        presentation=(
            "Matematikklærer på mellomtrinnet på Skogheim skole. Jeg er fyrtårn for utforskende "
            "matematikk og **konkreter** på 5.–7. trinn, og bruker mye tid på brøk og tallforståelse."),
        hours=50,
        windows=[(0, time(12, 0), time(15, 0)), (3, time(12, 0), time(15, 0))],
        offerings=[
            DemoOffering(BookableKind.GUIDANCE, "Veiledning: utforskende matematikk", Subject.MATHEMATICS,
                         "Lærere på 5.–7. trinn", 90, 8, Venue.EITHER,
                         "Vi planlegger en utforskende økt sammen, og jeg gir tilbakemelding etter at dere "
                         "har prøvd den."),
            DemoOffering(BookableKind.WORKSHOP, "Verksted: brøk med konkreter og digitale verktøy",
                         Subject.MATHEMATICS, "Matematikklærere på mellomtrinnet", 150, 20, Venue.AT_SCHOOL,
                         "Brøkstaver, tallinjer og digitale manipulativer: fra konkret til abstrakt."),
        ]),
]


@dataclass
class LighthouseSummary:
    profiles: int = 0
    profiles_created: int = 0
    offerings_created: int = 0
    windows_created: int = 0
    films_created: int = 0
    courses_created: int = 0
    release_times_created: int = 0
    bookings_created: int = 0

    def __str__(self) -> str:
        return (f"{self.profiles} fyrtårn ({self.profiles_created} nye), {self.offerings_created} nye tilbud, "
                f"{self.windows_created} nye tider, {self.release_times_created} godkjent frikjøpstid, "
                f"{self.courses_created} nye åpne kurs, {self.films_created} nye læringsfilmer, "
                f"{self.bookings_created} nye bestillinger")


def semester_bounds(code: str) -> tuple[date, date]:
    """Return the school days a semester's availability covers: mid-August to Christmas, New Year to June."""
    year = int(code[:4])
    return (date(year, 8, 10), date(year, 12, 20)) if code.endswith("H") else (date(year, 1, 3), date(year, 6, 20))


def _person(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        raise DemoContentError(f"Fyrtårnet {email} er ikke lastet: last demopersonene først.")
    return user


def _home_school_id(user: User) -> int:
    for role in (Role.LIGHTHOUSE, Role.TEACHER, Role.LEADER):
        for m in user.memberships:
            if m.role == role and m.school_id:
                return m.school_id
    raise DemoContentError(f"{user.email} hører ikke til noen skole i content/demo/people.md.")


def _principal(school_id: int) -> User:
    principal = db.session.scalar(
        sa.select(User).join(Membership).where(Membership.school_id == school_id, Membership.role == Role.LEADER)
        .order_by(User.name).limit(1))
    if principal is None:
        raise DemoContentError(f"Skole {school_id} har ingen skoleleder i content/demo/people.md.")
    return principal


def _profile(spec: DemoLighthouse, now: datetime, summary: LighthouseSummary) -> LighthouseProfile:
    user = _person(spec.email)
    school_id = _home_school_id(user)
    if not user.has_role(Role.LIGHTHOUSE):
        user.memberships.append(Membership(role=Role.LIGHTHOUSE, school_id=school_id))
        db.session.flush()
    profile = ops.profile_of(user)
    if profile is None:
        # Profiles are made by a programme admin, as on the page.
        profile = ops.create_profile(user.id, school_id, ops.ProfileData(
            subjects=spec.subjects, grades=spec.grades, presentation=spec.presentation), actor=demo_admin(), now=now)
        summary.profiles_created += 1
    return profile


def _release_time(profile: LighthouseProfile, spec: DemoLighthouse, now: datetime,
                  summary: LighthouseSummary) -> None:
    semester = ops.askable_semesters(now)[0]
    exists = db.session.scalar(sa.select(ReleaseTime.id).where(ReleaseTime.profile_id == profile.id,
                                                               ReleaseTime.semester == semester))
    if exists is None:
        rt = ops.request_release_time(profile, semester, spec.hours, actor=profile.user, now=now)
        ops.approve_release_time(rt, spec.hours, actor=_principal(profile.home_school_id), now=now)
        summary.release_times_created += 1


def _offerings(profile: LighthouseProfile, spec: DemoLighthouse, now: datetime, summary: LighthouseSummary) -> None:
    have = {o.title for o in ops.bookables_of(profile)}
    for o in spec.offerings:
        if o.title in have:
            continue
        ops.create_bookable(profile, ops.BookableData(
            kind=o.kind, title=o.title, subject=o.subject, duration_minutes=o.duration_minutes,
            max_participants=o.max_participants, description=o.description, audience=o.audience, venue=o.venue,
            buffer_minutes=o.buffer_minutes, min_notice_hours=o.min_notice_hours), actor=profile.user, now=now)
        summary.offerings_created += 1


def _windows(profile: LighthouseProfile, spec: DemoLighthouse, now: datetime, summary: LighthouseSummary) -> None:
    valid_from, valid_until = semester_bounds(ops.askable_semesters(now)[0])
    have = {(w.weekday, w.start_time, w.end_time, w.valid_from) for w in ops.windows_of(profile)}
    for weekday, start, end in spec.windows:
        if (weekday, start, end, valid_from) in have:
            continue
        ops.add_window(profile, weekday=weekday, start=start, end=end, valid_from=valid_from,
                       valid_until=valid_until, actor=profile.user, now=now)
        summary.windows_created += 1


def _films(profile: LighthouseProfile, spec: DemoLighthouse, now: datetime, summary: LighthouseSummary) -> None:
    have = set(db.session.scalars(sa.select(LearningFilm.title).where(LearningFilm.profile_id == profile.id)))
    for f in spec.films:
        if f.title in have:
            continue
        film = LearningFilm(profile_id=profile.id, title=f.title, summary=f.summary, video_url=f.video_url,
                            tasks=f.tasks, subject=f.subject, licence=DEFAULT_LICENCE, published_at=now,
                            created_at=now, updated_at=now)
        film.grade_rows = [FilmGrade(grade=g) for g in f.grades]
        db.session.add(film)
        summary.films_created += 1
    db.session.flush()


def _open_course(profile: LighthouseProfile, spec: DemoLighthouse, now: datetime,
                 summary: LighthouseSummary) -> None:
    course = spec.open_course
    if course is None:
        return
    # An upcoming course of that title is the one loaded before; once it is over, a new one is made.
    exists = db.session.scalar(sa.select(Offering.id).where(
        Offering.responsible_id == profile.user_id, Offering.title == course.title,
        Offering.status != OfferingStatus.CANCELLED, Offering.last_starts_at >= now))
    if exists is not None:
        return
    day = now.astimezone(OSLO).date() + timedelta(weeks=course.weeks_ahead)
    day += timedelta(days=(course.weekday - day.weekday()) % 7)
    try:
        ops.create_open_course(profile, ops.OpenCourseData(
            title=course.title, subject=course.subject, capacity=course.capacity, day=day, start=course.start,
            end=course.end, target_groups=[TargetGroup.TEACHERS], description=course.description,
            location=course.location), actor=profile.user, now=now)
    except ops.ProfileError as err:
        raise DemoContentError(f"{course.title}: {err}") from None
    summary.courses_created += 1


#: Demo bookings of the first fyrtårn: (leader, which of the free times from a week ahead, confirmed).
DEMO_BOOKINGS = [("jon.berg@kommune.example", 0, False), ("mona.dahl@kommune.example", 2, True)]


def _bookings(profile: LighthouseProfile, now: datetime, summary: LighthouseSummary) -> None:
    """Give the fyrtårn a request to answer and a confirmed booking, once (the first time the demo loads)."""
    if db.session.scalar(sa.select(Booking.id).where(Booking.profile_id == profile.id).limit(1)) is not None:
        return
    guidance = next((o for o in ops.bookables_of(profile) if o.kind == BookableKind.GUIDANCE and o.active), None)
    if guidance is None:
        return
    start = now + timedelta(weeks=1)
    times = booking_ops.free_times(guidance, start=start, end=start + timedelta(weeks=8), now=now)
    for email, which, confirmed in DEMO_BOOKINGS:
        if which >= len(times):
            continue  # late in the semester: fewer free times left
        leader = _person(email)
        school_id = next(iter(leader.led_school_ids()))
        booking = booking_ops.request_booking(guidance.id, school_id, actor=leader, starts_at=times[which].starts_at,
                                              participants_count=4, now=now,
                                              note="Vi ønsker veiledning for lærerne på 8. trinn.")
        if confirmed:
            booking_ops.confirm_booking(booking, actor=profile.user, now=now,
                                        location=f"{booking.school.name}, personalrommet")
        summary.bookings_created += 1


def load_demo(now: datetime) -> str:
    """Load demo fyrtårn, their offerings, availability, release time and films; twice changes nothing."""
    summary = LighthouseSummary()
    for spec in LIGHTHOUSES:
        profile = _profile(spec, now, summary)
        _release_time(profile, spec, now, summary)
        _offerings(profile, spec, now, summary)
        _windows(profile, spec, now, summary)
        _films(profile, spec, now, summary)
        _open_course(profile, spec, now, summary)
        if spec is LIGHTHOUSES[0]:
            _bookings(profile, now, summary)
        summary.profiles += 1
    return str(summary)


def demo_lighthouse_emails() -> list[str]:
    """Return the e-mail addresses of the demo fyrtårn (all of them listed by ``flask demo accounts``)."""
    return [spec.email for spec in LIGHTHOUSES]
