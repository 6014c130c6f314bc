"""The development plan's pages at /utviklingsplan: parse, call an operation, render or redirect."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from flask import (Blueprint, Response, abort, flash, get_template_attribute, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from lms import exports
from lms.auth.operations import PermissionDenied, require
from lms.db import db, now_utc, reads_only, this_minute
from lms.cache import FragmentCache, kept_with_csrf
from lms.core.header import kept_page
from lms.forms import REFUSED, ActionForm, save
from lms.i18n import fmt_date, to_oslo
from lms.links import addresses_of
from lms.plans import operations as ops
from lms.plans import overview as overview_ops
from lms.plans import report
from lms.plans.forms import (LINK_HELP, CommentForm, GoalForm, InformationForm, MeasureForm, MilestoneForm,
                             MilestoneStatusForm, PlanForm, SectionForm, TreatedForm, TreatmentForm)
from lms.plans.models import (SECTION_KEYS, SECTION_TITLES, STRUCTURED_AREAS, Body, InformationKind, Milestone,
                              MilestoneStatus, Plan, PlanGoal, PlanInformation, PlanMeasure, PlanState,
                              PlanTargetGroup, PlanTreatment)
from lms.shared_cache import ENTRY_SECONDS, write_generation

bp = Blueprint("plans", __name__, url_prefix="/utviklingsplan")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in person; operations decide what they may read and do."""


def _actor():
    return current_user._get_current_object()


def _plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _readable(plan: Plan) -> bool:
    """Return whether the person reads the whole plan (True) or only areas 4 and 6 (False); 403 otherwise."""
    if ops.may_read(_actor(), plan):
        return True
    if ops.may_read_shared(_actor(), plan):
        return False
    abort(403)


@bp.route("", methods=["GET", "POST"])
def index():
    led = [s for s in _actor().schools() if s.id in _actor().led_school_ids()]
    form = PlanForm(led)
    status = 200
    if request.method == "POST":
        require(bool(led))
        if form.validate_on_submit():
            plan = save(form, lambda: ops.create_plan(form.school_id.data, form.start_year.data, form.end_year.data,
                                                      actor=_actor(), now=now_utc()), ops.PlanError)
            if plan is not REFUSED:
                return redirect(url_for("plans.show", plan_id=plan.id), 303)
        status = 400
    elif not form.start_year.data:
        year = to_oslo(now_utc()).year if to_oslo(now_utc()).month >= 8 else to_oslo(now_utc()).year - 1
        form.start_year.data, form.end_year.data = year, year + 2
    plans = ops.visible_plans(_actor())
    return render_template("plans/index.html", plans=plans, form=form, may_create=bool(led)), status


PART_FORMS = ("goal_form", "measure_form", "treatment_form", "information_form", "milestone_form", "treated_form",
              "comment_form")


#: The plan page's empty add forms, rendered once per process, language and form (``add_fields``).
blank_forms = FragmentCache(maxsize=1024)
#: How long an empty form is kept unused; its key holds all it shows, so this only bounds memory.
BLANK_FORM_TTL = 3600
#: The empty add forms by kind, for an area (goals and measures have one form per area).
BLANK_FORMS = {
    "goal": lambda area: GoalForm(formdata=None, prefix=f"mal{area}"),
    "measure": lambda area: MeasureForm(formdata=None, prefix=f"tiltak{area}"),
    "treatment": lambda area: TreatmentForm(formdata=None),
    "information": lambda area: InformationForm(formdata=None),
    "treated": lambda area: TreatedForm(formdata=None, prefix="driftsstyret"),
    "comment": lambda area: CommentForm(formdata=None, prefix="kommentar"),
}


class _Token:
    """A form of which only the CSRF token is printed (an ``ActionForm``), rendered once for the page."""

    def __init__(self, form):
        self.csrf_token = Markup(form.csrf_token()) if "csrf_token" in form else Markup()


