from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from flask_wtf.csrf import CSRFError

from lms import i18n, plugins
from lms.auth.operations import PermissionDenied
from lms.db import db, now_utc
from lms.links import same_site_path
from lms.people import operations as people
from lms.security import csrf

bp = Blueprint("core", __name__)


@bp.route("/")
def index():
    user = current_user if current_user.is_authenticated else None
    sections = plugins.front_page_sections(current_app, user, now_utc())
    return render_template("core/index.html", tasks=[s for s in sections if s.area == plugins.TASKS],
                           discover=[s for s in sections if s.area == plugins.DISCOVER])


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the answer itself is the report; what failed is in the log, not for the public
        current_app.logger.exception("health check: the database did not answer")
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/ping")
def ping():
    """Answer with no database work: the ceiling for benchmarks."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/sprak", methods=["POST"])
@csrf.exempt
def set_language():
    """Keep the language chosen in the header: in this browser, and on the account when signed in.

    The switch of a visitor who is not signed in carries no CSRF token: it
    only sets this browser's language cookie, and a token would have to be
    kept in a session cookie set on every page they merely read. A signed-in
    person's choice is saved on their account, and their switch is checked
    as every other form is.
    """
    if current_user.is_authenticated and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    language = i18n.parse_language(request.form.get("lang"))
    response = redirect(same_site_path(request.form.get("next")))
    if language is not None:
        if current_user.is_authenticated:
            people.choose_language(current_user, language, now_utc())
            db.session.commit()
        i18n.remember_language(response, language)
    return response


def _error_page(status: int, title: str, message: str):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), status
    return render_template("core/error.html", status=status, title=title, message=message), status


def register_error_handlers(app):

    @app.errorhandler(400)
    def bad_request(err):
        return _error_page(400, _("Ugyldig forespørsel"), _("Forespørselen kunne ikke behandles. Sjekk det du sendte inn og prøv igjen."))

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return _error_page(400, _("Skjemaet er utløpt"), _("Skjemaet var utløpt eller ugyldig. Gå tilbake, last siden på nytt og prøv igjen."))

    @app.errorhandler(403)
    @app.errorhandler(PermissionDenied)
    def forbidden(err):
        message = str(err) if isinstance(err, PermissionDenied) else _("Du har ikke tilgang til denne siden.")
        return _error_page(403, _("Ingen tilgang"), message)

    @app.errorhandler(404)
    def not_found(err):
        return _error_page(404, _("Fant ikke siden"), _("Siden du leter etter finnes ikke, eller er flyttet."))

    @app.errorhandler(405)
    def method_not_allowed(err):
        return _error_page(405, _("Ikke tillatt"), _("Denne handlingen er ikke tillatt her."))

    @app.errorhandler(413)
    def too_large(err):
        limit = current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
        return _error_page(413, _("For stor forespørsel"), _(
            "Det du sendte er større enn %(mib)s MiB, som er det største tjenesten tar imot. Send en mindre fil, "
            "eller del den opp.", mib=f"{limit:.0f}"))

    @app.errorhandler(IntegrityError)
    def conflict(err):
        # Two requests raced for the same unique thing (an e-mail, a seat);
        # the database kept it right, the person only needs to look again.
        db.session.rollback()
        return _error_page(409, _("Endret samtidig"), _("Noen andre endret det samme akkurat nå. Gå tilbake, last siden på nytt og prøv igjen."))

    @app.errorhandler(OperationalError)
    def database_busy(err):
        db.session.rollback()
        return _error_page(503, _("Prøv igjen om litt"), _("Tjenesten er travel akkurat nå. Ingenting er lagret; prøv igjen om et øyeblikk."))

    @app.errorhandler(500)
    def server_error(err):
        db.session.rollback()
        return _error_page(500, _("Noe gikk galt"), _("Det oppstod en feil hos oss. Prøv igjen om litt."))
