"""Onboarding pages: a school's new hires and the course each of them is offered."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from catalog.offerings.models import OnboardingCohort
from catalog.onboarding import operations as onboarding_ops
from lms.auth.operations import require
from lms.db import now_utc
from lms.forms import whole_number
from lms.i18n import to_oslo

bp = Blueprint("onboarding", __name__, template_folder="../templates")


@bp.route("/nyansatte")
@login_required
def index():
    today = to_oslo(now_utc()).date()
    school_ids = current_user.led_school_ids()
    if current_user.is_admin and (school_id := whole_number(request.args.get("skole"))):
        school_ids = {school_id}
    require(bool(school_ids) or current_user.is_admin)
    rows = onboarding_ops.new_hires_at(school_ids, today) if school_ids else []
    return render_template("catalog/onboarding/index.html", rows=rows, schools=current_user.schools(),
                           cohorts=list(OnboardingCohort))
