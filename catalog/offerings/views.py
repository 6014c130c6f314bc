"""Offering pages: browsing the catalogue, an offering's page and its public feeds, organising offerings and sessions."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from catalog import calendar
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.forms import EnrollForm
from catalog.enrollment.models import Enrollment, EnrollmentState
from catalog.offerings import operations as offering_ops
from catalog.offerings import search
from catalog.offerings.forms import CancelOfferingForm, CancelSessionForm, OfferingForm, SessionForm, parse_week
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OnboardingCohort, TargetGroup
from catalog.schemes import operations as scheme_ops
from events.calendar import build_calendar, ics_filename, ics_response
from events.feeds import FeedAnswer, answer_feed
from events.models import Schedule, Session
from lms.auth.operations import require
from lms.cache import FragmentCache
from lms.core.header import kept_page
from lms.db import db, now_utc, read_without_transaction, reads_only, this_minute
from lms.forms import REFUSED, ActionForm, page_number, query_text, save
from lms.i18n import to_oslo
from lms.schoolyear import school_year_of
from lms.shared_cache import ENTRY_SECONDS, write_generation

bp = Blueprint("offerings", __name__, template_folder="../templates")

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _enum_arg(enum_cls, raw: str | None):
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def parse_filter(args) -> search.CatalogFilter:
    """Read the catalogue filter from query arguments, ignoring what cannot be understood."""
    f = search.CatalogFilter(
        q=query_text(args, "q", 200), theme=query_text(args, "tema", 120),
        kind=_enum_arg(OfferingKind, args.get("type")),
        target_group=_enum_arg(TargetGroup, args.get("malgruppe")),
        free_seats=args.get("ledige") == "1",
    )
    if args.get("omrade") in ("4", "6"):
        f.plan_area = int(args["omrade"])
    typed_week = args.get("uke", "")[:40]
    try:
        f.week = parse_week(typed_week, to_oslo(now_utc()).date())
    except ValueError:
        f.week_not_understood = typed_week
    if m := _MONTH.match(args.get("maned", "")):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            f.month = (year, month)
    return f


def offering_or_404(offering_id: int, *options) -> Offering:
    """Return the offering of a page; a draft is unknown to everyone who may not manage it.

    ``options`` load what the page shows with it (:data:`WITH_TARGET_GROUPS`).
    """
    return _visible_or_404(db.session.get(Offering, offering_id, options=options))


def _visible_or_404(offering: Offering | None) -> Offering:
    if offering is None:
        abort(404)
    if offering.status == OfferingStatus.DRAFT and not enrollment_ops.can_manage(
            current_user if current_user.is_authenticated else None, offering):
        abort(404)
    return offering


#: An offering with its target groups in one statement, not two.
WITH_TARGET_GROUPS = joinedload(Offering.target_group_rows)
#: The offering page's statements, built once: every visit runs them, and SQLAlchemy then makes each one's
#: cache key once, not per request.
_PAGE_OFFERING = sa.select(Offering).where(Offering.id == sa.bindparam("offering_id")).options(WITH_TARGET_GROUPS)
_SCHEDULE_SESSIONS = sa.select(Session.__table__).where(Session.__table__.c.schedule_id == sa.bindparam("schedule_id"))


def managed_offering(offering_id: int) -> Offering:
    """Return the offering of a page that only those who manage it may open."""
    offering = offering_or_404(offering_id)
    if not current_user.is_authenticated:
        abort(401)
    require(enrollment_ops.can_manage(current_user, offering))
    return offering


def session_or_404(offering: Offering, session_id: int) -> Session:
    """Return one of the offering's sessions."""
    session = db.session.get(Session, session_id)
    if session is None or session.schedule_id != offering.schedule_id:
        abort(404)
    return session


# --- browsing -------------------------------------------------------------------

#: The catalogue's rendered content (filter form, results, schemes), shared by everyone who
#: asks the same question in the same language; dropped on this instance's own changes.
results_cache = FragmentCache(max_chars=3_000_000)
enrollment_ops.enrollment_changed.connect(results_cache.invalidate)
offering_ops.offering_changed.connect(results_cache.invalidate)
scheme_ops.scheme_changed.connect(results_cache.invalidate)


