from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/admin")


@bp.route("/skoler")
def schools():
    return "todo"


@bp.route("/ansatte")
def people():
    return "todo"
