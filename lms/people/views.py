"""Admin pages for schools and people: parse, call an operation, render."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.db import db, now_utc
from lms.forms import page_number, query_text, whole_number
from lms.people import operations
from lms.people.forms import ImportForm, PersonForm, SchoolForm
from lms.people.models import School, User

bp = Blueprint("people", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in person; operations decide what they may do."""


def _actor() -> User:
    return current_user._get_current_object()


def _show_error(form, err: operations.PeopleError) -> None:
    target = getattr(form, err.field, None) if err.field else None
    if target is not None:
        target.errors.append(str(err))
    else:
        form.form_errors.append(str(err))


def _page() -> int:
    return page_number(request.args)


# --- schools ----------------------------------------------------------------

@bp.route("/skoler")
def schools():
    query = query_text(request.args, "q", 200)
    pagination = operations.schools_page(_actor(), query=query, page=_page(),
                                         per_page=current_app.config["PAGE_SIZE"])
    return render_template("people/schools.html", pagination=pagination, query=query)


def _school_form_page(school: School | None):
    form = SchoolForm(data=SchoolForm.initial(school) if school and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            if school is None:
                school = operations.create_school(form.school_data(), _actor(), now_utc())
            else:
                operations.update_school(school, form.school_data(), _actor(), now_utc())
        except operations.PeopleError as err:
            _show_error(form, err)
        else:
            db.session.commit()
            flash(_("Skolen %(name)s er lagret.", name=school.name), "success")
            return redirect(url_for(".schools"))
    status = 400 if form.is_submitted() else 200
    return render_template("people/school_form.html", form=form, school=school), status


@bp.route("/skoler/ny", methods=["GET", "POST"])
def new_school():
    operations.require_admin(_actor())
    return _school_form_page(None)


@bp.route("/skoler/<int:school_id>", methods=["GET", "POST"])
def edit_school(school_id: int):
    operations.require_admin(_actor())
    return _school_form_page(db.get_or_404(School, school_id))


# --- people -----------------------------------------------------------------

@bp.route("/ansatte")
def people():
    actor = _actor()
    query = query_text(request.args, "q", 200)
    school_id = whole_number(request.args.get("skole"))
    pagination = operations.people_page(actor, query=query, school_id=school_id, page=_page(),
                                        per_page=current_app.config["PAGE_SIZE"])
    return render_template("people/people.html", pagination=pagination, query=query, school_id=school_id,
                           schools=operations.manageable_schools(actor))


def _person_form_page(user: User | None):
    actor = _actor()
    schools = operations.manageable_schools(actor)
    form = PersonForm(data=PersonForm.initial(user, schools) if request.method == "GET" else None)
    form.set_schools(schools)
    if form.validate_on_submit():
        try:
            if user is None:
                user = operations.create_person(form.person_data(), actor, now_utc())
            else:
                operations.update_person(user, form.person_data(), actor, now_utc())
        except operations.PeopleError as err:
            _show_error(form, err)
        else:
            db.session.commit()
            flash(_("%(name)s er lagret.", name=user.name), "success")
            return redirect(url_for(".edit_person", user_id=user.id))
    school_ids = {s.id for s in schools}
    other_roles = [m for m in user.memberships if m.school_id not in school_ids] if user else []
    status = 400 if form.is_submitted() else 200
    return render_template("people/person_form.html", form=form, person=user, other_roles=other_roles,
                           may_set_password=user is None or operations.can_set_password(actor, user)), status


@bp.route("/ansatte/ny", methods=["GET", "POST"])
def new_person():
    return _person_form_page(None)


@bp.route("/ansatte/<int:user_id>", methods=["GET", "POST"])
def edit_person(user_id: int):
    user = db.get_or_404(User, user_id)
    operations.require_can_manage_person(_actor(), user)
    return _person_form_page(user)


# --- the staff import -------------------------------------------------------

@bp.route("/ansatte/import", methods=["GET", "POST"])
def import_staff():
    actor = _actor()
    operations.require_staff_manager(actor)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            text = operations.decode_csv(form.file.data.read(operations.MAX_IMPORT_BYTES + 1))
            report = operations.import_staff(text, actor, now_utc())
        except operations.StaffImportError as err:
            form.file.errors.append(str(err))
        else:
            if form.dry_run.data:
                db.session.rollback()
            else:
                db.session.commit()
    status = 400 if form.is_submitted() and report is None else 200
    return render_template("people/import.html", form=form, report=report,
                           columns=operations.IMPORT_COLUMNS), status


@bp.route("/ansatte/import/mal.csv")
def import_template():
    body = operations.import_template(_actor())
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=ansatte-mal.csv"})
