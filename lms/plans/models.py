"""The development plan (utviklingsplan for bruk av læringsteknologi) of a school for a plan period.

A plan has an introduction and seven areas as sections of free Markdown; areas
4 (Kompetanseheving) and 6 (Informasjon og forankring) are structured as well:
goals with an indicator and a target, measures linked to what carries them in
the platform, and for area 6 the bodies that treated the plan and the
information measures. The milestone plan belongs to the plan. Submitting
freezes a :class:`PlanVersion`.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, now_utc, value_enum
from lms.i18n import LabelledEnum
from lms.people.models import School, User



#: The sections of a plan, in the order of the requirement: the introduction's three parts and the seven areas.
SECTION_KEYS = ("vision", "main_goals", "affected", "area1", "area2", "area3", "area4", "area5", "area6", "area7")
SECTION_TITLES = {
    "vision": _l("Innledning: Visjon for prosjektet"),
    "main_goals": _l("Hovedmål"),
    "affected": _l("Hvordan ansatte, elever og foresatte påvirkes"),
    "area1": _l("Område 1: Økt bruk av læringsteknologi"),
    "area2": _l("Område 2: Organisering på skolen"),
    "area3": _l("Område 3: Infrastruktur"),
    "area4": _l("Område 4: Kompetanseheving"),
    "area5": _l("Område 5: Endret pedagogisk praksis"),
    "area6": _l("Område 6: Informasjon og forankring"),
    "area7": _l("Område 7: Valg av læringsteknologi"),
}
#: The areas that have goals and measures here, and which other schools' leaders may read in approved plans.
STRUCTURED_AREAS = (4, 6)
#: The longest plan period, in school years.
LONGEST_PERIOD = 6


class PlanState(LabelledEnum):
    DRAFT = "draft"
    #: Driftsstyret has treated the plan (its date and decision are recorded as a treatment).
    TREATED = "treated"
    #: Sent to the municipality; the content is frozen as a version.
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    #: The reviewers sent it back with what must be improved, per area.
    RETURNED = "returned"
    APPROVED = "approved"

    @staticmethod
    def LABELS():
        return {
            PlanState.DRAFT: _l("Utkast"),
            PlanState.TREATED: _l("Behandlet i Driftsstyret"),
            PlanState.SUBMITTED: _l("Sendt inn"),
            PlanState.UNDER_REVIEW: _l("Under behandling"),
            PlanState.RETURNED: _l("Sendt tilbake med tilbakemelding"),
            PlanState.APPROVED: _l("Godkjent"),
        }


#: Allowed transitions; ``None`` is "no plan yet".
TRANSITIONS: dict[PlanState | None, frozenset[PlanState]] = {
    None: frozenset({PlanState.DRAFT}),
    PlanState.DRAFT: frozenset({PlanState.TREATED}),
    PlanState.TREATED: frozenset({PlanState.SUBMITTED, PlanState.DRAFT}),
    PlanState.SUBMITTED: frozenset({PlanState.UNDER_REVIEW}),
    PlanState.UNDER_REVIEW: frozenset({PlanState.RETURNED, PlanState.APPROVED}),
    PlanState.RETURNED: frozenset({PlanState.TREATED, PlanState.SUBMITTED}),
    PlanState.APPROVED: frozenset(),
}
#: States in which the school may change its plan.
EDITABLE_STATES = frozenset({PlanState.DRAFT, PlanState.TREATED, PlanState.RETURNED})


class Body(LabelledEnum):
    """A body of the school that treats the plan (area 6)."""

    DRIFTSSTYRET = "driftsstyret"
    FAU = "fau"
    MBU = "mbu"
    ELEVRAD = "elevrad"
    DIGIRAD = "digirad"

    @staticmethod
    def LABELS():
        return {
            Body.DRIFTSSTYRET: _l("Driftsstyret"),
            Body.FAU: _l("FAU"),
            Body.MBU: _l("MBU"),
            Body.ELEVRAD: _l("Elevrådet"),
            Body.DIGIRAD: _l("Digirådet"),
        }


class PlanTargetGroup(LabelledEnum):
    """Whom a measure is for."""

    TEACHERS = "teachers"
    LEADERS = "leaders"
    DIGITAL_SUPERVISORS = "digital_supervisors"
    NEW_HIRES = "new_hires"
    ALL_STAFF = "all_staff"
    PUPILS = "pupils"
    PARENTS = "parents"

    @staticmethod
    def LABELS():
        return {
            PlanTargetGroup.TEACHERS: _l("Lærere"),
            PlanTargetGroup.LEADERS: _l("Skoleledere"),
            PlanTargetGroup.DIGITAL_SUPERVISORS: _l("Digitale veiledere"),
            PlanTargetGroup.NEW_HIRES: _l("Nyansatte"),
            PlanTargetGroup.ALL_STAFF: _l("Alle ansatte"),
            PlanTargetGroup.PUPILS: _l("Elever"),
            PlanTargetGroup.PARENTS: _l("Foresatte"),
        }


class InformationKind(LabelledEnum):
    LETTER = "letter"
    MEETING = "meeting"
    WEB = "web"

    @staticmethod
    def LABELS():
        return {InformationKind.LETTER: _l("Brev"), InformationKind.MEETING: _l("Møte"),
                InformationKind.WEB: _l("Nettside")}


class MilestoneStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    REACHED = "reached"
    NOT_REACHED = "not_reached"

    @staticmethod
    def LABELS():
        return {MilestoneStatus.PLANNED: _l("Planlagt"), MilestoneStatus.IN_PROGRESS: _l("Pågår"),
                MilestoneStatus.REACHED: _l("Nådd"), MilestoneStatus.NOT_REACHED: _l("Ikke nådd")}


#: Statuses in which a milestone is still open, so its deadline can pass.
OPEN_MILESTONE = frozenset({MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS})


class Plan(db.Model):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), index=True)
    #: The school years the plan covers, by the calendar year each starts in.
    start_year: Mapped[int]
    end_year: Mapped[int]
    state: Mapped[PlanState] = mapped_column(value_enum(PlanState, 20), default=PlanState.DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    school: Mapped[School] = relationship(lazy="joined")
    sections: Mapped[list["PlanSection"]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                         lazy="selectin")

    __table_args__ = (
        sa.UniqueConstraint("school_id", "start_year", name="uq_plan_school_start"),
        sa.CheckConstraint("end_year >= start_year", name="period_order"),
        sa.CheckConstraint(f"end_year - start_year < {LONGEST_PERIOD}", name="period_length"),
    )

    @property
    def period_label(self) -> str:
        return f"{self.start_year}/{self.start_year + 1}–{self.end_year}/{self.end_year + 1}"

    def section(self, key: str) -> "PlanSection | None":
        return next((s for s in self.sections if s.key == key), None)


class PlanSection(db.Model):
    """One part of the plan's text, saved with optimistic versioning: a save names the version it started from."""

    __tablename__ = "plan_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(20))
    #: Markdown, sanitised when rendered.
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: Raised by one on every save; a save from an older version is refused.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    plan: Mapped[Plan] = relationship(back_populates="sections")
    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "key", name="uq_plan_section_key"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def title(self) -> str:
        return str(SECTION_TITLES[self.key])


