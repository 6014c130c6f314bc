"""Booking pages: a school asks for a time, the fyrtårn answers, both follow up."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from events.calendar import ics_response
from lighthouse.bookings import operations as ops
from lighthouse.bookings.forms import (BookingForm, CancelForm, ConfirmForm, DeclineForm, FeedbackForm,
                                       ParticipantsForm, ProposeForm, RecordForm, RejectForm)
from lighthouse.bookings.models import (HOLDING_STATES, BookableOffering, Booking, BookingState,
                                        Venue)
from lighthouse.profiles.operations import profile_of
from lms.audit.operations import history
from lms.auth.operations import require
from lms.forms import REFUSED, ActionForm, page_number, save, whole_number
from lms.db import db, now_utc
from lms.i18n import OSLO, to_oslo

bp = Blueprint("bookings", __name__, template_folder="../templates")

#: How far ahead the booking form shows free times at once.
FREE_TIMES_AHEAD = timedelta(weeks=8)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _offering_or_404(offering_id: int) -> BookableOffering:
    offering = db.session.get(BookableOffering, offering_id)
    if offering is None or not offering.active or not offering.profile.active:
        abort(404)
    return offering


def _booking_or_404(booking_id: int) -> Booking:
    """Return a booking the signed-in person may see: 404 when unknown, 403 when not theirs."""
    try:
        return ops.get_booking(booking_id, current_user)
    except ops.BookingNotAllowed:
        abort(403)
    except ops.BookingError:  # not found
        abort(404)


def _weeks(times: list[ops.FreeTime]) -> list[tuple[str, list[ops.FreeTime]]]:
    """Group free times by ISO week (Oslo time), keeping their order."""
    groups: list[tuple[tuple[int, int], list[ops.FreeTime]]] = []
    for ft in times:
        year, week, _day = to_oslo(ft.starts_at).isocalendar()
        if not groups or groups[-1][0] != (year, week):
            groups.append(((year, week), []))
        groups[-1][1].append(ft)
    return [(_("Uke %(week)d, %(year)d", week=week, year=year), items) for (year, week), items in groups]


def _from_day(now: datetime) -> datetime:
    """Return where the list of free times starts: ``?fra=YYYY-MM-DD`` (Oslo), never before now."""
    raw = request.args.get("fra", "")
    if _DAY.match(raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return now
        if 2000 <= day.year <= 2100:
            return max(datetime.combine(day, time(0), tzinfo=OSLO), now)
    return now


# --- the school asks ----------------------------------------------------------------

@bp.route("/bestillinger/ny/<int:offering_id>", methods=["GET", "POST"])
@login_required
def new(offering_id: int):
    now = now_utc()
    offering = _offering_or_404(offering_id)
    schools = ops.bookable_schools(current_user)
    require(bool(schools), _("Bare skoleledere kan bestille fra fyrtårn. Be en leder ved skolen din om å "
                             "bestille, eller kontakt programadministratoren."))
    form = BookingForm(max_participants=offering.max_participants)
    form.school_id.choices = [SelectChoice(s.id, s.name) for s in schools]
    school_ids = {s.id for s in schools}
    chosen = form.school_id.data if form.school_id.data in school_ids else None
    if chosen is None and request.method == "GET":
        chosen = whole_number(request.args.get("skole"))
        chosen = chosen if chosen in school_ids else schools[0].id
        form.school_id.data = chosen
    staff = ops.staff_of(chosen)
    form.participant_ids.choices = [SelectChoice(p.id, p.name) for p in staff]
    if request.method == "GET":
        form.participants_count.data = None
        if offering.venue == Venue.EITHER:
            form.venue.data = Venue.AT_SCHOOL.value
    status = 200
    if form.validate_on_submit():
        venue = form.chosen_venue() if offering.venue == Venue.EITHER else offering.venue
        try:
            booking = ops.request_booking(
                offering.id, form.school_id.data, actor=current_user, starts_at=form.starts_at.data,
                participants_count=form.participants_count.data, now=now, note=(form.note.data or "").strip(),
                venue=venue, participant_ids=form.participant_ids.data or ())
            db.session.commit()
        except ops.BookingNotAllowed:
            db.session.rollback()
            abort(403)
        except ops.BookingError as err:
            db.session.rollback()
            form.form_errors.append(str(err))
            status = 409 if isinstance(err, ops.TimeTaken) else 400
        else:
            flash(_("Forespørselen er sendt til %(name)s. Tidspunktet holdes av til fyrtårnet svarer.",
                    name=offering.profile.user.name), "success")
            return redirect(url_for("bookings.show", booking_id=booking.id), 303)
    elif request.method == "POST":
        status = 400  # the form's errors are shown on the page, as on every form
    start = _from_day(now)
    end = start + FREE_TIMES_AHEAD
    times = ops.free_times(offering, start=start, end=end, now=now)
    return render_template(
        "lighthouse/bookings/new.html", offering=offering, form=form, weeks=_weeks(times), schools=schools,
        chosen_school=chosen, staff=staff, later=to_oslo(end).date().isoformat(),
        earlier=None if start <= now else max(to_oslo(start - FREE_TIMES_AHEAD).date(), to_oslo(now).date()).isoformat(),
        chosen_listed=any(ft.starts_at == form.starts_at.data for ft in times),
        start=start, end=end, no_times_reason=None if times else ops.why_no_free_times(offering, start=start, end=end),
    ), status


# --- one booking -----------------------------------------------------------------------

def _forms(booking: Booking, **given: FlaskForm) -> dict[str, FlaskForm]:
    """Return the action forms of the booking page, with any already filled in (and refused) kept."""
    forms: dict[str, FlaskForm] = {
        "confirm_form": ConfirmForm, "decline_form": DeclineForm, "propose_form": ProposeForm,
        "reject_form": RejectForm, "cancel_form": CancelForm, "participants_form": ParticipantsForm,
        "feedback_form": FeedbackForm, "record_form": RecordForm, "action_form": ActionForm,
    }
    made = {name: given.get(name) or cls(formdata=None) for name, cls in forms.items()}
    for name, form in made.items():
        # Several forms share field names ("reason"); their ids must differ on one page.
        prefix = name.removesuffix("_form")
        for f in form:
            f.id = f.label.field_id = f"{prefix}-{f.name}"
    participants = made["participants_form"]
    participants.participant_ids.choices = [SelectChoice(p.id, p.name) for p in ops.staff_of(booking.school_id)]
    if "participants_form" not in given:
        participants.participant_ids.data = [p.id for p in booking.participants]
    confirm = made["confirm_form"]
    if "confirm_form" not in given:
        confirm.location.data = booking.location or (booking.school.name if booking.venue == Venue.AT_SCHOOL else "")
        confirm.online_url.data = booking.online_url
    return made


def _state_label(value: str | None) -> str:
    """Return the label of a state as the audit log stores it."""
    if not value:
        return ""
    try:
        return str(BookingState(value).label)
    except ValueError:
        return value


def _render_show(booking: Booking, status: int = 200, unread_answer: bool = False, **given: FlaskForm):
    now = now_utc()
    is_fyrtarn = ops.is_lighthouse_of(current_user, booking)
    is_school = ops.may_book_for(current_user, booking.school_id)
    held = booking.state in HOLDING_STATES and booking.state != BookingState.COMPLETED
    deadline = ops.cancellation_deadline(booking) if held else None
    proposals: list[ops.FreeTime] = []
    if is_fyrtarn and booking.state == BookingState.REQUESTED:
        proposals = [ft for ft in ops.free_times(booking.offering, start=now, end=now + FREE_TIMES_AHEAD, now=now,
                                                 exclude=booking)
                     if ft.starts_at != booking.starts_at]
    over = booking.ends_at <= now
    return render_template(
        "lighthouse/bookings/show.html", booking=booking, now=now, is_fyrtarn=is_fyrtarn, is_school=is_school,
        deadline=deadline, can_cancel=held and deadline is not None and now < deadline,
        proposal_weeks=_weeks(proposals), over=over,
        may_give_feedback=is_school and over and booking.state in (BookingState.CONFIRMED, BookingState.COMPLETED)
        and booking.feedback_rating is None,
        may_record=is_fyrtarn and over and booking.state in (BookingState.CONFIRMED, BookingState.COMPLETED)
        and not booking.work_record,
        may_name=is_school and booking.state in (BookingState.REQUESTED, BookingState.PROPOSED,
                                                 BookingState.CONFIRMED) and not over,
        history=history("lighthouse.booking", booking.id), state_label=_state_label, unread_answer=unread_answer,
        **_forms(booking, **given),
    ), status


@bp.route("/bestillinger/<int:booking_id>")
@login_required
def show(booking_id: int):
    booking = _booking_or_404(booking_id)
    unread = ops.has_unread_answer(booking)
    if ops.mark_answer_read(booking, actor=current_user, now=now_utc()):
        db.session.commit()
    return _render_show(booking, unread_answer=unread)


@bp.route("/bestillinger/<int:booking_id>.ics")
@login_required
def ics(booking_id: int):
    booking = _booking_or_404(booking_id)
    if booking.state not in (BookingState.CONFIRMED, BookingState.COMPLETED):
        abort(404)
    return ics_response(ops.booking_ics(booking, user=current_user), filename=f"bestilling-{booking.id}.ics")


def _act(booking_id: int, form_name: str, form_cls: type[FlaskForm], run: Callable[[Booking, FlaskForm], None],
         message: Callable[[Booking], str], prepare: Callable[[Booking, FlaskForm], None] | None = None):
    """Run one answer to a booking from its form: commit and go back to the booking, or show the refusal."""
    booking = _booking_or_404(booking_id)
    form = form_cls()
    if prepare:
        prepare(booking, form)
    if form.validate_on_submit() and save(form, lambda: run(booking, form), ops.BookingError,
                                          forbidden=ops.BookingNotAllowed) is not REFUSED:
        flash(message(booking), "success")
        return redirect(url_for("bookings.show", booking_id=booking.id), 303)
    booking = _booking_or_404(booking_id)
    return _render_show(booking, **{form_name: form})


@bp.route("/bestillinger/<int:booking_id>/bekreft", methods=["POST"])
@login_required
def confirm(booking_id: int):
    return _act(booking_id, "confirm_form", ConfirmForm,
                lambda b, f: ops.confirm_booking(b, actor=current_user, now=now_utc(),
                                                 location=(f.location.data or "").strip(),
                                                 online_url=(f.online_url.data or "").strip()),
                lambda b: _("Bestillingen er bekreftet. Skolen har fått beskjed, og økten ligger i kalenderne."))


@bp.route("/bestillinger/<int:booking_id>/avsla", methods=["POST"])
@login_required
def decline(booking_id: int):
    return _act(booking_id, "decline_form", DeclineForm,
                lambda b, f: ops.decline_booking(b, actor=current_user, now=now_utc(),
                                                 reason=f.reason.data.strip(), for_capacity=bool(f.for_capacity.data)),
                lambda b: _("Bestillingen er avslått. Skolen har fått begrunnelsen."))


@bp.route("/bestillinger/<int:booking_id>/foresla", methods=["POST"])
@login_required
def propose(booking_id: int):
    return _act(booking_id, "propose_form", ProposeForm,
                lambda b, f: ops.propose_time(b, actor=current_user, now=now_utc(), starts_at=f.starts_at.data,
                                              answer=(f.answer.data or "").strip()),
                lambda b: _("Forslaget er sendt. Tidspunktet holdes av til skolen svarer."))


@bp.route("/bestillinger/<int:booking_id>/godta", methods=["POST"])
@login_required
def accept(booking_id: int):
    return _act(booking_id, "action_form", ActionForm,
                lambda b, f: ops.accept_proposal(b, actor=current_user, now=now_utc()),
                lambda b: _("Dere har godtatt det nye tidspunktet. Bestillingen er bekreftet."))


@bp.route("/bestillinger/<int:booking_id>/avvis", methods=["POST"])
@login_required
def reject(booking_id: int):
    return _act(booking_id, "reject_form", RejectForm,
                lambda b, f: ops.reject_proposal(b, actor=current_user, now=now_utc(),
                                                 reason=(f.reason.data or "").strip()),
                lambda b: _("Dere har takket nei til forslaget. Fyrtårnet har fått beskjed."))


@bp.route("/bestillinger/<int:booking_id>/avlys", methods=["POST"])
@login_required
def cancel(booking_id: int):
    return _act(booking_id, "cancel_form", CancelForm,
                lambda b, f: ops.cancel_booking(b, actor=current_user, now=now_utc(), reason=f.reason.data.strip()),
                lambda b: _("Bestillingen er avlyst. Den andre parten har fått beskjed."))


def _staff_choices(booking: Booking, form: FlaskForm) -> None:
    form.participant_ids.choices = [SelectChoice(p.id, p.name) for p in ops.staff_of(booking.school_id)]


@bp.route("/bestillinger/<int:booking_id>/deltakere", methods=["POST"])
@login_required
def participants(booking_id: int):
    return _act(booking_id, "participants_form", ParticipantsForm,
                lambda b, f: ops.name_participants(b, f.participant_ids.data or (), actor=current_user,
                                                   now=now_utc()),
                lambda b: _("Deltakerne er lagret."), prepare=_staff_choices)


@bp.route("/bestillinger/<int:booking_id>/tilbakemelding", methods=["POST"])
@login_required
def feedback(booking_id: int):
    return _act(booking_id, "feedback_form", FeedbackForm,
                lambda b, f: ops.give_feedback(b, actor=current_user, now=now_utc(), rating=int(f.rating.data),
                                               comment=(f.comment.data or "").strip()),
                lambda b: _("Takk for tilbakemeldingen!"))


@bp.route("/bestillinger/<int:booking_id>/gjennomfort", methods=["POST"])
@login_required
def record(booking_id: int):
    return _act(booking_id, "record_form", RecordForm,
                lambda b, f: ops.record_work(b, actor=current_user, now=now_utc(), text=f.text.data.strip()),
                lambda b: _("Det som ble gjort er registrert."))


# --- the lists ---------------------------------------------------------------------------

def _next_action(booking: Booking, now: datetime, *, lighthouse: bool) -> tuple[str, bool]:
    """Say what the viewer's side should do next with a booking (True), or what it waits for (False)."""
    text = _next_step(booking, now, lighthouse=lighthouse)
    waiting = text in (_("Venter på svar fra skolen"), _("Venter på svar fra fyrtårnet"))
    return text, not waiting


