"""Accounts elsewhere linked to people here."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc
from lms.people.models import User


class LinkedAccount(db.Model):
    """A person's identity at an outside issuer (Feide, an LMS), linked to them after their first arrival.

    The issuer names the subject (Feide's user id, an LMS's ``sub``); the pair
    is unique, so the same outside identity always reaches the same person.
    """

    __tablename__ = "linked_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: The issuer's identifier: Feide's issuer URL, or the LMS platform's ``iss``.
    issuer: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(255))
    #: How the person arrives through it: feide or lti.
    method: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    last_used_at: Mapped[datetime] = mapped_column(default=now_utc)

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_linked_account_issuer_subject"),)
