from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.auth import operations
from lms.auth.forms import LoginForm
from lms.db import db, now_utc, write_lock_deferred
from lms.i18n import chosen_language
from lms.feide import client as feide
from lms.links import absolute_url, same_site_path
from lms.people import operations as people

bp = Blueprint("auth", __name__)


@bp.route("/logg-inn", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            # The password check is slow on purpose: keep it outside SQLite's write lock.
            with write_lock_deferred():
                user = operations.authenticate(form.email.data, form.password.data)
        except operations.AuthError as err:
            form.password.errors.append(str(err))
            status = 400
        else:
            target = same_site_path(form.next.data)
            db.session.commit()  # end the reading transaction before writing
            session.clear()  # a new session on every sign-in
            now = now_utc()
            operations.start_session(user, now)
            people.keep_language_chosen_before_sign_in(user, chosen_language(), now)
            db.session.commit()  # the LoginSession must outlive this request
            login_user(user)
            flash(_("Velkommen, %(name)s.", name=user.name), "success")
            return redirect(target)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, feide=feide.configured(current_app.config)), status


@bp.route("/logg-ut", methods=["POST"])
def logout():
    id_token = session.get(feide.ID_TOKEN_KEY)
    if current_user.is_authenticated and current_user.login_token:
        operations.end_session(current_user.login_token, now_utc())
        db.session.commit()  # the revocation must outlive this request
    logout_user()
    session.clear()
    flash(_("Du er logget ut."), "info")
    # Signed in through Feide: end Feide's session too, or the next "Logg inn med Feide" is silent.
    elsewhere = feide.end_session_url(id_token, absolute_url("core.index")) if id_token else None
    return redirect(elsewhere or url_for("core.index"))
