"""Fyrtårn pages: the public list and profiles, a fyrtårn's own profile, offerings, availability and release time."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.offerings.models import TargetGroup
from lighthouse.bookings.models import AvailabilityWindow, BookableKind, BookableOffering, Venue
from lighthouse.profiles import operations as ops
from lighthouse.profiles.forms import (WEEKDAYS, ApproveForm, BookableForm, NewProfileForm, OpenCourseForm,
                                       ProfileForm, ReleaseRequestForm, WindowForm)
from lighthouse.profiles.models import GradeLevel, LighthouseProfile, Subject, semester_label
from lms.auth.operations import require
from lms.forms import REFUSED, ActionForm, save
from lms.db import db, now_utc
from lms.markdown import plain_text
from lms.people.models import School

bp = Blueprint("fyrtarn", __name__, template_folder="../templates")


def _enum_arg(enum_cls, raw: str | None):
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def _user():
    return current_user if current_user.is_authenticated else None


def _endpoint(name: str) -> bool:
    """Whether another part of the fyrtårn scheme has its page yet (bookings, films)."""
    return name in current_app.view_functions


def _profile_or_404(profile_id: int) -> LighthouseProfile:
    profile = db.session.get(LighthouseProfile, profile_id)
    if profile is None or not ops.visible_to(_user(), profile):
        abort(404)
    return profile


def _own_profile() -> LighthouseProfile | None:
    """Return the signed-in fyrtårn's profile; 403 for people who are not fyrtårn (or admins)."""
    require(ops.is_lighthouse(current_user) or current_user.is_admin)
    return ops.profile_of(current_user)


def _no_profile():
    return render_template("lighthouse/profiles/no_profile.html"), 200


def _save(form, operation):
    """Run an operation and commit; a refusal goes on the form and REFUSED is returned."""
    return save(form, operation, ops.ProfileError)


# --- the public pages ------------------------------------------------------------

@bp.get("/fyrtarn")
def index():
    subject = _enum_arg(Subject, request.args.get("fag"))
    grade = _enum_arg(GradeLevel, request.args.get("trinn"))
    profiles = ops.active_profiles(subject, grade)
    user = _user()
    return render_template("lighthouse/profiles/index.html", profiles=profiles, subject=subject, grade=grade,
                           subjects=sorted(Subject, key=lambda s: s.label), grades=list(GradeLevel),
                           own=ops.profile_of(user), is_lighthouse=ops.is_lighthouse(user),
                           is_admin=bool(user and user.is_admin), leads=bool(user and user.led_school_ids()),
                           plain_text=plain_text)


@bp.get("/fyrtarn/<int:profile_id>")
def show(profile_id: int):
    now = now_utc()
    profile = _profile_or_404(profile_id)
    user = _user()
    may_book = bool(user and (user.is_admin or user.led_school_ids())) and _endpoint("bookings.new")
    can_edit = ops.can_edit_profile(user, profile)
    release = ops.release_time_lines(profile, now) if can_edit or ops.can_approve(user, profile) else None
    return render_template("lighthouse/profiles/show.html", profile=profile,
                           offerings=ops.bookables_of(profile, active_only=True),
                           open_courses=ops.open_courses_of(profile, now), films=ops.published_films_of(profile),
                           may_book=may_book, films_page=_endpoint("films.show"), can_edit=can_edit,
                           release=release, format_hours=ops.format_hours, now=now)


# --- the fyrtårn's own profile ---------------------------------------------------------

def _profile_data(form: ProfileForm) -> ops.ProfileData:
    return ops.ProfileData(subjects=[Subject(v) for v in form.subjects.data],
                           grades=[GradeLevel(v) for v in form.grades.data],
                           presentation=form.presentation.data or "", active=bool(form.active.data))


def _fill_profile_form(form: ProfileForm, profile: LighthouseProfile) -> None:
    form.subjects.data = [s.value for s in profile.subjects]
    form.grades.data = [g.value for g in profile.grades]
    form.presentation.data = profile.presentation
    form.active.data = profile.active
    if "home_school_id" in form:
        form.home_school_id.data = profile.home_school_id


def _schools() -> list[School]:
    return list(db.session.scalars(db.select(School).order_by(School.name)))


def _edit_profile_page(profile: LighthouseProfile, *, own: bool, request_form: ReleaseRequestForm | None = None):
    """Show and save the profile form; ``request_form`` is a refused release-time request to show again."""
    now = now_utc()
    schools = _schools() if current_user.is_admin else None
    # A refused release-time request shows the saved profile again, not the request's fields.
    form = ProfileForm(schools=schools) if request_form is None else ProfileForm(formdata=None, schools=schools)
    if request.method == "GET" or request_form is not None:
        _fill_profile_form(form, profile)
    elif form.validate_on_submit():
        home = form.home_school_id.data if "home_school_id" in form else None
        if _save(form, lambda: ops.update_profile(profile, _profile_data(form), actor=current_user, now=now,
                                                   home_school_id=home)) is not REFUSED:
            flash(_("Profilen er lagret."), "success")
            return redirect(url_for("fyrtarn.my_profile" if own else "fyrtarn.show", profile_id=profile.id), 303)
    if request_form is None:
        request_form = ReleaseRequestForm(formdata=None)
    request_form.semester.choices = [(s, semester_label(s)) for s in ops.askable_semesters(now)]
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/profiles/edit.html", form=form, profile=profile, own=own,
                           request_form=request_form, release=ops.release_time_lines(profile, now),
                           format_hours=ops.format_hours), status


