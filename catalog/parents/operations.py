"""The rules of parent events: sign-up without an account, hall and stream, waitlist, forgetting.

The hall's seats are the catalogue offering's: they are taken under
:func:`catalog.enrollment.operations.lock_offering` (a row lock on
PostgreSQL, SQLite's write lock) and counted in the offering's
``seats_taken``, whose check constraint refuses an overbooked hall; the
stream's places are counted beside them under the same lock. Every entry
point (the pages, the CLI, the benchmark) calls these functions.
"""
from __future__ import annotations

import functools
from collections import defaultdict

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, selectinload

from catalog.enrollment import operations as enrollment_ops
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OfferingTargetGroup, TargetGroup
from catalog.offerings.operations import offering_changed
from catalog.parents import mails
from catalog.parents.models import (GRADES, AttendanceMode, ParentAttempt, ParentEvent, ParentEventGrade,
                                    ParentEventKind, ParentQuestion, ParentSignup, ParentTally, SignupState)
from events import operations as events_ops
from events.models import Schedule, Session, SessionStatus
from lms.auth.operations import require
from lms.db import db
from lms.mail.models import OutboxMessage
from lms.people.models import Role, School, User
from lms.plugins import school_values, schools_parameter
from lms.schoolyear import school_year_of
from lms.settings import operations as settings

RETENTION_DAYS = settings.register("parents.retention_days", int, 30,
                                   _l("Dager etter et foreldrearrangement før foresattes opplysninger slettes"),
                                   minimum=1)
STREAM_REMINDER_HOURS = settings.register(
    "parents.stream_reminder_hours", int, 3, _l("Timer før start at strømmelenken sendes til foresatte"), minimum=1)
ADDRESS_LIMIT = settings.register(
    "parents.signups_per_address_hour", int, 20,
    _l("Påmeldinger og spørsmål fra samme nettadresse per time (foreldrearrangementer)"), minimum=1)
EMAIL_LIMIT = settings.register(
    "parents.signups_per_email_day", int, 6, _l("Påmeldinger fra samme e-postadresse per døgn"), minimum=1)

#: Random bytes in a manage link: 256 bits, far above the 128 asked for.
TOKEN_BYTES = 32
#: The longest window a limit looks back over; older attempts are deleted.
ATTEMPT_WINDOW = timedelta(days=1)
QUESTION_LENGTH = 1000
NAME_LENGTH = ParentSignup.__table__.c.name.type.length
#: The catalogue kind each parent event shows as among the other offerings.
OFFERING_KINDS = {
    ParentEventKind.PARENT_SCHOOL: OfferingKind.PARENT_SCHOOL,
    ParentEventKind.PARENT_MEETING: OfferingKind.MEETING,
    ParentEventKind.USER_FORUM: OfferingKind.WEBINAR,
    ParentEventKind.COUNCIL_MEETING: OfferingKind.MEETING,
}
MUNICIPALITY = "Oppvekst skole"


class ParentError(Exception):
    """A parent-event action the rules refuse; the message is for the person."""


class TooMany(ParentError):
    """Too many sign-ups from one address or e-mail in too short a time (HTTP 429)."""


# --- who may organise --------------------------------------------------------------

def can_organise(user: User | None, school_id: int | None) -> bool:
    """Return whether the user may create and run parent events for the school (None: the municipality)."""
    if user is None:
        return False
    if user.is_admin:
        return True
    return school_id is not None and user.has_role(Role.LEADER, school_id)


def organised_schools(user: User) -> list[School]:
    """Return the schools the user runs parent events for (every school for an admin), by name."""
    query = sa.select(School).order_by(School.name)
    if not user.is_admin:
        led = user.led_school_ids()
        if not led:
            return []
        query = query.where(School.id.in_(led))
    return list(db.session.scalars(query))


def can_manage_event(user: User | None, event: ParentEvent) -> bool:
    """Return whether the user runs this event: an admin, or a leader of its school."""
    return can_organise(user, event.school_id)


# --- creating events ----------------------------------------------------------------

@dataclass
class EventData:
    title: str
    kind: ParentEventKind
    school_id: int | None
    starts_at: datetime
    ends_at: datetime
    mode: AttendanceMode
    hall_capacity: int | None = None
    stream_capacity: int | None = None
    stream_url: str = ""
    location: str = ""
    description: str = ""
    grades: list[int] = field(default_factory=list)
    takes_questions: bool = False


def _check_event(data: EventData, now: datetime) -> None:
    if not data.title.strip():
        raise ParentError(_("Arrangementet må ha en tittel."))
    if data.starts_at <= now:
        raise ParentError(_("Velg et tidspunkt fram i tid."))
    if data.mode in (AttendanceMode.HALL, AttendanceMode.BOTH):
        if not data.hall_capacity or data.hall_capacity < 1:
            raise ParentError(_("Skriv hvor mange plasser det er i salen."))
        if not data.location.strip():
            raise ParentError(_("Skriv hvor arrangementet holdes."))
    if data.mode in (AttendanceMode.STREAM, AttendanceMode.BOTH) and not data.stream_url.strip():
        raise ParentError(_("Skriv lenken til strømmingen."))
    if data.stream_capacity is not None and data.stream_capacity < 1:
        raise ParentError(_("Plasser på strømmingen må være minst 1, eller tomt for ingen grense."))
    if any(g not in GRADES for g in data.grades):
        raise ParentError(_("Velg trinn mellom 1 og 10."))