def _render_results(f: search.CatalogFilter, page_asked: int, now) -> str:
    found = search.catalog_page(f, now, page_asked, current_app.config["PAGE_SIZE"],
                                selectinload(Offering.schedule).selectinload(Schedule.sessions),
                                selectinload(Offering.series))
    args = {k: v for k, v in request.args.items() if k != "side"}
    closed = {o.id: enrollment_ops.registration_problem(o, now) for o in found.offerings}
    return render_template("catalog/offerings/_results.html", offerings=found.offerings, total=found.total,
                           page=found.page, pages=found.pages, args=args, now=now, closed=closed)


def _render_schemes(f: search.CatalogFilter, now) -> str:
    return render_template("catalog/schemes/_list.html", schemes=scheme_ops.listed_schemes(f, to_oslo(now).date()))


def _themes() -> list[str]:
    return sorted(set(search.themes()) | set(scheme_ops.themes()))


@bp.route("/kurs")
@reads_only
def index():
    now = now_utc()
    f = parse_filter(request.args)
    page = page_number(request.args)
    ttl = current_app.config["CATALOG_CACHE_SECONDS"]
    locale = str(get_locale())

    def render() -> Markup:
        # Everything below the header is the same for everyone who asks the same question in one
        # language on one address (the feed links are absolute): the filter form, the results, the schemes.
        feed_args = {k: v for k, v in request.args.items() if k in FEED_FILTERS and v}
        return Markup(render_template(
            "catalog/offerings/_catalogue.html", results=Markup(_render_results(f, page, now)),
            schemes=Markup(_render_schemes(f, now)), f=f,
            themes=_themes(), kinds=list(OfferingKind), groups=list(TargetGroup),
            feed_url=url_for("offerings.catalogue_feed", _external=True, **feed_args)))

    key = ("page", request.query_string, locale, request.host_url)
    # The page is kept whole too, layout included, once for everyone in one language, each reader's own header
    # put in (lms.core.header.kept_page).
    return kept_page(results_cache, ("whole", key), ttl, "catalog/offerings/index.html", header_apart=True,
                     content=results_cache.get_or_make(key, ttl, render))


@bp.route("/kurs/<int:offering_id>")
@reads_only
def show(offering_id: int):
    if not current_user.is_authenticated:
        generation = write_generation()
        if generation is not None:
            # Where the platform shares a cache, a visitor's page is kept under the write generation: true until any
            # instance writes anything, and a kept view reads nothing. Its deadlines are read as of the minute,
            # which the key holds. After a write, the page made anew takes its parts kept by their rows.
            moment = this_minute()
            return kept_page(about_cache, ("visitor", generation, request.path, request.host_url, moment),
                             KEPT_VISITOR_TTL, "catalog/offerings/show.html",
                             context_of=lambda: _visitors_page(offering_id, moment)[1])
        key, context = _visitors_page(offering_id, now_utc())
        # A visitor's page is the same for every visitor: kept whole, layout and enroll box included.
        return kept_page(about_cache, key, _ABOUT_TTL, "catalog/offerings/show.html", **context)
    now = now_utc()
    offering = _page_offering(offering_id)
    user = current_user
    mine = enrollment_ops.active_enrollment(offering.id, user.id)
    enroll_form = EnrollForm()
    staff_choices = enrollment_ops.staff_to_enroll(user, offering, now)
    if staff_choices:
        taken = {e.user_id: e.state.label for e in db.session.scalars(sa.select(Enrollment).where(
            Enrollment.offering_id == offering.id, Enrollment.state != EnrollmentState.CANCELLED))}
        enroll_form.offer_staff(staff_choices, taken)
    can_manage = enrollment_ops.can_manage(user, offering)
    series = offering_ops.series_of(offering, with_drafts=can_manage)
    closed_reason = enrollment_ops.registration_problem(offering, now)
    decision = offering_ops.minimum_status(offering, now) if can_manage else None
    heading_key, heading_and_facts = _heading_and_facts(offering, closed_reason, decision, can_manage)
    about_key, about = _about(offering, series, mine, can_manage, now)
    heading, facts = heading_and_facts()
    own = dict(offering=offering, mine=mine, position=enrollment_ops.waitlist_position(mine) if mine else None,
               closed_reason=closed_reason, eligible=enrollment_ops.eligible(user, offering, now.date()),
               staff_choices=staff_choices, enroll_form=enroll_form,
               action_form=ActionForm() if mine is not None or can_manage else None,
               can_cancel_seat=mine is not None and enrollment_ops.may_cancel_self(mine, now))
    if not can_manage:
        # The rest of the page is the same for every reader whose parts are keyed alike: kept whole once for
        # all of them, with the reader's own header, enroll box and staff form put in per request.
        return kept_page(about_cache, ("reader", request.path, heading_key, about_key), _ABOUT_TTL,
                         "catalog/offerings/show.html", header_apart=True, heading=heading, facts=facts,
                         about=about(), can_manage=False, decision=None, now=now, offering=offering, own={
                             "enroll_box": lambda: render_template("catalog/offerings/_enroll_box.html", **own),
                             "staff_enroll": lambda: render_template("catalog/offerings/_staff_enroll.html", **own)})
    return render_template("catalog/offerings/show.html", heading=heading, facts=facts, about=about(),
                           can_manage=can_manage, now=now, decision=decision, **own)


