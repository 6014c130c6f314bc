from flask import Blueprint

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.route("/kurs")
def index():
    return "todo"


@bp.route("/mine-kurs")
def my_courses():
    return "todo"


@bp.route("/nyansatte")
def onboarding():
    return "todo"


@bp.route("/kurs/nytt")
def new_offering():
    return "todo"


def dashboard_figures(user):
    return []
