"""The tool's LTI addresses: login initiation, launch, keys, Canvas configuration, the new-window landing."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.links import same_site_path
from lms.auth.login import begin_session
from lms.db import db, now_utc
from lms.identity.operations import ArrivalRefused, RefusalReason
from lms.links import absolute_url
from lms.lti import keys
from lms.lti import operations as ops
from lms.lti.framing import FRAMED_KEY, cookie_attributes
from lms.lti.models import LtiPlatform
from lms.people.models import User
from lms.security import csrf

log = logging.getLogger(__name__)
bp = Blueprint("lti", __name__)

#: Cookies that tie a login to the browser that started it (partitioned, for frames), one per login.
STATE_COOKIE_PREFIX = "kp_lti_"
#: Session keys: the deep-linking request and the course's member list a launch brought.
DEEP_LINK_KEY = "lti_deep_link"
MEMBERS_KEY = "lti_members"
#: How long the ticket of a launch's landing lasts (and may open a new window).
TICKET_LIFETIME = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_cookie(state: str) -> str:
    """Return the name of the cookie that keeps this login's state (one per login: two tabs may launch at once)."""
    return STATE_COOKIE_PREFIX + _hash(state)[:16]


def _platform_origin(login) -> str:
    return ops.origin_of(db.session.get(LtiPlatform, login.platform_id).auth_login_url)


def members_offered(user) -> bool:
    """Tell whether the menu offers the LMS course's members: after such a launch, to a leader or admin."""
    return user is not None and bool(session.get(MEMBERS_KEY)) and (user.is_admin or bool(user.led_school_ids()))


def refused_page(err: Exception, status: int = 400):
    """Render why nobody was signed in, inside the LMS frame."""
    db.session.rollback()
    detail = getattr(err, "detail", "")
    log.warning("LTI launch refused (%s): %s", getattr(err, "reason", type(err).__name__), detail)
    title = _("Du kan ikke logge inn her") if isinstance(err, ArrivalRefused) else _("Innloggingen ble avvist")
    return render_template("identity/refused.html", title=title, message=str(err)), status


# --- login initiation and launch --------------------------------------------------

@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    params = {k: v for k, v in (request.form if request.method == "POST" else request.args).items()}
    try:
        started = ops.start_login(params, absolute_url("lti.launch"), now_utc())
    except ops.LaunchRefused as err:
        return refused_page(err)
    login = started.login
    if login.storage_target:
        # The platform keeps the state for us (LTI platform storage); the page puts it there, then goes on.
        response = current_app.make_response(render_template(
            "lti/storage.html", action="put", state=login.state, nonce=login.nonce, target=login.storage_target,
            platform_origin=_platform_origin(login), next_url=started.redirect_url))
    else:
        response = redirect(started.redirect_url)
    response.set_cookie(state_cookie(login.state), login.state, max_age=int(ops.LOGIN_LIFETIME.total_seconds()), path="/lti/",
                        **cookie_attributes())
    return response


@bp.post("/lti/launch")
@csrf.exempt
def launch():
    now = now_utc()
    state, id_token = request.form.get("state", ""), request.form.get("id_token", "")
    try:
        pending = ops.pending_login(state, now)
        if not id_token:
            raise ops.LaunchRefused(_("LMS-et sendte ingen innlogging. Åpne lenken i LMS-et på nytt."), "request")
        kept = None
        if pending.storage_target:
            # The platform offered its storage: the state was put there; read it back, then post again.
            kept = request.form.get("kp_stored_state")
            if kept is None:
                return render_template("lti/storage.html", action="get", state=state, nonce=pending.nonce,
                                       target=pending.storage_target, id_token=id_token,
                                       platform_origin=_platform_origin(pending))
        # Without the platform's storage (or when it had nothing for us), the partitioned cookie tells.
        kept = kept or request.cookies.get(state_cookie(state))
        if kept is None and ops.nonce_used(pending.platform_id, pending.nonce):
            raise ops.LaunchRefused(ops.refusal_message("replay"), "replay", "a used login, posted again")
        if kept is None:
            # The browser dropped our cookie inside the frame: start again in a window of its own.
            db.session.rollback()
            return render_template("lti/new_window.html", url=url_for("lti.login") + "?" + pending.login_query)
        if not secrets.compare_digest(kept, state):
            raise ops.LaunchRefused(ops.refusal_message("state"), "state", "the browser keeps another state")
        launch = ops.validate_launch(id_token, pending, now)
        user = ops.person_arriving(launch, now)
    except (ops.LaunchRefused, ArrivalRefused) as err:
        status = 403 if isinstance(err, ArrivalRefused) and err.reason == RefusalReason.NOT_STAFF else 400
        return refused_page(err, status)
    return _sign_in(user, launch, now)