def _next_step(booking: Booking, now: datetime, *, lighthouse: bool) -> str:
    state = booking.state
    over = booking.ends_at <= now
    if lighthouse:
        if state == BookingState.REQUESTED:
            return _("Svar skolen: bekreft, foreslå et annet tidspunkt eller avslå")
        if state == BookingState.PROPOSED:
            return _("Venter på svar fra skolen")
        if state in (BookingState.CONFIRMED, BookingState.COMPLETED) and over and not booking.work_record:
            return _("Registrer hva som ble gjort")
        if state == BookingState.CONFIRMED:
            return _("Forbered økten")
        return ""
    if state == BookingState.REQUESTED:
        return _("Venter på svar fra fyrtårnet")
    if state == BookingState.PROPOSED:
        return _("Godta eller avvis det foreslåtte tidspunktet")
    if state in (BookingState.CONFIRMED, BookingState.COMPLETED) and over and booking.feedback_rating is None:
        return _("Gi tilbakemelding")
    if state == BookingState.CONFIRMED and not booking.participant_rows:
        return _("Navngi deltakerne (kan gjøres senere)")
    return ""


def _school_groups(bookings: list[Booking], now: datetime):
    groups = [
        ("waiting", _("Venter på svar"), []),
        ("proposed", _("Nytt tidspunkt foreslått – svar fra dere"), []),
        ("confirmed", _("Bekreftet"), []),
        ("past", _("Tidligere"), []),
    ]
    index = {key: items for key, _title, items in groups}
    for b in bookings:
        if b.state == BookingState.REQUESTED and b.ends_at > now:
            index["waiting"].append(b)
        elif b.state == BookingState.PROPOSED and b.ends_at > now:
            index["proposed"].append(b)
        elif b.state == BookingState.CONFIRMED and b.ends_at > now:
            index["confirmed"].append(b)
        else:
            index["past"].append(b)
    for key in ("waiting", "proposed", "confirmed"):
        index[key].sort(key=lambda b: b.starts_at)
    return groups


