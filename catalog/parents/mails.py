"""What the parent-event mails say, written by the mail worker in the parent's language.

A parent has no account, so the mail goes to the address on the sign-up in
the language they used on the page. Each mail that lets them act carries a
fresh manage link: only the token's hash is stored, so a new mail comes with
a new token and the older link stops working.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import gettext as _

from catalog import calendar
from catalog.offerings.models import OfferingStatus
from catalog.parents.models import AttendanceMode, ParentSignup, SignupState
from events.calendar import CalendarEvent, build_calendar
from events.models import Session, SessionStatus
from lms.db import db
from lms.i18n import fmt_datetime, fmt_time
from lms.links import absolute_url
from lms.mail import operations as mail
from lms.mail.models import OutboxMessage

PREFIX = "parents."
SIGNED_UP = "parents.signed_up"
PROMOTED = "parents.promoted"
CANCELLED = "parents.cancelled"
#: The time or place of the evening changed: the updated invitation.
CHANGED = "parents.changed"
STREAM_REMINDER = "parents.stream_reminder"


def queue(kind: str, signup: ParentSignup, now: datetime, *, dedupe_key: str | None = None, **params) -> None:
    """Queue a mail of ``kind`` about ``signup`` to the parent, in the language they used."""
    db.session.add(OutboxMessage(recipient=signup.email, kind=kind, locale=signup.locale or "nb", created_at=now,
                                 dedupe_key=dedupe_key,
                                 params={"signup_id": signup.id, "event_id": signup.event_id, **params}))


def _signup(params: dict) -> ParentSignup:
    signup = db.session.get(ParentSignup, params.get("signup_id") or 0)
    if signup is None:
        raise mail.MailObsolete("the sign-up is gone")
    return signup


def _events(signup: ParentSignup, cancelled: bool = False) -> list[CalendarEvent]:
    event = signup.event
    offering = event.offering
    place = offering.location if signup.mode == AttendanceMode.HALL else _("Strømming (lenken kommer på e-post)")
    return [CalendarEvent(uid=calendar.session_uid(s.id, f"parent-{signup.id}"), starts_at=s.starts_at,
                          ends_at=s.ends_at, summary=offering.title, last_modified=s.updated_at,
                          location=s.location or place, organizer_name=offering.organiser,
                          url=absolute_url("parents.show", event_id=event.id),
                          sequence=s.sequence + (1 if cancelled else 0),
                          cancelled=cancelled or s.status == SessionStatus.CANCELLED,
                          tentative=signup.state == SignupState.WAITLISTED)
            for s in offering.sessions]


def _ics(signup: ParentSignup, method: str) -> tuple[mail.Attachment, ...]:
    events = _events(signup, cancelled=method == "CANCEL")
    if not events:
        return ()
    data = build_calendar(events, name=signup.event.offering.title, method=method,
                          attendee=(signup.name, signup.email))
    return (mail.Attachment(filename="invitasjon.ics" if method == "REQUEST" else "avlysning.ics",
                            content_type=f"text/calendar; method={method}; charset=utf-8", data=data),)


def _body(signup: ParentSignup, token: str | None, *paragraphs: str, carries_stream_link: bool = False) -> str:
    """Return the mail text; ``carries_stream_link`` where the paragraphs give the link (the reminder)."""
    offering = signup.event.offering
    lines = [_("Hei %(name)s,", name=signup.name), "", *[p for p in paragraphs if p], "", _("Tidspunkt:")]
    for s in offering.sessions:
        cancelled = f" ({_('avlyst')})" if s.status == SessionStatus.CANCELLED else ""
        lines.append(f"- {fmt_datetime(s.starts_at)}–{fmt_time(s.ends_at)}{cancelled}")
    if signup.mode == AttendanceMode.HALL:
        lines.append(_("Sted: %(place)s", place=offering.location))
        lines.append(_("Antall som kommer: %(n)d", n=signup.party_size))
    elif not carries_stream_link:
        lines.append(_("Du følger arrangementet på strømming. Lenken får du på e-post like før start."))
    if token:
        lines += ["", _("Endre, melde av eller slette påmeldingen, og se hva vi har lagret om deg:"),
                  absolute_url("parents.manage", token=token),
                  _("Lenken er personlig. Den gjelder til en ny e-post fra oss gir deg en ny."),]
    lines += ["", _("Om arrangementet: %(url)s", url=absolute_url("parents.show", event_id=signup.event_id)),
              _("Opplysningene dine slettes automatisk etter arrangementet. Les mer: %(url)s",
                url=absolute_url("parents.privacy")), "", offering.organiser]
    return "\n".join(lines)


def render_signed_up(params: dict) -> mail.RenderedMail:
    """Write the confirmation of a sign-up (or of its change), with the invitation and the manage link."""
    signup = _signup(params)
    title = signup.event.offering.title
    if signup.state == SignupState.WAITLISTED:
        subject = _("Venteliste: %(t)s", t=title)
        text = _("Salen er full. Du står på ventelisten til salen for «%(t)s» og får e-post om du får plass. "
                 "Du kan også bytte til strømming med lenken nedenfor.", t=title)
        attachments = _ics(signup, "REQUEST")
    elif signup.state == SignupState.CONFIRMED:
        subject = (_("Endret påmelding: %(t)s", t=title) if params.get("updated")
                   else _("Påmeldt: %(t)s", t=title))
        text = _("Du er påmeldt «%(t)s».", t=title)
        attachments = _ics(signup, "REQUEST")
    else:
        raise mail.MailObsolete("the sign-up was cancelled")
    return mail.RenderedMail(subject=subject, text=_body(signup, params.get("token"), text), attachments=attachments)


def render_promoted(params: dict) -> mail.RenderedMail:
    signup = _signup(params)
    if signup.state != SignupState.CONFIRMED:
        raise mail.MailObsolete("no longer confirmed")
    title = signup.event.offering.title
    return mail.RenderedMail(
        subject=_("Du har fått plass i salen: %(t)s", t=title),
        text=_body(signup, params.get("token"),
                   _("Det er blitt ledig plass, og du har fått plass i salen på «%(t)s».", t=title)),
        attachments=_ics(signup, "REQUEST"))


def render_changed(params: dict) -> mail.RenderedMail:
    """Write the mail about the evening's moved or changed time or place, with the updated invitation."""
    signup = _signup(params)
    if signup.state == SignupState.CANCELLED:
        raise mail.MailObsolete("the sign-up was cancelled")
    title = signup.event.offering.title
    return mail.RenderedMail(
        subject=_("Endret: %(t)s", t=title),
        text=_body(signup, params.get("token"),
                   _("Tid eller sted for «%(t)s» er endret. Se tidspunktene nedenfor.", t=title)),
        attachments=_ics(signup, "REQUEST"))


