"""The "LMS" page for programme admins, the registration invitation, and LTI Dynamic Registration."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.auth.operations import require
from lms.db import db, now_utc, writes_on_get
from lms.lti import keys
from lms.lti import operations as ops
from lms.lti.forms import InviteForm, PlatformForm
from lms.lti.models import LtiDeployment, LtiPlatform
from lms.lti.views import tool_addresses
from lms.security import csrf

bp = Blueprint("lti_admin", __name__)

#: How long a dynamic-registration invitation may be used.
INVITE_LIFETIME = timedelta(days=7)


def _invites() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-dynamic-registration")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _page(form: PlatformForm | None = None, status: int = 200, invite_url: str | None = None):
    now = now_utc()
    keys.signing_key(now)  # made on first use, so the page shows it
    addresses = tool_addresses()
    page = render_template("lti/admin.html", platforms=ops.platforms(), form=form or PlatformForm(prefix="new"),
                           invite_form=InviteForm(prefix="invite"), addresses=addresses, invite_url=invite_url,
                           tool_keys=keys.tool_keys(now), now=now)
    db.session.commit()  # the tool's first key, made on first use
    return page, status


@bp.get("/admin/lms")
@login_required
@writes_on_get
def index():
    require(current_user.is_admin)
    return _page()


@bp.post("/admin/lms/plattform")
@login_required
def save_platform():
    require(current_user.is_admin)
    form = PlatformForm(prefix="new")
    if not form.validate_on_submit():
        return _page(form, 400)
    data = ops.PlatformData(name=form.name.data or "", issuer=form.issuer.data, client_id=form.client_id.data,
                            auth_login_url=form.auth_login_url.data, keyset_url=form.keyset_url.data,
                            auth_token_url=form.auth_token_url.data or "", deployment_ids=_lines(form.deployment_ids.data),
                            school_org_number=form.school_org_number.data or "",
                            frame_origins=_lines(form.frame_origins.data))
    try:
        platform = ops.save_platform(data, current_user, now_utc())
    except ops.LtiError as err:
        db.session.rollback()
        target = getattr(form, err.field, None) if err.field else None
        (target.errors if target is not None and isinstance(target.errors, list) else form.form_errors).append(str(err))
        return _page(form, 400)
    db.session.commit()
    flash(_("%(name)s er registrert.", name=platform.name), "success")
    return redirect(url_for("lti_admin.index"), 303)


@bp.post("/admin/lms/plattform/<int:platform_id>/slett")
@login_required
def remove_platform(platform_id: int):
    require(current_user.is_admin)
    platform = db.session.get(LtiPlatform, platform_id) or abort(404)
    InviteForm().validate_on_submit() or abort(400)
    ops.remove_platform(platform, current_user, now_utc())
    db.session.commit()
    flash(_("Registreringen er fjernet. Lanseringer derfra avvises."), "success")
    return redirect(url_for("lti_admin.index"), 303)


@bp.post("/admin/lms/deployment/<int:deployment_id>/skole")
@login_required
def deployment_school(deployment_id: int):
    require(current_user.is_admin)
    deployment = db.session.get(LtiDeployment, deployment_id) or abort(404)
    form = InviteForm()
    form.validate_on_submit() or abort(400)
    try:
        ops.set_deployment_school(deployment, form.school_org_number.data or "", current_user, now_utc())
    except ops.LtiError as err:
        db.session.rollback()
        flash(str(err), "error")
    else:
        db.session.commit()
        flash(_("Skolen for deployment %(id)s er lagret.", id=deployment.deployment_id), "success")
    return redirect(url_for("lti_admin.index"), 303)


@bp.post("/admin/lms/nokler/roter")
@login_required
def rotate_key():
    require(current_user.is_admin)
    InviteForm().validate_on_submit() or abort(400)
    key = keys.rotate(now_utc(), actor=current_user)
    db.session.commit()
    flash(_("Ny nøkkel %(kid)s signerer fra nå; de gamle publiseres i sju dager til.", kid=key.kid), "success")
    return redirect(url_for("lti_admin.index"), 303)


@bp.post("/admin/lms/invitasjon")
@login_required
def invite():
    require(current_user.is_admin)
    form = InviteForm(prefix="invite")
    form.validate_on_submit() or abort(400)
    number = (form.school_org_number.data or "").strip()
    if number:
        try:
            ops.school_by_org_number(number)
        except ops.LtiError as err:
            flash(str(err), "error")
            return redirect(url_for("lti_admin.index"), 303)
    token = _invites().dumps({"school": number, "by": current_user.id})
    return _page(invite_url=url_for("lti_admin.register", invite=token, _external=True))


@bp.get("/lti/register/<invite>")
@csrf.exempt
@writes_on_get
def register(invite: str):
    """LTI Dynamic Registration: the platform opens this address with its configuration and a token."""
    try:
        granted = _invites().loads(invite, max_age=int(INVITE_LIFETIME.total_seconds()))
    except BadSignature:
        return render_template("identity/refused.html", title=_("Invitasjonen gjelder ikke"), message=_(
            "Registreringslenken er ugyldig eller utløpt. Be en programadministrator lage en ny på siden «LMS».")), 403
    try:
        platform = ops.dynamic_registration(request.args.get("openid_configuration", ""),
                                            request.args.get("registration_token", ""), tool_addresses(),
                                            granted.get("school", ""), now_utc())
    except ops.LtiError as err:
        db.session.rollback()
        return render_template("identity/refused.html", title=_("Registreringen mislyktes"), message=str(err)), 400
    db.session.commit()
    return render_template("lti/registered.html", platform=platform)
