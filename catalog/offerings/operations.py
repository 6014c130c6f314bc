"""Creating, changing, publishing and cancelling offerings and their sessions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from datetime import date, datetime

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _

from catalog.enrollment import mails
from catalog.enrollment import operations as enrollment_ops
from catalog.offerings.models import (Offering, OfferingKind, OfferingStatus, OfferingTargetGroup,
                                      OnboardingCohort, TargetGroup)
from events import operations as events_ops
from events.models import Session, SessionStatus
from lms.db import db

from lms.people.models import Role, User


signals = Namespace()
#: Sent by every operation here that creates, changes, publishes or cancels an
#: offering or one of its sessions, with the offering. Cached catalogue pages
#: and (later) calendar feeds listen to it.
offering_changed = signals.signal("offering-changed")


class OfferingError(ValueError):
    """An offering that cannot be saved or changed as asked; the message is for the user."""


@dataclass
class OfferingData:
    """The editable fields of an offering, as a form or a content file gives them."""

    title: str
    kind: OfferingKind
    capacity: int
    school_year: int
    theme: str = ""
    description: str = ""
    organiser: str = ""
    target_groups: list[TargetGroup] = field(default_factory=list)
    plan_area: int | None = None
    min_participants: int = 0
    go_no_go_date: date | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    cancellation_deadline: datetime | None = None
    location: str = ""
    online_url: str = ""
    onboarding_cohort: OnboardingCohort | None = None
    responsible_id: int | None = None


def _check(data: OfferingData) -> None:
    if not data.title.strip():
        raise OfferingError(_("Tilbudet må ha en tittel."))
    if not data.target_groups:
        raise OfferingError(_("Velg minst én målgruppe."))
    if data.capacity < 1:
        raise OfferingError(_("Kapasiteten må være minst 1."))
    if data.min_participants > data.capacity:
        raise OfferingError(_("Minste antall deltakere kan ikke være større enn kapasiteten."))
    if data.plan_area not in (None, 4, 6):
        raise OfferingError(_("Planområde må være 4, 6 eller ingen."))
    if (data.registration_opens_at and data.registration_closes_at
            and data.registration_closes_at <= data.registration_opens_at):
        raise OfferingError(_("Påmeldingen må stenge etter at den åpner."))
    if data.kind == OfferingKind.ONBOARDING and data.onboarding_cohort is None:
        raise OfferingError(_("Et oppstartskurs må si hvilke nyansatte det er for."))


def _apply(offering: Offering, data: OfferingData) -> None:
    for name in ("title", "kind", "school_year", "theme", "description", "organiser", "plan_area",
                 "min_participants", "go_no_go_date", "registration_opens_at", "registration_closes_at",
                 "cancellation_deadline", "location", "online_url", "onboarding_cohort", "responsible_id"):
        setattr(offering, name, getattr(data, name))
    offering.title = offering.title.strip()
    wanted = list(dict.fromkeys(data.target_groups))
    offering.target_group_rows = [row for row in offering.target_group_rows if row.group in wanted]
    have = {row.group for row in offering.target_group_rows}
    offering.target_group_rows += [OfferingTargetGroup(group=g) for g in wanted if g not in have]


def may_create(actor: User, responsible_id: int | None) -> bool:
    """Whether ``actor`` may create an offering with this responsible person."""
    return actor.is_admin or (actor.has_role(Role.LIGHTHOUSE) and responsible_id == actor.id)


def create_offering(data: OfferingData, *, actor: User, now: datetime, source_key: str | None = None,
                    publish: bool = False) -> Offering:
    """Create an offering (a draft unless ``publish``) with an empty schedule.

    Programme admins create any offering; a fyrtårn creates the open courses
    they run themselves (responsible: the fyrtårn).
    """
    if not may_create(actor, data.responsible_id):
        raise OfferingError(_("Bare programadministratorer kan opprette tilbud."))
    _check(data)
    offering = Offering(capacity=data.capacity, schedule=events_ops.new_schedule("catalog.offering"),
                        created_at=now, updated_at=now, source_key=source_key,
                        status=OfferingStatus.PUBLISHED if publish else OfferingStatus.DRAFT)
    _apply(offering, data)
    if offering.responsible_id is None:
        offering.responsible_id = actor.id
    db.session.add(offering)
    db.session.flush()
    offering_changed.send(offering)
    return offering


def update_offering(offering: Offering, data: OfferingData, *, actor: User, now: datetime) -> None:
    """Save changes to an offering; a new capacity goes through the waitlist rules."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke endre dette tilbudet."))
    if offering.status == OfferingStatus.CANCELLED:
        raise OfferingError(_("Et avlyst tilbud kan ikke endres."))
    _check(data)
    if data.responsible_id is None:
        data.responsible_id = offering.responsible_id
    moved = (offering.location, offering.online_url) != (data.location, data.online_url)
    _apply(offering, data)
    offering.updated_at = now
    if moved:
        # Sessions without a place of their own take the offering's.
        events_ops.place_changed(offering.schedule, now)
    db.session.flush()
    if moved and offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.CHANGED, now)
    if data.capacity != offering.capacity:
        try:
            enrollment_ops.change_capacity(offering, data.capacity, actor=actor, now=now)
        except enrollment_ops.EnrollmentError as err:
            raise OfferingError(str(err)) from None
    offering_changed.send(offering)


