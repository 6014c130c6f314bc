"""Onboarding pages: a school's new hires and the course each of them is offered."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from catalog.enrollment import operations as enrollment_ops
from catalog.offerings.models import OnboardingCohort
from catalog.onboarding import operations as onboarding_ops
from lms.auth.operations import require
from lms.db import now_utc
from lms.forms import ActionForm, whole_number

bp = Blueprint("onboarding", __name__, template_folder="../templates")


@bp.route("/nyansatte")
@login_required
def index():
    now = now_utc()
    school_ids = current_user.led_school_ids()
    if current_user.is_admin and (school_id := whole_number(request.args.get("skole"))):
        school_ids = {school_id}
    require(bool(school_ids) or current_user.is_admin)
    rows = onboarding_ops.new_hires_at(school_ids, now) if school_ids else []
    return render_template("catalog/onboarding/index.html", rows=rows, schools=current_user.schools(),
                           cohorts=list(OnboardingCohort), action_form=ActionForm(),
                           may_enroll=lambda person: enrollment_ops.can_act_for(current_user, person))
