"""The programme admin's settings page: every registered setting, with its default."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.operations import require
from lms.db import db
from lms.settings import operations

bp = Blueprint("settings", __name__, url_prefix="/admin")


@bp.route("/innstillinger", methods=["GET", "POST"])
@login_required
def index():
    require(current_user.is_admin)
    errors: dict[str, str] = {}
    typed = dict(request.form) if request.method == "POST" else {}
    if request.method == "POST":
        try:
            operations.update_many(typed)
        except operations.SettingsRefused as refused:
            db.session.rollback()
            errors = refused.errors
        else:
            db.session.commit()
            flash(_("Innstillingene er lagret."), "success")
            return redirect(url_for("settings.index"), 303)
    rows = [(spec, typed.get(spec.key, str(operations.get(spec.key)))) for spec in operations.specs()]
    return render_template("settings/index.html", rows=rows, errors=errors), 400 if errors else 200