class Versioned:
    """An item of the plan that a leader can change, saved with optimistic versioning as a section is.

    The form carries the version it was opened at; a save from an older one is
    refused (``lms.plans.operations._save_item``), so of two leaders
    changing the same goal or milestone the second is told, and loses nothing.
    """

    #: Raised by one on every change; a save from an older version is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


def _version_positive() -> sa.CheckConstraint:
    return sa.CheckConstraint("version >= 1", name="version_positive")


class PlanGoal(Versioned, db.Model):
    """A goal of area 4 or 6: what is measured (indicator) and what is to be reached (target)."""

    __tablename__ = "plan_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    area: Mapped[int]
    indicator: Mapped[str] = mapped_column(sa.String(300))
    target: Mapped[str] = mapped_column(sa.String(300))

    __table_args__ = (sa.CheckConstraint("area IN (4, 6)", name="structured_area"), _version_positive())


class PlanMeasure(Versioned, db.Model):
    """A measure (tiltak) of area 4 or 6, linked to what carries it in the platform."""

    __tablename__ = "plan_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    area: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    target_group: Mapped[PlanTargetGroup] = mapped_column(value_enum(PlanTargetGroup, 30))
    responsible: Mapped[str] = mapped_column(sa.String(200))
    #: When the measure takes place, in the school's words ("høsten 2026", "uke 41").
    timing: Mapped[str] = mapped_column(sa.String(200))

    links: Mapped[list["PlanMeasureLink"]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                          order_by="PlanMeasureLink.id")

    __table_args__ = (sa.CheckConstraint("area IN (4, 6)", name="structured_area"), _version_positive())