def create_event(data: EventData, *, actor: User, now: datetime) -> ParentEvent:
    """Create and publish a parent event: a catalogue offering for parents with one session."""
    require(can_organise(actor, data.school_id),
            _("Du kan bare lage foreldrearrangementer for skoler du leder."))
    _check_event(data, now)
    school = db.session.get(School, data.school_id) if data.school_id else None
    if data.school_id and school is None:
        raise ParentError(_("Skolen finnes ikke."))
    has_hall = data.mode != AttendanceMode.STREAM
    offering = Offering(
        title=data.title.strip(), kind=OFFERING_KINDS[data.kind], theme="Samarbeid hjem-skole",
        description=data.description.strip(), organiser=school.name if school else MUNICIPALITY,
        target_group_text="Foreldre",
        responsible_id=actor.id, plan_area=6,
        # A stream-only event has no hall; the offering's one seat is never taken.
        capacity=data.hall_capacity if has_hall else 1,
        location=data.location.strip() if has_hall else "",
        school_year=school_year_of(data.starts_at.date()), status=OfferingStatus.PUBLISHED,
        schedule=events_ops.new_schedule("catalog.offering"), created_at=now, updated_at=now)
    offering.target_group_rows = [OfferingTargetGroup(group=TargetGroup.PARENTS)]
    db.session.add(offering)
    db.session.flush()
    try:
        events_ops.add_session(offering.schedule, starts_at=data.starts_at, ends_at=data.ends_at, now=now)
    except events_ops.ScheduleError as err:
        raise ParentError(str(err)) from None
    offering.first_starts_at = data.starts_at
    offering.last_starts_at = data.starts_at
    event = ParentEvent(offering=offering, kind=data.kind, school_id=data.school_id, mode=data.mode,
                        stream_capacity=data.stream_capacity if data.mode != AttendanceMode.HALL else None,
                        stream_url=data.stream_url.strip() if data.mode != AttendanceMode.HALL else "",
                        takes_questions=data.takes_questions, created_by_id=actor.id, created_at=now,
                        grade_rows=[ParentEventGrade(grade=g) for g in sorted(set(data.grades))])
    db.session.add(event)
    db.session.flush()
    offering_changed.send(offering)
    return event


# --- finding events ---------------------------------------------------------------------

def get_event(event_id: int) -> ParentEvent | None:
    return db.session.get(ParentEvent, event_id)


def upcoming(now: datetime, *, school_id: int | None = None, grade: int | None = None,
             limit: int = 200, offset: int = 0) -> list[ParentEvent]:
    """Return published parent events not yet over, soonest first, for a school's and a grade's parents."""
    query = (sa.select(ParentEvent).join(ParentEvent.offering)
             .where(Offering.status == OfferingStatus.PUBLISHED, Offering.last_starts_at >= now - timedelta(hours=3))
             .options(contains_eager(ParentEvent.offering).joinedload(Offering.schedule)
                      .selectinload(Schedule.sessions), selectinload(ParentEvent.school))
             .order_by(Offering.first_starts_at, ParentEvent.id).limit(limit).offset(offset))
    if school_id is not None:
        query = query.where(sa.or_(ParentEvent.school_id.is_(None), ParentEvent.school_id == school_id))
    if grade is not None:
        graded = sa.select(ParentEventGrade.event_id).where(ParentEventGrade.event_id == ParentEvent.id)
        query = query.where(sa.or_(~graded.exists(), graded.where(ParentEventGrade.grade == grade).exists()))
    return list(db.session.scalars(query))


def schools() -> list[School]:
    return list(db.session.scalars(sa.select(School).order_by(School.name)))


def events_for_organiser(user: User) -> list[ParentEvent]:
    """Return the parent events the user runs, newest first."""
    query = sa.select(ParentEvent).join(ParentEvent.offering).order_by(Offering.first_starts_at.desc())
    if not user.is_admin:
        led = user.led_school_ids()
        if not led:
            return []
        query = query.where(ParentEvent.school_id.in_(led))
    return list(db.session.scalars(query.limit(500)))


def asks_school(event: ParentEvent) -> bool:
    """Whether the sign-up asks for the child's school: only where the event is for several."""
    return event.school_id is None


def asks_grade(event: ParentEvent) -> bool:
    """Whether the sign-up asks for the child's grade: only where the event is for several."""
    return len(event.grades) != 1


def grade_choices(event: ParentEvent) -> list[int]:
    return event.grades or list(GRADES)


