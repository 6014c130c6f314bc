from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth import operations, reset, throttle
from lms.auth.forms import LoginForm, PasswordChangeForm, ResetForm, ResetRequestForm
from lms.auth.login import begin_session
from lms.db import db, now_utc, write_lock_deferred
from lms.i18n import chosen_language
from lms.feide import client as feide
from lms.forms import ActionForm
from lms.links import absolute_url, same_site_path
from lms.people import operations as people

bp = Blueprint("auth", __name__)


@bp.route("/logg-inn", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status, headers = 200, {}
    if form.validate_on_submit():
        secret = current_app.config["SECRET_KEY"]
        device = throttle.read_device(request.cookies.get(throttle.DEVICE_COOKIE), secret)
        address = request.remote_addr or ""
        # Counted (and committed) before the password is looked at, so parallel guesses are counted too.
        attempt = throttle.count_attempt(form.email.data, address, device, now_utc())
        db.session.commit()
        if attempt.refusal:
            current_app.logger.warning("sign-in refused while throttled: account=%r address=%s",
                                       form.email.data.strip().lower()[:254], address)
            form.password.errors.append(attempt.refusal)
            status, headers = 429, {"Retry-After": str(attempt.retry_after)}
            return render_template("auth/login.html", form=form,
                                   feide=feide.configured(current_app.config)), status, headers
        try:
            # The password check is slow on purpose: keep it outside SQLite's write lock.
            with write_lock_deferred():
                user = operations.authenticate(form.email.data, form.password.data)
        except operations.AuthError as err:
            db.session.commit()  # end the reading transaction before writing
            current_app.logger.warning("sign-in failed: account=%r address=%s",
                                       form.email.data.strip().lower()[:254], address)
            throttle.attempt_failed(attempt, now_utc())
            db.session.commit()
            form.password.errors.append(str(err))
            status = 400
        else:
            target = same_site_path(form.next.data)
            db.session.commit()  # end the reading transaction before writing
            session.clear()  # a new session on every sign-in
            now = now_utc()
            throttle.attempt_succeeded(attempt)
            begin_session(user, now)
            people.keep_language_chosen_before_sign_in(user, chosen_language(), now)
            db.session.commit()  # the LoginSession must outlive this request
            login_user(user)
            flash(_("Velkommen, %(name)s.", name=user.name), "success")
            response = redirect(target)
            response.set_cookie(throttle.DEVICE_COOKIE, throttle.device_cookie(device, user.id, secret),
                                max_age=int(throttle.DEVICE_COOKIE_AGE.total_seconds()), httponly=True,
                                secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax",
                                path=url_for("auth.login"))
            return response
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


# --- the person's own account: sessions and password ---------------------------------------

def _account_page(password_form: PasswordChangeForm | None = None, status: int = 200):
    now = now_utc()
    sessions = operations.live_sessions(current_user, now, lifetime=current_app.config["SESSION_LIFETIME"])
    return render_template("auth/account.html", sessions=sessions, action_form=ActionForm(),
                           is_current=lambda login: operations.is_current(login, current_user),
                           password_form=password_form or PasswordChangeForm(formdata=None),
                           can_change_password=bool(current_user.password_hash),
                           idle=current_app.config["SESSION_IDLE_TIMEOUT"],
                           lifetime=current_app.config["SESSION_LIFETIME"]), status


@bp.get("/min-konto")
@login_required
def account():
    return _account_page()


@bp.post("/min-konto/okter/<int:session_id>/avslutt")
@login_required
def end_session(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    current = current_user.login_token
    operations.end_own_session(current_user, session_id, now_utc())
    db.session.commit()
    if not current_user.is_authenticated or not operations.user_for_token(
            current, now_utc(), lifetime=current_app.config["SESSION_LIFETIME"]):
        # The person ended the session they are using: that is signing out.
        logout_user()
        session.clear()
        flash(_("Du er logget ut."), "info")
        return redirect(url_for("core.index"), 303)
    flash(_("Påloggingen er avsluttet."), "success")
    return redirect(url_for(".account"), 303)


@bp.post("/min-konto/okter/avslutt-andre")
@login_required
def end_other_sessions():
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = operations.end_other_sessions(current_user, now_utc(), keep_token=current_user.login_token)
    db.session.commit()
    flash(ngettext("%(num)d annen pålogging er avsluttet.", "%(num)d andre pålogginger er avsluttet.", ended),
          "success")
    return redirect(url_for(".account"), 303)


@bp.post("/min-konto/passord")
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            with write_lock_deferred():
                operations.change_own_password(current_user, form.current.data, form.new.data, now_utc())
        except operations.WrongPassword as err:
            db.session.rollback()
            form.current.errors.append(str(err))
        except operations.AuthError as err:  # too weak
            db.session.rollback()
            form.new.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Passordet er byttet. Du er logget ut alle andre steder."), "success")
            return redirect(url_for(".account"), 303)
    return _account_page(form, 400)


# --- «Glemt passord?»: a new password through a link by mail ----------------------------------

@bp.route("/glemt-passord", methods=["GET", "POST"])
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        reset.request_reset(form.email.data, now_utc())
        db.session.commit()
        # The same answer whether or not the address has an account.
        return render_template("auth/forgot.html", form=form, sent=True)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form, sent=False), status


@bp.route("/nytt-passord/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    now = now_utc()
    try:
        reset.link_for(token, now)
    except reset.ResetLinkInvalid:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            with write_lock_deferred():
                reset.reset_password(token, form.new.data, now)
        except reset.ResetLinkInvalid:  # used in another tab a moment ago
            db.session.rollback()
            return render_template("auth/reset_invalid.html"), 404
        except operations.AuthError as err:  # too weak
            db.session.rollback()
            form.new.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Passordet er byttet. Logg inn med det nye passordet."), "success")
            return redirect(url_for(".login"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, min_length=operations.MIN_PASSWORD_LENGTH), status
