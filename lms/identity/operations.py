"""Finding or creating the person who arrives from outside, the same way however they arrive.

Feide's sign-in and the LMS launch (LTI) each turn what their issuer says
into an :class:`Arrival` and call :func:`arrive`, which

1. refuses anyone who is not school staff (a pupil, an LMS Learner);
2. finds the person by their linked account (issuer and subject) after the
   first time; the first time, matches them by e-mail to the staff member at
   that school, or creates them there as a teacher, and links the account;
3. brings their teacher memberships up to date with the schools the issuer
   names: a new school is added, and when the issuer knows all of the
   person's schools (Feide) a school it no longer names is left. Every
   change is audited.

Leader, fyrtårn and programme admin roles never come from outside: they are
kept in the platform's own staff list, and an arrival neither gives nor
takes them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.audit import operations as audit
from lms.db import db
from lms.identity.models import LinkedAccount
from lms.people.models import Membership, Role, School, User
from lms.people.operations import PeopleError, normalise_email


#: How finely a linked account's last use is kept.
LAST_USED_STEP = timedelta(days=1)


@dataclass(frozen=True)
class Arrival:
    """What an outside issuer says about the person it sends us."""

    #: How they arrive: "feide" or "lti" (also the sign-in session's method).
    method: str
    #: The issuer's identifier (Feide's issuer, the LMS platform's ``iss``) and its id for the person.
    issuer: str
    subject: str
    name: str
    #: As the issuer gives it; may be empty (an LMS that keeps launches anonymous).
    email: str
    #: Organisation numbers of the schools the issuer says the person works at.
    school_org_numbers: tuple[str, ...]
    #: Whether the issuer counts them as staff (Feide's employee/faculty/staff, an LMS Instructor).
    is_staff: bool
    #: Whether ``school_org_numbers`` are all of the person's schools (Feide), not just one (a launch).
    all_schools: bool = False


class RefusalReason(enum.StrEnum):
    NOT_STAFF = "not_staff"
    UNKNOWN_SCHOOL = "unknown_school"
    NO_EMAIL = "no_email"
    EMAIL_ELSEWHERE = "email_elsewhere"
    DEACTIVATED = "deactivated"


class ArrivalRefused(Exception):
    """Nobody is signed in; the message says why, for the person arriving."""

    def __init__(self, reason: RefusalReason, message: str):
        super().__init__(message)
        self.reason = reason


def _schools(org_numbers: tuple[str, ...]) -> list[School]:
    if not org_numbers:
        return []
    return list(db.session.scalars(sa.select(School).where(School.org_number.in_(set(org_numbers)))
                                   .order_by(School.name, School.id)))


def _note(arrival: Arrival, text: str) -> str:
    return f"{arrival.method}: {text}"


def _first_arrival(arrival: Arrival, schools: list[School], now: datetime, actor: User | None) -> User:
    """Match the person by e-mail to staff at one of ``schools``, or create them there as a teacher."""
    try:
        email = normalise_email(arrival.email)
    except PeopleError:
        raise ArrivalRefused(RefusalReason.NO_EMAIL, _(
            "Vi fikk ikke e-postadressen din, og trenger den første gang du logger inn. "
            "Be den som administrerer innloggingen om å dele navn og e-post med Kompetanseportalen.")) from None
    user = db.session.scalar(sa.select(User).where(User.email == email))
    school_ids = {s.id for s in schools}
    if user is not None:
        if not any(m.school_id in school_ids for m in user.memberships):
            # The e-mail is not proof enough (Feide does not verify it): only the
            # school that vouches for the person may reach an account of its own staff.
            raise ArrivalRefused(RefusalReason.EMAIL_ELSEWHERE, _(
                "E-postadressen din hører til en konto som ikke er registrert ved %(school)s. "
                "Be en programadministrator om å koble kontoen din til skolen.",
                school=", ".join(s.name for s in schools)))
        return user
    user = User(name=(arrival.name or email)[:200], email=email, password_hash="", created_at=now)
    db.session.add(user)
    db.session.flush()
    audit.record(object_type="user", object_id=user.id, from_state=None, to_state="created",
                 actor_id=actor.id if actor else user.id, at=now, note=_note(arrival, "created at first arrival"))
    return user


def _update_memberships(user: User, arrival: Arrival, schools: list[School], now: datetime, actor_id: int) -> None:
    held = {m.school_id for m in user.memberships if m.school_id is not None}
    for school in schools:
        if school.id not in held:
            user.memberships.append(Membership(role=Role.TEACHER, school=school))
            audit.record(object_type="user", object_id=user.id, from_state=None, to_state="membership_added",
                         actor_id=actor_id, at=now,
                         note=_note(arrival, f"teacher at {school.name} ({school.org_number})"))
    if arrival.all_schools:
        named = {s.id for s in schools}
        for membership in [m for m in user.memberships if m.role == Role.TEACHER and m.school_id is not None
                           and m.school_id not in named]:
            audit.record(object_type="user", object_id=user.id, from_state="membership", to_state="membership_removed",
                         actor_id=actor_id, at=now,
                         note=_note(arrival, f"teacher at {membership.school.name} ({membership.school.org_number}) "
                                             "no longer named by the issuer"))
            user.memberships.remove(membership)


def arrive(arrival: Arrival, now: datetime, actor: User | None = None) -> User:
    """Return the person an outside issuer sends, found or created, with their schools brought up to date.

    ``actor`` is who brings them in when it is not they themselves (a leader
    adding the LMS course's members); the audit log names them.
    """
    if not arrival.is_staff:
        raise ArrivalRefused(RefusalReason.NOT_STAFF, _(
            "Kompetanseportalen er for ansatte i skolen. Du er logget inn som elev, og har ikke tilgang."))
    schools = _schools(arrival.school_org_numbers)
    if not schools:
        numbers = ", ".join(arrival.school_org_numbers) or _("ingen")
        raise ArrivalRefused(RefusalReason.UNKNOWN_SCHOOL, _(
            "Skolen din er ikke registrert i Kompetanseportalen (organisasjonsnummer: %(numbers)s). "
            "Be en programadministrator om å legge den inn.", numbers=numbers))
    link = db.session.scalar(sa.select(LinkedAccount).where(LinkedAccount.issuer == arrival.issuer,
                                                            LinkedAccount.subject == arrival.subject))
    if link is not None:
        user = link.user
    else:
        user = _first_arrival(arrival, schools, now, actor)
    if not user.active:
        raise ArrivalRefused(RefusalReason.DEACTIVATED, _("Kontoen er deaktivert. Kontakt skolens leder."))
    actor_id = actor.id if actor else user.id
    if link is None:
        link = LinkedAccount(user=user, issuer=arrival.issuer, subject=arrival.subject, method=arrival.method,
                             created_at=now, last_used_at=now)
        db.session.add(link)
        audit.record(object_type="user", object_id=user.id, from_state=None, to_state="linked", actor_id=actor_id,
                     at=now, note=_note(arrival, f"account at {arrival.issuer}"))
    if now - link.last_used_at >= LAST_USED_STEP:  # a day's precision is enough, and spares a write per arrival
        link.last_used_at = now
    name = arrival.name.strip()[:200]
    if name and name != user.name:
        audit.record(object_type="user", object_id=user.id, from_state=None, to_state="updated", actor_id=actor_id,
                     at=now, note=_note(arrival, "name as the issuer gives it"))
        user.name = name
    _update_memberships(user, arrival, schools, now, actor_id)
    db.session.flush()
    return user
