"""Pages a launch leads to: choosing what an LMS link opens (Deep Linking), and the LMS course's members (NRPS)."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms import security
from lms.db import db, now_utc
from lms.forms import whole_number
from lms.links import absolute_url
from lms.lti import hooks, keys
from lms.lti import operations as ops
from lms.lti.models import LtiPlatform
from lms.lti.views import DEEP_LINK_KEY, MEMBERS_KEY

log = logging.getLogger(__name__)
bp = Blueprint("lti_content", __name__)


def _chosen_targets(targets: list[hooks.LinkTarget], keys: list[str], args) -> list[ops.ContentItem]:
    """Turn the ticked targets (and their filters) into the links to return, each built from its endpoint."""
    by_key = {t.key: t for t in targets}
    items = []
    for key in keys:
        target = by_key.get(key)
        if target is None:
            continue
        values = dict(target.values)
        for f in target.filters:
            value = args.get(f"{target.key}:{f.name}", "")
            if value and value in {v for v, _label in f.choices}:
                values[f.name] = value
        items.append(ops.ContentItem(title=target.title, url=absolute_url(target.endpoint, **values),
                                     text=target.text))
    return items


@bp.route("/lti/innhold", methods=["GET", "POST"])
@login_required
def select():
    """The deep-linking selection page: pick what the LMS link should open; the signed answer goes back."""
    request_data = session.get(DEEP_LINK_KEY)
    if not request_data:
        abort(404)
    targets = hooks.link_targets(current_user)
    groups: dict[str, list[hooks.LinkTarget]] = {}
    for target in targets:
        groups.setdefault(target.group, []).append(target)
    error = None
    if request.method == "POST":
        keys = request.form.getlist("target")
        if not request_data.get("accept_multiple", True):
            keys = keys[:1]
        try:
            jwt, return_url = ops.deep_linking_response(request_data, _chosen_targets(targets, keys, request.form),
                                                        now_utc())
        except ops.LtiError as err:
            error = str(err)
        else:
            db.session.commit()  # a tool key made on first use
            session.pop(DEEP_LINK_KEY, None)
            response = make_response(render_template("lti/deep_link_return.html", jwt=jwt, return_url=return_url))
            # The answer is a form posted to the platform: allow that one origin as a form target.
            response.headers["Content-Security-Policy"] = security.policy_with_form_targets([ops.origin_of(return_url)])
            return response
    return render_template("lti/select.html", groups=groups, multiple=request_data.get("accept_multiple", True),
                           error=error, chosen=set(request.form.getlist("target"))), 400 if error else 200


@bp.route("/lti/deltakere", methods=["GET", "POST"])
@login_required
def members():
    """The LMS course's members: a leader adds the chosen ones to the school's staff or enrolls them in one step."""
    launch = session.get(MEMBERS_KEY)
    if not launch:
        abort(404)
    platform = db.session.get(LtiPlatform, launch["platform_id"])
    if platform is None:
        abort(404)
    now = now_utc()
    # The platform checks our signed assertion against /lti/jwks: the key must be there before we ask.
    keys.signing_key(now)
    db.session.commit()
    try:
        found = ops.course_members(platform, launch["url"], now)
    except ops.ServiceUnavailable as err:
        log.warning("LMS member list unavailable: %s", err)
        db.session.rollback()
        return render_template("lti/members.html", members=[], unavailable=str(err), launch=launch, offerings=[]), 503
    hook = hooks.enrollment()
    offerings = hook.choices(current_user) if hook else []
    if request.method == "POST":
        raw = request.form.get("offering", "")
        offering_id = whole_number(raw) if request.form.get("action") == "enroll" else None
        if request.form.get("action") == "enroll" and offering_id not in {o for o, _t in offerings}:
            flash(_("Velg et tilbud å melde dem på."), "error")
            return redirect(url_for("lti_content.members"), 303)
        try:
            lines = ops.add_course_members(platform, found, set(request.form.getlist("member")), launch["school"],
                                           current_user, now, offering_id=offering_id)
        except ops.LtiError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(url_for("lti_content.members"), 303)
        db.session.commit()
        for line in lines or [_("Ingen var valgt.")]:
            flash(line, "success")
        return redirect(url_for("lti_content.members"), 303)
    return render_template("lti/members.html", members=found, unavailable=None, launch=launch, offerings=offerings)