def _add_fields(staff, milestones):
    """Return the template's ``add_fields(kind, posted_form, area)``: an add form's fields.

    A posted form (its input and errors) is rendered as it is; an empty one is
    kept rendered per kind, area and language, and the milestone form also per
    its choices (the school's staff and the plan's milestones), so the key
    holds everything it prints but the CSRF token.
    """
    locale = str(get_locale())

    def add_fields(kind: str, form=None, area: int = 0) -> Markup:
        macro = get_template_attribute("plans/_add_forms.html", kind)
        help_text = LINK_HELP if kind == "measure" else None
        if form is not None:
            return macro(form, True, help_text)
        if kind == "milestone":
            key = (kind, locale, tuple((p.id, p.name) for p in staff), tuple((m.id, m.what) for m in milestones))
            make = lambda: MilestoneForm(staff, milestones, formdata=None)  # noqa: E731
        else:
            key = (kind, locale, area)
            make = lambda: BLANK_FORMS[kind](area)  # noqa: E731
        return kept_with_csrf(blank_forms, key, BLANK_FORM_TTL, lambda: macro(make(), False, help_text))
    return add_fields


def _item_url(plan_id: int):
    """Return the template's ``item_url(endpoint, kind, item_id)``: an item's address, built once per kind."""
    made: dict[tuple[str, str], Callable[[int], str]] = {}

    def item_url(endpoint: str, kind: str, item_id: int) -> str:
        if (endpoint, kind) not in made:
            made[endpoint, kind] = addresses_of(endpoint, "item_id", plan_id=plan_id, kind=kind)
        return made[endpoint, kind](item_id)
    return item_url


@dataclass(frozen=True)
class _Reader:
    """What one reader of a plan may see and do on its page: all the page shows that is not the plan's."""

    full: bool  # the whole plan, or only areas 4 and 6
    may_edit: bool  # a leader of the school, while the plan's state lets it be edited
    may_lead: bool  # a leader of the school
    may_review: bool
    may_see_lists: bool


def _reader(plan: Plan) -> _Reader:
    user = _actor()
    return _Reader(full=_readable(plan), may_edit=ops.may_edit(user, plan) and plan.state in ops.EDITABLE_STATES,
                   may_lead=ops.may_edit(user, plan), may_review=ops.may_review(user),
                   may_see_lists=ops.may_see_lists(user, plan))


def _context(plan: Plan, reader: _Reader, moment, forms: dict) -> dict:
    """Return what ``plans/show.html`` is rendered from: the plan's parts, their evidence, the reader's forms."""
    content = ops.content_of(plan)
    staff = ops.school_staff(plan.school_id) if reader.may_lead else []
    # The forms that came in with this request; the others are empty, and ``add_fields`` keeps them rendered.
    posted = {name: None for name in PART_FORMS}
    posted.update(forms)
    # What the operation refused, shown at the top too: the form it came from may not be on the page any more.
    refusals = [error for form in forms.values() for error in form.form_errors]
    full = reader.full
    return dict(
        plan=plan, content=content, full=full, evidence=ops.evidence_for(content, moment),
        sections=[plan.section(k) for k in SECTION_KEYS if full or k in ops.SHARED_SECTIONS],
        structured=STRUCTURED_AREAS, may_edit=reader.may_edit, may_lead=reader.may_lead,
        may_review=reader.may_review, may_see_lists=reader.may_see_lists,
        next_states=sorted(ops.TRANSITIONS[plan.state], key=list(PlanState).index), action_form=_Token(ActionForm()),
        status_form=_Token(MilestoneStatusForm(formdata=None)), today=to_oslo(moment).date(),
        add_fields=_add_fields(staff, content.milestones),
        refusals=refusals, versions=ops.versions(plan) if full else [], comments=ops.comments(plan) if full else [],
        section_titles=SECTION_TITLES, history=ops.audit.history(ops.AUDIT_TYPE, plan.id) if full else [],
        state_labels={s.value: s.label for s in PlanState}, statuses=list(MilestoneStatus),
        item_url=_item_url(plan.id),
        milestone_status_url=addresses_of("plans.milestone_status", "milestone_id", plan_id=plan.id),
        **posted)


def _render(plan: Plan, status: int = 200, **forms):
    return render_template("plans/show.html", **_context(plan, _reader(plan), this_minute(), forms)), status


#: Plan pages kept rendered whole, under the write generation they were read after (``show``).
kept_plans = FragmentCache(maxsize=64, max_chars=3_000_000)
#: How long a kept plan page lives unused at most: the shared cache's bound on a write that could not be announced.
KEPT_PLAN_TTL = ENTRY_SECONDS


