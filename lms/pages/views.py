"""Information pages, open to everyone: the municipality's own texts from ``content/pages/``."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from lms.content import read_page

bp = Blueprint("pages", __name__)


@bp.route("/info/<slug>")
def show(slug: str):
    page = read_page(slug)
    if page is None:
        abort(404)
    return render_template("pages/show.html", page=page)