def _lighthouse_groups(bookings: list[Booking], now: datetime):
    groups = [
        ("incoming", _("Nye forespørsler"), []),
        ("upcoming", _("Kommende"), []),
        ("past", _("Tidligere"), []),
    ]
    index = {key: items for key, _title, items in groups}
    for b in bookings:
        if b.state == BookingState.REQUESTED and b.ends_at > now:
            index["incoming"].append(b)
        elif b.state in (BookingState.PROPOSED, BookingState.CONFIRMED) and b.ends_at > now:
            index["upcoming"].append(b)
        else:
            index["past"].append(b)
    index["past"].sort(key=lambda b: b.starts_at, reverse=True)
    return groups


@bp.route("/bestillinger")
@login_required
def index():
    now = now_utc()
    profile = profile_of(current_user)
    led = sorted(current_user.led_school_ids())
    school_groups = _school_groups(ops.bookings_for_schools(led), now) if led else None
    lighthouse_groups = _lighthouse_groups(ops.bookings_for_profile(profile.id), now) if profile else None
    everything, page, pages, state_filter = None, 1, 1, None
    if current_user.is_admin:
        state_filter = request.args.get("status")
        state_filter = state_filter if state_filter in {s.value for s in BookingState} else None
        everything, page, pages = ops.bookings_page(
            BookingState(state_filter) if state_filter else None, page_number(request.args),
            current_app.config["PAGE_SIZE"])
    return render_template(
        "lighthouse/bookings/index.html", now=now, school_groups=school_groups,
        lighthouse_groups=lighthouse_groups, everything=everything, page=page, pages=pages,
        state_filter=state_filter, states=list(BookingState), next_action=_next_action,
        nothing=school_groups is None and lighthouse_groups is None and everything is None)


@bp.app_template_filter("booking_tag_color")
def booking_tag_color(state: BookingState) -> str:
    """Return the Designsystemet colour of a booking state's tag."""
    return {BookingState.REQUESTED: "warning", BookingState.PROPOSED: "info", BookingState.CONFIRMED: "success",
            BookingState.COMPLETED: "neutral"}.get(state, "danger")