@bp.get("/<int:plan_id>")
@reads_only
def show(plan_id: int):
    """The plan page; where the platform shares a cache (Redis), kept whole until any instance writes anything.

    Its rows and their evidence come from every feature's tables, so no row of
    its own tells when it changed: the write generation does. Read first, it
    makes a page kept under it true until the next commit anywhere, and a kept
    view reads nothing, not even whether the person may read the plan: the view
    that made the page, for the same person (the header's key) under the same
    generation, found that out, and nothing has been written since. The
    evidence is counted as of the minute, which the key holds. Without a shared
    cache the page is made each time.
    """
    generation = write_generation()
    moment = this_minute()

    def context() -> dict:
        plan = _plan(plan_id)
        return _context(plan, _reader(plan), moment, {})
    if generation is None:
        return render_template("plans/show.html", **context())
    return kept_page(kept_plans, ("plan", generation, plan_id, moment), KEPT_PLAN_TTL, "plans/show.html",
                     context_of=context)


@bp.route("/<int:plan_id>/avsnitt/<key>", methods=["GET", "POST"])
def edit_section(plan_id: int, key: str):
    plan = _plan(plan_id)
    section = plan.section(key)
    if section is None:
        abort(404)
    require(ops.may_edit(_actor(), plan))
    form = SectionForm(data={"body": section.body, "version": section.version} if request.method == "GET" else None)
    stale = None
    if request.method == "POST":
        if form.validate_on_submit():
            result = None
            try:
                result = ops.save_section(plan, key, form.body.data or "", form.started_from(), actor=_actor(),
                                          now=now_utc())
            except ops.StaleSection as err:
                db.session.rollback()
                stale = err.section
                form.form_errors.append(str(err))
                # The next save starts from the version now shown above the form.
                form.version.data = str(stale.version)
                section = stale
            except ops.PlanError as err:
                db.session.rollback()
                form.form_errors.append(str(err))
            if result is not None:
                db.session.commit()
                flash(_("Lagret."), "success")
                return redirect(url_for("plans.show", plan_id=plan.id, _anchor=f"avsnitt-{key}"), 303)
        return render_template("plans/section_form.html", plan=plan, section=section, form=form, stale=stale), 400
    return render_template("plans/section_form.html", plan=plan, section=section, form=form, stale=None)


def _area(area: int) -> int:
    if area not in STRUCTURED_AREAS:
        abort(404)
    return area


def _add(plan_id: int, form_name: str, form, operation):
    plan = _plan(plan_id)
    require(ops.may_edit(_actor(), plan) or (form_name == "comment_form" and ops.may_review(_actor())))
    if form.validate_on_submit():
        if save(form, lambda: operation(plan), ops.PlanError, forbidden=PermissionDenied) is not REFUSED:
            flash(_("Lagret."), "success")
            return redirect(url_for("plans.show", plan_id=plan.id), 303)
    return _render(plan, 400, **{form_name: form})


@bp.post("/<int:plan_id>/mal/<int:area>")
def add_goal(plan_id: int, area: int):
    # Each area has its own form on the page; the prefix keeps their fields' ids apart.
    form = GoalForm(prefix=f"mal{area}")
    return _add(plan_id, "goal_form", form, lambda plan: ops.add_goal(
        plan, _area(area), form.indicator.data.strip(), form.target.data.strip(), actor=_actor(), now=now_utc()))


@bp.post("/<int:plan_id>/tiltak/<int:area>")
def add_measure(plan_id: int, area: int):
    form = MeasureForm(prefix=f"tiltak{area}")
    return _add(plan_id, "measure_form", form, lambda plan: ops.add_measure(
        plan, _area(area), form.title.data.strip(), PlanTargetGroup(form.target_group.data),
        form.responsible.data.strip(), form.timing.data.strip(), form.parsed_links, actor=_actor(), now=now_utc()))


@bp.post("/<int:plan_id>/behandling")
def add_treatment(plan_id: int):
    form = TreatmentForm()
    return _add(plan_id, "treatment_form", form, lambda plan: ops.add_treatment(
        plan, Body(form.body.data), form.treated_on.data, form.decision.data.strip(), actor=_actor(), now=now_utc()))


@bp.post("/<int:plan_id>/informasjon")
def add_information(plan_id: int):
    form = InformationForm()
    return _add(plan_id, "information_form", form, lambda plan: ops.add_information(
        plan, InformationKind(form.kind.data), form.title.data.strip(), PlanTargetGroup(form.audience.data),
        form.informed_on.data, actor=_actor(), now=now_utc()))


