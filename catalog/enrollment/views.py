"""Enrollment pages: signing up, the buttons on a seat, "Mine kurs", and the organisers' participant lists."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.forms import EnrollForm
from catalog.enrollment.models import CONFIRMED_STATES, Enrollment, EnrollmentState
from catalog.offerings.models import Offering
from catalog.offerings.views import managed_offering, session_or_404
from catalog.onboarding import operations as onboarding_ops
from events.models import Schedule
from lms.db import db, now_utc, reads_before_writing
from lms.exports import csv_response, xlsx_response
from lms.forms import ActionForm, whole_number
from lms.i18n import to_oslo

bp = Blueprint("enrollment", __name__, template_folder="../templates")


def _enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    return enrollment


def _back_to(offering_id: int):
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for("offerings.show", offering_id=offering_id), 303)


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
    if form.chose_nobody(request.form):
        flash(_("Velg hvem du vil melde på."), "error")
        return _back_to(offering_id)
    person = enrollment_ops.person_to_enroll(current_user, form.person_id.data or None)
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
        message = (_("Du står som nr. %(n)d på ventelisten til «%(title)s». Du får e-post når det blir ledig "
                     "plass til deg.", n=position, title=offering.title) if myself
                   else _("%(name)s står som nr. %(n)d på ventelisten til «%(title)s».", name=person.name,
                          n=position, title=offering.title))
    db.session.commit()
    # Both are what was asked for: a place, or a place in the queue.
    flash(message, "success")
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
    waiting = enrollment_ops.waitlist_places(current_user.id)
    # A course with sessions ahead is coming, whatever attendance its first sessions have had.
    taking_part = [e for e in rows if e.state in CONFIRMED_STATES]
    upcoming = [e for e in taking_part if enrollment_ops.sessions_ahead(e.offering, now)]
    upcoming.reverse()
    past = [e for e in taking_part if e not in upcoming]
    completed = [e for e in rows if e.state == EnrollmentState.COMPLETED]
    cancelled = [e for e in rows if e.state == EnrollmentState.CANCELLED][:10]
    onboarding = onboarding_ops.course_for(current_user, now)
    return render_template("catalog/enrollment/my_courses.html", offered=offered, waiting=waiting, upcoming=upcoming,
                           past=past, completed=completed, cancelled=cancelled, onboarding=onboarding,
                           action_form=ActionForm(), now=now, sessions_ahead=enrollment_ops.sessions_ahead,
                           may_cancel=lambda e: enrollment_ops.may_cancel_self(e, now))


@bp.route("/mine-kurs/kursbevis")
@login_required
def record():
    completed = [e for e in _my_enrollments(current_user.id) if e.state == EnrollmentState.COMPLETED]
    return render_template("catalog/enrollment/record.html", completed=completed, now=now_utc())


# --- participants -----------------------------------------------------------------

STATE_ORDER = [EnrollmentState.ENROLLED, EnrollmentState.OFFERED, EnrollmentState.ATTENDED,
               EnrollmentState.COMPLETED, EnrollmentState.NO_SHOW, EnrollmentState.WAITLISTED,
               EnrollmentState.CANCELLED]


def _participants(offering: Offering) -> list[Enrollment]:
    """Return one row per person, in the order of their state, then of the waitlist and of signing up."""
    # The waitlist in the order it is served; everyone else by when they first signed up.
    return sorted(enrollment_ops.participants(offering),
                  key=lambda e: (STATE_ORDER.index(e.state), e.waitlisted_at or e.created_at, e.id))


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
    offering = managed_offering(offering_id)
    rows = _participants(offering)
    positions = {e.id: i + 1 for i, e in enumerate(e for e in rows if e.state == EnrollmentState.WAITLISTED)}
    return render_template("catalog/enrollment/participants.html", offering=offering, rows=rows, positions=positions,
                           action_form=ActionForm(), school_names=_school_names,
                           seats_taken=offering.seats_taken, history=enrollment_ops.participant_history(offering),
                           state_label=lambda value: EnrollmentState(value).label,
                           open_sessions=[s for s in offering.live_sessions
                                          if enrollment_ops.attendance_problem(s, now_utc()) is None])


@bp.route("/kurs/<int:offering_id>/deltakere.csv")
@login_required
def participants_csv(offering_id: int):
    offering = managed_offering(offering_id)
    return csv_response([[str(h) for h in EXPORT_HEADER], *_export_rows(offering)], f"deltakere-{offering.id}.csv")


@bp.route("/kurs/<int:offering_id>/deltakere.xlsx")
@login_required
def participants_xlsx(offering_id: int):
    offering = managed_offering(offering_id)
    return xlsx_response([[str(h) for h in EXPORT_HEADER], *_export_rows(offering)], f"deltakere-{offering.id}.xlsx",
                         sheet_title=_("Deltakere"))


def _ids_from_form(name: str) -> set[int]:
    return {n for v in request.form.getlist(name) if (n := whole_number(v))}


@bp.route("/kurs/<int:offering_id>/okter/<int:session_id>/oppmote", methods=["GET", "POST"])
@login_required
def attendance(offering_id: int, session_id: int):
    offering = managed_offering(offering_id)
    session = session_or_404(offering, session_id)
    form = ActionForm()
    status = 200
    if form.validate_on_submit():
        try:
            enrollment_ops.record_attendance(session, offering, _ids_from_form("present"), actor=current_user,
                                             now=now_utc())
        except enrollment_ops.EnrollmentError:
            db.session.rollback()  # the page says why (not yet, or cancelled)
            status = 400
        else:
            db.session.commit()
            flash(_("Oppmøtet er lagret."), "success")
            return redirect(url_for("enrollment.participants", offering_id=offering.id), 303)
    rows = enrollment_ops.attendance_list(offering)
    present = enrollment_ops.present_at(session.id)
    return render_template("catalog/enrollment/attendance.html", offering=offering, session=session, rows=rows,
                           present=present, form=form,
                           not_yet=enrollment_ops.attendance_problem(session, now_utc())), status


@bp.route("/kurs/<int:offering_id>/fullfort", methods=["POST"])
@login_required
def complete(offering_id: int):
    offering = managed_offering(offering_id)
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
    return redirect(url_for("enrollment.participants", offering_id=offering.id), 303)