class PlanMeasureLink(db.Model):
    """What carries a measure: a kind an evidence source knows (``offering``, ``lighthouse_offering``...) and its id."""

    __tablename__ = "plan_measure_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_measure.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    ref_id: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("measure_id", "kind", "ref_id", name="uq_plan_measure_link"),)


class PlanTreatment(Versioned, db.Model):
    """A body's treatment of the plan or its progress (area 6): when, and what was decided."""

    __tablename__ = "plan_treatment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    body: Mapped[Body] = mapped_column(value_enum(Body, 20))
    treated_on: Mapped[date] = mapped_column(sa.Date)
    decision: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (_version_positive(),)


class PlanInformation(Versioned, db.Model):
    """An information measure of area 6: a letter, meeting or web page for staff, pupils or parents."""

    __tablename__ = "plan_information"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InformationKind] = mapped_column(value_enum(InformationKind, 20))
    title: Mapped[str] = mapped_column(sa.String(300))
    audience: Mapped[PlanTargetGroup] = mapped_column(value_enum(PlanTargetGroup, 30))
    informed_on: Mapped[date] = mapped_column(sa.Date)

    __table_args__ = (_version_positive(),)


milestone_dependency = sa.Table(
    "milestone_dependency", db.metadata,
    sa.Column("milestone_id", sa.ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("depends_on_id", sa.ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True),
    sa.CheckConstraint("milestone_id <> depends_on_id", name="not_on_itself"),
)


class Milestone(Versioned, db.Model):
    """A milestone of the milestone plan: what is to be reached, by whom, by when, and how it is evaluated."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(sa.String(300))
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"),
                                                       index=True)
    deadline: Mapped[date] = mapped_column(sa.Date, index=True)
    evaluation: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[MilestoneStatus] = mapped_column(value_enum(MilestoneStatus, 20), default=MilestoneStatus.PLANNED)
    #: When the responsible person was reminded of the deadline; reminded once per deadline and person, so
    #: a change of either empties it.
    reminded_at: Mapped[datetime | None]

    responsible: Mapped[User | None] = relationship(lazy="joined")
    depends_on: Mapped[list["Milestone"]] = relationship(
        secondary=milestone_dependency, primaryjoin=lambda: Milestone.id == milestone_dependency.c.milestone_id,
        secondaryjoin=lambda: Milestone.id == milestone_dependency.c.depends_on_id, lazy="selectin")

    __table_args__ = (_version_positive(),)

    def overdue(self, today: date) -> bool:
        return self.status in OPEN_MILESTONE and self.deadline < today


class PlanVersion(db.Model):
    """The plan as it was submitted, frozen: every version stays readable."""

    __tablename__ = "plan_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    number: Mapped[int]
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The plan's content as JSON (sections, goals, measures, treatments, information, milestones).
    content: Mapped[str] = mapped_column(sa.Text)

    submitted_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "number", name="uq_plan_version_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )


class PlanComment(db.Model):
    """A reviewer's comment on one section of a submitted version; ``must_improve`` when it is why the plan is returned."""

    __tablename__ = "plan_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int]
    section_key: Mapped[str] = mapped_column(sa.String(20))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    must_improve: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    author: Mapped[User | None] = relationship()
