"""Learning films: open to everyone, published by fyrtårn."""
from flask import Blueprint

bp = Blueprint("films", __name__, template_folder="../templates")


@bp.get("/laeringsfilmer")
def index():
    # Placeholder until the page is built (issue 4); replaced by its real view.
    from flask import render_template
    return render_template("lighthouse/placeholder.html")
