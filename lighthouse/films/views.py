"""Learning films: open to everyone, published by fyrtårn."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lighthouse.films import operations as film_ops
from lighthouse.films.forms import FilmForm
from lighthouse.films.models import LearningFilm
from lighthouse.profiles.models import GradeLevel, Subject
from lms import security
from lms.auth.operations import require
from lms.forms import REFUSED, ActionForm, page_number, query_text, save
from lms.db import db, now_utc

bp = Blueprint("films", __name__, template_folder="../templates")


def _user():
    return current_user if current_user.is_authenticated else None


def _enum_arg(enum_cls, raw: str | None):
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def _film_or_404(film_id: int) -> LearningFilm:
    """Return a film this person may see; drafts are unknown to everyone but their fyrtårn and admins."""
    film = db.session.get(LearningFilm, film_id)
    if film is None or not film_ops.can_see(_user(), film):
        abort(404)
    return film


def _managed_film(film_id: int) -> LearningFilm:
    film = _film_or_404(film_id)
    require(film_ops.can_manage(current_user, film))
    return film


def _fyrtarn_link(profile_id: int) -> str | None:
    # The fyrtårn pages come from the profiles blueprint; link only where it is there.
    if "fyrtarn.show" in current_app.view_functions:
        return url_for("fyrtarn.show", profile_id=profile_id)
    return None


# --- reading -----------------------------------------------------------------------

@bp.get("/laeringsfilmer")
def index():
    f = film_ops.FilmFilter(q=query_text(request.args, "q", 200), subject=_enum_arg(Subject, request.args.get("fag")),
                            grade=_enum_arg(GradeLevel, request.args.get("trinn")))
    films, total, page, pages = film_ops.find_published(f, page=page_number(request.args),
                                                        size=current_app.config["PAGE_SIZE"])
    args = {k: v for k, v in request.args.items() if k in ("q", "fag", "trinn") and v}
    return render_template("lighthouse/films/index.html", films=films, total=total, page=page, pages=pages,
                           args=args, f=f, subjects=sorted(Subject, key=lambda s: str(s.label)),
                           grades=list(GradeLevel), licence=film_ops.licence, fyrtarn_link=_fyrtarn_link,
                           can_write=film_ops.can_manage_films(_user()))


@bp.get("/laeringsfilmer/<int:film_id>")
def show(film_id: int):
    film = _film_or_404(film_id)
    extra_hosts = current_app.config.get("VIDEO_EMBED_HOSTS", [])
    embed = film_ops.embed_url(film.video_url, extra_hosts)
    response = current_app.make_response(render_template(
        "lighthouse/films/show.html", film=film, embed=embed, licence=film_ops.licence(film.licence),
        fyrtarn_url=_fyrtarn_link(film.profile_id), can_manage=film_ops.can_manage(_user(), film),
        action_form=ActionForm()))
    if embed:
        # Only a page that embeds a video may frame anything, and only from the video services.
        response.headers["Content-Security-Policy"] = security.policy_with_frames(film_ops.embed_hosts(extra_hosts))
    return response


# --- managing ----------------------------------------------------------------------

@bp.get("/laeringsfilmer/mine")
@login_required
def mine():
    try:
        films = film_ops.managed_films(current_user)
    except film_ops.FilmNotAllowed:
        abort(403)
    return render_template("lighthouse/films/mine.html", films=films, action_form=ActionForm(),
                           licence=film_ops.licence)


def _form(obj=None) -> FilmForm:
    profiles = film_ops.profile_choices() if current_user.is_admin else None
    return FilmForm(obj=obj, profiles=profiles) if request.method == "GET" else FilmForm(profiles=profiles)


def _save(form: FilmForm, operation):
    """Run a form's operation and commit; a refusal goes on the form and REFUSED is returned."""
    return save(form, operation, film_ops.FilmError, forbidden=film_ops.FilmNotAllowed)


@bp.route("/laeringsfilmer/ny", methods=["GET", "POST"])
@login_required
def new():
    require(film_ops.can_manage_films(current_user))
    form = _form()
    if request.method == "GET" and "profile_id" in form:
        own = film_ops.profile_of(current_user)
        form.profile_id.data = own.id if own else None
    if form.validate_on_submit():
        film = _save(form, lambda: film_ops.create_film(form.data_for_operation(), actor=current_user,
                                                       now=now_utc()))
        if film is not REFUSED:
            flash(_("Filmen er lagret som utkast. Publiser den når den er klar."), "success")
            return redirect(url_for("films.show", film_id=film.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/films/form.html", form=form, film=None), status


@bp.route("/laeringsfilmer/<int:film_id>/rediger", methods=["GET", "POST"])
@login_required
def edit(film_id: int):
    film = _managed_film(film_id)
    form = _form(film)
    if request.method == "GET":
        form.subject.data = film.subject.value
        form.grades.data = [g.value for g in film.grades]
    if form.validate_on_submit():
        if _save(form, lambda: film_ops.update_film(film, form.data_for_operation(), actor=current_user,
                                                    now=now_utc())) is not REFUSED:
            flash(_("Endringene er lagret."), "success")
            return redirect(url_for("films.show", film_id=film.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("lighthouse/films/form.html", form=form, film=film), status


def _film_action(film_id: int, operation, message: str):
    film = _managed_film(film_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operation(film, actor=current_user, now=now_utc())
    except film_ops.FilmNotAllowed:
        db.session.rollback()
        abort(403)
    except film_ops.FilmError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(message, "success")
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for("films.show", film_id=film.id), 303)


@bp.post("/laeringsfilmer/<int:film_id>/publiser")
@login_required
def publish(film_id: int):
    return _film_action(film_id, film_ops.publish_film, _("Filmen er publisert og kan ses av alle."))


@bp.post("/laeringsfilmer/<int:film_id>/avpubliser")
@login_required
def unpublish(film_id: int):
    return _film_action(film_id, film_ops.unpublish_film,
                        _("Filmen er et utkast igjen og vises bare for fyrtårnet og administratorene."))
