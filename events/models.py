"""Dated sessions, grouped in schedules.

A :class:`Schedule` is whatever has dates: a catalogue offering, a fyrtårn
booking, a network gathering. The feature that owns it points at the
schedule, so this kernel knows nothing of the features built on it.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc, value_enum


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str({SessionStatus.SCHEDULED: _l("Planlagt"), SessionStatus.CANCELLED: _l("Avlyst")}[self])


class Schedule(db.Model):
    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which feature owns this schedule, e.g. ``catalog.offering``.
    owner_kind: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    sessions: Mapped[list["Session"]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="Session.starts_at",
    )

    def first_start(self) -> datetime | None:
        live = [s.starts_at for s in self.sessions if s.status == SessionStatus.SCHEDULED]
        return min(live) if live else None

    def last_start(self) -> datetime | None:
        live = [s.starts_at for s in self.sessions if s.status == SessionStatus.SCHEDULED]
        return max(live) if live else None


class Session(db.Model):
    """One dated occurrence: a course evening, a gathering, a guidance hour."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    #: A session's own title, where it differs from its offering's (e.g. "Dag 2").
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[SessionStatus] = mapped_column(
        value_enum(SessionStatus, 20),
        default=SessionStatus.SCHEDULED,
    )
    #: Rises with every change of time, place or status (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    schedule: Mapped[Schedule] = relationship(back_populates="sessions")

    @property
    def duration_hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class FeedScope(enum.StrEnum):
    PERSON = "person"
    SCHOOL = "school"


class FeedToken(db.Model):
    """The secret in a personal or school calendar feed's address.

    Only a hash of the token is stored. Regenerating revokes the old token at
    once; a token opens one feed and never signs anyone in.
    """

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[FeedScope] = mapped_column(
        value_enum(FeedScope, 20))
    #: The person's or the school's id, depending on ``scope``.
    owner_id: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        # One live link per feed: two "new link" clicks at once cannot leave two working.
        sa.Index("uq_feed_token_live", "scope", "owner_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
        sa.Index("ix_feed_token_scope_owner", "scope", "owner_id"),
    )
