"""Catalogue pages: browsing, the offering page, enrollment actions, organising, "Mine kurs"."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from openpyxl import Workbook
from wtforms import SelectChoice
from sqlalchemy.orm import selectinload

from catalog import calendar
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import SEAT_STATES, Enrollment, EnrollmentState
from catalog.forms import ActionForm, CancelOfferingForm, EnrollForm, OfferingForm, SessionForm
from catalog.offerings import operations as offering_ops
from catalog.offerings.models import Offering, OfferingKind, OfferingStatus, OnboardingCohort, TargetGroup
from catalog.onboarding import operations as onboarding_ops
from events.calendar import build_calendar, ics_filename, ics_response, make_etag
from events.feeds import FeedAnswer, answer_feed
from events.models import Schedule, Session
from lms.auth.operations import require
from lms.cache import FragmentCache
from lms.forms import REFUSED, save
from lms.db import MAX_ID, db, now_utc, read_without_transaction, reads_before_writing
from lms.i18n import to_oslo
from lms.people.models import User
from lms.schoolyear import school_year_of

bp = Blueprint("catalog", __name__, template_folder="templates")

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _enum_arg(enum_cls, raw: str | None):
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def parse_filter(args) -> offering_ops.CatalogFilter:
    """Read the catalogue filter from query arguments, ignoring what cannot be understood."""
    f = offering_ops.CatalogFilter(
        q=args.get("q", "")[:200], theme=args.get("tema", "")[:120],
        kind=_enum_arg(OfferingKind, args.get("type")),
        target_group=_enum_arg(TargetGroup, args.get("malgruppe")),
        free_seats=args.get("ledige") == "1",
    )
    if args.get("omrade") in ("4", "6"):
        f.plan_area = int(args["omrade"])
    if m := _WEEK.match(args.get("uke", "")):
        year, week = int(m[1]), int(m[2])
        if 2000 <= year <= 2100 and 1 <= week <= date(year, 12, 28).isocalendar().week:
            f.week = (year, week)
    if m := _MONTH.match(args.get("maned", "")):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            f.month = (year, month)
    return f


def _number(raw: str, highest: int) -> int | None:
    """Return the positive whole number ``raw`` spells, up to ``highest``, or None."""
    # isdecimal, not isdigit: int() refuses digits such as "²"; the length bound keeps int() cheap.
    if raw.isdecimal() and len(raw) <= len(str(highest)) and 0 < int(raw) <= highest:
        return int(raw)
    return None


def _page_number() -> int:
    return _number(request.args.get("side", "1"), 99999) or 1


def _offering_or_404(offering_id: int) -> Offering:
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        abort(404)
    if offering.status == OfferingStatus.DRAFT and not enrollment_ops.can_manage(
            current_user if current_user.is_authenticated else None, offering):
        abort(404)
    return offering


def _managed_offering(offering_id: int) -> Offering:
    offering = _offering_or_404(offering_id)
    if not current_user.is_authenticated:
        abort(401)
    require(enrollment_ops.can_manage(current_user, offering))
    return offering


def _session_or_404(offering: Offering, session_id: int) -> Session:
    session = db.session.get(Session, session_id)
    if session is None or session.schedule_id != offering.schedule_id:
        abort(404)
    return session


def _enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    return enrollment


def _back_to(offering_id: int):
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for("catalog.offering", offering_id=offering_id), 303)


# --- browsing -------------------------------------------------------------------

#: Rendered result lists of the catalogue, shared by everyone who asks the same
#: question in the same language; dropped on this instance's own changes.
results_cache = FragmentCache()
enrollment_ops.enrollment_changed.connect(results_cache.invalidate)
offering_ops.offering_changed.connect(results_cache.invalidate)


def _render_results(f: offering_ops.CatalogFilter, page_asked: int, now) -> str:
    query = offering_ops.catalog_query(f, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    size = current_app.config["PAGE_SIZE"]
    pages = max((total + size - 1) // size, 1)
    page = min(page_asked, pages)
    offerings = db.session.scalars(
        query.options(selectinload(Offering.schedule).selectinload(Schedule.sessions))
        .limit(size).offset((page - 1) * size)).all()
    args = {k: v for k, v in request.args.items() if k != "side"}
    return render_template("catalog/_results.html", offerings=offerings, total=total, page=page, pages=pages,
                           args=args, now=now)


@bp.route("/kurs")
def index():
    now = now_utc()
    f = parse_filter(request.args)
    page = _page_number()
    ttl = current_app.config["CATALOG_CACHE_SECONDS"]
    locale = str(get_locale())
    results = results_cache.get_or_make(("results", request.query_string, locale), ttl,
                                        lambda: _render_results(f, page, now))
    themes = results_cache.get_or_make(("themes",), ttl, offering_ops.themes)
    feed_args = {k: v for k, v in request.args.items() if k in FEED_FILTERS and v}
    return render_template("catalog/index.html", results=Markup(results), f=f, themes=themes,
                           kinds=list(OfferingKind), groups=list(TargetGroup),
                           feed_url=url_for("catalog.catalogue_feed", _external=True, **feed_args))


@bp.route("/kurs/<int:offering_id>")
def offering(offering_id: int):
    now = now_utc()
    offering = _offering_or_404(offering_id)
    user = current_user if current_user.is_authenticated else None
    mine = enrollment_ops.active_enrollment(offering.id, user.id) if user else None
    staff_choices = []
    if user and user.led_school_ids():
        taken_ids = set(db.session.scalars(sa.select(Enrollment.user_id).where(
            Enrollment.offering_id == offering.id, Enrollment.state != EnrollmentState.CANCELLED)))
        staff_choices = [p for p in enrollment_ops.staff_of_led_schools(user)
                         if p.id not in taken_ids and enrollment_ops.eligible(p, offering, now.date())]
    enroll_form = EnrollForm()
    enroll_form.person_id.choices = [SelectChoice(p.id, p.name) for p in staff_choices]
    return render_template(
        "catalog/offering.html", offering=offering, mine=mine, position=enrollment_ops.waitlist_position(mine) if mine else None,
        closed_reason=enrollment_ops.registration_problem(offering, now),
        eligible=user is not None and enrollment_ops.eligible(user, offering, now.date()),
        can_manage=enrollment_ops.can_manage(user, offering), staff_choices=staff_choices,
        enroll_form=enroll_form, action_form=ActionForm(), now=now,
        can_cancel_seat=mine is not None and (offering.cancellation_deadline is None or now < offering.cancellation_deadline))


# --- calendars -----------------------------------------------------------------

#: The catalogue filters a feed keeps (dates and free seats belong to the page, not a calendar).
FEED_FILTERS = ("type", "tema", "malgruppe", "omrade")


def _public_filter_name(f: offering_ops.CatalogFilter) -> str:
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
    version = calendar.public_version(f, now)
    name = _public_filter_name(f)
    return FeedAnswer(etag=make_etag("catalogue", str(get_locale()), version), last_modified=version[0],
                      filename="kurskatalog.ics",
                      build=lambda: build_calendar(calendar.public_events(f, now), name=name))


@bp.route("/kurs/<int:offering_id>/kalender.ics")
def offering_feed(offering_id: int):
    """One offering's sessions as a feed."""
    return answer_feed(lambda: _offering_feed(offering_id), vary=(str(get_locale()),))


