"""The audit log: who changed what from which state to which, and when."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc
from lms.people.models import User


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now_utc)
    #: Who did it; empty for the system (a CLI job, an expiring offer).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: What kind of object changed, e.g. ``enrollment``.
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int]
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)
