"""Booking mails: what the school and the fyrtårn are told at each step (through the outbox).

The operations queue *what happened* to a booking and for whom (see
:func:`queue_transition`); the mail worker writes it in the recipient's
language with :func:`render_booking`:

- the fyrtårn hears of a new request, and of the school accepting or
  rejecting a proposed time or cancelling;
- the leader who asked hears of a confirmation, a decline (with the
  reason), a proposed time and a cancellation by the fyrtårn;
- named participants hear of the confirmation and of a cancellation.

A confirmation carries an `.ics` (METHOD:REQUEST), a cancellation one with
METHOD:CANCEL and a higher SEQUENCE, both with the UID of the recipient's
feed (see :mod:`lighthouse.bookings.calendar`).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from events.calendar import build_calendar
from lighthouse.bookings import calendar
from lighthouse.bookings.models import Booking, BookingSide, BookingState, Venue
from lms.db import db, now_utc
from lms.i18n import fmt_datetime, fmt_time
from lms.mail import operations as mail
from lms.people.models import Membership, Role, User

BOOKING = "lighthouse.booking"

#: Whom a mail is for.
LIGHTHOUSE, LEADER, PARTICIPANT, REMOVED = "lighthouse", "leader", "participant", "removed"


def _leaders(booking: Booking) -> list[User]:
    """Return who answers for the school: the leader who asked, or (when gone) the school's leaders."""
    if booking.requested_by is not None and booking.requested_by.active:
        return [booking.requested_by]
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == booking.school_id, Membership.role == Role.LEADER, User.active.is_(True))
        .order_by(User.id)))


def _queue(booking: Booking, user: User, role: str, now: datetime, **params) -> None:
    mail.queue_event(BOOKING, user, {"booking_id": booking.id, "user_id": user.id, "role": role,
                                     "starts_at": booking.starts_at.isoformat(), **params}, now)


def queue_transition(booking: Booking, from_state: BookingState | None, to_state: BookingState, now: datetime,
                     note: str = "") -> None:
    """Queue the mails a state change sends, each to the people it concerns."""
    lighthouse = booking.offering.profile.user
    params = {"from": from_state.value if from_state else None, "to": to_state.value, "note": note}
    recipients: list[tuple[User, str]] = []
    if to_state == BookingState.REQUESTED:
        recipients.append((lighthouse, LIGHTHOUSE))
    elif to_state == BookingState.CONFIRMED:
        recipients += [(leader, LEADER) for leader in _leaders(booking)]
        recipients += [(person, PARTICIPANT) for person in booking.participants]
        if from_state == BookingState.PROPOSED:
            recipients.append((lighthouse, LIGHTHOUSE))
    elif to_state in (BookingState.DECLINED, BookingState.PROPOSED):
        recipients += [(leader, LEADER) for leader in _leaders(booking)]
    elif to_state == BookingState.REJECTED:
        recipients.append((lighthouse, LIGHTHOUSE))
    elif to_state == BookingState.CANCELLED:
        if booking.cancelled_by != BookingSide.SCHOOL:
            recipients += [(leader, LEADER) for leader in _leaders(booking)]
        if booking.cancelled_by != BookingSide.LIGHTHOUSE:
            recipients.append((lighthouse, LIGHTHOUSE))
        if from_state == BookingState.CONFIRMED:
            recipients += [(person, PARTICIPANT) for person in booking.participants]
    seen = set()
    for user, role in recipients:
        if user.id not in seen:
            seen.add(user.id)
            _queue(booking, user, role, now, **params)


def queue_participants_changed(booking: Booking, added: list[int], removed: list[int], now: datetime) -> None:
    """Send the invitation to people newly named in a confirmed booking, and a cancellation to those taken off."""
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([*added, *removed])))}
    for user_id in added:
        _queue(booking, people[user_id], PARTICIPANT, now, to=BookingState.CONFIRMED.value, named=True)
    for user_id in removed:
        _queue(booking, people[user_id], REMOVED, now, to=BookingState.CANCELLED.value)


# --- writing ----------------------------------------------------------------------------

def _booking(params: dict) -> Booking:
    booking = db.session.get(Booking, params.get("booking_id") or 0)
    if booking is None:
        raise mail.MailObsolete("the booking is gone")
    return booking


def _ics(booking: Booking, user: User, role: str, method: str, cancelled: bool = False) -> tuple[mail.Attachment, ...]:
    # The leader sees the booking in the school's feed, everyone else in their own.
    audience = f"school-{booking.school_id}" if role == LEADER else f"person-{user.id}"
    event = calendar.event_for(booking, audience, cancelled=cancelled)
    data = build_calendar([event], name=booking.offering.title, method=method, attendee=(user.name, user.email),
                          stamp=now_utc())
    return (mail.Attachment(filename="invitasjon.ics" if method == "REQUEST" else "avlysning.ics",
                            content_type=f"text/calendar; method={method}; charset=utf-8", data=data),)


def _when(starts_at: datetime, booking: Booking) -> str:
    ends_at = starts_at + (booking.ends_at - booking.starts_at)
    return f"{fmt_datetime(starts_at)}–{fmt_time(ends_at)}"


