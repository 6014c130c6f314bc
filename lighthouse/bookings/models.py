"""What schools can book from a fyrtårn, when, and the bookings themselves."""
from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.offerings.models import LabelledEnum
from events.models import Schedule
from lighthouse.profiles.models import LighthouseProfile, Subject
from lms.db import db, now_utc, value_enum
from lms.people.models import School, User


class BookableKind(LabelledEnum):
    COURSE = "course"
    WORKSHOP = "workshop"
    GUIDANCE = "guidance"

    @staticmethod
    def LABELS():
        return {
            BookableKind.COURSE: _l("Kurs"),
            BookableKind.WORKSHOP: _l("Verksted"),
            BookableKind.GUIDANCE: _l("Veiledning"),
        }


class Venue(LabelledEnum):
    AT_SCHOOL = "at_school"
    ONLINE = "online"
    EITHER = "either"

    @staticmethod
    def LABELS():
        return {
            Venue.AT_SCHOOL: _l("På skolen som bestiller"),
            Venue.ONLINE: _l("Digitalt"),
            Venue.EITHER: _l("På skolen eller digitalt"),
        }


class BookableOffering(db.Model):
    """A course, workshop or guidance a fyrtårn offers schools to book.

    Every kind is booked into the fyrtårn's availability windows: a start
    time every ``duration_minutes`` from the window's start, at least
    ``min_notice_hours`` ahead, with ``buffer_minutes`` kept free before and
    after each booking (travel, preparation).
    """

    __tablename__ = "lighthouse_offering"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BookableKind] = mapped_column(value_enum(BookableKind, 20))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Markdown, sanitised when rendered.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    subject: Mapped[Subject] = mapped_column(value_enum(Subject), index=True)
    #: Who it is for, in the fyrtårn's words (e.g. "Lærere på 5.–7. trinn").
    audience: Mapped[str] = mapped_column(sa.String(200), default="")
    duration_minutes: Mapped[int]
    max_participants: Mapped[int]
    venue: Mapped[Venue] = mapped_column(value_enum(Venue, 20), default=Venue.EITHER)
    buffer_minutes: Mapped[int] = mapped_column(default=15)
    min_notice_hours: Mapped[int] = mapped_column(default=48)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    profile: Mapped[LighthouseProfile] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("duration_minutes BETWEEN 15 AND 600", name="duration_range"),
        sa.CheckConstraint("max_participants >= 1", name="max_participants_positive"),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="buffer_range"),
        sa.CheckConstraint("min_notice_hours BETWEEN 0 AND 2160", name="notice_range"),
    )


class AvailabilityWindow(db.Model):
    """A weekly time the fyrtårn can be booked, from one date to another (Oslo local time)."""

    __tablename__ = "lighthouse_availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"), index=True)
    #: 0 is Monday, as in :meth:`datetime.date.weekday`.
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
        sa.CheckConstraint("valid_until >= valid_from", name="valid_until_after_from"),
    )


class BookingState(LabelledEnum):
    #: The school has asked for a time; it is held for them until the fyrtårn answers.
    REQUESTED = "requested"
    #: The fyrtårn has proposed another time, held until the school answers.
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    #: The school turned down the fyrtårn's proposed time.
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    #: Held, and the session is over: feedback and the fyrtårn's record follow.
    COMPLETED = "completed"

    @staticmethod
    def LABELS():
        return {
            BookingState.REQUESTED: _l("Forespurt"),
            BookingState.PROPOSED: _l("Nytt tidspunkt foreslått"),
            BookingState.CONFIRMED: _l("Bekreftet"),
            BookingState.DECLINED: _l("Avslått"),
            BookingState.REJECTED: _l("Forslag avvist"),
            BookingState.CANCELLED: _l("Avlyst"),
            BookingState.COMPLETED: _l("Gjennomført"),
        }


#: States that hold the fyrtårn's time and draw on their release time.
HOLDING_STATES = frozenset({BookingState.REQUESTED, BookingState.PROPOSED, BookingState.CONFIRMED,
                            BookingState.COMPLETED})