def signup_problem(event: ParentEvent, now: datetime) -> str | None:
    """Return why sign-up is closed now, or None when it is open."""
    if event.purged_at is not None:
        return _("Arrangementet er over.")
    if event.offering.status == OfferingStatus.PUBLISHED and not event.offering.live_sessions:
        return _("Arrangementet er avlyst.")  # its every session called off, the offering itself not
    return enrollment_ops.registration_problem(event.offering, now)


def hall_full(event: ParentEvent) -> bool:
    return event.has_hall and (event.offering.seats_left < 1 or event.offering.waitlist_length > 0)


def stream_full(event: ParentEvent) -> bool:
    return event.has_stream and event.stream_left == 0


# --- limits over time ---------------------------------------------------------------------

def _keyed(value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def check_limits(address: str, email: str, now: datetime) -> None:
    """Count this attempt, and refuse it if its address or e-mail sent too many lately."""
    address_hash, email_hash = _keyed("ip:" + address), _keyed("mail:" + email) if email else ""
    hour_ago = now - timedelta(hours=1)
    by_address = db.session.scalar(sa.select(sa.func.count()).select_from(ParentAttempt).where(
        ParentAttempt.address_hash == address_hash, ParentAttempt.at > hour_ago)) or 0
    if by_address >= settings.get(ADDRESS_LIMIT.key):
        raise TooMany(_("Det er sendt for mange påmeldinger fra denne nettadressen den siste timen. "
                        "Vent litt og prøv igjen, eller kontakt skolen."))
    if email_hash:
        by_email = db.session.scalar(sa.select(sa.func.count()).select_from(ParentAttempt).where(
            ParentAttempt.email_hash == email_hash, ParentAttempt.at > now - ATTEMPT_WINDOW)) or 0
        if by_email >= settings.get(EMAIL_LIMIT.key):
            raise TooMany(_("Det er sendt for mange påmeldinger med denne e-postadressen det siste døgnet. "
                            "Bruk lenken i e-posten du har fått for å endre påmeldingen."))
    db.session.add(ParentAttempt(address_hash=address_hash, email_hash=email_hash, at=now))
    db.session.flush()


# --- sign-up ------------------------------------------------------------------------------

@dataclass
class SignupData:
    name: str
    email: str
    mode: AttendanceMode
    school_id: int | None = None
    grade: int | None = None
    party_size: int = 1
    locale: str = "nb"


class SignupResult:
    """What a sign-up led to, and the manage link's token (only here and in the mail)."""

    def __init__(self, signup: ParentSignup, token: str, updated: bool, position: int | None = None):
        self.signup, self.token, self.updated = signup, token, updated
        #: The place on the hall's waitlist when the sign-up joined it.
        self.position = position

    @property
    def waitlisted(self) -> bool:
        return self.signup.state == SignupState.WAITLISTED


def email_key(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(signup: ParentSignup) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    signup.token_hash = hash_token(token)
    return token


def find_by_token(token: str) -> ParentSignup | None:
    """Return the sign-up a manage link opens; a wrong, old or deleted one opens none."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(sa.select(ParentSignup).where(ParentSignup.token_hash == hash_token(token)))


def _check_signup(event: ParentEvent, data: SignupData) -> SignupData:
    """Return the sign-up with what the event decides filled in, or refuse what it cannot take."""
    data.name = " ".join(data.name.split())
    if not data.name:
        raise ParentError(_("Skriv navnet ditt."))
    if len(data.name) > NAME_LENGTH:
        raise ParentError(_("Navnet kan ha høyst %(n)d tegn.", n=NAME_LENGTH))
    allowed = {AttendanceMode.HALL: event.has_hall, AttendanceMode.STREAM: event.has_stream}
    if not allowed.get(data.mode):
        raise ParentError(_("Velg om du kommer i salen eller følger strømmingen."))
    if asks_school(event):
        if data.school_id is None or db.session.get(School, data.school_id) is None:
            raise ParentError(_("Velg skolen barnet ditt går på."))
    else:
        data.school_id = event.school_id
    if asks_grade(event):
        if data.grade not in grade_choices(event):
            raise ParentError(_("Velg trinnet barnet ditt går på."))
    else:
        data.grade = event.grades[0]
    if data.mode == AttendanceMode.STREAM:
        data.party_size = 1
    elif data.party_size not in (1, 2):
        raise ParentError(_("Velg hvor mange dere kommer (1 eller 2)."))
    return data


def _waitlist_arrival(offering: Offering, event_id: int, now: datetime) -> datetime:
    """Return the time to queue someone at, no earlier than the last one queued (see enrollment)."""
    last = db.session.scalar(sa.select(sa.func.max(ParentSignup.waitlisted_at))
                             .where(ParentSignup.event_id == event_id))
    return max(now, last) if last is not None else now


def _take(event: ParentEvent, signup: ParentSignup, now: datetime) -> None:
    """Give the sign-up its place in the mode it asks for, the hall's waitlist, or refuse a full stream."""
    offering = event.offering
    if signup.mode == AttendanceMode.STREAM:
        if event.stream_left == 0:
            raise ParentError(_("Strømmingen er full."))
        event.stream_taken += 1
        signup.state, signup.waitlisted_at = SignupState.CONFIRMED, None
    elif offering.waitlist_length == 0 and offering.seats_left >= signup.party_size:
        offering.seats_taken += signup.party_size
        signup.state, signup.waitlisted_at = SignupState.CONFIRMED, None
    else:
        # The arrival is read before the sign-up changes: its query flushes the sign-up, and a waitlisted
        # one without its time is refused by the database (a parent moving from the stream to a full hall
        # got "changed at the same time").
        arrival = _waitlist_arrival(offering, event.id, now)
        signup.state, signup.waitlisted_at = SignupState.WAITLISTED, arrival
        offering.waitlist_length += 1


def _change_place(event: ParentEvent, signup: ParentSignup, mode: AttendanceMode, party_size: int,
                  now: datetime) -> bool:
    """Give a sign-up the place its new mode and party size ask for; return whether the queue may move on.

    A party staying in the hall keeps where it stands: one waiting keeps its
    arrival in the queue (and gets the seats if it now fits, being first),
    one seated that comes fewer keeps its seat and gives the rest on. Any
    other change gives the place back and takes one anew.
    """
    stays_in_hall = signup.mode == mode == AttendanceMode.HALL
    if stays_in_hall and signup.state == SignupState.WAITLISTED:
        signup.party_size = party_size
        return True
    if stays_in_hall and signup.state == SignupState.CONFIRMED and party_size < signup.party_size:
        event.offering.seats_taken -= signup.party_size - party_size
        signup.party_size = party_size
        return True
    freed = _release(event, signup)
    signup.mode, signup.party_size = mode, party_size
    _take(event, signup, now)
    return freed


def _release(event: ParentEvent, signup: ParentSignup) -> bool:
    """Give back the sign-up's place; return whether a hall seat (or a place in its queue) was freed."""
    offering = event.offering
    if signup.state == SignupState.CONFIRMED and signup.mode == AttendanceMode.HALL:
        offering.seats_taken -= signup.party_size
        return True
    if signup.state == SignupState.CONFIRMED:
        event.stream_taken -= 1
        return False
    if signup.state == SignupState.WAITLISTED:
        offering.waitlist_length -= 1
        return True
    return False


def _lock(event_id: int) -> ParentEvent:
    """Lock the event's offering (the catalogue's seat lock) and return the event, fresh."""
    event = get_event(event_id)
    if event is None:
        raise ParentError(_("Arrangementet finnes ikke."))
    try:
        enrollment_ops.lock_offering(event.offering_id)
    except enrollment_ops.OfferingNotFound:  # deleted after the page had loaded the event
        raise ParentError(_("Arrangementet finnes ikke.")) from None
    db.session.refresh(event)
    return event


def sign_up(event_id: int, data: SignupData, *, now: datetime) -> SignupResult:
    """Sign a parent up (or update their sign-up for the same e-mail), in the hall, on its waitlist or the stream."""
    event = get_event(event_id)
    if event is None:
        raise ParentError(_("Arrangementet finnes ikke."))
    data = _check_signup(event, data)
    event = _lock(event_id)
    problem = signup_problem(event, now)
    if problem:
        raise ParentError(problem)
    key = email_key(data.email)
    signup = db.session.scalar(sa.select(ParentSignup).where(
        ParentSignup.event_id == event.id, ParentSignup.email_key == key,
        ParentSignup.state != SignupState.CANCELLED))
    updated = signup is not None
    freed = False
    position = None
    if signup is None:
        signup = ParentSignup(event=event, email_key=key, created_at=now)
    signup.name, signup.email = data.name, data.email.strip()
    signup.school_id, signup.grade = data.school_id, data.grade
    signup.locale = data.locale
    signup.updated_at = now
    if not updated:
        signup.mode, signup.party_size = data.mode, data.party_size
        _take(event, signup, now)
        # Whoever joins the waitlist joins it last, so its length is the place.
        position = event.offering.waitlist_length if signup.state == SignupState.WAITLISTED else None
    elif (signup.mode, signup.party_size) != (data.mode, data.party_size):
        freed = _change_place(event, signup, data.mode, data.party_size, now)
    token = _new_token(signup)
    db.session.add(signup)
    db.session.flush()
    if freed:
        promote_from_waitlist(event, now, mailed_apart={signup.id})
    mails.queue(mails.SIGNED_UP, signup, now, token=token, updated=updated)
    return SignupResult(signup, token, updated, position or (waitlist_position(signup) if updated else None))


def promote_from_waitlist(event: ParentEvent, now: datetime, *,
                          mailed_apart: set[int] | frozenset[int] = frozenset()) -> list[ParentSignup]:
    """Move the first on the hall's waitlist into the seats that are free, in order; the caller holds the lock.

    The queue is served strictly in order: a party of two at its head waits
    for two seats rather than be passed by one behind it. The sign-ups in
    ``mailed_apart`` (the one whose own change freed the seats) get no mail
    and no new link here: the caller's mail about the change says where they are.
    """
    offering = event.offering
    if event.purged_at is not None or enrollment_ops.started(offering, now):
        return []
    promoted = []
    for signup in db.session.scalars(
            sa.select(ParentSignup).where(ParentSignup.event_id == event.id,
                                          ParentSignup.state == SignupState.WAITLISTED)
            .order_by(ParentSignup.waitlisted_at, ParentSignup.id)):
        if offering.seats_left < signup.party_size:
            break
        offering.waitlist_length -= 1
        offering.seats_taken += signup.party_size
        signup.state, signup.waitlisted_at, signup.updated_at = SignupState.CONFIRMED, None, now
        promoted.append(signup)
        if signup.id in mailed_apart:
            continue
        token = _new_token(signup)
        db.session.flush()
        mails.queue(mails.PROMOTED, signup, now, token=token)
    db.session.flush()
    return promoted


def waitlist_position(signup: ParentSignup) -> int | None:
    """Return the 1-based place on the hall's waitlist, or None when not waiting."""
    if signup.state != SignupState.WAITLISTED:
        return None
    return (db.session.scalar(sa.select(sa.func.count()).select_from(ParentSignup).where(
        ParentSignup.event_id == signup.event_id, ParentSignup.state == SignupState.WAITLISTED,
        sa.or_(ParentSignup.waitlisted_at < signup.waitlisted_at,
               sa.and_(ParentSignup.waitlisted_at == signup.waitlisted_at, ParentSignup.id < signup.id)))) or 0) + 1


def change_mode(signup: ParentSignup, mode: AttendanceMode, party_size: int, *, now: datetime) -> str:
    """Move a sign-up between hall and stream (or change how many come); return the new token for the mail."""
    event = _lock(signup.event_id)
    db.session.refresh(signup)
    if signup.state == SignupState.CANCELLED:
        raise ParentError(_("Påmeldingen er avmeldt. Meld deg på igjen fra arrangementssiden."))
    problem = signup_problem(event, now)
    if problem:
        raise ParentError(problem)
    data = _check_signup(event, SignupData(name=signup.name, email=signup.email, mode=mode,
                                           school_id=signup.school_id, grade=signup.grade, party_size=party_size))
    if (data.mode, data.party_size) == (signup.mode, signup.party_size):
        raise ParentError(_("Påmeldingen er allerede slik."))
    before = (signup.state, signup.mode, signup.party_size, signup.waitlisted_at)
    try:
        freed = _change_place(event, signup, data.mode, data.party_size, now)
    except ParentError:
        signup.state, signup.mode, signup.party_size, signup.waitlisted_at = before
        raise
    signup.updated_at = now
    token = _new_token(signup)
    db.session.flush()
    if freed:
        promote_from_waitlist(event, now, mailed_apart={signup.id})
    mails.queue(mails.SIGNED_UP, signup, now, token=token, updated=True)
    return token


def cancel_signup(signup: ParentSignup, *, now: datetime) -> None:
    """Cancel a sign-up; a freed hall seat goes to the first waiting."""
    event = _lock(signup.event_id)
    db.session.refresh(signup)
    if signup.state == SignupState.CANCELLED:
        raise ParentError(_("Påmeldingen er allerede avmeldt."))
    freed = _release(event, signup)
    signup.state, signup.waitlisted_at, signup.updated_at = SignupState.CANCELLED, None, now
    db.session.flush()
    mails.queue(mails.CANCELLED, signup, now)
    if freed:
        promote_from_waitlist(event, now)


def delete_signup(signup: ParentSignup, *, now: datetime) -> None:
    """Delete a parent's sign-up and what the outbox holds of them, at once; a freed seat is given on."""
    event = _lock(signup.event_id)
    db.session.refresh(signup)
    freed = _release(event, signup)
    _forget_mails([m for m in _parent_mails() if m.params.get("signup_id") == signup.id], now)
    db.session.delete(signup)
    db.session.flush()
    if freed:
        promote_from_waitlist(event, now)


def _event_of(offering: Offering) -> ParentEvent | None:
    """Return the parent event an offering is, if it is one (the listeners of ``offering_changed`` ask)."""
    return db.session.scalar(sa.select(ParentEvent).where(ParentEvent.offering_id == offering.id))


def _cancel_with_offering(offering: Offering, **_kwargs) -> None:
    """Cancel every parent's sign-up when the catalogue cancels the event's offering, and tell them.

    The receiver of ``offering_changed`` (sent by the catalogue's operations
    in the transaction that changed the offering, under its lock when it is
    cancelled).
    """
    if offering.status != OfferingStatus.CANCELLED:
        return
    event = _event_of(offering)
    if event is None:
        return
    _cancel_everyone(event, offering.updated_at)


def _live_signups(event: ParentEvent) -> list[ParentSignup]:
    """Return the sign-ups holding a place or waiting for one, in the order they were made."""
    return list(db.session.scalars(sa.select(ParentSignup).where(
        ParentSignup.event_id == event.id, ParentSignup.state != SignupState.CANCELLED).order_by(ParentSignup.id)))


def _cancel_everyone(event: ParentEvent, now: datetime, **params) -> None:
    """Cancel every sign-up of an evening that is called off, and mail each parent the cancellation."""
    for signup in _live_signups(event):
        _release(event, signup)
        signup.state, signup.waitlisted_at, signup.updated_at = SignupState.CANCELLED, None, now
        db.session.flush()
        mails.queue(mails.CANCELLED, signup, now, **params)


offering_changed.connect(_cancel_with_offering)


def _follow_sessions(offering: Offering, *, sessions_changed: bool = False, called_off: Session | None = None,
                     reason: str = "", now: datetime | None = None, **_kwargs) -> None:
    """Tell the parents of a published evening that its time or place changed, or call it off with its last session.

    The receiver of ``offering_changed`` where it carries ``sessions_changed``
    or ``called_off`` (the catalogue's ``add_session``, ``update_session``,
    ``cancel_session`` and ``update_offering``), in their transaction: the
    catalogue mails its enrollments only. Everyone signed up, seated or
    waiting, gets the updated invitation; when no session is left, every
    sign-up is cancelled and each parent gets the cancellation. Every sender
    that says ``sessions_changed`` or ``called_off`` gives ``now``.
    """
    if not (sessions_changed or called_off) or offering.status != OfferingStatus.PUBLISHED:
        return
    event = _event_of(offering)
    if event is None or event.purged_at is not None:
        return
    event = _lock(event.id)
    if not event.offering.live_sessions:
        _cancel_everyone(event, now, called_off=True, reason=reason)
        return
    for signup in _live_signups(event):
        mails.queue(mails.CHANGED, signup, now, token=_new_token(signup))
    db.session.flush()


offering_changed.connect(_follow_sessions)


def _promote_after_change(offering: Offering, **_kwargs) -> None:
    """Give the seats a new capacity adds to the parents waiting for the hall, first come first served.

    The receiver of ``offering_changed``: the catalogue's ``change_capacity``
    offers new seats to its own waitlist only, which holds no parents; it is
    sent in the same transaction, under the offering's lock.
    """
    if offering.status != OfferingStatus.PUBLISHED or not offering.waitlist_length or offering.seats_left < 1:
        return
    event = _event_of(offering)
    if event is not None:
        promote_from_waitlist(event, offering.updated_at)


offering_changed.connect(_promote_after_change)


# --- the organiser's door list and questions -------------------------------------------------

def door_list(event: ParentEvent) -> list[ParentSignup]:
    """Return who has a place (hall first, then stream), by name."""
    return list(db.session.scalars(
        sa.select(ParentSignup).where(ParentSignup.event_id == event.id,
                                      ParentSignup.state == SignupState.CONFIRMED)
        .order_by(ParentSignup.mode, ParentSignup.name, ParentSignup.id)))


def waiting_list(event: ParentEvent) -> list[ParentSignup]:
    return list(db.session.scalars(
        sa.select(ParentSignup).where(ParentSignup.event_id == event.id,
                                      ParentSignup.state == SignupState.WAITLISTED)
        .order_by(ParentSignup.waitlisted_at, ParentSignup.id)))


def record_attendance(event: ParentEvent, present_ids: set[int], *, actor: User) -> int:
    """Record who came; return how many are marked present."""
    require(can_manage_event(actor, event), _("Du kan ikke føre oppmøte for dette arrangementet."))
    rows = door_list(event)
    for signup in rows:
        signup.attended = signup.id in present_ids
    db.session.flush()
    return sum(1 for s in rows if s.attended)


def add_question(event: ParentEvent, text: str, *, now: datetime) -> ParentQuestion:
    """Keep a question sent in advance, with nothing that says who sent it."""
    if not event.takes_questions:
        raise ParentError(_("Dette arrangementet tar ikke imot spørsmål på forhånd."))
    if event.purged_at is not None or enrollment_ops.started(event.offering, now):
        raise ParentError(_("Spørsmål kan bare sendes før arrangementet starter."))
    text = text.strip()
    if not text:
        raise ParentError(_("Skriv spørsmålet ditt."))
    if len(text) > QUESTION_LENGTH:
        raise ParentError(_("Spørsmålet kan ha høyst %(n)d tegn.", n=QUESTION_LENGTH))
    question = ParentQuestion(event_id=event.id, text=text, created_at=now)
    db.session.add(question)
    db.session.flush()
    return question


def questions(event: ParentEvent) -> list[ParentQuestion]:
    return list(db.session.scalars(sa.select(ParentQuestion).where(ParentQuestion.event_id == event.id)
                                   .order_by(ParentQuestion.created_at, ParentQuestion.id)))


def counts(event: ParentEvent) -> dict[str, int]:
    """Return the event's figures: people in the hall, on the stream, waiting, attended (kept after deletion)."""
    if event.purged_at is not None:
        rows = db.session.execute(sa.select(ParentTally.mode, sa.func.sum(ParentTally.people),
                                            sa.func.sum(ParentTally.attended))
                                  .where(ParentTally.event_id == event.id).group_by(ParentTally.mode)).all()
        figures = {"hall": 0, "stream": 0, "waiting": 0, "attended": 0}
        for mode, people, attended in rows:
            figures[mode.value] += people or 0
            figures["attended"] += attended or 0
        return figures
    hall_people = event.offering.seats_taken if event.has_hall else 0
    attended = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ParentSignup.party_size), 0)).where(
        ParentSignup.event_id == event.id, ParentSignup.state == SignupState.CONFIRMED,
        ParentSignup.attended.is_(True))) or 0
    return {"hall": hall_people, "stream": event.stream_taken,
            "waiting": event.offering.waitlist_length if event.has_hall else 0, "attended": attended}


