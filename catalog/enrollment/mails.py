"""What the enrollment mails say, written by the mail worker in the recipient's language.

The operations queue *what happened* (see :func:`queue`); the renderers here
turn it into a subject, a plain text and an `.ics` with the same UIDs as the
person's feed: METHOD:REQUEST when the sessions are theirs or have moved
(STATUS:TENTATIVE while they wait on the waitlist or are offered a seat, so
the dates are held), METHOD:CANCEL with a higher SEQUENCE when they are no
longer.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import gettext as _

from catalog import calendar
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings.models import OfferingStatus
from events.calendar import build_calendar
from events.models import Session, SessionStatus
from lms.db import db, now_utc
from lms.i18n import fmt_datetime, fmt_time
from lms.links import absolute_url
from lms.mail import operations as mail

ENROLLMENT = "catalog.enrollment"
CHANGED = "catalog.offering_changed"
SESSION_CANCELLED = "catalog.session_cancelled"
REMINDER = "catalog.reminder"


#: Mails about the whole offering that go out once per session, each with that session's invitation:
#: Outlook acts on one event per invitation, and CalDAV holds one UID per object.
PER_SESSION = (ENROLLMENT, CHANGED)


def queue(kind: str, enrollment: Enrollment, now: datetime, *, dedupe_key: str | None = None,
          **params) -> bool:
    """Queue a mail of ``kind`` about ``enrollment`` to its person; False if its once-only key was used.

    The sessions' SEQUENCE of this moment goes with it, so the invitation or
    cancellation says what the feed said when it was queued, even if it is
    written after later changes. A mail of :data:`PER_SESSION` kinds about an
    offering of several sessions is queued once per session (every session
    for a cancellation, the scheduled ones otherwise), so each invitation
    carries one event.
    """
    db.session.flush()
    sessions = list(enrollment.offering.sessions)
    base = {"enrollment_id": enrollment.id, "sequences": calendar.session_sequences(sessions), **params}
    if kind not in PER_SESSION or dedupe_key is not None or "session_id" in params:
        return mail.queue_event(kind, enrollment.user, base, now, dedupe_key=dedupe_key) is not None
    withdrawing = params.get("to") == EnrollmentState.CANCELLED
    dated = [s for s in sessions if withdrawing or s.status == SessionStatus.SCHEDULED]
    if not dated:
        return mail.queue_event(kind, enrollment.user, base, now) is not None
    for number, session in enumerate(dated, 1):
        mail.queue_event(kind, enrollment.user, {**base, "session_id": session.id, "part": number,
                                                 "parts": len(dated)}, now)
    return True


def _enrollment(params: dict) -> Enrollment:
    enrollment = db.session.get(Enrollment, params.get("enrollment_id") or 0)
    if enrollment is None:
        raise mail.MailObsolete("the enrollment is gone")
    return enrollment


def _ics(enrollment: Enrollment, method: str, events) -> tuple[mail.Attachment, ...]:
    if not events:
        return ()
    user = enrollment.user
    data = build_calendar(events, name=enrollment.offering.title, method=method, attendee=(user.name, user.email),
                          stamp=now_utc())
    return (mail.Attachment(filename="invitasjon.ics" if method == "REQUEST" else "avlysning.ics",
                            content_type=f"text/calendar; method={method}; charset=utf-8", data=data),)


def _request(enrollment: Enrollment, params: dict, intent: str | None = None):
    """Return the invitation to the sessions: confirmed, or held (tentative) while a seat is only offered."""
    if intent is None:
        intent = calendar.HOLD if enrollment.state == EnrollmentState.OFFERED else calendar.CONFIRM
    live = [e for e in calendar.enrollment_events(enrollment, intent=intent, sequences=params.get("sequences"))
            if not e.cancelled and _for_session(e, enrollment, params.get("session_id"))]
    return _ics(enrollment, "REQUEST", live)


def _for_session(event, enrollment: Enrollment, session_id: int | None) -> bool:
    """Tell whether an event belongs in a mail about ``session_id`` (every event when the mail has none)."""
    return session_id is None or event.uid == calendar.session_uid(session_id, f"person-{enrollment.user_id}")


def _cancel(enrollment: Enrollment, params: dict):
    events = [e for e in calendar.enrollment_events(enrollment, intent=calendar.WITHDRAW,
                                                    sequences=params.get("sequences"))
              if _for_session(e, enrollment, params.get("session_id"))]
    return _ics(enrollment, "CANCEL", events)


def _body(enrollment: Enrollment, *paragraphs: str) -> str:
    """Return the mail text: a greeting, the paragraphs, the sessions and the links."""
    offering = enrollment.offering
    lines = [_("Hei %(name)s,", name=enrollment.user.name), "", *[p for p in paragraphs if p]]
    if offering.sessions:
        lines += ["", _("Tidspunkt:")]
        for s in offering.sessions:
            when = f"{fmt_datetime(s.starts_at)}–{fmt_time(s.ends_at)}"
            place = s.location or offering.location or s.online_url or offering.online_url
            cancelled = f" ({_('avlyst')})" if s.status == SessionStatus.CANCELLED else ""
            lines.append(f"- {when}{', ' + place if place else ''}{cancelled}")
    lines += ["", _("Om tilbudet: %(url)s", url=absolute_url("offerings.show", offering_id=offering.id)),
              _("Mine kurs: %(url)s", url=absolute_url("enrollment.my_courses")), "", "Kompetanseportalen"]
    return "\n".join(lines)


def render_enrollment(params: dict) -> mail.RenderedMail:
    """Write the mail for one enrollment state change."""
    enrollment = _enrollment(params)
    offering = enrollment.offering
    title = offering.title
    before, after = params.get("from"), params.get("to")
    note = params.get("note") or ""
    attachments: tuple[mail.Attachment, ...] = ()
    if after == EnrollmentState.ENROLLED:
        if before == EnrollmentState.OFFERED:
            subject, text = _("Du har fått plass: %(t)s", t=title), _("Du har takket ja og er nå påmeldt «%(t)s».", t=title)
        elif before == EnrollmentState.WAITLISTED:
            subject, text = (_("Du har fått plass: %(t)s", t=title),
                             _("Du er flyttet fra ventelisten og er nå påmeldt «%(t)s».", t=title))
        else:
            subject, text = _("Påmeldt: %(t)s", t=title), _("Du er påmeldt «%(t)s».", t=title)
        attachments = _request(enrollment, params, calendar.CONFIRM)
    elif after == EnrollmentState.WAITLISTED:
        subject = _("Venteliste: %(t)s", t=title)
        text = _("Kurset er fullt. Du står som nummer %(n)d på ventelisten til «%(t)s».",
                 n=params.get("position") or 0, t=title)
        note = _("Datoene ligger som foreløpige i kalenderen din til du får plass eller går av ventelisten.")
        attachments = _request(enrollment, params, calendar.HOLD)
    elif after == EnrollmentState.OFFERED:
        subject = _("Ledig plass til deg: %(t)s", t=title)
        text = _("Det er blitt ledig plass på «%(t)s». Takk ja innen %(when)s under «Mine kurs», ellers går plassen videre.",
                 t=title, when=fmt_datetime(datetime.fromisoformat(params["offer_expires_at"]))
                 if params.get("offer_expires_at") else "")
        attachments = _request(enrollment, params, calendar.HOLD)
    elif after == EnrollmentState.CANCELLED:
        subject = _("Avmeldt: %(t)s", t=title)
        if offering.status == OfferingStatus.CANCELLED:
            subject = _("Avlyst: %(t)s", t=title)
            text = _("«%(t)s» er avlyst, og påmeldingen din er derfor slettet.", t=title)
            note = offering.cancel_reason
        elif before == EnrollmentState.OFFERED:
            text, note = _("Du har takket nei til plassen på «%(t)s».", t=title), ""
        else:
            text = _("Du er avmeldt «%(t)s».", t=title)
        # Whoever had the dates, as a seat or held while waiting, has them withdrawn.
        attachments = _cancel(enrollment, params)
    else:
        raise mail.MailObsolete(f"no mail for {before} -> {after}")
    subject, part = _part_of(params, subject)
    return mail.RenderedMail(subject=subject, text=_body(enrollment, part, text, note), attachments=attachments)


def _part_of(params: dict, subject: str) -> tuple[str, str]:
    """Return the subject and a first paragraph for one of a mail's per-session copies (unchanged for one)."""
    parts = params.get("parts") or 1
    session = db.session.get(Session, params.get("session_id") or 0) if parts > 1 else None
    if session is None:
        return subject, ""
    number = params.get("part") or 1
    return (_("%(subject)s (økt %(n)d av %(parts)d)", subject=subject, n=number, parts=parts),
            _("Denne e-posten gjelder økten %(when)s (%(n)d av %(parts)d). Hver økt kommer i sin egen e-post "
              "med sin egen kalenderinvitasjon, så kalenderen din får alle.",
              when=fmt_datetime(session.starts_at), n=number, parts=parts))