def _offering_feed(offering_id: int) -> FeedAnswer:
    read_without_transaction()
    now = now_utc()
    offering = _offering_or_404(offering_id)
    version = calendar.offering_version(offering.id, now)
    return FeedAnswer(etag=make_etag("offering", str(get_locale()), version), last_modified=version[0],
                      filename=ics_filename(offering.title),
                      build=lambda: build_calendar(calendar.offering_events(offering.id, now), name=offering.title),
                      shared=offering.status != OfferingStatus.DRAFT)


@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>.ics")
def session_ics(offering_id: int, session_id: int):
    """One session as an .ics file to add to a calendar (the person's own event if they have a seat)."""
    offering = _offering_or_404(offering_id)
    session = _session_or_404(offering, session_id)
    user = current_user if current_user.is_authenticated else None
    event = calendar.session_event_for(session, offering.id, user)
    return ics_response(build_calendar([event], name=offering.title), filename=ics_filename(offering.title))


# --- enrollment actions ---------------------------------------------------------

@bp.route("/kurs/<int:offering_id>/pamelding", methods=["POST"])
@reads_before_writing
@login_required
def enroll(offering_id: int):
    form = EnrollForm()
    form.person_id.choices = []
    if not form.validate_on_submit():
        flash(_("Påmeldingen kunne ikke sendes. Last siden på nytt og prøv igjen."), "error")
        return _back_to(offering_id)
    person = current_user
    if form.person_id.data:
        person = db.session.get(User, form.person_id.data)
        if person is None:
            abort(404)
    try:
        enrollment = enrollment_ops.enroll(offering_id, person, actor=current_user, now=now_utc())
    except enrollment_ops.OfferingNotFound:
        abort(404)
    except enrollment_ops.EnrollmentError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _back_to(offering_id)
    offering, myself = enrollment.offering, person.id == current_user.id
    if enrollment.state == EnrollmentState.ENROLLED:
        message = (_("Du er påmeldt «%(title)s». Du får en bekreftelse på e-post.", title=offering.title) if myself
                   else _("%(name)s er påmeldt «%(title)s».", name=person.name, title=offering.title))
    else:
        # A newcomer joins the waitlist last, so its length is the place.
        position = offering.waitlist_length
        message = (_("Kurset er fullt. Du står som nummer %(n)d på ventelisten.", n=position) if myself
                   else _("Kurset er fullt. %(name)s står som nummer %(n)d på ventelisten.", name=person.name,
                          n=position))
    db.session.commit()
    flash(message, "success" if enrollment.state == EnrollmentState.ENROLLED else "warning")
    return _back_to(offering_id)