def _page_offering(offering_id: int) -> Offering:
    return _visible_or_404(db.session.execute(_PAGE_OFFERING, {"offering_id": offering_id}).unique()
                           .scalar_one_or_none())


def _visitors_page(offering_id: int, now) -> tuple[tuple, dict]:
    """Return a visitor's offering page as of ``now``: the key of what it is made of, and its template's context.

    A visitor who is not signed in has no form on the page (making them costs
    more than the rest of it) and no seat of their own.
    """
    offering = _page_offering(offering_id)
    series = offering_ops.series_of(offering, with_drafts=False)
    closed_reason = enrollment_ops.registration_problem(offering, now)
    heading_key, heading_and_facts = _heading_and_facts(offering, closed_reason, None, False)
    about_key, about = _about(offering, series, None, False, now)
    heading, facts = heading_and_facts()
    return ("visitor", request.path, heading_key, about_key), dict(
        heading=heading, facts=facts, about=about(), can_manage=False, decision=None, now=now, offering=offering,
        mine=None, position=None, closed_reason=closed_reason, eligible=False, staff_choices=[], enroll_form=None,
        action_form=None, can_cancel_seat=False)


#: How long a visitor's page kept under the write generation lives unused at most: the shared cache's bound on a
#: write that could not be announced.
KEPT_VISITOR_TTL = ENTRY_SECONDS


#: The offering page's part that is the same for everyone reading it in one language (description,
#: sessions, the series), rendered once per process for what it shows: its key holds every column of
#: every row it is made from and the time-dependent answers it prints, so a change is never served stale.
#: Those who manage the offering get it rendered anew (their links depend on the hour).
about_cache = FragmentCache(maxsize=4096, max_chars=4_000_000)
_ABOUT_TTL = 3600


def _columns(row) -> tuple:
    return tuple(getattr(row, attr.key) for attr in sa.inspect(type(row)).column_attrs)


def _kept(key: tuple | None, render):
    """Return ``(key, part)``: ``part()`` gives the part, kept under ``key`` (made anew each time without one)."""
    return key, (render if key is None else lambda: about_cache.get_or_make(key, _ABOUT_TTL, render))


def _heading_and_facts(offering: Offering, closed_reason: str | None, decision, can_manage: bool):
    """Return the key of the page's top and the facts beside the enroll box, and what makes the two.

    Both are kept for all but the organisers. They are made of the offering's
    own columns, its target groups and why enrollment is closed now; the key
    holds all of them (and the language), so a taken seat or a new deadline is
    shown at once.
    """
    def render() -> tuple[Markup, Markup]:
        return (Markup(render_template("catalog/offerings/_heading.html", offering=offering)),
                Markup(render_template("catalog/offerings/_facts.html", offering=offering,
                                       closed_reason=closed_reason, decision=decision)))

    return _kept(None if can_manage else ("heading", str(get_locale()), _columns(offering),
                                          tuple(offering.target_groups), closed_reason), render)