def render_changed(params: dict) -> mail.RenderedMail:
    """Write the mail about moved or changed sessions, with the updated invitation."""
    enrollment = _enrollment(params)
    title = enrollment.offering.title
    subject, part = _part_of(params, _("Endret: %(t)s", t=title))
    return mail.RenderedMail(
        subject=subject,
        text=_body(enrollment, part, _("Tid eller sted for «%(t)s» er endret. Se tidspunktene nedenfor.", t=title)),
        attachments=_request(enrollment, params))


def render_session_cancelled(params: dict) -> mail.RenderedMail:
    """Write the mail about one cancelled session of an offering that goes on, with the organiser's reason."""
    enrollment = _enrollment(params)
    session = db.session.get(Session, params.get("session_id") or 0)
    if session is None:
        raise mail.MailObsolete("the session is gone")
    title = enrollment.offering.title
    reason = (params.get("reason") or "").strip()
    return mail.RenderedMail(
        subject=_("Avlyst økt: %(t)s", t=title),
        text=_body(enrollment, _("Økten %(when)s i «%(t)s» er avlyst. Resten av tilbudet går som planlagt.",
                                 when=fmt_datetime(session.starts_at), t=title),
                   _("Begrunnelse fra arrangøren: %(reason)s", reason=reason) if reason else ""),
        attachments=_cancel(enrollment, params))


