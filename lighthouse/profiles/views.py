"""Fyrtårn pages: the public list and profiles, a fyrtårn's own profile, offerings, availability and release time."""
from flask import Blueprint

bp = Blueprint("fyrtarn", __name__, template_folder="../templates")


@bp.get("/fyrtarn")
def index():
    # Placeholder until the page is built (issue 4); replaced by its real view.
    from flask import render_template
    return render_template("lighthouse/placeholder.html")