def _about(offering: Offering, series: list[Offering], mine, can_manage: bool, now):
    """Return the key of the description, sessions and series part, and what makes it (kept as the heading is)."""
    unconfirmed = mine is not None and mine.state in (EnrollmentState.WAITLISTED, EnrollmentState.OFFERED)
    closed = {o.id: enrollment_ops.registration_problem(o, now) for o in series} if len(series) > 1 else {}

    def render() -> Markup:
        return Markup(render_template(
            "catalog/offerings/_about.html", offering=offering, unconfirmed=unconfirmed, can_manage=can_manage,
            series=series, attendance_open=lambda s: enrollment_ops.attendance_problem(s, now) is None,
            closed_for=lambda o: closed[o.id] if o.id in closed else enrollment_ops.registration_problem(o, now)))

    if can_manage:
        return _kept(None, render)
    # The sessions as rows, not objects: on a hit nothing else of them is needed.
    sessions = tuple(db.session.execute(_SCHEDULE_SESSIONS, {"schedule_id": offering.schedule_id}).all())
    return _kept(("about", str(get_locale()), request.host_url, unconfirmed, _columns(offering),
                  offering.series and _columns(offering.series), sessions,
                  tuple(_columns(o) for o in series), tuple(closed.items())), render)


# --- the public feeds ---------------------------------------------------------------

#: The catalogue filters a feed keeps (dates and free seats belong to the page, not a calendar).
FEED_FILTERS = ("type", "tema", "malgruppe", "omrade")


def _public_filter_name(f: search.CatalogFilter) -> str:
    parts = [str(part) for part in (f.kind.label if f.kind else "", f.theme,
                                    f.target_group.label if f.target_group else "",
                                    _("område %(n)d", n=f.plan_area) if f.plan_area else "") if part]
    return _("Kurskatalogen") + (f" ({', '.join(parts)})" if parts else "")


@bp.route("/kurs/kalender.ics")
def catalogue_feed():
    """The public catalogue's sessions as a feed, filtered like the catalogue page."""
    return answer_feed(_catalogue_feed, vary=(str(get_locale()),))


def _catalogue_feed() -> FeedAnswer:
    read_without_transaction()
    now = now_utc()
    f = parse_filter(request.args)
    return FeedAnswer(body=build_calendar(calendar.public_events(f, now), name=_public_filter_name(f)),
                      filename="kurskatalog.ics")


@bp.route("/kurs/<int:offering_id>/kalender.ics")
def feed(offering_id: int):
    """One offering's sessions as a feed."""
    return answer_feed(lambda: _offering_feed(offering_id), vary=(str(get_locale()),))


def _offering_feed(offering_id: int) -> FeedAnswer:
    read_without_transaction()
    now = now_utc()
    offering = offering_or_404(offering_id)
    return FeedAnswer(body=build_calendar(calendar.offering_events(offering.id, now), name=offering.title),
                      filename=ics_filename(offering.title), shared=offering.status != OfferingStatus.DRAFT)


@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>.ics")
def session_ics(offering_id: int, session_id: int):
    """One session as an .ics file to add to a calendar (the person's own event if they have a seat)."""
    offering = offering_or_404(offering_id)
    session = session_or_404(offering, session_id)
    user = current_user if current_user.is_authenticated else None
    event = calendar.session_event_for(session, offering.id, user)
    return ics_response(build_calendar([event], name=offering.title, stamp=now_utc()),
                        filename=ics_filename(offering.title))


# --- organising -----------------------------------------------------------------

