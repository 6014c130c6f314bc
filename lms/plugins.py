"""How feature packages plug into the host.

The host never imports a feature package. A feature declares an entry point
in the ``kompetanseportal.plugins`` group whose object is a :class:`Plugin`;
the host loads every one not named in ``KP_DISABLED_PLUGINS`` and calls its
hooks. A plugin that requires a disabled plugin is left out too.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Callable, Mapping

import sqlalchemy as sa
from flask import Flask

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kompetanseportal.plugins"


@dataclass(frozen=True)
class MenuItem:
    """A link in the main menu; ``visible`` decides per user whether it shows."""

    endpoint: str
    label: str
    visible: Callable[[object], bool] = lambda user: True
    order: int = 50


#: Front-page area for what needs the signed-in person now (seats to answer, requests, tasks).
TASKS = "tasks"
#: Front-page area for what anyone may look at (the catalogue, the fyrtårn, the films).
DISCOVER = "discover"


@dataclass(frozen=True)
class FrontPageSection:
    """One part of the front page, given by a feature.

    The host renders ``template`` with the section as ``section`` (its data
    in ``section.context``) among the sections of its ``area``, :data:`TASKS`
    or :data:`DISCOVER`, in the order of ``order``. A section that would be
    empty is better left out than shown empty, unless its emptiness is news
    ("no sessions coming up").
    """

    area: str
    order: int
    template: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EvidenceQuery:
    """What the development plan asks the evidence sources: figures for these schools in this period.

    ``starts_at`` and ``ends_at`` (UTC) bound the plan period; ``links`` are the
    ids that the plans' measures link to, by kind. The kinds a source may
    answer for: ``offering`` (a catalogue offering), ``plan_area`` (every
    offering tagged with plan area 4 or 6: the id is the area),
    ``lighthouse_offering`` (a fyrtårn offering), ``network`` and
    ``parent_event`` (to come with the networks and parent events).
    """

    school_ids: frozenset[int]
    starts_at: datetime
    ends_at: datetime
    links: Mapping[str, frozenset[int]] = field(default_factory=dict)
    #: The moment the figures are for: who counts as a new hire, what has been held by now.
    now: datetime | None = None


#: Above this many schools an evidence source had better read every school's counts and keep the asked ones:
#: an ``IN`` list of 3,000 ids costs more to send, parse and plan (30 ms a query on PostgreSQL) than the rows
#: it saves, and SQLite plans a join from the wrong side for it.
MANY_SCHOOLS = 200


def at_schools(column, school_ids, many: int | None = None) -> sa.ColumnElement[bool]:
    """Return the condition that ``column`` is one of the schools, or none when they are more than ``many``
    (:data:`MANY_SCHOOLS` unless told): the caller then keeps the rows of the schools it was asked about."""
    return column.in_(list(school_ids)) if len(school_ids) <= (MANY_SCHOOLS if many is None else many) else sa.true()


def schools_parameter(column, many: bool) -> sa.ColumnElement[bool]:
    """The condition of :func:`at_schools` in a statement built once: ``column`` is one of the parameter
    ``schools``, or nothing when ``many`` (the caller keeps the rows of the schools it was asked about)."""
    return sa.true() if many else column.in_(sa.bindparam("schools", expanding=True))


def school_values(school_ids) -> tuple[bool, dict]:
    """Return whether the schools are many (:data:`MANY_SCHOOLS`), and the parameters for
    :func:`schools_parameter` (none when they are)."""
    many = len(school_ids) > MANY_SCHOOLS
    return many, ({} if many else {"schools": list(school_ids)})


@dataclass(frozen=True)
class EvidenceFigure:
    """One live figure for a plan: ``value`` of ``of`` (the target group's size, when there is one).

    ``link`` is the (kind, id) of the linked thing the figure counts, so the
    plan shows it under the measures that link it; a figure with no link is
    about the whole school (onboarding, the share of staff with a completed
    activity) and is shown with the area's goals. ``key`` names the figure
    (``completed``, ``staff_completed``...), stable across languages; ``label``
    is translated. ``url`` leads to the list behind the figure; the plan
    shows it only to the school's leaders and the programme admins.
    """

    school_id: int
    area: int
    key: str
    label: str
    value: int | float
    of: int | None = None
    url: str | None = None
    link: tuple[str, int] | None = None


@dataclass
class Plugin:
    """A feature package as the host sees it.

    ``init_app`` registers blueprints, CLI commands and template paths.
    ``menu`` lists main-menu links. ``load_demo(now)`` loads the package's part
    of the demo programme and must change nothing when run twice.

    ``front_page(user, now)`` is the front-page hook: the host calls it on
    every view of the front page with the signed-in person (None for a
    visitor) and returns the :class:`FrontPageSection` list it gets, so a
    feature shows what it has without the host knowing it. It must answer in
    a fixed number of queries, however much data there is: the front page's
    query count is tested.

    ``plan_evidence(query)`` is the development plan's evidence source: given
    an :class:`EvidenceQuery`, it returns the :class:`EvidenceFigure` list for
    those schools and that period, for the links of the kinds it knows (and
    its school-wide figures), ignoring kinds it does not. A school with
    nothing to count gets no figure rather than a zero, unless the zero is
    the news (none of the target group has started). Contract: it answers in
    a bounded number of queries, however many schools, measures and links
    are asked about (the plan page and the municipality overview count them),
    and it changes nothing. It counts per school in the database (``GROUP BY``
    the school) rather than reading people or rows into Python: the
    municipality overview asks about every school at once and must answer
    within a second. A deployment without the feature simply shows the plan
    without its figures.
    """

    name: str
    init_app: Callable[[Flask], None]
    requires: tuple[str, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    load_demo: Callable[..., None] | None = None
    front_page: Callable[[object | None, datetime], list[FrontPageSection]] | None = None
    plan_evidence: Callable[[EvidenceQuery], list[EvidenceFigure]] | None = None
    #: The package's compiled message catalogues, merged with the host's.
    translations: str | None = None


def discover() -> dict[str, Plugin]:
    """Return every installed plugin by entry point name."""
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        plugin = ep.load()
        found[ep.name] = plugin
    return found


def enabled_plugins(disabled: list[str]) -> list[Plugin]:
    """Return the installed plugins that are switched on and have what they need."""
    installed = discover()
    active: dict[str, Plugin] = {}
    # Requirements point one way (lighthouse -> catalog -> events), so a few
    # passes settle the order.
    pending = {name: p for name, p in installed.items() if name not in disabled}
    progress = True
    while pending and progress:
        progress = False
        for name, plugin in list(pending.items()):
            missing = [r for r in plugin.requires if r not in installed or r in disabled]
            if missing:
                log.warning("plugin %s left out: needs %s", name, ", ".join(missing))
                del pending[name]
                progress = True
            elif all(r in active for r in plugin.requires):
                active[name] = plugin
                del pending[name]
                progress = True
    return list(active.values())


def init_plugins(app: Flask, plugins: list[Plugin]) -> None:
    """Initialise the enabled plugins; keep them on ``app.extensions``."""
    for plugin in plugins:
        plugin.init_app(app)
    app.extensions["kp_plugins"] = plugins


def active(app: Flask) -> list[Plugin]:
    """Return the plugins initialised on ``app``."""
    return app.extensions.get("kp_plugins", [])


def front_page_sections(app: Flask, user, now: datetime) -> list[FrontPageSection]:
    """Return every enabled plugin's front-page sections for the person (None for a visitor), in order."""
    sections = [section for plugin in active(app) if plugin.front_page for section in plugin.front_page(user, now)]
    return sorted(sections, key=lambda s: (s.area, s.order))


def plan_evidence(app: Flask, query: EvidenceQuery) -> list[EvidenceFigure]:
    """Return every enabled plugin's evidence figures for the plan query."""
    return [figure for plugin in active(app) if plugin.plan_evidence for figure in plugin.plan_evidence(query)]