def _enrollment_action(enrollment_id: int, operation, message) -> Response:
    """Run one enrollment operation from a button; ``message(enrollment, state_before)`` says how it went."""
    enrollment = _enrollment_or_404(enrollment_id)
    offering_id, state_before = enrollment.offering_id, enrollment.state
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operation(enrollment, actor=current_user, now=now_utc())
    except enrollment_ops.EnrollmentError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        text = message(enrollment, state_before)
        db.session.commit()
        flash(text, "success")
    return _back_to(offering_id)


@bp.route("/pameldinger/<int:enrollment_id>/avmeld", methods=["POST"])
@login_required
def cancel(enrollment_id: int):
    return _enrollment_action(
        enrollment_id, enrollment_ops.cancel_enrollment,
        lambda e, before: _("Du har forlatt ventelisten.") if before == EnrollmentState.WAITLISTED
        else _("Avmeldingen er registrert."))


@bp.route("/pameldinger/<int:enrollment_id>/takk-ja", methods=["POST"])
@login_required
def accept(enrollment_id: int):
    return _enrollment_action(
        enrollment_id, enrollment_ops.accept_offer,
        lambda e, before: _("Du har takket ja og er påmeldt «%(title)s».", title=e.offering.title))


@bp.route("/pameldinger/<int:enrollment_id>/takk-nei", methods=["POST"])
@login_required
def decline(enrollment_id: int):
    return _enrollment_action(
        enrollment_id, enrollment_ops.decline_offer,
        lambda e, before: _("Du har takket nei. Plassen går videre til neste på ventelisten."))


# --- "Mine kurs" ----------------------------------------------------------------

def _my_enrollments(user_id: int) -> list[Enrollment]:
    return list(db.session.scalars(
        sa.select(Enrollment).join(Offering).where(Enrollment.user_id == user_id)
        .options(selectinload(Enrollment.offering).selectinload(Offering.schedule).selectinload(Schedule.sessions))
        .order_by(Offering.first_starts_at.desc().nulls_last(), Enrollment.id.desc())))


@bp.route("/mine-kurs")
@login_required
def my_courses():
    now = now_utc()
    rows = _my_enrollments(current_user.id)
    offered = [e for e in rows if e.state == EnrollmentState.OFFERED]
    waiting = [(e, enrollment_ops.waitlist_position(e)) for e in rows if e.state == EnrollmentState.WAITLISTED]
    upcoming = [e for e in rows if e.state == EnrollmentState.ENROLLED
                and (e.offering.first_starts_at is None or e.offering.first_starts_at >= now)]
    upcoming.reverse()
    past = [e for e in rows if e not in upcoming and e.state in SEAT_STATES and e.state != EnrollmentState.OFFERED]
    completed = [e for e in rows if e.state == EnrollmentState.COMPLETED]
    cancelled = [e for e in rows if e.state == EnrollmentState.CANCELLED][:10]
    onboarding = onboarding_ops.course_for(current_user, to_oslo(now).date())
    return render_template("catalog/my_courses.html", offered=offered, waiting=waiting, upcoming=upcoming,
                           past=past, completed=completed, cancelled=cancelled, onboarding=onboarding,
                           action_form=ActionForm(), now=now)


