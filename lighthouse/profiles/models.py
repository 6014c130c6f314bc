"""Fyrtårn profiles and their release time.

A fyrtårn (lighthouse teacher) is an experienced teacher whose school
releases some hours each semester for work with other schools. The
principal of the home school approves those hours here; bookings draw on
them and can never exceed them.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.offerings.models import LabelledEnum
from lms.db import db, now_utc, value_enum
from lms.people.models import School, User


class Subject(LabelledEnum):
    """The subject areas fyrtårn work in; the overview counts requests by these."""

    NORWEGIAN = "norwegian"
    MATHEMATICS = "mathematics"
    ENGLISH = "english"
    SCIENCE = "science"
    SOCIAL_STUDIES = "social_studies"
    RELIGION = "religion"
    ARTS_CRAFTS = "arts_crafts"
    MUSIC = "music"
    PHYSICAL_EDUCATION = "physical_education"
    FOOD_HEALTH = "food_health"
    READING_WRITING = "reading_writing"
    DIGITAL = "digital"
    CLASSROOM = "classroom"
    ASSESSMENT = "assessment"
    INCLUSION = "inclusion"

    @staticmethod
    def LABELS():
        return {
            Subject.NORWEGIAN: _l("Norsk"),
            Subject.MATHEMATICS: _l("Matematikk"),
            Subject.ENGLISH: _l("Engelsk"),
            Subject.SCIENCE: _l("Naturfag"),
            Subject.SOCIAL_STUDIES: _l("Samfunnsfag"),
            Subject.RELIGION: _l("KRLE"),
            Subject.ARTS_CRAFTS: _l("Kunst og håndverk"),
            Subject.MUSIC: _l("Musikk"),
            Subject.PHYSICAL_EDUCATION: _l("Kroppsøving"),
            Subject.FOOD_HEALTH: _l("Mat og helse"),
            Subject.READING_WRITING: _l("Lesing og skriving"),
            Subject.DIGITAL: _l("Digital kompetanse"),
            Subject.CLASSROOM: _l("Klasseledelse og læringsmiljø"),
            Subject.ASSESSMENT: _l("Vurdering for læring"),
            Subject.INCLUSION: _l("Inkludering og tilpasset opplæring"),
        }


class GradeLevel(LabelledEnum):
    PRIMARY_LOWER = "1-4"
    PRIMARY_UPPER = "5-7"
    LOWER_SECONDARY = "8-10"

    @staticmethod
    def LABELS():
        return {
            GradeLevel.PRIMARY_LOWER: _l("1.–4. trinn"),
            GradeLevel.PRIMARY_UPPER: _l("5.–7. trinn"),
            GradeLevel.LOWER_SECONDARY: _l("8.–10. trinn"),
        }


class LighthouseProfile(db.Model):
    """What a fyrtårn offers, and where they come from."""

    __tablename__ = "lighthouse_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    #: The school that releases the fyrtårn's hours; its principal approves them.
    home_school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    #: A short presentation in Markdown, sanitised when rendered.
    presentation: Mapped[str] = mapped_column(sa.Text, default="")
    #: Shown on the public Fyrtårn page and bookable only while true.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    user: Mapped[User] = relationship(lazy="joined")
    home_school: Mapped[School] = relationship(lazy="joined")
    subject_rows: Mapped[list["ProfileSubject"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    grade_rows: Mapped[list["ProfileGrade"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def subjects(self) -> list[Subject]:
        return sorted((row.subject for row in self.subject_rows), key=lambda s: s.label)

    @property
    def grades(self) -> list[GradeLevel]:
        order = list(GradeLevel)
        return sorted((row.grade for row in self.grade_rows), key=order.index)


class ProfileSubject(db.Model):
    __tablename__ = "lighthouse_profile_subject"

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"),
                                            primary_key=True)
    subject: Mapped[Subject] = mapped_column(value_enum(Subject), primary_key=True, index=True)


class ProfileGrade(db.Model):
    __tablename__ = "lighthouse_profile_grade"

    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"),
                                            primary_key=True)
    grade: Mapped[GradeLevel] = mapped_column(value_enum(GradeLevel, 10), primary_key=True, index=True)


class ReleaseTime(db.Model):
    """The hours a fyrtårn's home school releases in one semester.

    The fyrtårn (or an admin) asks for a number of hours; the principal of
    the home school approves a number, which may differ. Only approved
    minutes can be booked.
    """

    __tablename__ = "lighthouse_release_time"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"))
    #: ``2026H`` is the autumn of 2026 (August-December), ``2027V`` the spring of 2027 (January-July).
    semester: Mapped[str] = mapped_column(sa.String(5))
    requested_minutes: Mapped[int] = mapped_column(default=0)
    #: None until the principal has decided.
    approved_minutes: Mapped[int | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    profile: Mapped[LighthouseProfile] = relationship()
    approved_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("profile_id", "semester", name="uq_release_time_profile_semester"),
        sa.CheckConstraint("requested_minutes >= 0", name="requested_nonnegative"),
        sa.CheckConstraint("approved_minutes IS NULL OR approved_minutes >= 0", name="approved_nonnegative"),
    )


def semester_of(day: date | datetime) -> str:
    """Return the semester code of a day (Oslo date): autumn ``H`` from August, spring ``V`` until July."""
    return f"{day.year}{'H' if day.month >= 8 else 'V'}"


def semester_label(code: str) -> str:
    """Return "Høst 2026" or "Vår 2027" for a semester code."""
    year, half = code[:4], code[4:]
    return str(_l("Høst %(year)s", year=year) if half == "H" else _l("Vår %(year)s", year=year))
