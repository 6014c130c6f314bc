"""The fyrtårn scheme's part of the LMS plugin: the fyrtårn page and the learning films as LMS links."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from lighthouse.films.models import LearningFilm
from lms.db import db
from lms.lti.hooks import LinkTarget, register_link_targets

LISTED = 200


def link_targets(user) -> list[LinkTarget]:
    targets = [LinkTarget("fyrtarn", _("Fyrtårn"), _("Fyrtårn"), "fyrtarn.index"),
               LinkTarget("films", _("Læringsfilmer"), _("Alle læringsfilmer"), "films.index")]
    films = db.session.scalars(sa.select(LearningFilm).where(LearningFilm.published_at.is_not(None))
                               .order_by(LearningFilm.published_at.desc(), LearningFilm.id.desc()).limit(LISTED))
    for film in films:
        targets.append(LinkTarget(f"film:{film.id}", _("Læringsfilmer"), film.title, "films.show",
                                  (("film_id", film.id),)))
    return targets


def init_app(app: Flask) -> None:
    register_link_targets(app, link_targets)
