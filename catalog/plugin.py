"""The catalogue plugin as the host sees it."""
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog import calendar
from catalog import lti as lms_plugin
from catalog.cli import catalog_cli
from catalog.demo import load_demo
from catalog.enrollment import mails
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.models import EnrollmentState
from catalog.enrollment.views import bp as enrollment_bp
from catalog.offerings import mails as offering_mails
from catalog.offerings import operations as offering_ops
from catalog.offerings.views import bp as offerings_bp
from catalog.onboarding import operations as onboarding_ops
from catalog.onboarding.views import bp as onboarding_bp
from events.feeds import register_feed_source
from lms.db import now_utc
from lms.plugins import MenuItem, Plugin


def _init_app(app: Flask) -> None:
    for bp in (offerings_bp, enrollment_bp, onboarding_bp):
        app.register_blueprint(bp)
    app.cli.add_command(catalog_cli)
    mails.init_app(app)
    offering_mails.init_app(app)
    register_feed_source(app, "person", calendar.PERSON_SOURCE)
    register_feed_source(app, "school", calendar.SCHOOL_SOURCE)
    lms_plugin.init_app(app)


def dashboard_figures(user) -> list[tuple[str, object, str | None]]:
    """Return the figures the front page shows this person."""
    counts = enrollment_ops.counts_by_state(user.id)
    figures = [
        (_("påmeldte kurs"), counts.get(EnrollmentState.ENROLLED, 0), "enrollment.my_courses"),
        (_("på venteliste"), counts.get(EnrollmentState.WAITLISTED, 0), "enrollment.my_courses"),
        (_("fullførte kurs"), counts.get(EnrollmentState.COMPLETED, 0), "enrollment.record"),
    ]
    now = now_utc()
    led = user.led_school_ids()
    if led:
        waiting_hires = [r for r in onboarding_ops.new_hires_at(led, now) if r.enrollment is None]
        figures.append((_("nyansatte uten oppstartskurs"), len(waiting_hires), "onboarding.index"))
    if user.is_admin:
        figures.append((_("tilbud under minstekravet venter på beslutning"),
                        len(offering_ops.awaiting_decision(now)), "offerings.decisions"))
    if counts.get(EnrollmentState.OFFERED):
        figures.insert(0, (_("plasser tilbudt deg – svar nå"), counts[EnrollmentState.OFFERED], "enrollment.my_courses"))
    return figures


plugin = Plugin(
    name="catalog",
    init_app=_init_app,
    requires=("events",),
    menu=(
        MenuItem("offerings.index", _l("Kurskatalog"), order=10),
        MenuItem("enrollment.my_courses", _l("Mine kurs"), lambda u: u is not None, 20),
        MenuItem("onboarding.index", _l("Nyansatte"), lambda u: u is not None and (bool(u.led_school_ids()) or u.is_admin), 30),
        MenuItem("offerings.new", _l("Nytt tilbud"), lambda u: u is not None and u.is_admin, 40),
    ),
    load_demo=load_demo,
    dashboard=dashboard_figures,
    translations=str(Path(__file__).resolve().parent / "translations"),
)