@bp.post("/<int:plan_id>/milepael")
def add_milestone(plan_id: int):
    plan = _plan(plan_id)
    form = MilestoneForm(ops.school_staff(plan.school_id), ops.content_of(plan).milestones)
    return _add(plan_id, "milestone_form", form, lambda plan: ops.add_milestone(
        plan, form.what.data.strip(), form.responsible_id.data, form.deadline.data, (form.evaluation.data or "").strip(),
        list(form.depends_on.data or []), actor=_actor(), now=now_utc()))


@bp.post("/<int:plan_id>/milepael/<int:milestone_id>/status")
def milestone_status(plan_id: int, milestone_id: int):
    plan = _plan(plan_id)
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.plan_id != plan.id:
        abort(404)
    form = MilestoneStatusForm()
    if form.validate_on_submit():
        save(form, lambda: ops.set_milestone_status(plan, milestone, MilestoneStatus(form.status.data),
                                                    actor=_actor(), now=now_utc()), ops.PlanError)
        return redirect(url_for("plans.show", plan_id=plan.id, _anchor="milepaeler"), 303)
    abort(400)


@bp.post("/<int:plan_id>/fjern/<kind>/<int:item_id>")
def remove(plan_id: int, kind: str, item_id: int):
    plan = _plan(plan_id)
    if kind not in ops.REMOVABLE:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if save(form, lambda: ops.remove_item(plan, kind, item_id, actor=_actor(), now=now_utc()),
            ops.PlanError) is REFUSED:
        flash(" ".join(form.form_errors), "error")
    return redirect(url_for("plans.show", plan_id=plan.id), 303)


# --- changing a goal, measure, treatment, information measure or milestone ---------------------

@dataclass(frozen=True)
class ItemPage:
    """How one kind of item is changed: its edit page's heading, its form, and the operation that saves it."""

    model: type
    heading: object
    #: The form's fields in the order shown, with what the ``field`` macro is given for each.
    fields: tuple[tuple[str, dict], ...]
    form: Callable  # (plan, item_id, item or None, **form kwargs) -> form
    values: Callable  # item -> the form's data
    shown: Callable  # item -> {field: how the saved value reads}
    save: Callable  # (plan, item, form) -> None


def _measure_links(measure) -> str:
    return "\n".join(f"{link.kind}:{link.ref_id}" for link in measure.links)


def _milestone_form(plan, item_id, item, **kwargs):
    others = [m for m in ops.content_of(plan).milestones if m.id != item_id]
    return MilestoneForm(ops.school_staff(plan.school_id), others, former=item.responsible if item else None,
                         **kwargs)


