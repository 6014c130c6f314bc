"""Parent-event pages: the public list and sign-up, the parent's manage link, the organiser's pages."""
from __future__ import annotations

from typing import NamedTuple

import segno
from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from catalog.offerings.operations import offering_changed
from catalog.parents import operations as ops
from catalog.parents.forms import ChangeForm, EventForm, QuestionForm, SignupForm, grade_label
from catalog.parents.models import GRADES, AttendanceMode, ParentEvent
from lms.auth.operations import PermissionDenied
from lms import exports
from lms.cache import FragmentCache
from lms.db import db, now_utc
from lms.forms import REFUSED, ActionForm, page_number, save, whole_number
from lms.i18n import LANGUAGE_NAMES
from lms.links import absolute_url
from lms.people.models import School

bp = Blueprint("parents", __name__, template_folder="../templates")

#: Events per page of the public list: a phone's worth.
PAGE_SIZE = 20
#: HTTP status of a refused burst of sign-ups.
TOO_MANY_REQUESTS = 429


class SchoolChoice(NamedTuple):
    """A school as the filter offers it: kept in the cache, so no database object."""

    id: int
    name: str


def _event_or_404(event_id: int) -> ParentEvent:
    event = ops.get_event(event_id)
    if event is None or event.offering.status.value == "draft":
        abort(404)
    return event


def _managed_or_404(event_id: int) -> ParentEvent:
    event = ops.get_event(event_id)
    if event is None:
        abort(404)
    if not ops.can_manage_event(current_user, event):
        abort(403)
    return event


def _signup_or_404(token: str):
    signup = ops.find_by_token(token)
    if signup is None:
        abort(404)
    return signup


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _locale() -> str:
    return str(get_locale() or "nb")


# --- the public pages ---------------------------------------------------------------

#: The rendered public list, shared by every parent who asks the same in the same language; dropped on this
#: instance's own changes to offerings (a new event, a moved or cancelled one), by the others within the TTL.
list_cache = FragmentCache()
offering_changed.connect(list_cache.invalidate)


