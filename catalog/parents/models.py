"""Parent events: offerings for parents, signed up for without an account.

A :class:`ParentEvent` is the parents' side of one catalogue :class:`Offering`:
the hall's seats are the offering's capacity (taken under the offering's
lock, counted in ``seats_taken`` and its waitlist in ``waitlist_length``), the
stream has its own limit here. A :class:`ParentSignup` holds the little the
municipality asks of a parent until the event is over and the retention
days have passed; then it is deleted and only the counts in
:class:`ParentTally` remain.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.offerings.models import LabelledEnum, Offering
from lms.db import db, now_utc, value_enum
from lms.people.models import School

#: The grades of the Norwegian primary and lower secondary school.
GRADES = tuple(range(1, 11))


class ParentEventKind(LabelledEnum):
    PARENT_SCHOOL = "parent_school"
    PARENT_MEETING = "parent_meeting"
    USER_FORUM = "user_forum"
    #: A meeting of the school's parents' council (FAU) or the municipal one (KFU).
    COUNCIL_MEETING = "council_meeting"

    @staticmethod
    def LABELS():
        return {
            ParentEventKind.PARENT_SCHOOL: _l("Foreldreskole"),
            ParentEventKind.PARENT_MEETING: _l("Foreldremøte"),
            ParentEventKind.USER_FORUM: _l("Brukerforum / webinar"),
            ParentEventKind.COUNCIL_MEETING: _l("FAU- / KFU-møte"),
        }


class AttendanceMode(LabelledEnum):
    """How an event may be followed: in the hall, by stream, or either."""

    HALL = "hall"
    STREAM = "stream"
    BOTH = "both"

    @staticmethod
    def LABELS():
        return {
            AttendanceMode.HALL: _l("I salen"),
            AttendanceMode.STREAM: _l("Strømming"),
            AttendanceMode.BOTH: _l("I salen eller strømming"),
        }


class SignupState(LabelledEnum):
    CONFIRMED = "confirmed"
    #: Waiting for a seat in the hall; moved in by itself when one is freed.
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"

    @staticmethod
    def LABELS():
        return {
            SignupState.CONFIRMED: _l("Påmeldt"),
            SignupState.WAITLISTED: _l("På venteliste til salen"),
            SignupState.CANCELLED: _l("Avmeldt"),
        }


class ParentEvent(db.Model):
    __tablename__ = "parent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[ParentEventKind] = mapped_column(value_enum(ParentEventKind, 30), index=True)
    #: The school that runs it; None is the municipality, for every school.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), index=True)
    mode: Mapped[AttendanceMode] = mapped_column(value_enum(AttendanceMode, 10))
    #: Places on the stream; None is no limit.
    stream_capacity: Mapped[int | None]
    #: Stream places held now, kept under the offering's lock like the hall's seats.
    stream_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Sent only in the reminder shortly before the start, never shown on a page.
    stream_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    #: Whether parents may send questions in advance (user forums).
    takes_questions: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When the sign-ups were deleted and only the counts kept.
    purged_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    offering: Mapped[Offering] = relationship(lazy="joined", innerjoin=True)
    school: Mapped[School | None] = relationship()
    grade_rows: Mapped[list["ParentEventGrade"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                                order_by="ParentEventGrade.grade")

    __table_args__ = (
        sa.CheckConstraint("stream_capacity IS NULL OR stream_capacity >= 1", name="stream_capacity_positive"),
        # No stream is ever given more places than it has.
        sa.CheckConstraint("stream_taken >= 0 AND (stream_capacity IS NULL OR stream_taken <= stream_capacity)",
                           name="stream_within_capacity"),
    )

    @property
    def grades(self) -> list[int]:
        return [row.grade for row in self.grade_rows]

    @property
    def has_hall(self) -> bool:
        return self.mode in (AttendanceMode.HALL, AttendanceMode.BOTH)

    @property
    def has_stream(self) -> bool:
        return self.mode in (AttendanceMode.STREAM, AttendanceMode.BOTH)

    @property
    def stream_left(self) -> int | None:
        """Stream places free now; None when the stream has no limit."""
        if self.stream_capacity is None:
            return None
        return max(self.stream_capacity - self.stream_taken, 0)


class ParentEventGrade(db.Model):
    """A grade an event is for; an event without grades is for every grade."""

    __tablename__ = "parent_event_grade"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("parent_event.id", ondelete="CASCADE"), primary_key=True)
    grade: Mapped[int] = mapped_column(primary_key=True, index=True)

    __table_args__ = (sa.CheckConstraint("grade BETWEEN 1 AND 10", name="grade_known"),)


class ParentSignup(db.Model):
    """One parent's sign-up: what they told us, deleted after the retention days."""

    __tablename__ = "parent_signup"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("parent_event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(254))
    #: The address as compared: one active sign-up per address and event.
    email_key: Mapped[str] = mapped_column(sa.String(254))
    #: The child's school and grade, asked only where the event is for several.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id", ondelete="SET NULL"))
    grade: Mapped[int | None]
    mode: Mapped[AttendanceMode] = mapped_column(value_enum(AttendanceMode, 10))
    #: People coming (1 or 2); counts against the hall's seats.
    party_size: Mapped[int] = mapped_column(default=1)
    state: Mapped[SignupState] = mapped_column(value_enum(SignupState, 20))
    #: When they joined the hall's waitlist; it is served in this order.
    waitlisted_at: Mapped[datetime | None]
    #: SHA-256 of the manage link's token; the token itself is only in the mail.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The language the parent used, for the mails.
    locale: Mapped[str] = mapped_column(sa.String(10), default="nb")
    #: Recorded at the door by the organiser.
    attended: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    event: Mapped[ParentEvent] = relationship()
    school: Mapped[School | None] = relationship()

    __table_args__ = (
        # One active sign-up per address and event; a second one updates the first.
        sa.Index("uq_parent_signup_active", "event_id", "email_key", unique=True,
                 sqlite_where=sa.text("state != 'cancelled'"), postgresql_where=sa.text("state != 'cancelled'")),
        sa.Index("ix_parent_signup_event_state_waitlisted", "event_id", "state", "waitlisted_at"),
        sa.CheckConstraint("party_size BETWEEN 1 AND 2", name="party_size_known"),
        sa.CheckConstraint("mode != 'both'", name="mode_chosen"),
        sa.CheckConstraint("mode = 'hall' OR party_size = 1", name="stream_is_one"),
        sa.CheckConstraint("grade IS NULL OR grade BETWEEN 1 AND 10", name="grade_known"),
        sa.CheckConstraint("state != 'waitlisted' OR (waitlisted_at IS NOT NULL AND mode = 'hall')",
                           name="waitlist_is_for_hall"),
    )


class ParentTally(db.Model):
    """What is kept of an event's sign-ups after their deletion: counts, no people.

    One row per event, child's school, grade and mode; ``school_id`` and
    ``grade`` are None where the parent was not asked.
    """

    __tablename__ = "parent_tally"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("parent_event.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id", ondelete="SET NULL"))
    grade: Mapped[int | None]
    mode: Mapped[AttendanceMode] = mapped_column(value_enum(AttendanceMode, 10))
    #: People who had a place (the party sizes of confirmed sign-ups).
    people: Mapped[int] = mapped_column(default=0)
    signups: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("people >= 0 AND signups >= 0 AND attended >= 0", name="counts_nonnegative"),
    )


class ParentQuestion(db.Model):
    """A question sent in advance to a user forum: kept apart from the sign-ups, with nobody's name."""

    __tablename__ = "parent_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("parent_event.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class ParentAttempt(db.Model):
    """A sign-up or question sent, by keyed hash of address and e-mail: for the limits over time.

    Only keyed hashes are stored, and they are deleted once older than the
    longest limit's window.
    """

    __tablename__ = "parent_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(sa.String(64))
    email_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    at: Mapped[datetime] = mapped_column(default=now_utc)

    __table_args__ = (
        sa.Index("ix_parent_attempt_address_at", "address_hash", "at"),
        sa.Index("ix_parent_attempt_email_at", "email_hash", "at"),
    )
