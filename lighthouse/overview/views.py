"""The programme admins' overview of the fyrtårn scheme."""
from flask import Blueprint

bp = Blueprint("lighthouse_overview", __name__, template_folder="../templates")


@bp.get("/fyrtarn/oversikt")
def index():
    # Placeholder until the page is built (issue 4); replaced by its real view.
    from flask import render_template
    return render_template("lighthouse/placeholder.html")
