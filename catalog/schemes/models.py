"""Schemes: rows of the programme that one does not sign up for."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.offerings.models import TargetGroup
from lms.db import db, now_utc, value_enum


class Scheme(db.Model):
    """A standing part of the programme, carried by a feature's own page instead of dated sessions.

    The learning films, the fyrtårn scheme, the web pages for parents and
    each school's Digiråd are rows of the programme like the courses, but
    nobody enrolls in them: the catalogue lists them in a section of their
    own ("Ordninger og ressurser") and each entry leads to the page that
    carries it. That page is named by its endpoint, so the catalogue needs no
    import of the feature behind it; an entry whose endpoint is missing (its
    plugin switched off) is not shown.
    """

    __tablename__ = "scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    theme: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Markdown, sanitised when rendered.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    organiser: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Who it is for in the programme's own words.
    target_group_text: Mapped[str] = mapped_column(sa.String(300), default="")
    #: When, in the programme's own words ("Fra høsten 2019").
    timing: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Development-plan area the scheme serves: 4 (competence) or 6 (anchoring).
    plan_area: Mapped[int | None]
    #: The calendar year the school year starts in: 2026 means 2026/2027.
    school_year: Mapped[int] = mapped_column(index=True)
    #: The page that carries the scheme, as a Flask endpoint name (``films.index``).
    endpoint: Mapped[str] = mapped_column(sa.String(120))
    #: The endpoint's URL values, e.g. ``{"slug": "digirad"}`` for an information page.
    endpoint_values: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Stable key for content loaded from files (the demo programme).
    source_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    target_group_rows: Mapped[list["SchemeTargetGroup"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("plan_area IN (4, 6)", name="plan_area_known"),
    )

    @property
    def target_groups(self) -> list[TargetGroup]:
        order = list(TargetGroup)
        return sorted((row.group for row in self.target_group_rows), key=order.index)


class SchemeTargetGroup(db.Model):
    __tablename__ = "scheme_target_group"

    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[TargetGroup] = mapped_column(value_enum(TargetGroup), primary_key=True, index=True)