# --- reminders with the stream link ------------------------------------------------------------

def queue_stream_reminders(now: datetime) -> int:
    """Send stream participants the stream link shortly before the start; each once per session. Return how many."""
    horizon = now + timedelta(hours=settings.get(STREAM_REMINDER_HOURS.key))
    rows = db.session.execute(
        sa.select(ParentSignup, Session.id).join(ParentEvent, ParentEvent.id == ParentSignup.event_id)
        .join(Offering, Offering.id == ParentEvent.offering_id)
        .join(Session, Session.schedule_id == Offering.schedule_id)
        .where(ParentSignup.state == SignupState.CONFIRMED, ParentSignup.mode == AttendanceMode.STREAM,
               Offering.status == OfferingStatus.PUBLISHED, Session.status == SessionStatus.SCHEDULED,
               Session.starts_at > now, Session.starts_at <= horizon)
        .order_by(Session.starts_at, ParentSignup.id)).all()
    queued = 0
    for signup, session_id in rows:
        key = f"parents.stream:{session_id}:{signup.id}"
        if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        token = _new_token(signup)
        mails.queue(mails.STREAM_REMINDER, signup, now, token=token, session_id=session_id, dedupe_key=key)
        queued += 1
    db.session.flush()
    return queued


# --- forgetting ---------------------------------------------------------------------------

