"""Learning films: open to everyone, published by fyrtårn."""
from flask import Blueprint, abort, render_template

from lighthouse.films.models import LearningFilm
from lms.db import db

bp = Blueprint("films", __name__, template_folder="../templates")


@bp.get("/laeringsfilmer")
def index():
    # Placeholder until the page is built (issue 4); replaced by its real view.
    return render_template("lighthouse/placeholder.html")


@bp.get("/laeringsfilmer/<int:film_id>")
def show(film_id: int):
    # Rough first version; the full page follows.
    film = db.session.get(LearningFilm, film_id)
    if film is None or film.published_at is None:
        abort(404)
    return render_template("lighthouse/placeholder.html")
