"""Queueing mail in the outbox."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale

from lms.db import db
from lms.mail.models import OutboxMessage
from lms.people.models import User


def queue(recipient: str, subject: str, body_text: str, now: datetime) -> OutboxMessage:
    """Write a mail to the outbox in the current transaction."""
    message = OutboxMessage(recipient=recipient, subject=subject, body_text=body_text, created_at=now)
    db.session.add(message)
    return message


def queue_for_user(user: User, compose, now: datetime) -> OutboxMessage:
    """Compose a mail in the user's language (``compose()`` returns subject, text) and queue it."""
    with force_locale(user.locale or "nb"):
        subject, text = compose()
        subject, text = str(subject), str(text)
    return queue(user.email, subject, text, now)


def pending(limit: int = 100) -> list[OutboxMessage]:
    """Return unsent mail, oldest first."""
    return list(db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)))