def _parent_mails() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind.startswith(mails.PREFIX), OutboxMessage.recipient != "")))


def _forget_mails(messages: list[OutboxMessage], now: datetime) -> int:
    """Take the address, the text and the link out of mails; one not yet sent is never sent."""
    for message in messages:
        message.recipient, message.subject, message.body_text, message.params = "", "", "", {}
        message.last_error = ""
        if message.sent_at is None and message.failed_at is None:
            message.failed_at = now
    return len(messages)


def last_end_of(event: ParentEvent) -> datetime | None:
    return max((s.ends_at for s in event.offering.sessions), default=None)


@dataclass
class PurgeReport:
    events: int = 0
    signups: int = 0
    mails: int = 0


def purge(now: datetime) -> PurgeReport:
    """Delete parents' personal data the retention days after their event's last session; keep the counts."""
    cutoff = now - timedelta(days=settings.get(RETENTION_DAYS.key))
    last_end = (sa.select(sa.func.max(Session.ends_at)).where(Session.schedule_id == Offering.schedule_id)
                .correlate(Offering).scalar_subquery())
    due = list(db.session.scalars(
        sa.select(ParentEvent).join(ParentEvent.offering)
        .where(ParentEvent.purged_at.is_(None), last_end < cutoff).order_by(ParentEvent.id)))
    report = PurgeReport()
    for event in due:
        enrollment_ops.lock_offering(event.offering_id)
        tallies: dict[tuple, ParentTally] = {}
        for signup in db.session.scalars(sa.select(ParentSignup).where(ParentSignup.event_id == event.id)):
            if signup.state == SignupState.CONFIRMED:
                key = (signup.school_id, signup.grade, signup.mode)
                tally = tallies.get(key)
                if tally is None:
                    tally = tallies[key] = ParentTally(event_id=event.id, school_id=signup.school_id,
                                                       grade=signup.grade, mode=signup.mode,
                                                       people=0, signups=0, attended=0)
                tally.people += signup.party_size
                tally.signups += 1
                tally.attended += signup.party_size if signup.attended else 0
            report.signups += 1
        db.session.add_all(tallies.values())
        db.session.execute(sa.delete(ParentSignup).where(ParentSignup.event_id == event.id))
        db.session.execute(sa.delete(ParentQuestion).where(ParentQuestion.event_id == event.id))
        event.purged_at = now
        event.offering.seats_taken = 0
        event.offering.waitlist_length = 0
        event.stream_taken = 0
        report.events += 1
    purged_ids = set(db.session.scalars(sa.select(ParentEvent.id).where(ParentEvent.purged_at.is_not(None))))
    report.mails = _forget_mails([m for m in _parent_mails()
                                  if m.created_at < cutoff or m.params.get("event_id") in purged_ids], now)
    db.session.execute(sa.delete(ParentAttempt).where(ParentAttempt.at < now - ATTEMPT_WINDOW))
    db.session.flush()
    return report