ITEM_PAGES = {
    "mal": ItemPage(
        PlanGoal, _l("Endre mål"), (("indicator", {}), ("target", {})),
        lambda plan, item_id, item, **kw: GoalForm(**kw),
        lambda g: {"indicator": g.indicator, "target": g.target},
        lambda g: {"indicator": g.indicator, "target": g.target},
        lambda plan, g, f: ops.update_goal(plan, g, f.indicator.data.strip(), f.target.data.strip(),
                                           f.started_from(), actor=_actor(), now=now_utc())),
    "tiltak": ItemPage(
        PlanMeasure, _l("Endre tiltak"),
        (("title", {}), ("target_group", {}), ("responsible", {}), ("timing", {}), ("links", {"help": LINK_HELP})),
        lambda plan, item_id, item, **kw: MeasureForm(**kw),
        lambda m: {"title": m.title, "target_group": m.target_group.value, "responsible": m.responsible,
                   "timing": m.timing, "links": _measure_links(m)},
        lambda m: {"title": m.title, "target_group": m.target_group.label, "responsible": m.responsible,
                   "timing": m.timing, "links": _measure_links(m) or "–"},
        lambda plan, m, f: ops.update_measure(
            plan, m, f.title.data.strip(), PlanTargetGroup(f.target_group.data), f.responsible.data.strip(),
            f.timing.data.strip(), f.parsed_links, f.started_from(), actor=_actor(), now=now_utc())),
    "behandling": ItemPage(
        PlanTreatment, _l("Endre behandling"), (("body", {}), ("treated_on", {"type": "date"}), ("decision", {})),
        lambda plan, item_id, item, **kw: TreatmentForm(**kw),
        lambda t: {"body": t.body.value, "treated_on": t.treated_on, "decision": t.decision},
        lambda t: {"body": t.body.label, "treated_on": fmt_date(t.treated_on), "decision": t.decision},
        lambda plan, t, f: ops.update_treatment(plan, t, Body(f.body.data), f.treated_on.data,
                                                f.decision.data.strip(), f.started_from(), actor=_actor(),
                                                now=now_utc())),
    "informasjon": ItemPage(
        PlanInformation, _l("Endre informasjonstiltak"),
        (("kind", {}), ("title", {}), ("audience", {}), ("informed_on", {"type": "date"})),
        lambda plan, item_id, item, **kw: InformationForm(**kw),
        lambda i: {"kind": i.kind.value, "title": i.title, "audience": i.audience.value, "informed_on": i.informed_on},
        lambda i: {"kind": i.kind.label, "title": i.title, "audience": i.audience.label,
                   "informed_on": fmt_date(i.informed_on)},
        lambda plan, i, f: ops.update_information(
            plan, i, InformationKind(f.kind.data), f.title.data.strip(), PlanTargetGroup(f.audience.data),
            f.informed_on.data, f.started_from(), actor=_actor(), now=now_utc())),
    "milepael": ItemPage(
        Milestone, _l("Endre milepæl"),
        (("what", {}), ("responsible_id", {}), ("deadline", {"type": "date"}), ("evaluation", {}),
         ("depends_on", {}), ("status", {})),
        _milestone_form,
        lambda m: {"what": m.what, "responsible_id": m.responsible_id, "deadline": m.deadline,
                   "evaluation": m.evaluation, "depends_on": [d.id for d in m.depends_on], "status": m.status.value},
        lambda m: {"what": m.what, "responsible_id": m.responsible.name if m.responsible else "–",
                   "deadline": fmt_date(m.deadline), "evaluation": m.evaluation or "–",
                   "depends_on": ", ".join(d.what for d in m.depends_on) or "–", "status": m.status.label},
        lambda plan, m, f: ops.update_milestone(
            plan, m, f.what.data.strip(), f.responsible_id.data, f.deadline.data, (f.evaluation.data or "").strip(),
            list(f.depends_on.data or []), f.chosen_status(), f.started_from(), actor=_actor(), now=now_utc())),
}


@bp.route("/<int:plan_id>/endre/<kind>/<int:item_id>", methods=["GET", "POST"])
def edit_item(plan_id: int, kind: str, item_id: int):
    """Change a goal, measure, treatment, information measure or milestone; a stale save keeps what was typed."""
    plan = _plan(plan_id)
    page = ITEM_PAGES.get(kind)
    if page is None:
        abort(404)
    require(ops.may_edit(_actor(), plan))
    item = db.session.get(page.model, item_id)
    if item is not None and item.plan_id != plan.id:
        item = None
    if request.method == "GET":
        if item is None:
            abort(404)
        form = page.form(plan, item_id, item, formdata=None, data={**page.values(item), "version": item.version})
        return _item_page(plan, kind, item_id, page, form, item, None)
    form = page.form(plan, item_id, item)
    stale = None
    if item is None:
        # Removed by someone else since the page was opened: what was typed stays in the form.
        form.validate_on_submit()
        form.form_errors.append(_("Finnes ikke lenger i planen. Det du skrev, står i skjemaet; legg det til på "
                                  "nytt fra planen om du vil beholde det."))
    elif form.validate_on_submit():
        try:
            page.save(plan, item, form)
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except ops.StaleItem as err:
            db.session.rollback()
            stale = err.item
            form.form_errors.append(str(err))
            # The next save starts from the version now shown above the form.
            form.version.data = str(stale.version)
        except ops.PlanError as err:
            db.session.rollback()
            form.form_errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Lagret."), "success")
            return redirect(url_for("plans.show", plan_id=plan.id, _anchor=f"{kind}-{item_id}"), 303)
    return _item_page(plan, kind, item_id, page, form, item, stale, 400)


def _item_page(plan, kind, item_id, page, form, item, stale, status=200):
    changeable = ops.may_change(_actor(), plan, page.model)
    fields = [(name, opts) for name, opts in page.fields if name != "depends_on" or form.depends_on.choices]
    saved = [(form[name].label.text, value) for name, value in page.shown(stale).items()
             if name != "depends_on" or form.depends_on.choices] if stale is not None else []
    return render_template("plans/item_form.html", plan=plan, kind=kind, item_id=item_id, heading=page.heading,
                           form=form, fields=fields, saved=saved, changeable=changeable, frozen=ops.FROZEN,
                           back=url_for("plans.show", plan_id=plan.id, _anchor=f"{kind}-{item_id}")), status