def publish(offering: Offering, *, actor: User, now: datetime) -> None:
    """Make a draft visible in the catalogue; it needs at least one session."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke publisere dette tilbudet."))
    if offering.status != OfferingStatus.DRAFT:
        raise OfferingError(_("Bare utkast kan publiseres."))
    if not offering.live_sessions:
        raise OfferingError(_("Legg til minst én økt før tilbudet publiseres."))
    offering.status = OfferingStatus.PUBLISHED
    offering.updated_at = now
    db.session.flush()
    offering_changed.send(offering)


def cancel_offering(offering: Offering, *, actor: User, now: datetime, reason: str) -> int:
    """Cancel an offering and its sessions; everyone enrolled or waiting is told. Return how many."""
    offering = enrollment_ops.lock_offering(offering.id)
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke avlyse dette tilbudet."))
    if offering.status == OfferingStatus.CANCELLED:
        raise OfferingError(_("Tilbudet er allerede avlyst."))
    offering.status = OfferingStatus.CANCELLED
    offering.cancel_reason = reason.strip()
    offering.updated_at = now
    for session in offering.sessions:
        events_ops.cancel_session(session, now)
    offering_changed.send(offering)
    return enrollment_ops.cancel_everyone(offering, actor=actor, now=now, reason=offering.cancel_reason)


def _sync_first_start(offering: Offering) -> None:
    db.session.flush()
    db.session.refresh(offering.schedule)
    offering.first_starts_at = offering.schedule.first_start()
    offering.last_starts_at = offering.schedule.last_start()
    db.session.flush()
    offering_changed.send(offering)


_SESSION_CHECKS = "kp_session_checks"


def register_session_check(app, check: Callable[[Offering, datetime, datetime], str | None]) -> None:
    """Let a plugin refuse a time for an offering's session.

    The hook: *who calls it* is a feature plugin in its ``init_app`` (the
    fyrtårn scheme, so that a fyrtårn's own course never overlaps a school's
    booking of them); *what it carries* is ``check(offering, starts_at,
    ends_at)``, called before a session is added or moved, returning a
    message for the organiser or None. A check may take locks: it runs in the
    transaction that saves the session.
    """
    app.extensions.setdefault(_SESSION_CHECKS, []).append(check)


def _check_session_time(offering: Offering, starts_at: datetime, ends_at: datetime) -> None:
    for check in current_app.extensions.get(_SESSION_CHECKS, []):
        problem = check(offering, starts_at, ends_at)
        if problem:
            raise OfferingError(problem)


def add_session(offering: Offering, *, actor: User, now: datetime, starts_at: datetime, ends_at: datetime,
                title: str = "", location: str = "", online_url: str = "") -> Session:
    """Add a dated session to an offering."""
    if not enrollment_ops.can_manage(actor, offering):
        raise OfferingError(_("Du kan ikke endre dette tilbudet."))
    _check_session_time(offering, starts_at, ends_at)
    try:
        session = events_ops.add_session(offering.schedule, starts_at=starts_at, ends_at=ends_at, now=now,
                                         title=title, location=location, online_url=online_url)
    except events_ops.ScheduleError as err:
        raise OfferingError(str(err)) from None
    _sync_first_start(offering)
    if offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.CHANGED, now)
    return session


def update_session(offering: Offering, session: Session, *, actor: User, now: datetime, starts_at: datetime,
                   ends_at: datetime, title: str = "", location: str = "", online_url: str = "") -> None:
    """Move or change one of an offering's sessions."""
    if not enrollment_ops.can_manage(actor, offering) or session.schedule_id != offering.schedule_id:
        raise OfferingError(_("Du kan ikke endre denne økten."))
    if (starts_at, ends_at) != (session.starts_at, session.ends_at):
        _check_session_time(offering, starts_at, ends_at)
    try:
        changed = events_ops.update_session(session, starts_at=starts_at, ends_at=ends_at, now=now, title=title,
                                            location=location, online_url=online_url)
    except events_ops.ScheduleError as err:
        raise OfferingError(str(err)) from None
    _sync_first_start(offering)
    if changed and offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.CHANGED, now)


def cancel_session(offering: Offering, session: Session, *, actor: User, now: datetime) -> None:
    """Cancel one session of an offering (the offering itself goes on)."""
    if not enrollment_ops.can_manage(actor, offering) or session.schedule_id != offering.schedule_id:
        raise OfferingError(_("Du kan ikke endre denne økten."))
    if session.status == SessionStatus.CANCELLED:
        return
    events_ops.cancel_session(session, now)
    _sync_first_start(offering)
    if offering.status == OfferingStatus.PUBLISHED:
        enrollment_ops.notify_participants(offering, mails.SESSION_CANCELLED, now, session_id=session.id)