@bp.route("/fyrtarn/min-profil", methods=["GET", "POST"])
@login_required
def my_profile():
    profile = _own_profile()
    if profile is None:
        return _no_profile()
    return _edit_profile_page(profile, own=True)


@bp.post("/fyrtarn/min-profil/frikjop")
@login_required
def request_release_time():
    profile = _own_profile()
    if profile is None:
        return _no_profile()
    now = now_utc()
    form = ReleaseRequestForm()
    form.semester.choices = [(s, semester_label(s)) for s in ops.askable_semesters(now)]
    if form.validate_on_submit():
        if _save(form, lambda: ops.request_release_time(profile, form.semester.data, form.hours.data,
                                                        actor=current_user, now=now)) is not REFUSED:
            flash(_("Forespørselen om frikjøpstid er sendt til rektor."), "success")
            return redirect(url_for("fyrtarn.my_profile"), 303)
    return _edit_profile_page(profile, own=True, request_form=form)


@bp.route("/fyrtarn/<int:profile_id>/rediger", methods=["GET", "POST"])
@login_required
def edit_profile(profile_id: int):
    profile = _profile_or_404(profile_id)
    require(ops.can_edit_profile(current_user, profile))
    return _edit_profile_page(profile, own=profile.user_id == current_user.id)


@bp.route("/fyrtarn/ny", methods=["GET", "POST"])
@login_required
def new_profile():
    require(current_user.is_admin)
    form = NewProfileForm(schools=_schools(), people=ops.lighthouse_people_without_profile())
    if request.method == "GET":
        form.active.data = True
    if form.validate_on_submit():
        profile = _save(form, lambda: ops.create_profile(form.person_id.data, form.home_school_id.data,
                                                         _profile_data(form), actor=current_user, now=now_utc()))
        if profile is not REFUSED:
            flash(_("Fyrtårnprofilen er opprettet."), "success")
            return redirect(url_for("fyrtarn.show", profile_id=profile.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/profiles/new.html", form=form), status


# --- release time for the principal ------------------------------------------------------

def _release_page(errors: dict | None = None, typed: dict | None = None):
    now = now_utc()
    rows = [(p, ops.release_time_lines(p, now)) for p in ops.approvable_profiles(current_user)]
    status = 400 if errors else 200
    return render_template("lighthouse/profiles/release_time.html", rows=rows, errors=errors or {},
                           typed=typed or {}, form=ActionForm(), format_hours=ops.format_hours), status


@bp.get("/fyrtarn/frikjop")
@login_required
def release_time():
    require(current_user.is_admin or bool(current_user.led_school_ids()))
    return _release_page()


@bp.post("/fyrtarn/frikjop/<int:release_time_id>")
@login_required
def approve_release_time(release_time_id: int):
    rt = ops.get_release_time(release_time_id)
    if rt is None:
        abort(404)
    require(ops.can_approve(current_user, rt.profile))
    form = ApproveForm()
    if form.validate_on_submit():
        hours = form.hours.data
        if _save(form, lambda: ops.approve_release_time(rt, hours, actor=current_user, now=now_utc())) is not REFUSED:
            flash(_("%(h)d timer frikjøpstid er godkjent for %(name)s (%(s)s).", h=hours, name=rt.profile.user.name,
                    s=semester_label(rt.semester)), "success")
            return redirect(url_for("fyrtarn.release_time"), 303)
    messages = form.form_errors + [e for errs in form.errors.values() for e in errs if isinstance(e, str)]
    return _release_page(errors={rt.id: " ".join(messages) or _("Skriv antall timer.")},
                         typed={rt.id: request.form.get("hours", "")})


# --- bookable offerings -------------------------------------------------------------------

def _bookable_data(form: BookableForm) -> ops.BookableData:
    return ops.BookableData(
        kind=BookableKind(form.kind.data), title=form.title.data or "", subject=Subject(form.subject.data),
        duration_minutes=form.duration_minutes.data, max_participants=form.max_participants.data,
        description=form.description.data or "", audience=form.audience.data or "", venue=Venue(form.venue.data),
        buffer_minutes=form.buffer_minutes.data, min_notice_hours=form.min_notice_hours.data,
        active=bool(form.active.data))


def _own_bookable(offering_id: int) -> BookableOffering:
    offering = db.session.get(BookableOffering, offering_id)
    if offering is None:
        abort(404)
    require(ops.can_edit_profile(current_user, offering.profile))
    return offering


@bp.get("/fyrtarn/tilbud")
@login_required
def offerings():
    profile = _own_profile()
    if profile is None:
        return _no_profile()
    return render_template("lighthouse/profiles/offerings.html", profile=profile,
                           offerings=ops.bookables_of(profile), form=ActionForm())


@bp.route("/fyrtarn/tilbud/ny", methods=["GET", "POST"])
@login_required
def new_offering():
    profile = _own_profile()
    if profile is None:
        return _no_profile()
    form = BookableForm()
    if request.method == "GET":
        form.active.data = True
        if profile.subjects:
            form.subject.data = profile.subjects[0].value
        form.venue.data = Venue.EITHER.value
    if form.validate_on_submit():
        if _save(form, lambda: ops.create_bookable(profile, _bookable_data(form), actor=current_user,
                                                   now=now_utc())) is not REFUSED:
            flash(_("Tilbudet er lagret."), "success")
            return redirect(url_for("fyrtarn.offerings"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/profiles/offering_form.html", form=form, offering=None), status


@bp.route("/fyrtarn/tilbud/<int:offering_id>/rediger", methods=["GET", "POST"])
@login_required
def edit_offering(offering_id: int):
    offering = _own_bookable(offering_id)
    form = BookableForm(obj=offering) if request.method == "GET" else BookableForm()
    if request.method == "GET":
        form.kind.data, form.subject.data, form.venue.data = (offering.kind.value, offering.subject.value,
                                                              offering.venue.value)
    if form.validate_on_submit():
        if _save(form, lambda: ops.update_bookable(offering, _bookable_data(form), actor=current_user,
                                                   now=now_utc())) is not REFUSED:
            flash(_("Endringene er lagret."), "success")
            return redirect(url_for("fyrtarn.offerings"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/profiles/offering_form.html", form=form, offering=offering), status


@bp.post("/fyrtarn/tilbud/<int:offering_id>/deaktiver")
@login_required
def deactivate_offering(offering_id: int):
    offering = _own_bookable(offering_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ops.deactivate_bookable(offering, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("«%(t)s» kan ikke lenger bestilles. Bestillinger som er gjort, gjelder fortsatt.", t=offering.title),
          "success")
    return redirect(url_for("fyrtarn.offerings"), 303)


# --- availability -------------------------------------------------------------------------

@bp.route("/fyrtarn/tilgjengelighet", methods=["GET", "POST"])
@login_required
def availability():
    profile = _own_profile()
    if profile is None:
        return _no_profile()
    form = WindowForm()
    if form.validate_on_submit():
        if _save(form, lambda: ops.add_window(profile, weekday=form.weekday.data, start=form.start.data,
                                              end=form.end.data, valid_from=form.valid_from.data,
                                              valid_until=form.valid_until.data, actor=current_user,
                                              now=now_utc())) is not REFUSED:
            flash(_("Tiden er lagt til."), "success")
            return redirect(url_for("fyrtarn.availability"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/profiles/availability.html", profile=profile, form=form,
                           windows=ops.windows_of(profile), weekdays=WEEKDAYS, action_form=ActionForm()), status


@bp.post("/fyrtarn/tilgjengelighet/<int:window_id>/slett")
@login_required
def delete_window(window_id: int):
    window = db.session.get(AvailabilityWindow, window_id)
    if window is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    ops.delete_window(window, actor=current_user)
    db.session.commit()
    flash(_("Tiden er slettet."), "success")
    return redirect(url_for("fyrtarn.availability"), 303)


# --- open courses ----------------------------------------------------------------------------

@bp.route("/fyrtarn/apent-kurs/ny", methods=["GET", "POST"])
@login_required
def new_open_course():
    profile = _own_profile()
    if profile is None:
        return _no_profile()
    form = OpenCourseForm()
    if request.method == "GET":
        form.target_groups.data = [TargetGroup.TEACHERS.value]
        if profile.subjects:
            form.subject.data = profile.subjects[0].value
    if form.validate_on_submit():
        data = ops.OpenCourseData(
            title=form.title.data or "", subject=Subject(form.subject.data), capacity=form.capacity.data,
            day=form.day.data, start=form.start.data, end=form.end.data,
            target_groups=[TargetGroup(v) for v in form.target_groups.data], description=form.description.data or "",
            location=form.location.data or "", online_url=form.online_url.data or "")
        offering = _save(form, lambda: ops.create_open_course(profile, data, actor=current_user, now=now_utc()))
        if offering is not REFUSED:
            flash(_("Kurset er publisert i kurskatalogen. Deltakerne melder seg på der."), "success")
            return redirect(url_for("offerings.show", offering_id=offering.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/profiles/open_course_form.html", form=form, profile=profile), status
