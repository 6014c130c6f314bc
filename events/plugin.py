"""The events plugin as the host sees it."""
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from events.calendar import webcal_url
from events.views import bp
from lms.plugins import MenuItem, Plugin


def _init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # For events/_subscribe.html, which other packages' pages import.
    app.jinja_env.filters["webcal"] = webcal_url


plugin = Plugin(
    name="events",
    init_app=_init_app,
    menu=(MenuItem("events.index", _l("Kalender"), lambda u: u is not None, 25),),
    translations=str(Path(__file__).resolve().parent / "translations"),
)
