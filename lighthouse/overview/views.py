"""The programme admins' overview of the fyrtårn scheme."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lighthouse.overview import operations as overview_ops
from lighthouse.profiles.models import semester_label
from lighthouse.profiles.operations import format_hours as hours
from lms.auth.operations import require
from lms.db import now_utc
from lms.exports import csv_response

bp = Blueprint("lighthouse_overview", __name__, template_folder="../templates")


def _figures():
    """Check that an admin asks, and return the chosen semester with both tables."""
    require(current_user.is_admin)
    now = now_utc()
    semester = overview_ops.parse_semester(request.args.get("semester"), now)
    demand = overview_ops.demand_by_subject(semester)
    return now, semester, demand, overview_ops.total(demand), overview_ops.release_time_use(semester)


@bp.get("/fyrtarn/oversikt")
@login_required
def index():
    now, semester, demand, total, use = _figures()
    return render_template("lighthouse/overview/index.html", semester=semester,
                           semesters=overview_ops.semesters(now, semester), semester_label=semester_label,
                           demand=demand, total=total, use=use, hours=hours)


DEMAND_HEADER = [_l("Fagområde"), _l("Forespørsler"), _l("Bekreftet eller gjennomført"), _l("Avslått"),
                 _l("Avslått for manglende kapasitet"), _l("Avlyst"), _l("Venter på svar")]
USE_HEADER = [_l("Fyrtårn"), _l("Hjemmeskole"), _l("Godkjente timer"), _l("Timer holdt av bestillinger"),
              _l("Timer gjennomført"), _l("Timer igjen"), _l("Bestillinger")]


def _demand_cells(row: overview_ops.SubjectDemand) -> list:
    return [row.requests, row.confirmed, row.declined, row.declined_for_capacity, row.cancelled, row.waiting]


@bp.get("/fyrtarn/oversikt.csv")
@login_required
def export_csv():
    _now, semester, demand, total, use = _figures()
    rows: list[list] = [[_("Fyrtårnoversikt"), semester_label(semester)], [], [_("Forespørsler per fagområde")],
                        [str(h) for h in DEMAND_HEADER]]
    rows += [[str(row.subject.label), *_demand_cells(row)] for row in demand]
    rows += [[_("Totalt"), *_demand_cells(total)], [], [_("Bruk av frikjøpstid")], [str(h) for h in USE_HEADER]]
    rows += [[line.name, line.home_school, hours(line.approved_minutes), hours(line.held_minutes),
              hours(line.completed_minutes), hours(line.left_minutes), line.bookings] for line in use]
    return csv_response(rows, f"fyrtarn-oversikt-{semester}.csv")