@bp.route("/mine-kurs/kursbevis")
@login_required
def record():
    completed = [e for e in _my_enrollments(current_user.id) if e.state == EnrollmentState.COMPLETED]
    return render_template("catalog/record.html", completed=completed, now=now_utc())


# --- onboarding -----------------------------------------------------------------

@bp.route("/nyansatte")
@login_required
def onboarding():
    today = to_oslo(now_utc()).date()
    school_ids = current_user.led_school_ids()
    if current_user.is_admin and (school_id := _number(request.args.get("skole", ""), MAX_ID)):
        school_ids = {school_id}
    require(bool(school_ids) or current_user.is_admin)
    rows = onboarding_ops.new_hires_at(school_ids, today) if school_ids else []
    return render_template("catalog/onboarding.html", rows=rows, schools=current_user.schools(),
                           cohorts=list(OnboardingCohort))


# --- organising -----------------------------------------------------------------

def _offering_data(form: OfferingForm) -> offering_ops.OfferingData:
    return offering_ops.OfferingData(
        title=form.title.data or "", kind=OfferingKind(form.kind.data), capacity=form.capacity.data,
        school_year=form.school_year.data, theme=(form.theme.data or "").strip(),
        description=form.description.data or "", organiser=(form.organiser.data or "").strip(),
        target_groups=[TargetGroup(v) for v in form.target_groups.data],
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
def new_offering():
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
            return redirect(url_for("catalog.offering", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/offering_form.html", form=form, offering=None), status


@bp.route("/kurs/<int:offering_id>/rediger", methods=["GET", "POST"])
@login_required
def edit_offering(offering_id: int):
    offering = _managed_offering(offering_id)
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
            return redirect(url_for("catalog.offering", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/offering_form.html", form=form, offering=offering), status


@bp.route("/kurs/<int:offering_id>/publiser", methods=["POST"])
@login_required
def publish(offering_id: int):
    offering = _managed_offering(offering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        offering_ops.publish(offering, actor=current_user, now=now_utc())
    except offering_ops.OfferingError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(_("Tilbudet er publisert i kurskatalogen."), "success")
    return redirect(url_for("catalog.offering", offering_id=offering.id), 303)


@bp.route("/kurs/<int:offering_id>/avlys", methods=["GET", "POST"])
@login_required
def cancel_offering(offering_id: int):
    offering = _managed_offering(offering_id)
    form = CancelOfferingForm()
    if form.validate_on_submit():
        count = _save(form, lambda: offering_ops.cancel_offering(offering, actor=current_user, now=now_utc(),
                                                                 reason=form.reason.data))
        if count is not REFUSED:
            flash(_("Tilbudet er avlyst. %(n)d deltakere og ventende har fått beskjed.", n=count), "success")
            return redirect(url_for("catalog.offering", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/cancel_offering.html", form=form, offering=offering), status


@bp.route("/kurs/<int:offering_id>/okter/ny", methods=["GET", "POST"])
@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>", methods=["GET", "POST"])
@login_required
def session_form(offering_id: int, session_id: int | None = None):
    offering = _managed_offering(offering_id)
    session = None
    if session_id is not None:
        session = _session_or_404(offering, session_id)
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
            return redirect(url_for("catalog.offering", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/session_form.html", form=form, offering=offering, session=session), status


@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>/avlys", methods=["POST"])
@login_required
def cancel_session(offering_id: int, session_id: int):
    offering = _managed_offering(offering_id)
    session = _session_or_404(offering, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    offering_ops.cancel_session(offering, session, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("Økten er avlyst."), "success")
    return redirect(url_for("catalog.offering", offering_id=offering.id), 303)


# --- participants -----------------------------------------------------------------

STATE_ORDER = [EnrollmentState.ENROLLED, EnrollmentState.OFFERED, EnrollmentState.ATTENDED,
               EnrollmentState.COMPLETED, EnrollmentState.NO_SHOW, EnrollmentState.WAITLISTED,
               EnrollmentState.CANCELLED]


def _participants(offering: Offering) -> list[Enrollment]:
    rows = db.session.scalars(sa.select(Enrollment).where(Enrollment.offering_id == offering.id)
                              .options(selectinload(Enrollment.user))
                              .order_by(Enrollment.waitlisted_at.nulls_first(), Enrollment.created_at, Enrollment.id)).all()
    return sorted(rows, key=lambda e: STATE_ORDER.index(e.state))


def _school_names(enrollment: Enrollment) -> str:
    return ", ".join(s.name for s in enrollment.user.schools())


EXPORT_HEADER = [_l("Navn"), _l("E-post"), _l("Skole"), _l("Status"), _l("Plass på venteliste"), _l("Påmeldt")]


def _export_rows(offering: Offering):
    waiting_position = 0
    for e in _participants(offering):
        position = ""
        if e.state == EnrollmentState.WAITLISTED:
            waiting_position += 1
            position = waiting_position
        yield [e.user.name, e.user.email, _school_names(e), e.state.label, position,
               to_oslo(e.created_at).strftime("%d.%m.%Y %H:%M")]


@bp.route("/kurs/<int:offering_id>/deltakere")
@login_required
def participants(offering_id: int):
    offering = _managed_offering(offering_id)
    rows = _participants(offering)
    positions = {e.id: i + 1 for i, e in enumerate(e for e in rows if e.state == EnrollmentState.WAITLISTED)}
    return render_template("catalog/participants.html", offering=offering, rows=rows, positions=positions,
                           action_form=ActionForm(), school_names=_school_names,
                           seats_taken=offering.seats_taken)


@bp.route("/kurs/<int:offering_id>/deltakere.csv")
@login_required
def participants_csv(offering_id: int):
    offering = _managed_offering(offering_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(h) for h in EXPORT_HEADER])
    writer.writerows(_export_rows(offering))
    # A BOM so that Excel opens Norwegian letters correctly.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="deltakere-{offering.id}.csv"'})


@bp.route("/kurs/<int:offering_id>/deltakere.xlsx")
@login_required
def participants_xlsx(offering_id: int):
    offering = _managed_offering(offering_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Deltakere"))
    sheet.append([str(h) for h in EXPORT_HEADER])
    for row in _export_rows(offering):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="deltakere-{offering.id}.xlsx"'})


def _ids_from_form(name: str) -> set[int]:
    return {n for v in request.form.getlist(name) if (n := _number(v, MAX_ID))}


@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>/oppmote", methods=["GET", "POST"])
@login_required
def attendance(offering_id: int, session_id: int):
    offering = _managed_offering(offering_id)
    session = _session_or_404(offering, session_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            enrollment_ops.record_attendance(session, offering, _ids_from_form("present"), actor=current_user,
                                             now=now_utc())
        except enrollment_ops.EnrollmentError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            db.session.commit()
            flash(_("Oppmøtet er lagret."), "success")
            return redirect(url_for("catalog.participants", offering_id=offering.id), 303)
    rows = enrollment_ops.attendance_list(offering)
    present = enrollment_ops.present_at(session.id)
    return render_template("catalog/attendance.html", offering=offering, session=session, rows=rows,
                           present=present, form=form)


@bp.route("/kurs/<int:offering_id>/fullfort", methods=["POST"])
@login_required
def complete(offering_id: int):
    offering = _managed_offering(offering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = enrollment_ops.mark_completed(offering, _ids_from_form("enrollment"), actor=current_user,
                                              now=now_utc())
    except enrollment_ops.EnrollmentError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(_("%(n)d deltakere er registrert som fullført.", n=count), "success")
    return redirect(url_for("catalog.participants", offering_id=offering.id), 303)


# --- dashboard ----------------------------------------------------------------------

def dashboard_figures(user) -> list[tuple[str, object, str | None]]:
    """Return the figures the front page shows this person."""
    counts = dict(db.session.execute(
        sa.select(Enrollment.state, sa.func.count()).where(Enrollment.user_id == user.id)
        .group_by(Enrollment.state)).all())
    figures = [
        (_("påmeldte kurs"), counts.get(EnrollmentState.ENROLLED, 0), "catalog.my_courses"),
        (_("på venteliste"), counts.get(EnrollmentState.WAITLISTED, 0), "catalog.my_courses"),
        (_("fullførte kurs"), counts.get(EnrollmentState.COMPLETED, 0), "catalog.record"),
    ]
    led = user.led_school_ids()
    if led:
        waiting_hires = [r for r in onboarding_ops.new_hires_at(led, to_oslo(now_utc()).date()) if r.enrollment is None]
        figures.append((_("nyansatte uten oppstartskurs"), len(waiting_hires), "catalog.onboarding"))
    if counts.get(EnrollmentState.OFFERED):
        figures.insert(0, (_("plasser tilbudt deg – svar nå"), counts[EnrollmentState.OFFERED], "catalog.my_courses"))
    return figures
