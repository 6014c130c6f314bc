"""Networks, their member schools, gatherings, minutes and what each school carried back.

A :class:`Network` is a municipality network (all schools' leaders and
digital supervisors) or a collaboration group (two to four schools of one
school year). Who takes part is never listed person by person: it follows the
staff lists of the member schools by role and flag (``include_*``), so a new
digital supervisor at a member school is in the network at once.

A :class:`Gathering` is one dated session of the network's schedule (in
:mod:`events`) with what only a network has: a host school, minutes,
attendance and each school's record of how it carried the learning back.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.networks.composition import LastYear
from events.models import Schedule, Session
from lms.db import db, now_utc, value_enum
from lms.people.models import School, User



class NetworkKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    GROUP = "group"

    @property
    def label(self) -> str:
        return str({NetworkKind.MUNICIPALITY: _l("Kommunalt nettverk"),
                    NetworkKind.GROUP: _l("Samarbeidsgruppe")}[self])


class Network(db.Model):
    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[NetworkKind] = mapped_column(value_enum(NetworkKind, 20), index=True)
    #: Markdown, sanitised when rendered.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who it is for and when, in the programme's own words.
    target_group_text: Mapped[str] = mapped_column(sa.String(300), default="")
    timing: Mapped[str] = mapped_column(sa.String(200), default="")
    organiser: Mapped[str] = mapped_column(sa.String(200), default="")
    coordinator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The calendar year the school year starts in (2026 means 2026/2027); a collaboration group has one.
    school_year: Mapped[int | None] = mapped_column(index=True)
    include_leaders: Mapped[bool] = mapped_column(default=True)
    include_digital_supervisors: Mapped[bool] = mapped_column(default=False)
    include_environment_teachers: Mapped[bool] = mapped_column(default=False)
    include_teachers: Mapped[bool] = mapped_column(default=False)
    #: A composed collaboration group is a draft until the admin publishes it; nobody else sees a draft.
    published_at: Mapped[datetime | None]
    #: What a composed collaboration group was proposed with about last year's partners; its score counts the same.
    #: None for every other network (and for groups composed before this was kept).
    composed_with: Mapped[LastYear | None] = mapped_column(value_enum(LastYear, 20))
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedule.id"), unique=True)
    #: Stable key for a network loaded from the demo programme.
    source_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    schedule: Mapped[Schedule] = relationship()
    coordinator: Mapped[User | None] = relationship()
    member_rows: Mapped[list["NetworkSchool"]] = relationship(
        back_populates="network", cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("kind <> 'group' OR school_year IS NOT NULL", name="group_has_school_year"),
    )

    @property
    def school_ids(self) -> list[int]:
        return [row.school_id for row in self.member_rows]

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{self.school_year + 1}" if self.school_year else ""


class NetworkSchool(db.Model):
    """A member school of a network."""

    __tablename__ = "network_school"

    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)

    network: Mapped[Network] = relationship(back_populates="member_rows")
    school: Mapped[School] = relationship(lazy="joined")


class NetworkFeedToken(db.Model):
    """The secret in a participant's link to a network's calendar feed; only its hash is stored.

    Each participant has their own, like the personal feed's: making a new one
    stops their old one at once, and a link stops working when its person no
    longer takes part in the network.
    """

    __tablename__ = "network_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("uq_network_feed_token_live", "network_id", "user_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
    )


class NetworkResource(db.Model):
    """A shared resource of a network: a link, or a Markdown note (sanitised when shown)."""

    __tablename__ = "network_resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class Gathering(db.Model):
    """A network's dated gathering: one session of its schedule, with host, minutes and attendance."""

    __tablename__ = "gathering"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"), unique=True)
    host_school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id", ondelete="SET NULL"))
    #: The host's minutes (Markdown, sanitised when shown); others add :class:`MinutesAddition` until published.
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    network: Mapped[Network] = relationship()
    session: Mapped[Session] = relationship(lazy="joined")
    host_school: Mapped[School | None] = relationship()
    additions: Mapped[list["MinutesAddition"]] = relationship(
        cascade="all, delete-orphan", order_by="MinutesAddition.id")


class MinutesAddition(db.Model):
    __tablename__ = "minutes_addition"

    id: Mapped[int] = mapped_column(primary_key=True)
    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gathering.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    author: Mapped[User | None] = relationship()