# --- figures for the development plan -------------------------------------------------------

@functools.cache
def _held_event():
    """The alias of the parent event inside :func:`_held`'s EXISTS: made once (an alias copies every column)."""
    return sa.orm.aliased(ParentEvent, name="held_event")


def _held(event_id, by_events: bool) -> sa.ColumnElement[bool]:
    """The condition that ``event_id`` is a parent event with a held session in [``start``, ``end``) (parameters),
    not cancelled, and (``by_events``) one of the parameter ``events``.

    An EXISTS on each event the outer query reads, not an ``IN`` over every session of the period: the
    query is then driven by the school's events, tallies or sign-ups, however many sessions the
    catalogue has (SQLite planned the ``IN`` from the period's 30,000 sessions, 75 ms a query).
    """
    event = _held_event()
    held = (sa.exists().where(event.id == event_id, Offering.id == event.offering_id,
                              Session.schedule_id == Offering.schedule_id,
                              Offering.status != OfferingStatus.CANCELLED, Session.status == SessionStatus.SCHEDULED,
                              Session.starts_at >= sa.bindparam("start"), Session.starts_at < sa.bindparam("end")))
    if by_events:
        return sa.and_(event_id.in_(sa.bindparam("events", expanding=True)), held)
    return held


class _Figures(NamedTuple):
    """The statements of :func:`plan_figures` and :func:`reached_by_school_and_event`."""

    events: sa.Select
    tallies: sa.Select
    signups: sa.Select


