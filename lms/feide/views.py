"""Sign-in with Feide: off to Feide, back with a code, in at the right school in the right role."""
from __future__ import annotations

import logging

from authlib.integrations.base_client.errors import MismatchingStateError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import login_user

from lms.links import same_site_path
from lms.auth.login import begin_session
from lms.db import db, now_utc, writes_on_get
from lms.feide import client as feide
from lms.feide.groups import GroupsUnavailable, fetch_memberships
from lms.identity.operations import Arrival, ArrivalRefused, arrive
from lms.links import absolute_url

log = logging.getLogger(__name__)
bp = Blueprint("feide", __name__)

#: Session key: where to go after sign-in.
NEXT_KEY = "feide_next"


def _require_configured() -> None:
    if not feide.configured(current_app.config):
        abort(404)


def refused(title: str, message: str, status: int):
    """Render the page that says why nobody was signed in, with the way to the other sign-in."""
    return render_template("identity/refused.html", title=title, message=message), status


@bp.get("/feide/logg-inn")
def login():
    _require_configured()
    session[NEXT_KEY] = same_site_path(request.args.get("next"))
    try:
        return feide.client().authorize_redirect(absolute_url("feide.callback"))
    except feide.FAILURES as err:
        log.warning("Feide discovery failed: %s", err)
        return refused(_("Feide svarer ikke"), _("Vi får ikke kontakt med Feide akkurat nå. Prøv igjen om litt, "
                                                  "eller logg inn med e-post og passord."), 503)


@bp.get("/feide/callback")
@writes_on_get
def callback():
    _require_configured()
    client = feide.client()
    try:
        token = client.authorize_access_token()
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise KeyError("no validated id_token in the token answer")
        info = client.userinfo(token=token)
        if info.get("sub") != claims["sub"]:
            raise ValueError("userinfo is about someone else than the id_token")
    except MismatchingStateError:
        return refused(_("Innloggingen ble avbrutt"), _(
            "Svaret fra Feide hørte ikke til en innlogging startet i denne nettleseren. Start innloggingen på nytt."),
            400)
    except feide.FAILURES as err:
        log.warning("Feide sign-in refused: %s: %s", type(err).__name__, err)
        return refused(_("Innloggingen ble avvist"), _(
            "Svaret fra Feide kunne ikke godkjennes, så du er ikke logget inn. Start innloggingen på nytt."), 400)
    try:
        memberships = fetch_memberships(current_app.config["FEIDE_GROUPS_API"], token["access_token"],
                                        current_app.config["FEIDE_TIMEOUT"])
    except GroupsUnavailable as err:
        log.warning("Feide groups API failed: %s", err)
        return refused(_("Feide svarer ikke"), _(
            "Feide svarte ikke på hvilken skole du arbeider ved, så du er ikke logget inn. Prøv igjen om litt, "
            "eller logg inn med e-post og passord."), 503)
    arrival = Arrival(method="feide", issuer=client.load_server_metadata()["issuer"], subject=claims["sub"],
                      name=str(info.get("name") or ""), email=str(info.get("email") or ""),
                      school_org_numbers=memberships.school_org_numbers, is_staff=memberships.is_staff,
                      all_schools=True)
    now = now_utc()
    try:
        user = arrive(arrival, now)
    except ArrivalRefused as err:
        db.session.rollback()
        return refused(_("Du kan ikke logge inn her"), str(err), 403)
    target = session.pop(NEXT_KEY, None) or same_site_path(None)
    session.clear()  # a new session on every sign-in
    begin_session(user, now, method="feide")
    db.session.commit()
    session[feide.ID_TOKEN_KEY] = token["id_token"]
    login_user(user)
    flash(_("Velkommen, %(name)s.", name=user.name), "success")
    return redirect(target)