def _body(user: User, booking: Booking, starts_at: datetime, role: str, *paragraphs: str) -> str:
    offering = booking.offering
    lines = [_("Hei %(name)s,", name=user.name), "", *[p for p in paragraphs if p], ""]
    lines.append(_("Tilbud: %(title)s (%(kind)s)", title=offering.title, kind=offering.kind.label))
    lines.append(_("Fyrtårn: %(name)s", name=offering.profile.user.name))
    lines.append(_("Skole: %(school)s", school=booking.school.name))
    lines.append(_("Tidspunkt: %(when)s", when=_when(starts_at, booking)))
    place = booking.location or booking.online_url
    lines.append(_("Sted: %(place)s", place=place) if place else _("Sted: %(venue)s", venue=booking.venue.label))
    if booking.online_url and booking.venue != Venue.AT_SCHOOL:
        lines.append(_("Nettmøte: %(url)s", url=booking.online_url))
    lines.append(_("Antall deltakere: %(n)d", n=booking.participants_count))
    if role in (LIGHTHOUSE, LEADER):  # the booking's page is theirs, not the participants'
        lines += ["", _("Bestillingen: %(url)s", url=calendar.booking_link(booking.id))]
    lines += ["", "Kompetanseportalen"]
    return "\n".join(lines)


def render_booking(params: dict) -> mail.RenderedMail:
    """Write the mail about one booking step for its recipient."""
    booking = _booking(params)
    user = db.session.get(User, params.get("user_id") or 0)
    if user is None:
        raise mail.MailObsolete("the recipient is gone")
    role, to = params.get("role"), params.get("to")
    before = params.get("from")
    starts_at = datetime.fromisoformat(params["starts_at"]) if params.get("starts_at") else booking.starts_at
    title, school = booking.offering.title, booking.school.name
    lighthouse = booking.offering.profile.user.name
    when = fmt_datetime(starts_at)
    live = booking.state in calendar.LIVE_STATES
    attachments: tuple[mail.Attachment, ...] = ()
    extra = ""
    if to == BookingState.REQUESTED:
        subject = _("Ny bestilling: %(title)s fra %(school)s", title=title, school=school)
        text = _("%(school)s ber om «%(title)s» %(when)s. Svar på bestillingen på siden under: bekreft, "
                 "avslå eller foreslå et annet tidspunkt.", school=school, title=title, when=when)
        extra = _("Merknad fra skolen: %(note)s", note=booking.note) if booking.note else ""
    elif to == BookingState.CONFIRMED:
        subject = _("Bekreftet: %(title)s %(when)s", title=title, when=when)
        if role == LIGHTHOUSE:
            text = _("%(school)s har godtatt tidspunktet du foreslo for «%(title)s».", school=school, title=title)
        elif role == PARTICIPANT:
            subject = _("Du er med: %(title)s %(when)s", title=title, when=when)
            text = _("Skolen har meldt deg på «%(title)s» med fyrtårn %(name)s.", title=title, name=lighthouse)
        elif before == BookingState.PROPOSED:
            text = _("Bestillingen av «%(title)s» er bekreftet på tidspunktet fyrtårnet foreslo.", title=title)
        else:
            text = _("Fyrtårn %(name)s har bekreftet bestillingen av «%(title)s».", name=lighthouse, title=title)
        # An invitation only while the booking stands: a later cancellation has its own mail.
        if live:
            attachments = _ics(booking, user, role, "REQUEST")
    elif to == BookingState.DECLINED:
        subject = _("Avslått: %(title)s", title=title)
        text = _("Fyrtårn %(name)s kan dessverre ikke ta bestillingen av «%(title)s» %(when)s.",
                 name=lighthouse, title=title, when=when)
        extra = _("Begrunnelse: %(reason)s", reason=booking.answer)
    elif to == BookingState.PROPOSED:
        subject = _("Nytt tidspunkt foreslått: %(title)s", title=title)
        text = _("Fyrtårn %(name)s kan ikke %(asked)s, men foreslår %(when)s i stedet. Godta eller avvis "
                 "forslaget på siden under; tidspunktet holdes av til dere svarer.",
                 name=lighthouse, asked=fmt_datetime(booking.requested_starts_at), when=when)
        extra = _("Melding fra fyrtårnet: %(answer)s", answer=booking.answer) if booking.answer else ""
    elif to == BookingState.REJECTED:
        subject = _("Forslaget ble avvist: %(title)s", title=title)
        text = _("%(school)s har avvist tidspunktet du foreslo (%(when)s). Tiden er ledig igjen.",
                 school=school, when=when)
        extra = _("Begrunnelse: %(reason)s", reason=booking.cancel_reason) if booking.cancel_reason else ""
    elif to == BookingState.CANCELLED:
        subject = _("Avlyst: %(title)s %(when)s", title=title, when=when)
        if role == REMOVED:
            text = _("Du er ikke lenger med på «%(title)s» %(when)s.", title=title, when=when)
        elif booking.cancelled_by == BookingSide.SCHOOL:
            text = _("%(school)s har avlyst bestillingen av «%(title)s» %(when)s.", school=school, title=title,
                     when=when)
        elif booking.cancelled_by == BookingSide.LIGHTHOUSE:
            text = _("Fyrtårn %(name)s har avlyst «%(title)s» %(when)s.", name=lighthouse, title=title, when=when)
        else:
            text = _("Bestillingen av «%(title)s» %(when)s er avlyst.", title=title, when=when)
        extra = _("Begrunnelse: %(reason)s", reason=booking.cancel_reason) if booking.cancel_reason else ""
        # Whoever had it in their calendar has it withdrawn: the fyrtårn from the request on, the others once confirmed.
        if role in (LIGHTHOUSE, REMOVED) or booking.schedule_id is not None:
            attachments = _ics(booking, user, role, "CANCEL", cancelled=True)
    else:
        raise mail.MailObsolete(f"no booking mail for {before} -> {to}")
    return mail.RenderedMail(subject=subject, text=_body(user, booking, starts_at, role, text, extra),
                             attachments=attachments)


def init_app(app: Flask) -> None:
    """Register the renderers of the booking mails."""
    mail.register_renderer(app, BOOKING, render_booking)