def render_reminder(params: dict) -> mail.RenderedMail:
    """Write the reminder before a session (to someone offered a seat: a reminder to answer)."""
    enrollment = _enrollment(params)
    session = db.session.get(Session, params.get("session_id") or 0)
    if session is None or enrollment.state == EnrollmentState.CANCELLED:
        raise mail.MailObsolete("nothing to remind of")
    title, when = enrollment.offering.title, fmt_datetime(session.starts_at)
    if enrollment.state == EnrollmentState.OFFERED:
        text = _("«%(t)s» har en økt %(when)s, og du er tilbudt plass. Takk ja innen %(until)s under «Mine kurs», "
                 "ellers går plassen videre.", t=title, when=when, until=fmt_datetime(enrollment.offer_expires_at))
    else:
        text = _("Velkommen til «%(t)s» %(when)s.", t=title, when=when)
    return mail.RenderedMail(subject=_("Påminnelse: %(t)s %(when)s", t=title, when=when),
                             text=_body(enrollment, text), attachments=_request(enrollment, params))


def init_app(app: Flask) -> None:
    """Register the renderers with the mail worker."""
    mail.register_renderer(app, ENROLLMENT, render_enrollment)
    mail.register_renderer(app, CHANGED, render_changed)
    mail.register_renderer(app, SESSION_CANCELLED, render_session_cancelled)
    mail.register_renderer(app, REMINDER, render_reminder)
