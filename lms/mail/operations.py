"""Queueing mail in the outbox, and writing and sending it later.

A feature queues *what happened* (a kind such as ``catalog.enrolled`` and
its parameters) in the same transaction as the change; the worker renders
it in the recipient's language when it sends it, with the renderer the
feature registered for that kind.

Sending is at least once and, in practice, exactly once: a worker claims a
mail (committed) before it talks to the server and marks it sent (committed)
as soon as the server accepted it, so two workers never send the same mail
and a killed worker resends at most the one mail it was in the middle of.
Its Message-ID is derived from the outbox row, so a receiver can drop even
that one.
"""
from __future__ import annotations

import base64
import email.utils
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from typing import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError

from lms.audit import operations as audit
from lms.auth.operations import require
from lms.db import db, now_utc
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.transport import MessageRefused, ServerUnavailable, Transport, transport_from_config
from lms.people.models import User

#: How long a worker holds a mail it is sending; another worker may take it
#: over afterwards, so this must outlast one mail's conversation with the server.
CLAIM_FOR = timedelta(minutes=10)
#: The wait after the first failed try; it doubles with each try, up to MAX_BACKOFF.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
SUBJECT_LENGTH = OutboxMessage.__table__.c.subject.type.length


class MailObsolete(Exception):
    """A renderer's subject no longer exists: the mail is dropped, not retried."""


class MailError(Exception):
    """A change to the outbox that the rules refuse; the message is for the user."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    #: e.g. ``text/calendar; method=REQUEST; charset=utf-8``
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


Renderer = Callable[[dict], RenderedMail]


def register_renderer(app, kind: str, render: Renderer) -> None:
    """Let the worker write mails of ``kind``: ``render(params)`` runs in the recipient's locale."""
    app.extensions.setdefault("kp_mail_renderers", {})[kind] = render


# --- queueing ---------------------------------------------------------------

def queue(recipient: str, subject: str, body_text: str, now: datetime) -> OutboxMessage:
    """Write a finished mail to the outbox in the current transaction."""
    message = OutboxMessage(recipient=recipient, subject=subject, body_text=body_text, created_at=now)
    db.session.add(message)
    return message


def queue_event(kind: str, user: User, params: dict, now: datetime, *,
                dedupe_key: str | None = None) -> OutboxMessage | None:
    """Queue a mail about ``kind`` for ``user``, written in their language when it is sent.

    With a ``dedupe_key`` that was queued before (by anyone, even at this
    moment in another transaction), nothing is queued and None is returned.
    """
    message = OutboxMessage(recipient=user.email, kind=kind, params=params, locale=user.locale or "nb",
                            created_at=now, dedupe_key=dedupe_key)
    if dedupe_key is None:
        db.session.add(message)
        return message
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    # A concurrent transaction may insert the same key after the check: the
    # unique index refuses ours, and only the savepoint is rolled back.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    return message


def render(message: OutboxMessage) -> RenderedMail:
    """Return the mail as it will be (or was) sent, in the recipient's language."""
    if not message.kind:
        return RenderedMail(subject=message.subject, text=message.body_text)
    renderer = current_app.extensions.get("kp_mail_renderers", {}).get(message.kind)
    if renderer is None:
        raise MailObsolete(f"no renderer for {message.kind!r}")
    with force_locale(message.locale or "nb"):
        mail = renderer(dict(message.params or {}))
        return RenderedMail(subject=str(mail.subject), text=str(mail.text), attachments=tuple(mail.attachments))


def pending(limit: int = 100) -> list[OutboxMessage]:
    """Return unsent mail, oldest first."""
    return list(db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)))


# --- sending ----------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    """Return the wait after ``attempts`` failed tries: a minute, doubling, at most an hour."""
    return min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 16), MAX_BACKOFF)


def message_id(message: OutboxMessage, sender: str) -> str:
    """Return the Message-ID of an outbox mail: the same on every try, different after a database reset."""
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{message.created_at:%Y%m%d%H%M%S}.{message.id}.outbox@{domain}>"


