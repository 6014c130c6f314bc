"""Calendar pages: the personal and school feeds behind their secret links, and the page that makes the links."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from events import feeds, operations
from events.calendar import CACHE_CONTROL, webcal_url
from events.models import FeedScope
from lms.db import db, now_utc, read_without_transaction, reads_only
from lms.forms import ActionForm, whole_number
from lms.links import absolute_url
from lms.people.models import School

bp = Blueprint("events", __name__, template_folder="templates")


@bp.get("/kalender/<token>.ics")
def feed(token: str):
    # No sign-in and no session: the token opens this one feed and nothing else,
    # and a wrong token looks exactly like a missing page.
    response = feeds.answer_feed(lambda: _owner_feed(token))
    if response is None:
        # Plain text: calendar apps read no HTML, and the site's error page
        # would start a session cookie for its forms.
        return Response(_("Fant ikke kalenderen."), 404, content_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": CACHE_CONTROL})
    return response


def _owner_feed(token: str) -> feeds.FeedAnswer | None:
    read_without_transaction()
    owner = operations.owner_for_token(token, current_app.config["BABEL_DEFAULT_LOCALE"])
    if owner is None:
        return None
    return feeds.owner_feed(owner, now_utc())


def _page(chosen_school_id: int | None = None, new_link: dict | None = None):
    schools = operations.feed_schools(current_user, chosen_school_id)
    tokens = operations.live_feed_tokens(current_user.id, [s.id for s in schools])
    all_schools = operations.all_schools() if current_user.is_admin else []
    return render_template("events/index.html", schools=schools, tokens=tokens, all_schools=all_schools,
                           chosen_school_id=chosen_school_id, new_link=new_link, form=ActionForm(),
                           FeedScope=FeedScope)


@bp.get("/kalender")
@reads_only
@login_required
def index():
    return _page(whole_number(request.args.get("skole")))


def _issue(scope: FeedScope, owner_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    token = operations.issue_feed_token(scope, owner_id, actor=current_user, now=now_utc())
    db.session.commit()
    https = absolute_url("events.feed", token=token)
    link = {"scope": scope, "owner_id": owner_id, "https": https, "webcal": webcal_url(https)}
    # The page is answered here rather than after a redirect: the token is in no
    # cookie and no URL, so this answer is the only place it ever appears.
    response = make_response(_page(owner_id if scope == FeedScope.SCHOOL else None, link))
    response.headers["Cache-Control"] = "no-store"
    return response


def _revoke(scope: FeedScope, owner_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    if operations.revoke_feed_token(scope, owner_id, actor=current_user, now=now_utc()):
        flash(_("Lenken er slettet. Kalendere som abonnerte på den, får ikke flere oppdateringer."), "success")
    db.session.commit()
    school = owner_id if scope == FeedScope.SCHOOL and owner_id not in current_user.led_school_ids() else None
    return redirect(url_for("events.index", skole=school), 303)


@bp.post("/kalender/min/ny")
@login_required
def new_personal_link():
    return _issue(FeedScope.PERSON, current_user.id)


@bp.post("/kalender/min/slett")
@login_required
def revoke_personal_link():
    return _revoke(FeedScope.PERSON, current_user.id)


@bp.post("/kalender/skole/<int:school_id>/ny")
@login_required
def new_school_link(school_id: int):
    return _issue(FeedScope.SCHOOL, db.get_or_404(School, school_id).id)


@bp.post("/kalender/skole/<int:school_id>/slett")
@login_required
def revoke_school_link(school_id: int):
    return _revoke(FeedScope.SCHOOL, db.get_or_404(School, school_id).id)