#: Allowed transitions; ``None`` is "no booking yet".
TRANSITIONS: dict[BookingState | None, frozenset[BookingState]] = {
    None: frozenset({BookingState.REQUESTED}),
    BookingState.REQUESTED: frozenset({BookingState.CONFIRMED, BookingState.DECLINED, BookingState.PROPOSED,
                                       BookingState.CANCELLED}),
    BookingState.PROPOSED: frozenset({BookingState.CONFIRMED, BookingState.REJECTED, BookingState.CANCELLED}),
    BookingState.CONFIRMED: frozenset({BookingState.CANCELLED, BookingState.COMPLETED}),
    BookingState.DECLINED: frozenset(),
    BookingState.REJECTED: frozenset(),
    BookingState.CANCELLED: frozenset(),
    BookingState.COMPLETED: frozenset(),
}


class BookingSide(LabelledEnum):
    SCHOOL = "school"
    LIGHTHOUSE = "lighthouse"

    @staticmethod
    def LABELS():
        return {BookingSide.SCHOOL: _l("Skolen"), BookingSide.LIGHTHOUSE: _l("Fyrtårnet")}


class Booking(db.Model):
    """A school's booking of a fyrtårn offering, from request to feedback."""

    __tablename__ = "lighthouse_booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_offering.id", ondelete="CASCADE"), index=True)
    #: The offering's fyrtårn, kept here for the overlap check under their lock.
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[BookingState] = mapped_column(value_enum(BookingState, 20))
    #: The time held now: the school's request, or the fyrtårn's proposal.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: What the school first asked for, kept when the fyrtårn proposes another time.
    requested_starts_at: Mapped[datetime]
    #: Semester code of ``starts_at`` (see :func:`lighthouse.profiles.models.semester_of`).
    semester: Mapped[str] = mapped_column(sa.String(5))
    #: Release time this booking draws on: its length.
    minutes: Mapped[int]
    participants_count: Mapped[int]
    venue: Mapped[Venue] = mapped_column(value_enum(Venue, 20))
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: The fyrtårn's reason for declining or proposing another time.
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    #: Declined because the fyrtårn had no time or release hours left (the overview counts these).
    declined_for_capacity: Mapped[bool] = mapped_column(default=False)
    cancelled_by: Mapped[BookingSide | None] = mapped_column(value_enum(BookingSide, 20))
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    feedback_rating: Mapped[int | None]
    feedback_comment: Mapped[str] = mapped_column(sa.Text, default="")
    feedback_at: Mapped[datetime | None]
    #: What the fyrtårn did, in their words, after the session.
    work_record: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[datetime | None]
    #: When the fyrtårn side last answered the school (confirmed, declined, proposed a
    #: time, cancelled, or the request lapsed unanswered): the school's leaders have
    #: an answer to read until ``school_read_at`` passes it.
    answered_at: Mapped[datetime | None]
    #: When a leader of the school last opened the booking.
    school_read_at: Mapped[datetime | None]
    #: The booking's dates in the calendar kernel; its session exists from confirmation.
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schedule.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    offering: Mapped[BookableOffering] = relationship(lazy="joined")
    profile: Mapped[LighthouseProfile] = relationship()
    school: Mapped[School] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship()
    schedule: Mapped[Schedule | None] = relationship()
    participant_rows: Mapped[list["BookingParticipant"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("participants_count >= 1", name="participants_positive"),
        sa.CheckConstraint("minutes >= 0", name="minutes_nonnegative"),
        sa.CheckConstraint("feedback_rating IS NULL OR feedback_rating BETWEEN 1 AND 5", name="rating_range"),
        # Two bookings can never hold the same start for one fyrtårn, whatever
        # the locking: the overlap check runs under the fyrtårn's lock, this is
        # the schema's own last word on the most common race.
        sa.Index("uq_booking_held_start", "profile_id", "starts_at", unique=True,
                 sqlite_where=sa.text("state IN ('requested', 'proposed', 'confirmed', 'completed')"),
                 postgresql_where=sa.text("state IN ('requested', 'proposed', 'confirmed', 'completed')")),
        sa.Index("ix_booking_profile_semester", "profile_id", "semester"),
    )

    @property
    def participants(self) -> list[User]:
        return [row.user for row in self.participant_rows]


class BookingParticipant(db.Model):
    """A named participant of a booking: the booking is in their calendar."""

    __tablename__ = "lighthouse_booking_participant"

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_booking.id", ondelete="CASCADE"),
                                            primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)

    user: Mapped[User] = relationship(lazy="joined")
