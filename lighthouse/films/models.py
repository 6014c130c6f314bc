"""Learning films: short films by fyrtårn, with tasks, open to everyone."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lighthouse.profiles.models import GradeLevel, LighthouseProfile, Subject
from lms.db import db, now_utc, value_enum

DEFAULT_LICENCE = "CC BY 4.0"


class LearningFilm(db.Model):
    __tablename__ = "lighthouse_film"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_profile.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: One or two sentences for lists and search.
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The film's address at the municipality's video service.
    video_url: Mapped[str] = mapped_column(sa.String(500))
    #: Tasks for the viewers, in Markdown (sanitised when rendered).
    tasks: Mapped[str] = mapped_column(sa.Text, default="")
    subject: Mapped[Subject] = mapped_column(value_enum(Subject), index=True)
    licence: Mapped[str] = mapped_column(sa.String(60), default=DEFAULT_LICENCE)
    #: Visible to everyone from this moment; None is a draft.
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    profile: Mapped[LighthouseProfile] = relationship(lazy="joined")
    grade_rows: Mapped[list["FilmGrade"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def grades(self) -> list[GradeLevel]:
        order = list(GradeLevel)
        return sorted((row.grade for row in self.grade_rows), key=order.index)


class FilmGrade(db.Model):
    __tablename__ = "lighthouse_film_grade"

    film_id: Mapped[int] = mapped_column(sa.ForeignKey("lighthouse_film.id", ondelete="CASCADE"), primary_key=True)
    grade: Mapped[GradeLevel] = mapped_column(value_enum(GradeLevel, 10), primary_key=True, index=True)