def build_email(message: OutboxMessage, mail: RenderedMail, *, sender: str, now: datetime) -> EmailMessage:
    """Return the MIME mail: a UTF-8 text part, an invitation beside it, and the attachments.

    A calendar attachment that carries a ``method`` (REQUEST, CANCEL) is an
    invitation, built the way Outlook and Gmail build theirs, so that both
    show it as one (with the event, not as a file)::

        multipart/mixed
          multipart/alternative
            text/plain; charset=utf-8
            text/calendar; method=REQUEST; charset=utf-8
          application/ics; name=invitasjon.ics   (the same calendar, to save)

    Any other attachment follows as it is.
    """
    result = EmailMessage()
    result["From"] = sender
    result["To"] = message.recipient
    result["Subject"] = " ".join(mail.subject.split())  # a line break would end the header
    result["Date"] = email.utils.format_datetime(now)
    result["Message-ID"] = message_id(message, sender)
    # Quoted-printable passes any server, even one without 8BITMIME, and stays readable.
    result.set_content(mail.text, charset="utf-8", cte="quoted-printable")
    parsed = [(attachment, HeaderRegistry()("Content-Type", attachment.content_type))
              for attachment in mail.attachments]
    invitations = [(a, t) for a, t in parsed if _is_invitation(t)]
    if len(invitations) > 1:
        raise ValueError("a mail carries at most one invitation: clients act on one")
    for attachment, content_type in invitations:
        # Base64 keeps the calendar's bytes (CRLF line ends included) exactly as written.
        result.add_alternative(attachment.data, maintype="text", subtype="calendar", cte="base64",
                               params=dict(content_type.params))
    for attachment, content_type in parsed:
        if _is_invitation(content_type):
            result.add_attachment(attachment.data, maintype="application", subtype="ics",
                                  filename=attachment.filename)
        else:
            # The parameters (a calendar's charset) tell the mail program how to read it.
            result.add_attachment(attachment.data, maintype=content_type.maintype, subtype=content_type.subtype,
                                  filename=attachment.filename, params=dict(content_type.params))
    return result


def _is_invitation(content_type) -> bool:
    """Tell whether an attachment's content type is an iTIP calendar (``text/calendar`` with a method)."""
    return content_type.content_type == "text/calendar" and "method" in content_type.params


@dataclass
class SendReport:
    """What one batch did."""

    sent: int = 0
    #: Given up on in this batch (refused too often, or obsolete).
    failed: int = 0
    #: Failed this time, to be tried again after a wait.
    retrying: int = 0
    #: Why the batch stopped before it was done, when the server could not be reached.
    server_problem: str = ""

    def count_failure(self, gave_up: bool) -> None:
        if gave_up:
            self.failed += 1
        else:
            self.retrying += 1


def _due(now: datetime) -> sa.ColumnElement[bool]:
    m = OutboxMessage
    return sa.and_(m.sent_at.is_(None), m.failed_at.is_(None),
                   sa.or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now),
                   sa.or_(m.claimed_until.is_(None), m.claimed_until < now))


def _update(message_id: int, condition: sa.ColumnElement[bool] | None = None, **values) -> bool:
    """Change one outbox row and commit at once, so the change outlives a killed worker."""
    stmt = sa.update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    if condition is not None:
        stmt = stmt.where(condition)
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _claim(message_id: int, now: datetime) -> bool:
    """Take a due mail for this worker; False if another worker has it or it is no longer due."""
    return _update(message_id, _due(now), claimed_until=now + CLAIM_FOR)


def _retry_later(message_id: int, attempts: int, reason: str, *, give_up: bool) -> bool:
    """Record a failed try: wait and try again, or give up. Return True if given up."""
    now = now_utc()
    if give_up:
        _update(message_id, attempts=attempts, failed_at=now, claimed_until=None, last_error=reason)
    else:
        _update(message_id, attempts=attempts, next_attempt_at=now + backoff(attempts), claimed_until=None,
                last_error=reason)
    return give_up


