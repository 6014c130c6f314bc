"""Booking pages: a school asks for a time, the fyrtårn answers, both follow up."""
from flask import Blueprint

bp = Blueprint("bookings", __name__, template_folder="../templates")


@bp.get("/bestillinger")
def index():
    # Placeholder until the page is built (issue 4); replaced by its real view.
    from flask import render_template
    return render_template("lighthouse/placeholder.html")
