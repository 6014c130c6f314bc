"""Enrollment: a person's place in an offering, from waitlist to completion."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.offerings.models import LabelledEnum, Offering
from events.models import Session
from lms.db import db, now_utc, value_enum
from lms.people.models import User


class EnrollmentState(LabelledEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    #: A seat held for the first on the waitlist until ``offer_expires_at``;
    #: if they do not accept in time it passes to the next.
    OFFERED = "offered"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    COMPLETED = "completed"

    @staticmethod
    def LABELS():
        return {
            EnrollmentState.ENROLLED: _l("Påmeldt"),
            EnrollmentState.WAITLISTED: _l("På venteliste"),
            EnrollmentState.OFFERED: _l("Tilbudt plass"),
            EnrollmentState.CANCELLED: _l("Avmeldt"),
            EnrollmentState.ATTENDED: _l("Deltok"),
            EnrollmentState.NO_SHOW: _l("Møtte ikke"),
            EnrollmentState.COMPLETED: _l("Fullført"),
        }


#: States that hold one of the offering's seats.
SEAT_STATES = frozenset({EnrollmentState.ENROLLED, EnrollmentState.OFFERED, EnrollmentState.ATTENDED,
                         EnrollmentState.NO_SHOW, EnrollmentState.COMPLETED})
#: States in which a person counts as taking part in (or waiting for) the offering.
ACTIVE_STATES = SEAT_STATES | {EnrollmentState.WAITLISTED}

#: States in which the offering's sessions are in the person's calendar.
CONFIRMED_STATES = frozenset({EnrollmentState.ENROLLED, EnrollmentState.ATTENDED, EnrollmentState.NO_SHOW,
                              EnrollmentState.COMPLETED})

#: Allowed transitions; ``None`` is "no enrollment yet".
TRANSITIONS: dict[EnrollmentState | None, frozenset[EnrollmentState]] = {
    None: frozenset({EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED}),
    EnrollmentState.WAITLISTED: frozenset({EnrollmentState.OFFERED, EnrollmentState.ENROLLED,
                                           EnrollmentState.CANCELLED}),
    EnrollmentState.OFFERED: frozenset({EnrollmentState.ENROLLED, EnrollmentState.CANCELLED}),
    EnrollmentState.ENROLLED: frozenset({EnrollmentState.CANCELLED, EnrollmentState.ATTENDED,
                                         EnrollmentState.NO_SHOW, EnrollmentState.COMPLETED}),
    EnrollmentState.ATTENDED: frozenset({EnrollmentState.NO_SHOW, EnrollmentState.COMPLETED}),
    EnrollmentState.NO_SHOW: frozenset({EnrollmentState.ATTENDED, EnrollmentState.COMPLETED}),
    EnrollmentState.COMPLETED: frozenset({EnrollmentState.ATTENDED}),
    EnrollmentState.CANCELLED: frozenset(),
}


class Enrollment(db.Model):
    __tablename__ = "enrollment"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    state: Mapped[EnrollmentState] = mapped_column(value_enum(EnrollmentState, 20))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: When the person joined the waitlist; the waitlist is served in this order.
    waitlisted_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: When the person first had a confirmed seat: from then on the
    #: offering's sessions are in their calendar (and a cancellation is sent
    #: to it as STATUS:CANCELLED).
    confirmed_at: Mapped[datetime | None]
    #: Who made the enrollment, when it was not the person (a leader, an admin).
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    offering: Mapped[Offering] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    enrolled_by: Mapped[User | None] = relationship(foreign_keys=[enrolled_by_id])

    __table_args__ = (
        # One active enrollment per person per offering; cancelled ones are history.
        sa.Index("uq_enrollment_active", "offering_id", "user_id", unique=True,
                 sqlite_where=sa.text("state != 'cancelled'"),
                 postgresql_where=sa.text("state != 'cancelled'")),
        # Seat counts, the waitlist in its order and places on it, from the index alone.
        sa.Index("ix_enrollment_offering_state_waitlisted", "offering_id", "state", "waitlisted_at"),
        # Whether a person completed something in a period (the development plans' evidence), from the index.
        sa.Index("ix_enrollment_user_completed", "user_id", "state", "completed_at", "offering_id"),
        sa.CheckConstraint("state != 'offered' OR offer_expires_at IS NOT NULL", name="offer_has_deadline"),
    )


class Attendance(db.Model):
    """Whether a participant was present at one session."""

    __tablename__ = "attendance"

    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    present: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(default=now_utc)

    session: Mapped[Session] = relationship()