def _sign_in(user: User, launch: ops.Launch, now):
    """Start the session of a checked launch and send the browser where the launch asked."""
    default = url_for("core.index")
    if launch.message_type == ops.DEEP_LINKING:
        target = url_for("lti_content.select")
    else:
        target = ops.landing_path(launch, current_app.config["BASE_URL"], default)
    session.clear()
    begin_session(user, now, method="lti")
    session[FRAMED_KEY] = launch.document_target != "window"
    if launch.message_type == ops.DEEP_LINKING:
        settings = launch.deep_linking
        session[DEEP_LINK_KEY] = {
            "platform_id": launch.platform.id, "deployment_id": launch.deployment.deployment_id,
            "return_url": str(settings.get("deep_link_return_url", "")), "data": settings.get("data"),
            "accept_multiple": bool(settings.get("accept_multiple", True)),
        }
    if launch.names_and_roles_url:
        session[MEMBERS_KEY] = {"platform_id": launch.platform.id, "url": launch.names_and_roles_url,
                                "title": str(launch.context.get("title", "")),
                                "school": ops.launch_school_org_number(launch)}
    login_user(user)  # before the commit, which would make it load the person again
    ticket = _tickets().dumps({"u": user.id, "p": launch.platform.id, "to": target, "id": secrets.token_urlsafe(12),
                               "h": _hash(user.login_token)})
    db.session.commit()
    response = redirect(url_for("lti.landing", ticket=ticket), 303)
    response.delete_cookie(state_cookie(launch.login.state), path="/lti/", **cookie_attributes())
    return response


def _tickets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-new-window-ticket")


@bp.get("/lti/inn/<ticket>")
def landing(ticket: str):
    """Land a launch: straight on when the frame kept our cookie, else offer to go on in a new window.

    The ticket is signed and runs out after ``TICKET_LIFETIME``. With the
    cookie kept it only says where to go; in a window of its own it signs the
    person in, once (its id is used up like a launch's nonce).
    """
    try:
        data = _tickets().loads(ticket, max_age=int(TICKET_LIFETIME.total_seconds()))
        user_id, platform_id, target, ticket_id = int(data["u"]), int(data["p"]), str(data["to"]), str(data["id"])
    except (BadSignature, KeyError, TypeError, ValueError):
        abort(404)
    # The frame sent back the session the launch started: go on (known without asking the database).
    if session.get("_user_id") and secrets.compare_digest(_hash(session["_user_id"]), str(data.get("h", ""))):
        return redirect(same_site_path(target))
    if request.args.get("vindu") != "1":
        return render_template("lti/new_window.html", url=url_for("lti.landing", ticket=ticket, vindu=1))
    now = now_utc()
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        abort(404)
    try:
        ops.use_once(platform_id, f"ticket:{ticket_id}", now + TICKET_LIFETIME)
    except ops.LaunchRefused as err:
        return refused_page(err)
    session.clear()
    begin_session(user, now, method="lti")
    login_user(user)
    db.session.commit()
    return redirect(same_site_path(target))


# --- what a platform reads ------------------------------------------------------------

@bp.get("/lti/jwks")
def jwks():
    # Reads without SQLite's write lock: a platform asks for it while our own request (holding the lock)
    # waits for that platform's answer. Only the very first key is written here.
    keyset = keys.published_keyset(now_utc())
    db.session.commit()  # the first key, made on first use
    response = jsonify(keyset)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def tool_addresses() -> dict[str, str]:
    """Return the addresses a platform administrator registers (also shown on the LMS page)."""
    return {
        "login": absolute_url("lti.login"),
        "launch": absolute_url("lti.launch"),
        "jwks": absolute_url("lti.jwks"),
        "config": absolute_url("lti.canvas_config"),
        "register": absolute_url("lti_admin.register", invite="INVITE"),
        "target": absolute_url("core.index"),
    }


@bp.get("/lti/config.json")
def canvas_config():
    """Canvas's JSON configuration ("Enter URL" in Canvas's developer keys)."""
    addresses = tool_addresses()
    placements = [
        {"placement": "course_navigation", "message_type": ops.RESOURCE_LINK, "text": "Kompetanseportalen"},
        {"placement": "link_selection", "message_type": ops.DEEP_LINKING, "target_link_uri": addresses["launch"],
         "text": "Kompetanseportalen"},
        {"placement": "assignment_selection", "message_type": ops.DEEP_LINKING,
         "target_link_uri": addresses["launch"], "text": "Kompetanseportalen"},
    ]
    return jsonify({
        "title": "Kompetanseportalen",
        "description": "Kurs, fyrtårn og læringsfilmer for skolens ansatte.",
        "oidc_initiation_url": addresses["login"],
        "target_link_uri": addresses["target"],
        "public_jwk_url": addresses["jwks"],
        "scopes": ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"],
        "extensions": [{"platform": "canvas.instructure.com", "privacy_level": "public",
                        "domain": ops.origin_of(current_app.config["BASE_URL"]).split("://", 1)[-1],
                        "settings": {"placements": placements}}],
        "custom_fields": {},
    })
