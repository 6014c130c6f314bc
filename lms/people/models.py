"""People, schools and the roles people hold at schools."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc, value_enum


class Role(enum.StrEnum):
    """What a person does at a school (or, for programme admins, for the municipality)."""

    TEACHER = "teacher"
    LEADER = "leader"
    LIGHTHOUSE = "lighthouse"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.TEACHER: _l("Lærer"),
    Role.LEADER: _l("Skoleleder"),
    Role.LIGHTHOUSE: _l("Fyrtårn"),
    Role.ADMIN: _l("Programadministrator"),
}


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Norwegian organisation number, nine digits.
    org_number: Mapped[str] = mapped_column(sa.String(9), unique=True)
    district: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Focus areas from the school's development plan, one per line.
    focus_areas_text: Mapped[str] = mapped_column(sa.Text, default="")

    memberships: Mapped[list["Membership"]] = relationship(back_populates="school")

    __table_args__ = (sa.CheckConstraint("length(org_number) = 9", name="org_number_len"),)

    @property
    def focus_areas(self) -> list[str]:
        return [line.strip() for line in self.focus_areas_text.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<School {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Empty for people who only sign in through Feide or the LMS.
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    #: The language the person chose (nb, nn, en) for pages, mail and calendar feeds; None when
    #: they have chosen none, and pages follow this browser (see :func:`lms.i18n.select_locale`).
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    hire_date: Mapped[date | None] = mapped_column(sa.Date)
    #: Digital supervisor (digital veileder): takes part in the digital practice network.
    is_digital_supervisor: Mapped[bool] = mapped_column(default=False)
    #: Environment teacher (miljølærer): takes part in the digital citizenship network.
    is_environment_teacher: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (sa.CheckConstraint("locale IN ('nb', 'nn', 'en')", name="locale_known"),)

    #: The sign-in session this object was loaded for; set by :mod:`lms.auth`.
    login_token = None

    def get_id(self) -> str | None:
        return self.login_token

    @property
    def is_active(self) -> bool:
        return self.active

    def roles(self) -> set[Role]:
        return {m.role for m in self.memberships}

    def has_role(self, role: Role, school_id: int | None = None) -> bool:
        return any(
            m.role == role and (school_id is None or m.school_id == school_id)
            for m in self.memberships
        )

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    def schools(self) -> list[School]:
        seen = {}
        for m in self.memberships:
            if m.school is not None:
                seen[m.school_id] = m.school
        return list(seen.values())

    def led_school_ids(self) -> set[int]:
        return {m.school_id for m in self.memberships if m.role == Role.LEADER and m.school_id}

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(db.Model):
    """A person's role at a school; programme admins hold theirs with no school."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(value_enum(Role, 20))

    user: Mapped[User] = relationship(back_populates="memberships")
    school: Mapped[School | None] = relationship(back_populates="memberships", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "school_id", "role", name="uq_membership_user_school_role"),
        sa.Index("ix_membership_school_role", "school_id", "role"),
    )
