"""The catalogue plugin as the host sees it."""
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from catalog import calendar
from catalog import lti as lms_plugin
from catalog.cli import catalog_cli
from catalog.demo import load_demo
from catalog.enrollment import mails
from catalog.enrollment import operations as enrollment_ops
from catalog.enrollment.views import bp as enrollment_bp
from catalog.networks import calendar as network_calendar
from catalog.networks import evidence as network_evidence
from catalog.networks import mails as network_mails
from catalog.networks.demo import load_networks
from catalog.networks.views import bp as networks_bp
from catalog.offerings import mails as offering_mails
from catalog.offerings import search
from catalog.offerings.views import bp as offerings_bp
from catalog.onboarding import operations as onboarding_ops
from catalog.onboarding.views import bp as onboarding_bp
from catalog.parents import evidence as parent_evidence
from catalog.parents import mails as parent_mails
from catalog.parents.cli import parents_cli
from catalog.parents.views import bp as parents_bp

# The models are imported here so that the schema (and Alembic) knows them
# even before any view is loaded.
from catalog.schemes import models as _scheme_models  # noqa: F401
from events.feeds import register_feed_source
from lms.forms import ActionForm
from lms.i18n import to_oslo
from catalog import evidence as catalogue_evidence
from lms.plugins import DISCOVER, TASKS, EvidenceFigure, EvidenceQuery, FrontPageSection, MenuItem, Plugin


def _init_app(app: Flask) -> None:
    for bp in (offerings_bp, enrollment_bp, onboarding_bp, parents_bp, networks_bp):
        app.register_blueprint(bp)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(parents_cli)
    parent_mails.init_app(app)
    mails.init_app(app)
    offering_mails.init_app(app)
    network_mails.init_app(app)
    register_feed_source(app, "person", calendar.PERSON_SOURCE)
    register_feed_source(app, "school", calendar.SCHOOL_SOURCE)
    register_feed_source(app, "person", network_calendar.PERSON_SOURCE)
    register_feed_source(app, "school", network_calendar.SCHOOL_SOURCE)
    lms_plugin.init_app(app)


#: How many offerings open for sign-up the front page shows.
OPEN_SHOWN = 5
#: How many offerings short of their minimum an organiser is shown, and how close their go/no-go day is.
SHORT_SHOWN = 10
GO_NO_GO_SOON_DAYS = 14
#: How many new hires without onboarding a leader is shown by name.
NEW_HIRES_SHOWN = 8


def front_page(user, now) -> list[FrontPageSection]:
    """Give the front page the catalogue's search and next offerings, and a person's seats and tasks."""
    sections = [
        FrontPageSection(DISCOVER, 10, "catalog/offerings/_front_search.html"),
        FrontPageSection(DISCOVER, 20, "catalog/offerings/_front_open.html",
                         {"offerings": search.open_for_signup(now, OPEN_SHOWN)}),
    ]
    if user is None:
        return sections
    today = to_oslo(now).date()
    offered = enrollment_ops.offered_seats(user.id)
    if offered:
        sections.append(FrontPageSection(TASKS, 10, "catalog/enrollment/_front_offered.html",
                                         {"offered": offered, "action_form": ActionForm()}))
    waiting = enrollment_ops.waitlist_places(user.id)
    if waiting:
        sections.append(FrontPageSection(TASKS, 30, "catalog/enrollment/_front_waiting.html", {"waiting": waiting}))
    led = user.led_school_ids()
    if led:
        without = [r for r in onboarding_ops.new_hires_at(led, now) if r.enrollment is None]
        if without:
            sections.append(FrontPageSection(TASKS, 40, "catalog/onboarding/_front_new_hires.html",
                                             {"rows": without[:NEW_HIRES_SHOWN], "total": len(without)}))
    short = search.short_of_minimum(None if user.is_admin else user.id, today, GO_NO_GO_SOON_DAYS, now, SHORT_SHOWN)
    if short:
        sections.append(FrontPageSection(TASKS, 60, "catalog/offerings/_front_short.html",
                                         {"offerings": short, "today": today}))
    return sections


def plan_evidence(query: EvidenceQuery) -> list[EvidenceFigure]:
    """The catalogue's evidence for development plans: courses and onboarding, networks, parent events.

    Each part answers in a fixed number of queries (see their modules), so the whole does too.
    """
    return [figure for source in (catalogue_evidence, network_evidence, parent_evidence)
            for figure in source.plan_evidence(query)]


def _load_demo(now) -> str:
    """Load the demo programme, then the appendix's networks with the demo schools."""
    return "; ".join(part for part in (load_demo(now), load_networks(now)) if part)


plugin = Plugin(
    name="catalog",
    init_app=_init_app,
    requires=("events",),
    menu=(
        MenuItem("offerings.index", _l("Kurskatalog"), order=10),
        MenuItem("enrollment.my_courses", _l("Mine kurs"), lambda u: u is not None, 20),
        MenuItem("networks.index", _l("Mine nettverk"), lambda u: u is not None, 25),
        MenuItem("onboarding.index", _l("Nyansatte"), lambda u: u is not None and (bool(u.led_school_ids()) or u.is_admin), 30),
        MenuItem("offerings.new", _l("Nytt tilbud"), lambda u: u is not None and u.is_admin, 40),
        MenuItem("parents.index", _l("For foreldre"), order=45),
        MenuItem("parents.organiser", _l("Foreldrearrangementer"),
                 lambda u: u is not None and (u.is_admin or bool(u.led_school_ids())), 46),
    ),
    load_demo=_load_demo,
    front_page=front_page,
    plan_evidence=plan_evidence,
    translations=str(Path(__file__).resolve().parent / "translations"),
)