@functools.cache
def _figure_statements(many: bool, by_events: bool) -> _Figures:
    """Built once (building them cost more than running them on a plan page), with the parameters ``start``,
    ``end``, ``schools`` (unless ``many``) and ``events`` (if ``by_events``)."""
    return _Figures(
        sa.select(ParentEvent.school_id, sa.func.count(ParentEvent.id))
        .where(schools_parameter(ParentEvent.school_id, many), _held(ParentEvent.id, by_events))
        .group_by(ParentEvent.school_id),
        sa.select(ParentTally.school_id, ParentTally.event_id, sa.func.sum(ParentTally.people),
                  sa.func.sum(ParentTally.attended))
        .where(schools_parameter(ParentTally.school_id, many), _held(ParentTally.event_id, by_events))
        .group_by(ParentTally.school_id, ParentTally.event_id),
        sa.select(ParentSignup.school_id, ParentSignup.event_id, sa.func.sum(ParentSignup.party_size),
                  sa.func.sum(sa.case((ParentSignup.attended.is_(True), ParentSignup.party_size), else_=0)))
        .where(schools_parameter(ParentSignup.school_id, many), ParentSignup.state == SignupState.CONFIRMED,
               _held(ParentSignup.event_id, by_events))
        .group_by(ParentSignup.school_id, ParentSignup.event_id))