@bp.route("/foreldre")
def index():
    ttl = current_app.config["CATALOG_CACHE_SECONDS"]
    locale = str(get_locale())
    schools = list_cache.get_or_make(("schools",), ttl, lambda: {s.id: SchoolChoice(s.id, s.name)
                                                                for s in ops.schools()})
    grade = whole_number(request.args.get("trinn"), max(GRADES))
    school = schools.get(whole_number(request.args.get("skole")))
    filter_form = list_cache.get_or_make(
        ("filter", school, grade, locale), ttl,
        lambda: render_template("catalog/parents/_filter.html", schools=list(schools.values()), school=school,
                                grade=grade, grades=GRADES, grade_label=grade_label))
    page = page_number(request.args)
    args = {k: v for k, v in (("skole", school.id if school else None), ("trinn", grade)) if v}

    def render_list() -> str:
        # One more than a page tells whether there is a next one.
        events = ops.upcoming(now_utc(), school_id=school.id if school else None, grade=grade,
                              limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        return render_template("catalog/parents/_list.html", events=events[:PAGE_SIZE], grade_label=grade_label,
                               page=page, more=len(events) > PAGE_SIZE, args=args)

    results = list_cache.get_or_make(("list", school.id if school else None, grade, page, locale), ttl, render_list)
    return render_template("catalog/parents/index.html", results=Markup(results), filter_form=Markup(filter_form),
                           school=school)


def _signup_page(event: ParentEvent, form: SignupForm, status: int = 200, question_form: QuestionForm | None = None):
    now = now_utc()
    return render_template("catalog/parents/show.html", event=event, form=form,
                           question_form=question_form or QuestionForm(prefix="q"),
                           closed=ops.signup_problem(event, now), hall_full=ops.hall_full(event),
                           stream_full=ops.stream_full(event), grade_label=grade_label), status


@bp.route("/foreldre/<int:event_id>")
def show(event_id: int):
    event = _event_or_404(event_id)
    return _signup_page(event, SignupForm().for_event(event, ops.schools()))


@bp.route("/foreldre/<int:event_id>", methods=["POST"])
def sign_up(event_id: int):
    event = _event_or_404(event_id)
    form = SignupForm().for_event(event, ops.schools())
    if not form.validate_on_submit():
        return _signup_page(event, form, 400)
    if form.nettside.data:
        # A bot filled in the field people never see: it is told what a person would be, and nothing is kept.
        flash(_("Takk! Sjekk e-posten din for bekreftelsen."), "success")
        return redirect(url_for("parents.show", event_id=event.id), 303)
    data = ops.SignupData(name=form.name.data, email=form.email.data, mode=form.chosen_mode(event),
                          school_id=form.school_id.data if "school_id" in form else None,
                          grade=form.grade.data if "grade" in form else None,
                          party_size=form.party_size.data if "party_size" in form else 1, locale=_locale())
    now = now_utc()
    try:
        ops.check_limits(_client_address(), ops.email_key(data.email), now)
        db.session.commit()
    except ops.TooMany as err:
        db.session.rollback()
        form.form_errors.append(str(err))
        return _signup_page(event, form, TOO_MANY_REQUESTS)
    result = save(form, lambda: ops.sign_up(event.id, data, now=now), ops.ParentError)
    if result is REFUSED:
        return _signup_page(event, form, 400)
    if result.waitlisted:
        flash(_("Salen er full, så du står som nr. %(n)d på ventelisten til salen. Vi sender deg e-post med lenke "
                "der du kan bytte til strømming eller melde deg av.", n=result.position), "info")
    elif result.updated:
        flash(_("Påmeldingen din er oppdatert. Sjekk e-posten din for bekreftelsen."), "success")
    else:
        flash(_("Takk! Du er påmeldt. Sjekk e-posten din for bekreftelsen."), "success")
    return redirect(url_for("parents.show", event_id=event.id), 303)


@bp.route("/foreldre/<int:event_id>/sporsmal", methods=["POST"])
def ask(event_id: int):
    event = _event_or_404(event_id)
    form = QuestionForm(prefix="q")
    signup_form = SignupForm(formdata=None).for_event(event, ops.schools())
    if not form.validate_on_submit():
        return _signup_page(event, signup_form, 400, form)
    if form.nettside.data:
        flash(_("Takk for spørsmålet!"), "success")
        return redirect(url_for("parents.show", event_id=event.id), 303)
    now = now_utc()
    try:
        ops.check_limits(_client_address(), "", now)
        db.session.commit()
    except ops.TooMany as err:
        db.session.rollback()
        form.form_errors.append(str(err))
        return _signup_page(event, signup_form, TOO_MANY_REQUESTS, form)
    if save(form, lambda: ops.add_question(event, form.question.data, now=now), ops.ParentError) is REFUSED:
        return _signup_page(event, signup_form, 400, form)
    flash(_("Takk for spørsmålet! Arrangøren ser det uten navnet ditt."), "success")
    return redirect(url_for("parents.show", event_id=event.id), 303)


@bp.route("/foreldre/personvern")
def privacy():
    return render_template("catalog/parents/privacy.html", retention_days=ops.settings.get(ops.RETENTION_DAYS.key))


# --- the parent's manage link ---------------------------------------------------------

def _manage_page(signup, change_form: ChangeForm | None = None, status: int = 200):
    if change_form is None:
        change_form = ChangeForm(formdata=None, mode=signup.mode.value, party_size=signup.party_size)
    response = make_response(render_template(
        "catalog/parents/manage.html", signup=signup, event=signup.event, form=change_form.for_event(signup.event),
        action_form=ActionForm(), position=ops.waitlist_position(signup), grade_label=grade_label,
        language_names=LANGUAGE_NAMES, closed=ops.signup_problem(signup.event, now_utc())), status)
    # A parent's data behind a secret link: kept by no cache, and no referrer carries the link on.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/foreldre/p/<token>")
def manage(token: str):
    return _manage_page(_signup_or_404(token))


@bp.route("/foreldre/p/<token>/endre", methods=["POST"])
def change(token: str):
    signup = _signup_or_404(token)
    form = ChangeForm().for_event(signup.event)
    if not form.validate_on_submit():
        return _manage_page(signup, form, 400)
    mode = AttendanceMode(form.mode.data)
    new_token = save(form, lambda: ops.change_mode(signup, mode, form.party_size.data or 1, now=now_utc()),
                     ops.ParentError)
    if new_token is REFUSED:
        if ops.find_by_token(token) is None:  # gone with its event meanwhile: the link says so, as a cancel's does
            flash(" ".join(form.form_errors), "error")
            return redirect(url_for("parents.manage", token=token), 303)
        return _manage_page(signup, form, 400)
    flash(_("Påmeldingen er endret. Du får en ny e-post med en ny lenke; denne lenken virker ikke lenger."),
          "success")
    return redirect(url_for("parents.show", event_id=signup.event_id), 303)


@bp.route("/foreldre/p/<token>/avmeld", methods=["POST"])
def cancel(token: str):
    signup = _signup_or_404(token)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if save(form, lambda: ops.cancel_signup(signup, now=now_utc()), ops.ParentError) is REFUSED:
        flash(" ".join(form.form_errors), "error")
    else:
        flash(_("Du er avmeldt."), "success")
    return redirect(url_for("parents.manage", token=token), 303)


@bp.route("/foreldre/p/<token>/slett", methods=["POST"])
def delete(token: str):
    signup = _signup_or_404(token)
    event_id = signup.event_id
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    save(form, lambda: ops.delete_signup(signup, now=now_utc()), ops.ParentError)
    flash(_("Opplysningene dine er slettet, og lenken virker ikke lenger."), "success")
    return redirect(url_for("parents.show", event_id=event_id), 303)


# --- the organiser's pages -------------------------------------------------------------------

@bp.route("/foreldre/arrangor")
@login_required
def organiser():
    schools = ops.organised_schools(current_user)
    if not schools and not current_user.is_admin:
        abort(403)
    return render_template("catalog/parents/organiser.html", events=ops.events_for_organiser(current_user),
                           schools=schools, counts=ops.counts,
                           share_url=lambda s: absolute_url("parents.index", skole=s.id))


@bp.route("/foreldre/arrangor/nytt", methods=["GET", "POST"])
@login_required
def new():
    schools = ops.organised_schools(current_user)
    if not schools and not current_user.is_admin:
        abort(403)
    form = EventForm().for_schools(schools, current_user.is_admin)
    if form.validate_on_submit():
        event = save(form, lambda: ops.create_event(form.event_data(), actor=current_user, now=now_utc()),
                     ops.ParentError, forbidden=PermissionDenied)
        if event is not REFUSED:
            flash(_("Arrangementet er publisert."), "success")
            return redirect(url_for("parents.door", event_id=event.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/parents/event_form.html", form=form), status


@bp.route("/foreldre/arrangor/<int:event_id>", methods=["GET", "POST"])
@login_required
def door(event_id: int):
    event = _managed_or_404(event_id)
    form = ActionForm()
    if request.method == "POST":
        if event.purged_at is not None or not form.validate_on_submit():
            abort(400)
        present = {i for i in (whole_number(v) for v in request.form.getlist("present")) if i}
        save(form, lambda: ops.record_attendance(event, present, actor=current_user), ops.ParentError,
             forbidden=PermissionDenied)
        flash(_("Oppmøtet er lagret."), "success")
        return redirect(url_for("parents.door", event_id=event.id), 303)
    rows = ops.door_list(event) if event.purged_at is None else []
    return render_template("catalog/parents/door.html", event=event, rows=rows, form=form,
                           waiting=ops.waiting_list(event) if event.purged_at is None else [],
                           questions=ops.questions(event), counts=ops.counts(event), grade_label=grade_label)


DOOR_HEADER = [_l("Navn"), _l("E-post"), _l("Skole"), _l("Trinn"), _l("Deltar"), _l("Antall"), _l("Møtte")]


@bp.route("/foreldre/arrangor/<int:event_id>/deltakere.csv")
@login_required
def door_csv(event_id: int):
    event = _managed_or_404(event_id)
    if event.purged_at is not None:
        abort(410)
    rows = [[str(h) for h in DOOR_HEADER]] + [
        [s.name, s.email, s.school.name if s.school else "", s.grade or "", s.mode.label, s.party_size,
         _("Ja") if s.attended else ""] for s in ops.door_list(event)]
    response = exports.csv_response(rows, f"foreldre-{event.id}.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/foreldre/skole/<int:school_id>/plakat")
def poster(school_id: int):
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    url = absolute_url("parents.index", skole=school.id)
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=8, dark="#000", light="#fff", omitsize=False)
    events = ops.upcoming(now_utc(), school_id=school.id)
    return render_template("catalog/parents/poster.html", school=school, url=url, qr=Markup(svg), events=events)
