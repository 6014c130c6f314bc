"""The fyrtårn plugin as the host sees it."""
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from catalog.offerings.operations import register_session_check
from lighthouse.bookings import calendar, mails
from lighthouse.bookings import operations as booking_ops

# The models are imported here so that the schema (and Alembic) knows them
# even before any view is loaded.
from lighthouse.bookings import models as _booking_models  # noqa: F401
from lighthouse.bookings.views import bp as bookings_bp
from lighthouse.cli import lighthouse_cli
from lighthouse import lti as lms_plugin
from lighthouse.demo import load_demo
from lighthouse.films import models as _film_models  # noqa: F401
from lighthouse.films import operations as film_ops
from lighthouse.films.views import bp as films_bp
from lighthouse.overview.views import bp as overview_bp
from lighthouse.profiles import models as _profile_models  # noqa: F401
from lighthouse.profiles import operations as profile_ops
from lighthouse.profiles.views import bp as profiles_bp
from lms.people.models import Role
from lighthouse.bookings import evidence as plan_evidence_source
from lms.plugins import DISCOVER, TASKS, FrontPageSection, MenuItem, Plugin

#: How many fyrtårn, films, requests and answers the front page shows.
LIGHTHOUSES_SHOWN = 4
FILMS_SHOWN = 3
BOOKINGS_SHOWN = 8


def _init_app(app: Flask) -> None:
    for bp in (profiles_bp, bookings_bp, films_bp, overview_bp):
        app.register_blueprint(bp)
    mails.init_app(app)
    calendar.init_app(app)
    register_session_check(app, booking_ops.session_clash)
    app.cli.add_command(lighthouse_cli)
    lms_plugin.init_app(app)


def _has_role(user, *roles: Role) -> bool:
    return user is not None and any(user.has_role(role) for role in roles)


def front_page(user, now) -> list[FrontPageSection]:
    """Give the front page the fyrtårn and the newest films, and a person's booking tasks."""
    sections = []
    if user is not None:
        led = user.led_school_ids()
        answers = booking_ops.unread_answers(led, BOOKINGS_SHOWN) if led else []
        if answers:
            sections.append(FrontPageSection(TASKS, 45, "lighthouse/bookings/_front_answers.html",
                                             {"bookings": answers}))
        profile = profile_ops.profile_of(user) if user.has_role(Role.LIGHTHOUSE) else None
        requests = booking_ops.requests_to_answer(profile.id, now, BOOKINGS_SHOWN) if profile else []
        if requests:
            sections.append(FrontPageSection(TASKS, 50, "lighthouse/bookings/_front_requests.html",
                                             {"bookings": requests}))
    profiles = profile_ops.active_profiles(limit=LIGHTHOUSES_SHOWN)
    if profiles:
        sections.append(FrontPageSection(DISCOVER, 30, "lighthouse/profiles/_front_lighthouses.html",
                                         {"profiles": profiles}))
    films = film_ops.newest_films(FILMS_SHOWN)
    if films:
        sections.append(FrontPageSection(DISCOVER, 40, "lighthouse/films/_front_films.html", {"films": films}))
    return sections


plugin = Plugin(
    name="lighthouse",
    init_app=_init_app,
    requires=("catalog",),
    menu=(
        MenuItem("fyrtarn.index", _l("Fyrtårn"), order=35),
        MenuItem("films.index", _l("Læringsfilmer"), order=36),
        MenuItem("bookings.index", _l("Bestillinger"),
                 lambda u: _has_role(u, Role.LEADER, Role.LIGHTHOUSE, Role.ADMIN), 37),
        MenuItem("lighthouse_overview.index", _l("Fyrtårnoversikt"), lambda u: _has_role(u, Role.ADMIN), 45),
    ),
    load_demo=load_demo,
    front_page=front_page,
    plan_evidence=plan_evidence_source.plan_evidence,
    translations=str(Path(__file__).resolve().parent / "translations"),
)
