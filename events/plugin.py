"""The events plugin as the host sees it."""
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from events.calendar import webcal_url
from events import milestones
from events.feeds import answer_unchanged_before_flask, register_feed_source, upcoming_events
from events.models import FeedScope
from events.views import bp
from lms.plugins import TASKS, FrontPageSection, MenuItem, Plugin

#: How many of a person's next sessions the front page shows.
NEXT_SESSIONS = 5


def _init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # For events/_subscribe.html, which other packages' pages import.
    app.jinja_env.filters["webcal"] = webcal_url
    # The development plan's milestones, in the calendar of the person responsible.
    register_feed_source(app, FeedScope.PERSON, milestones.PERSON_SOURCE)
    # A calendar app's poll of an unchanged feed, answered without Flask's request.
    answer_unchanged_before_flask(app)


def front_page(user, now) -> list[FrontPageSection]:
    """Show a signed-in person their next sessions, from every feature that puts dates in their calendar."""
    if user is None:
        return []
    events = upcoming_events(FeedScope.PERSON, user.id, now, NEXT_SESSIONS)
    return [FrontPageSection(TASKS, 20, "events/_front_next.html", {"events": events})]


plugin = Plugin(
    name="events",
    init_app=_init_app,
    menu=(MenuItem("events.index", _l("Kalender"), lambda u: u is not None, 25),),
    front_page=front_page,
    translations=str(Path(__file__).resolve().parent / "translations"),
)
