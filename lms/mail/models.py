"""The transactional outbox: mail written with the change that causes it."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import db, now_utc


class MailStatus(enum.StrEnum):
    """Where a mail is on its way, as the outbox page shows it."""

    PENDING = "pending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str({MailStatus.PENDING: _l("Venter"), MailStatus.RETRYING: _l("Nytt forsøk"),
                    MailStatus.SENT: _l("Sendt"), MailStatus.FAILED: _l("Feilet")}[self])


class OutboxMessage(db.Model):
    """A mail waiting to be sent, or sent.

    It is written in the same transaction as the enrollment or cancellation
    that caused it, so a rolled-back change sends nothing and a committed
    one is never lost, whatever the mail server is doing.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    #: What happened, e.g. ``catalog.enrolled``: the worker renders the mail
    #: from ``kind`` and ``params`` in ``locale`` when it sends it. An empty
    #: kind is a mail whose subject and text were written when it was queued.
    kind: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    locale: Mapped[str] = mapped_column(sa.String(10), default="nb", server_default="nb")
    #: The subject and text as sent (filled by the worker for rendered kinds).
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: Set for mail that must be queued at most once (e.g. one reminder per
    #: session and person): queueing it again does nothing.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Not before this time (backoff after a failed attempt); None is at once.
    next_attempt_at: Mapped[datetime | None]
    #: A worker holds the message until this time while it sends it.
    claimed_until: Mapped[datetime | None]
    #: Given up on (the server refused it permanently); never retried.
    failed_at: Mapped[datetime | None]
    #: The attachments as sent (filename, content type, base64 data), for the outbox page; None before sending.
    sent_attachments: Mapped[list | None] = mapped_column(sa.JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def status(self) -> MailStatus:
        if self.sent_at is not None:
            return MailStatus.SENT
        if self.failed_at is not None:
            return MailStatus.FAILED
        return MailStatus.RETRYING if self.attempts else MailStatus.PENDING

    @classmethod
    def status_is(cls, status: MailStatus) -> sa.ColumnElement[bool]:
        """Return the SQL condition that matches :attr:`status`."""
        unsent = sa.and_(cls.sent_at.is_(None), cls.failed_at.is_(None))
        return {
            MailStatus.SENT: cls.sent_at.is_not(None),
            MailStatus.FAILED: sa.and_(cls.sent_at.is_(None), cls.failed_at.is_not(None)),
            MailStatus.RETRYING: sa.and_(unsent, cls.attempts > 0),
            MailStatus.PENDING: sa.and_(unsent, cls.attempts == 0),
        }[status]