def render_cancelled(params: dict) -> mail.RenderedMail:
    """Write the cancellation: the parent's own, or the evening called off (``called_off``, with a ``reason``)."""
    signup = _signup(params)
    offering = signup.event.offering
    title = offering.title
    if params.get("called_off") or offering.status == OfferingStatus.CANCELLED:
        subject = _("Avlyst: %(t)s", t=title)
        text = _("«%(t)s» er avlyst, og påmeldingen din er derfor slettet.", t=title)
        reason = params["reason"] if "reason" in params else offering.cancel_reason
        return mail.RenderedMail(subject=subject, text=_body(signup, None, text, reason),
                                 attachments=_ics(signup, "CANCEL"))
    return mail.RenderedMail(subject=_("Avmeldt: %(t)s", t=title),
                             text=_body(signup, None, _("Du er avmeldt «%(t)s».", t=title)),
                             attachments=_ics(signup, "CANCEL"))


def render_stream_reminder(params: dict) -> mail.RenderedMail:
    """Write the reminder that carries the stream link, shortly before the start."""
    signup = _signup(params)
    session = db.session.get(Session, params.get("session_id") or 0)
    if session is None or signup.state != SignupState.CONFIRMED or signup.mode != AttendanceMode.STREAM:
        raise mail.MailObsolete("nothing to remind of")
    title = signup.event.offering.title
    return mail.RenderedMail(
        subject=_("Strømmelenke: %(t)s %(when)s", t=title, when=fmt_datetime(session.starts_at)),
        text=_body(signup, params.get("token"),
                   _("«%(t)s» starter %(when)s. Følg strømmingen her:", t=title, when=fmt_datetime(session.starts_at)),
                   session.online_url or signup.event.stream_url,
                   _("Del ikke lenken videre."), carries_stream_link=True))


def init_app(app: Flask) -> None:
    """Register the renderers with the mail worker."""
    mail.register_renderer(app, SIGNED_UP, render_signed_up)
    mail.register_renderer(app, PROMOTED, render_promoted)
    mail.register_renderer(app, CANCELLED, render_cancelled)
    mail.register_renderer(app, CHANGED, render_changed)
    mail.register_renderer(app, STREAM_REMINDER, render_stream_reminder)