@bp.post("/<int:plan_id>/behandlet")
def treated(plan_id: int):
    form = TreatedForm(prefix="driftsstyret")
    return _add(plan_id, "treated_form", form, lambda plan: ops.transition(
        plan, PlanState.TREATED, actor=_actor(), now=now_utc(), treated_on=form.treated_on.data,
        decision=form.decision.data))


#: The transitions a button makes, by the name in its address; "treated" has its own form.
STEPS = {"utkast": PlanState.DRAFT, "send-inn": PlanState.SUBMITTED, "til-behandling": PlanState.UNDER_REVIEW,
         "send-tilbake": PlanState.RETURNED, "godkjenn": PlanState.APPROVED}
STEP_OF = {state: name for name, state in STEPS.items()}


@bp.post("/<int:plan_id>/overgang/<step>")
def step(plan_id: int, step: str):
    plan = _plan(plan_id)
    if step not in STEPS:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if save(form, lambda: ops.transition(plan, STEPS[step], actor=_actor(), now=now_utc()), ops.PlanError,
            forbidden=PermissionDenied) is REFUSED:
        flash(" ".join(form.form_errors), "error")
    else:
        flash(_("Planen er nå: %(state)s.", state=plan.state.label), "success")
    return redirect(url_for("plans.show", plan_id=plan.id), 303)


@bp.post("/<int:plan_id>/kommentar")
def comment(plan_id: int):
    form = CommentForm(prefix="kommentar")
    return _add(plan_id, "comment_form", form, lambda plan: ops.add_comment(
        plan, form.section_key.data, form.body.data.strip(), form.must_improve.data, actor=_actor(), now=now_utc()))


@bp.get("/<int:plan_id>/versjon/<int:number>")
def version(plan_id: int, number: int):
    plan = _plan(plan_id)
    if not _readable(plan):
        abort(403)
    versions = ops.versions(plan)
    chosen = next((v for v in versions if v.number == number), None)
    if chosen is None:
        abort(404)
    before = next((v for v in versions if v.number == number - 1), None)
    content = json.loads(chosen.content)
    changed = ops.changes(json.loads(before.content) if before else None, content)
    return render_template("plans/version.html", plan=plan, version=chosen, content=content, changed=changed,
                           versions=versions, section_titles=SECTION_TITLES, keys=SECTION_KEYS,
                           labels=_version_labels())


def _version_labels() -> dict:
    return {"target_group": {g.value: g.label for g in PlanTargetGroup}, "body": {b.value: b.label for b in Body},
            "kind": {k.value: k.label for k in InformationKind},
            "status": {s.value: s.label for s in MilestoneStatus}}


@bp.get("/<int:plan_id>/rapport")
def report_page(plan_id: int):
    plan = _plan(plan_id)
    data = report.build(plan, now_utc(), full=_readable(plan))
    return render_template("plans/report.html", plan=plan, report=data)


@bp.get("/<int:plan_id>/rapport.pdf")
def report_pdf(plan_id: int):
    plan = _plan(plan_id)
    data = report.build(plan, now_utc(), full=_readable(plan))
    name = f"utviklingsplan-{plan.school.org_number}-{plan.start_year}.pdf"
    return Response(report.pdf(data), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})




# --- the municipality's overview ------------------------------------------------

def _overview_rows():
    require(ops.may_review(_actor()))
    district = request.args.get("omrade", "").strip()
    known = overview_ops.districts()
    district = district if district in known else ""
    return overview_ops.overview(now_utc(), district or None), district, known


@bp.get("/oversikt")
def overview():
    rows, district, known = _overview_rows()
    counts = overview_ops.state_counts(rows)
    return render_template("plans/overview.html", rows=rows, district=district, districts=known, counts=counts,
                           highest=max([c for _k, _l, c in counts] + [1]), bodies=overview_ops.BODIES,
                           today=to_oslo(now_utc()).date())


@bp.get("/oversikt.csv")
def overview_csv():
    rows, _district, _known = _overview_rows()
    return exports.csv_response([overview_ops.export_header(), *overview_ops.export_rows(rows)],
                                "utviklingsplaner.csv")


@bp.get("/oversikt.xlsx")
def overview_xlsx():
    rows, _district, _known = _overview_rows()
    return exports.xlsx_response([overview_ops.export_header(), *overview_ops.export_rows(rows)],
                                 "utviklingsplaner.xlsx", _("Utviklingsplaner"))