def _offering_data(form: OfferingForm) -> offering_ops.OfferingData:
    return offering_ops.OfferingData(
        title=form.title.data or "", kind=OfferingKind(form.kind.data), capacity=form.capacity.data,
        school_year=form.school_year.data, theme=(form.theme.data or "").strip(),
        description=form.description.data or "", organiser=(form.organiser.data or "").strip(),
        target_groups=[TargetGroup(v) for v in form.target_groups.data],
        target_group_text=(form.target_group_text.data or "").strip(), timing=(form.timing.data or "").strip(),
        plan_area=int(form.plan_area.data) if form.plan_area.data else None,
        min_participants=form.min_participants.data or 0, go_no_go_date=form.go_no_go_date.data,
        registration_opens_at=form.registration_opens_at.data,
        registration_closes_at=form.registration_closes_at.data,
        cancellation_deadline=form.cancellation_deadline.data,
        location=(form.location.data or "").strip(), online_url=(form.online_url.data or "").strip(),
        onboarding_cohort=OnboardingCohort(form.onboarding_cohort.data) if form.onboarding_cohort.data else None,
    )


def _save(form, operation):
    """Run a form's operation and commit; a refusal goes on the form and REFUSED is returned."""
    return save(form, operation, offering_ops.OfferingError)


@bp.route("/kurs/nytt", methods=["GET", "POST"])
@login_required
def new():
    require(current_user.is_admin)
    now = now_utc()
    form = OfferingForm()
    if request.method == "GET":
        form.school_year.data = school_year_of(to_oslo(now).date())
        form.capacity.data = 25
        form.target_groups.data = [TargetGroup.TEACHERS.value]
    if form.validate_on_submit():
        offering = _save(form, lambda: offering_ops.create_offering(_offering_data(form), actor=current_user, now=now))
        if offering is not REFUSED:
            flash(_("Tilbudet er lagret som utkast. Legg til økter og publiser det."), "success")
            return redirect(url_for("offerings.show", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/offerings/form.html", form=form, offering=None), status


@bp.route("/kurs/<int:offering_id>/rediger", methods=["GET", "POST"])
@login_required
def edit(offering_id: int):
    offering = managed_offering(offering_id)
    form = OfferingForm(obj=offering) if request.method == "GET" else OfferingForm()
    if request.method == "GET":
        form.kind.data = offering.kind.value
        form.target_groups.data = [g.value for g in offering.target_groups]
        form.plan_area.data = str(offering.plan_area) if offering.plan_area else ""
        form.onboarding_cohort.data = offering.onboarding_cohort.value if offering.onboarding_cohort else ""
    if form.validate_on_submit():
        if _save(form, lambda: offering_ops.update_offering(offering, _offering_data(form), actor=current_user,
                                                            now=now_utc())) is not REFUSED:
            flash(_("Endringene er lagret."), "success")
            return redirect(url_for("offerings.show", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/offerings/form.html", form=form, offering=offering), status


def _button_action(offering_id: int, operation, message: str, then=None):
    """Run an operation on a managed offering from a button; say how it went and go back to the offering.

    ``operation(offering)`` raises OfferingError to refuse; ``then(result)``,
    when given, is where to go after it succeeded instead.
    """
    offering = managed_offering(offering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    back = url_for("offerings.show", offering_id=offering.id)
    try:
        result = operation(offering)
    except offering_ops.OfferingError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(back, 303)
    db.session.commit()
    flash(message, "success")
    return redirect(then(result) if then else back, 303)


@bp.route("/kurs/<int:offering_id>/publiser", methods=["POST"])
@login_required
def publish(offering_id: int):
    return _button_action(offering_id, lambda o: offering_ops.publish(o, actor=current_user, now=now_utc()),
                          _("Tilbudet er publisert i kurskatalogen."))


@bp.route("/kurs/<int:offering_id>/avlys", methods=["GET", "POST"])
@login_required
def cancel(offering_id: int):
    offering = managed_offering(offering_id)
    form = CancelOfferingForm()
    if form.validate_on_submit():
        count = _save(form, lambda: offering_ops.cancel_offering(offering, actor=current_user, now=now_utc(),
                                                                 reason=form.reason.data))
        if count is not REFUSED:
            flash(_("Tilbudet er avlyst. %(n)d deltakere og ventende har fått beskjed.", n=count), "success")
            return redirect(url_for("offerings.show", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/offerings/cancel.html", form=form, offering=offering), status


@bp.route("/kurs/<int:offering_id>/okter/ny", methods=["GET", "POST"])
@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>", methods=["GET", "POST"])
@login_required
def session_form(offering_id: int, session_id: int | None = None):
    offering = managed_offering(offering_id)
    session = None
    if session_id is not None:
        session = session_or_404(offering, session_id)
    form = SessionForm()
    if request.method == "GET":
        if session is not None:
            local_start, local_end = to_oslo(session.starts_at), to_oslo(session.ends_at)
            form.day.data, form.start.data, form.end.data = local_start.date(), local_start.time(), local_end.time()
            form.title.data, form.location.data, form.online_url.data = session.title, session.location, session.online_url
        else:
            form.location.data = offering.location
            form.online_url.data = offering.online_url
    if form.validate_on_submit():
        starts_at, ends_at = form.oslo_times()
        fields = dict(starts_at=starts_at, ends_at=ends_at, title=(form.title.data or "").strip(),
                      location=(form.location.data or "").strip(), online_url=(form.online_url.data or "").strip())
        if session is None:
            saved = _save(form, lambda: offering_ops.add_session(offering, actor=current_user, now=now_utc(), **fields))
        else:
            saved = _save(form, lambda: offering_ops.update_session(offering, session, actor=current_user,
                                                                    now=now_utc(), **fields))
        if saved is not REFUSED:
            flash(_("Økten er lagret."), "success")
            return redirect(url_for("offerings.show", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/offerings/session_form.html", form=form, offering=offering, session=session), status


@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>/avlys", methods=["GET", "POST"])
@login_required
def cancel_session(offering_id: int, session_id: int):
    """Ask once before cancelling a session, with an optional reason that the participants' mail carries."""
    offering = managed_offering(offering_id)
    session = session_or_404(offering, session_id)
    form = CancelSessionForm()
    if form.validate_on_submit():
        told = _save(form, lambda: offering_ops.cancel_session(offering, session, actor=current_user, now=now_utc(),
                                                               reason=form.reason.data or ""))
        if told is not REFUSED:
            flash(_("Økten er avlyst. %(n)d deltakere har fått beskjed.", n=told), "success")
            return redirect(url_for("offerings.show", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    told = db.session.scalar(sa.select(sa.func.count()).select_from(
        enrollment_ops.seat_holders().where(Enrollment.offering_id == offering.id).subquery()))
    return render_template("catalog/offerings/cancel_session.html", form=form, offering=offering, session=session,
                           told=told if offering.status == OfferingStatus.PUBLISHED else 0), status


# --- minimum participants and series -----------------------------------------------------

@bp.route("/kurs/<int:offering_id>/gjennomfor", methods=["POST"])
@login_required
def go_ahead(offering_id: int):
    """The organiser's decision that an offering below its minimum runs all the same."""
    return _button_action(offering_id, lambda o: offering_ops.go_ahead(o, actor=current_user, now=now_utc()),
                          _("Tilbudet gjennomføres. Påmeldingen er fortsatt åpen."))


@bp.route("/kurs/beslutninger")
@login_required
def decisions():
    """The programme admins' list of offerings below their minimum that wait for a person's decision."""
    require(current_user.is_admin)
    now = now_utc()
    return render_template("catalog/offerings/decisions.html", undecided=offering_ops.awaiting_decision(now),
                           coming=offering_ops.decisions_coming(now))


@bp.route("/kurs/<int:offering_id>/neste-i-serien", methods=["POST"])
@login_required
def next_in_series(offering_id: int):
    """Make a draft of the series' next meeting, to be joined on its own."""
    return _button_action(
        offering_id, lambda o: offering_ops.add_next_in_series(o, actor=current_user, now=now_utc()),
        _("Neste møte i serien er laget som utkast. Gi det tittel og dato, og publiser det."),
        then=lambda draft: url_for("offerings.edit", offering_id=draft.id))
