"""The catalogue plugin as the host sees it."""
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from catalog import calendar
from catalog import lti as lms_plugin
from catalog.cli import catalog_cli
from catalog.enrollment import mails
from catalog.demo import load_demo
from catalog.views import bp, dashboard_figures
from events.feeds import register_feed_source
from lms.plugins import MenuItem, Plugin


def _init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(catalog_cli)
    mails.init_app(app)
    register_feed_source(app, "person", calendar.PERSON_SOURCE)
    register_feed_source(app, "school", calendar.SCHOOL_SOURCE)
    lms_plugin.init_app(app)


plugin = Plugin(
    name="catalog",
    init_app=_init_app,
    requires=("events",),
    menu=(
        MenuItem("catalog.index", _l("Kurskatalog"), order=10),
        MenuItem("catalog.my_courses", _l("Mine kurs"), lambda u: u is not None, 20),
        MenuItem("catalog.onboarding", _l("Nyansatte"), lambda u: u is not None and (bool(u.led_school_ids()) or u.is_admin), 30),
        MenuItem("catalog.new_offering", _l("Nytt tilbud"), lambda u: u is not None and u.is_admin, 40),
    ),
    load_demo=load_demo,
    dashboard=dashboard_figures,
    translations=str(Path(__file__).resolve().parent / "translations"),
)
