"""The report on areas 4 and 6 for Driftsstyret: goals with their figures, measures with their evidence,
milestones with their status, bodies treated; as a page and as a PDF made on the server (fpdf2)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from lms.i18n import fmt_date, to_oslo
from lms.plans import operations as ops
from lms.plans.models import SECTION_TITLES, STRUCTURED_AREAS, Plan


@dataclass
class AreaReport:
    number: int
    title: str
    goals: list
    area_figures: list
    measures: list  # (measure, figures)


@dataclass
class Report:
    plan: Plan
    made_at: datetime
    areas: list[AreaReport]
    #: None for a reader of areas 4 and 6 only (another school's leader), who sees no milestones on the plan page.
    milestones: list | None
    treatments: list
    today: object


def build(plan: Plan, now: datetime, *, full: bool = True) -> Report:
    """Gather what the report shows, with the live evidence, in a fixed number of queries.

    ``full`` is whether the reader reads the whole plan; the report shows no more than the plan page shows them.
    """
    content = ops.content_of(plan)
    evidence = ops.evidence_for(content, now)
    areas = [AreaReport(n, str(SECTION_TITLES[f"area{n}"]), content.goals_of(n), evidence.for_area(n),
                        [(m, evidence.for_measure(m)) for m in content.measures_of(n)]) for n in STRUCTURED_AREAS]
    return Report(plan, now, areas, content.milestones if full else None, content.treatments, to_oslo(now).date())


def figure_text(figure) -> str:
    if figure.of is not None:
        return f"{figure.label}: {figure.value} {_('av')} {figure.of}"
    return f"{figure.label}: {figure.value}"


def _latin(text: str) -> str:
    """Return text the PDF's built-in font can write (Latin-1, which holds æ, ø and å)."""
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'").replace("\u201c", '"') \
        .replace("\u201d", '"').replace("\u2026", "...")
    return text.encode("latin-1", "replace").decode("latin-1")


def _document():
    """Return an empty A4 document with page numbers in its footer.

    fpdf2 is imported here, not with the module: it holds some 27 MB, which
    every worker would otherwise carry for a page only leaders print.
    """
    from fpdf import FPDF

    class Pdf(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 8, _latin(f"{self.page_no()}"), align="C")

    return Pdf(format="A4")


def pdf(report: Report) -> bytes:
    """Return the report as a PDF document."""
    doc = _document()
    doc.set_title(_latin(_("Utviklingsplan: rapport til Driftsstyret")))
    doc.set_lang("nb")
    doc.set_auto_page_break(True, margin=16)
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    def line(text: str, size: int = 10, style: str = "", gap: float = 1.5):
        doc.set_font("Helvetica", style=style, size=size)
        doc.multi_cell(width, size * 0.5, _latin(text))
        doc.ln(gap)

    plan = report.plan
    line(_("Utviklingsplan for bruk av læringsteknologi"), 16, "B")
    line(f"{plan.school.name}, {plan.period_label}", 12)
    line(_("Rapport om område 4 og 6 til Driftsstyret, laget %(day)s. Status: %(state)s.",
           day=fmt_date(report.today), state=plan.state.label), 9, gap=4)
    for area in report.areas:
        line(area.title, 13, "B")
        line(_("Mål"), 11, "B")
        if not area.goals:
            line(_("Ingen mål er satt."))
        for goal in area.goals:
            line(f"- {goal.indicator}: {goal.target}")
        for figure in area.area_figures:
            line(f"  {figure_text(figure)}", 9)
        line(_("Tiltak"), 11, "B")
        if not area.measures:
            line(_("Ingen tiltak er satt."))
        for measure, figures in area.measures:
            line(f"- {measure.title} ({measure.target_group.label}; {measure.responsible}; {measure.timing})")
            for figure in figures:
                line(f"  {figure_text(figure)}", 9)
        doc.ln(2)
    line(_("Behandlinger i skolens organer"), 13, "B")
    if not report.treatments:
        line(_("Ikke behandlet ennå."))
    for treatment in report.treatments:
        line(f"- {treatment.body.label}, {fmt_date(treatment.treated_on)}: {treatment.decision}")
    if report.milestones is not None:
        line(_("Milepæler"), 13, "B")
        if not report.milestones:
            line(_("Ingen milepæler."))
        for milestone in report.milestones:
            late = f" ({_('forfalt')})" if milestone.overdue(report.today) else ""
            who = milestone.responsible.name if milestone.responsible else "-"
            line(f"- {milestone.what}: {who}, {_('frist')} {fmt_date(milestone.deadline)}, "
                 f"{milestone.status.label}{late}")
    return bytes(doc.output())
