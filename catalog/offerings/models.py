"""Offerings: what one can sign up for."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.models import Schedule, Session, SessionStatus
from lms.db import db, now_utc, value_enum
from lms.i18n import LabelledEnum
from lms.people.models import User



class OfferingKind(LabelledEnum):
    COURSE = "course"
    ONBOARDING = "onboarding"
    WORKSHOP = "workshop"
    NETWORK_GATHERING = "network_gathering"
    PARENT_SCHOOL = "parent_school"
    WEBINAR = "webinar"
    GUIDANCE = "guidance"
    MEETING = "meeting"

    @staticmethod
    def LABELS():
        return {
            OfferingKind.COURSE: _l("Kurs"),
            OfferingKind.ONBOARDING: _l("Oppstartskurs"),
            OfferingKind.WORKSHOP: _l("Verksted"),
            OfferingKind.NETWORK_GATHERING: _l("Nettverkssamling"),
            OfferingKind.PARENT_SCHOOL: _l("Foreldreskole"),
            OfferingKind.WEBINAR: _l("Webinar"),
            OfferingKind.GUIDANCE: _l("Veiledning"),
            OfferingKind.MEETING: _l("Møte"),
        }


class TargetGroup(LabelledEnum):
    TEACHERS = "teachers"
    LEADERS = "leaders"
    NEW_HIRES = "new_hires"
    DIGITAL_SUPERVISORS = "digital_supervisors"
    PARENTS = "parents"
    ALL_STAFF = "all_staff"
    #: Pupils take part through their school; they have no accounts to enroll with.
    PUPILS = "pupils"

    @staticmethod
    def LABELS():
        return {
            TargetGroup.TEACHERS: _l("Lærere"),
            TargetGroup.LEADERS: _l("Skoleledere"),
            TargetGroup.NEW_HIRES: _l("Nyansatte"),
            TargetGroup.DIGITAL_SUPERVISORS: _l("Digitale veiledere"),
            TargetGroup.PARENTS: _l("Foresatte"),
            TargetGroup.ALL_STAFF: _l("Alle ansatte"),
            TargetGroup.PUPILS: _l("Elever"),
        }


class OfferingStatus(LabelledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @staticmethod
    def LABELS():
        return {
            OfferingStatus.DRAFT: _l("Utkast"),
            OfferingStatus.PUBLISHED: _l("Publisert"),
            OfferingStatus.CANCELLED: _l("Avlyst"),
        }


class OnboardingCohort(LabelledEnum):
    """Which new hires an onboarding course is for."""

    AUGUST = "august"
    FOLLOW_UP = "follow_up"

    @staticmethod
    def LABELS():
        return {
            OnboardingCohort.AUGUST: _l("Ansatt før skolestart (august)"),
            OnboardingCohort.FOLLOW_UP: _l("Ansatt etter skolestart (oppfølging)"),
        }


class OfferingSeries(db.Model):
    """Offerings that belong together but are each joined on their own.

    A network that meets three times a year, a user forum twice a year: each
    meeting is an offering of its own, with its own seats, waitlist, sign-up
    deadline and calendar events, so a person can sign up for the spring
    meeting after the autumn one has taken place, or for one meeting only.
    The series only groups the meetings on the pages.
    """

    __tablename__ = "offering_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Stable key for a series loaded from the demo programme's files.
    source_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class Offering(db.Model):
    __tablename__ = "offering"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OfferingKind] = mapped_column(value_enum(OfferingKind), index=True)
    theme: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    #: Markdown, sanitised when rendered.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who arranges it, as shown to participants (e.g. "Oppvekst skole").
    organiser: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Who it is for in the programme's own words ("Skoleledere, miljølærere og
    #: digitale veiledere"), shown beside the target groups that enrollment checks.
    target_group_text: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    #: When in the school year, in the programme's own words ("3 ganger per skoleår").
    timing: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    #: The person who manages participants and sessions, besides the admins.
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Development-plan area the offering serves: 4 (competence) or 6 (anchoring).
    plan_area: Mapped[int | None]
    capacity: Mapped[int]
    #: Seats held now (enrolled, offered, attended, no-show, completed) and
    #: people waiting: kept by the enrollment transition under the offering's
    #: lock, so lists and filters need not count enrollments.
    seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlist_length: Mapped[int] = mapped_column(default=0, server_default="0")
    min_participants: Mapped[int] = mapped_column(default=0)
    #: The day it is decided whether enough have enrolled for it to run.
    go_no_go_date: Mapped[date | None] = mapped_column(sa.Date)
    #: When an organiser decided that it runs although fewer than the minimum
    #: signed up; below the minimum without this it waits for a decision.
    go_ahead_at: Mapped[datetime | None]
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    #: Participants may cancel themselves until this moment.
    cancellation_deadline: Mapped[datetime | None]
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The calendar year the school year starts in: 2026 means 2026/2027.
    school_year: Mapped[int] = mapped_column(index=True)
    onboarding_cohort: Mapped[OnboardingCohort | None] = mapped_column(value_enum(OnboardingCohort, 20))
    status: Mapped[OfferingStatus] = mapped_column(value_enum(OfferingStatus, 20), default=OfferingStatus.DRAFT, index=True)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedule.id"), unique=True)
    #: Start of the first scheduled session, kept by the operations for sorting and filtering.
    first_starts_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Start of the last scheduled session: the catalogue lists an offering until then.
    last_starts_at: Mapped[datetime | None]
    #: Stable key for content loaded from files (the demo programme).
    source_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    #: The series this offering is one meeting of, joined on its own (see OfferingSeries).
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offering_series.id", ondelete="SET NULL"),
                                                  index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    schedule: Mapped[Schedule] = relationship()
    series: Mapped[OfferingSeries | None] = relationship()
    responsible: Mapped[User | None] = relationship()
    target_group_rows: Mapped[list["OfferingTargetGroup"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        # No offering is ever overbooked: the database itself refuses it.
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("waitlist_length >= 0", name="waitlist_length_nonnegative"),
        sa.Index("ix_offering_status_first_starts_at", "status", "first_starts_at"),
        sa.CheckConstraint("min_participants >= 0", name="min_participants_nonnegative"),
        sa.CheckConstraint("plan_area IN (4, 6)", name="plan_area_known"),
    )

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def target_groups(self) -> list[TargetGroup]:
        return [row.group for row in self.target_group_rows]

    @property
    def sessions(self) -> list[Session]:
        return self.schedule.sessions

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.schedule.sessions if s.status == SessionStatus.SCHEDULED]

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{self.school_year + 1}"


class OfferingTargetGroup(db.Model):
    __tablename__ = "offering_target_group"

    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[TargetGroup] = mapped_column(value_enum(TargetGroup), primary_key=True, index=True)