class Absence(db.Model):
    """A participant has said they cannot come to a gathering."""

    __tablename__ = "gathering_absence"

    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gathering.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class GatheringAttendance(db.Model):
    """Who came: a person (``user_id``), or a count for a school whose whole staff came (no ``user_id``)."""

    __tablename__ = "gathering_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gathering.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        sa.CheckConstraint("count >= 1 AND count <= 10000", name="count_positive"),
        sa.CheckConstraint("user_id IS NULL OR count = 1", name="person_counts_one"),
        sa.Index("uq_gathering_attendance_person", "gathering_id", "user_id", unique=True,
                 sqlite_where=sa.text("user_id IS NOT NULL"), postgresql_where=sa.text("user_id IS NOT NULL")),
        sa.Index("uq_gathering_attendance_school_count", "gathering_id", "school_id", unique=True,
                 sqlite_where=sa.text("user_id IS NULL"), postgresql_where=sa.text("user_id IS NULL")),
    )


class CarriedBack(db.Model):
    """How a member school shared at home what was learned at a gathering: when, where, how many."""

    __tablename__ = "carried_back"

    id: Mapped[int] = mapped_column(primary_key=True)
    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gathering.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), index=True)
    shared_on: Mapped[date] = mapped_column(sa.Date)
    place: Mapped[str] = mapped_column(sa.String(200))
    #: How many people at the school it reached.
    reached: Mapped[int]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=now_utc)

    __table_args__ = (
        sa.UniqueConstraint("gathering_id", "school_id", name="uq_carried_back_gathering_school"),
        sa.CheckConstraint("reached >= 0 AND reached <= 10000", name="reached_sane"),
    )


class GatheringRound(db.Model):
    """A window (e.g. weeks 41 and 42) in which every collaboration group of a school year holds a gathering."""

    __tablename__ = "gathering_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: First and last day of the window (Oslo calendar days).
    window_start: Mapped[date] = mapped_column(sa.Date)
    window_end: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    __table_args__ = (sa.CheckConstraint("window_end >= window_start", name="window_ordered"),)


class ProposalStatus(enum.StrEnum):
    """Where a date proposal stands: open, agreed (its gathering is made), superseded by another proposal,
    or cancelled: the gathering it made was called off, so the group agrees again."""

    OPEN = "open"
    AGREED = "agreed"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str({ProposalStatus.OPEN: _l("Foreslått"), ProposalStatus.AGREED: _l("Avtalt"),
                    ProposalStatus.SUPERSEDED: _l("Erstattet"), ProposalStatus.CANCELLED: _l("Avlyst")}[self])


class DateProposal(db.Model):
    """A group leader's proposal of date, host school and place for the group's gathering in a round.

    It is agreed when every member school has confirmed it (the proposer's
    school confirms by proposing); a new proposal supersedes an open one.
    When the gathering it made is cancelled, it is cancelled too and the
    group is no longer agreed in that round.
    Changes happen under a row lock on the group, and a partial unique index
    keeps one agreed proposal per group and round whatever the concurrency.
    """

    __tablename__ = "date_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("gathering_round.id", ondelete="CASCADE"))
    network_id: Mapped[int] = mapped_column(sa.ForeignKey("network.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    host_school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"))
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[ProposalStatus] = mapped_column(value_enum(ProposalStatus, 20), default=ProposalStatus.OPEN)
    #: The gathering made when it was agreed.
    gathering_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gathering.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    host_school: Mapped[School] = relationship()
    #: Where it stands now: the coordinator may have moved the agreed gathering since.
    gathering: Mapped[Gathering | None] = relationship()
    confirmations: Mapped[list["ProposalConfirmation"]] = relationship(cascade="all, delete-orphan",
                                                                       lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("uq_date_proposal_agreed", "round_id", "network_id", unique=True,
                 sqlite_where=sa.text("status = 'agreed'"), postgresql_where=sa.text("status = 'agreed'")),
        sa.Index("uq_date_proposal_open", "round_id", "network_id", unique=True,
                 sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'")),
    )


class ProposalConfirmation(db.Model):
    __tablename__ = "proposal_confirmation"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("date_proposal.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