def _figure_values(school_ids, start: datetime, end: datetime, event_ids) -> tuple[_Figures, dict]:
    many, values = school_values(school_ids)
    values |= {"start": start, "end": end}
    if event_ids is not None:
        values["events"] = list(event_ids)
    return _figure_statements(many, event_ids is not None), values


def reached_by_school_and_event(school_ids, start: datetime, end: datetime,
                                event_ids=None) -> dict[tuple[int, int], dict[str, int]]:
    """Return per (child's school, event) the parents reached and attended at events held in [start, end).

    ``reached`` counts the people with a place (hall and stream), ``attended`` those recorded at the
    door: from the counts kept once the sign-ups are deleted, and from the sign-ups not yet deleted.
    Two queries, however many schools and events.
    """
    figures: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: {"reached": 0, "attended": 0})
    schools = list(school_ids)
    if not schools:
        return figures
    asked = set(schools)  # for many schools every school's rows are read (see lms.plugins.at_schools)
    statements, values = _figure_values(schools, start, end, event_ids)
    for statement in (statements.tallies, statements.signups):
        for school_id, event_id, people, attended in db.session.execute(statement, values):
            if school_id in asked:
                figures[school_id, event_id]["reached"] += people or 0
                figures[school_id, event_id]["attended"] += attended or 0
    return figures


def plan_figures(school_ids: list[int], start: datetime, end: datetime,
                 event_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Return per school the parent events it held in [start, end), and the parents reached and attended.

    ``events`` counts the events the school organised with a session in the
    period (not cancelled); ``reached`` and ``attended`` sum
    :func:`reached_by_school_and_event` over the events of the period
    (any organiser: a municipal evening reaches the school's parents too).
    Three queries, however many schools.
    """
    figures = {sid: {"events": 0, "reached": 0, "attended": 0} for sid in school_ids}
    if not school_ids:
        return figures
    statements, values = _figure_values(school_ids, start, end, event_ids)
    for school_id, n in db.session.execute(statements.events, values):
        if school_id in figures:
            figures[school_id]["events"] = n
    for (school_id, _event_id), values in reached_by_school_and_event(school_ids, start, end, event_ids).items():
        figures[school_id]["reached"] += values["reached"]
        figures[school_id]["attended"] += values["attended"]
    return figures