def send_pending(transport: Transport | None = None, *, limit: int = 100,
                 should_stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Send the mail that is due, oldest first, over one connection; stop early if the server is down.

    Every mail is claimed and committed before it is sent and marked sent
    and committed after the server accepted it; no transaction is open
    while the server is talking, so other workers and requests carry on.
    """
    transport = transport or transport_from_config(current_app.config)
    sender = current_app.config["MAIL_FROM"]
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    report = SendReport()
    ids = list(db.session.scalars(
        sa.select(OutboxMessage.id).where(_due(now_utc())).order_by(OutboxMessage.id).limit(limit)))
    db.session.commit()
    try:
        for message_id in ids:
            if should_stop():
                break
            if not _claim(message_id, now_utc()):
                continue
            message = db.session.get(OutboxMessage, message_id)
            attempts = message.attempts + 1
            try:
                mail = render(message)
                mime = build_email(message, mail, sender=sender, now=now_utc())
            except MailObsolete as err:
                db.session.rollback()
                report.count_failure(_retry_later(message_id, attempts, _("Utdatert: %(reason)s", reason=err),
                                                  give_up=True))
                continue
            except Exception as err:  # a renderer's bug must not hold up the other mails
                current_app.logger.exception("outbox message %s could not be written", message_id)
                db.session.rollback()
                report.count_failure(_retry_later(message_id, attempts, f"{type(err).__name__}: {err}",
                                                  give_up=attempts >= max_attempts))
                continue
            db.session.commit()  # end the reading transaction before the server is asked anything
            try:
                transport.send(mime)
            except ServerUnavailable as err:
                # Never given up: the mail waits however long the server is down.
                report.count_failure(_retry_later(message_id, attempts, str(err), give_up=False))
                report.server_problem = str(err)
                break
            except MessageRefused as err:
                report.count_failure(_retry_later(message_id, attempts, str(err),
                                                  give_up=err.permanent and attempts >= max_attempts))
                continue
            except Exception as err:  # unforeseen, and about this mail: the others still go
                current_app.logger.exception("outbox message %s could not be sent", message_id)
                transport.close()  # the conversation is in an unknown state; the next mail starts afresh
                report.count_failure(_retry_later(message_id, attempts, f"{type(err).__name__}: {err}",
                                                  give_up=attempts >= max_attempts))
                continue
            _update(message_id, sent_at=now_utc(), attempts=attempts, claimed_until=None, next_attempt_at=None,
                    subject=mail.subject[:SUBJECT_LENGTH], body_text=mail.text, last_error="",
                    sent_attachments=_stored(mail.attachments))
            report.sent += 1
    finally:
        transport.close()
    return report


def waiting_count() -> int:
    """Return how many mails are neither sent nor given up on."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))
    db.session.commit()
    return count or 0


# --- the outbox page --------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    """A mail as the recipient gets (or got) it; ``problem`` says why it cannot be written."""

    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    problem: str = ""


def outbox_page(actor: User, *, status: MailStatus | None = None, page: int = 1,
                per_page: int = 20) -> Pagination:
    """Return a page of the outbox, newest first, optionally only mails with ``status``."""
    require(actor.is_admin)
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        stmt = stmt.where(OutboxMessage.status_is(status))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_message(actor: User, message_id: int) -> OutboxMessage:
    """Return one outbox mail for a programme admin (404 if there is none)."""
    require(actor.is_admin)
    return db.get_or_404(OutboxMessage, message_id)


def preview(message: OutboxMessage) -> Preview:
    """Return the mail as it will be sent or, once sent, as it was sent (its attachments too)."""
    if message.sent_at is not None:  # the outbox keeps what the recipient got, not today's version of it
        return Preview(message.subject, message.body_text, _restored(message.sent_attachments))
    try:
        mail = render(message)
    except MailObsolete:
        return Preview(message.subject, message.body_text, (),
                       _("Denne e-posten sendes ikke: det den gjaldt, finnes ikke lenger."))
    except Exception as err:  # the page that shows what went wrong must not fail with it
        current_app.logger.exception("outbox message %s could not be written", message.id)
        return Preview(message.subject, message.body_text, (),
                       _("E-posten kan ikke skrives: %(error)s", error=f"{type(err).__name__}: {err}"))
    return Preview(mail.subject, mail.text, mail.attachments)


def _stored(attachments: tuple[Attachment, ...]) -> list[dict]:
    """Return attachments as the outbox row keeps them (JSON: the bytes in base64)."""
    return [{"filename": a.filename, "content_type": a.content_type, "data": base64.b64encode(a.data).decode()}
            for a in attachments]


def _restored(rows: list[dict] | None) -> tuple[Attachment, ...]:
    """Return the attachments an outbox row kept when it was sent (none for mail sent before they were kept)."""
    return tuple(Attachment(filename=row["filename"], content_type=row["content_type"],
                            data=base64.b64decode(row["data"])) for row in rows or ())


def retry(message: OutboxMessage, actor: User, now: datetime) -> None:
    """Put a mail that was given up on back in the queue, to be sent at once."""
    require(actor.is_admin)
    if message.status != MailStatus.FAILED:
        raise MailError(_("Bare e-post som har feilet, kan sendes på nytt."))
    message.failed_at = None
    message.attempts = 0
    message.next_attempt_at = None
    message.claimed_until = None
    audit.record(object_type="outbox_message", object_id=message.id, from_state=MailStatus.FAILED.value,
                 to_state=MailStatus.PENDING.value, actor_id=actor.id, at=now)
    db.session.flush()
