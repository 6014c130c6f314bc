"""How feature packages plug into the host.

The host never imports a feature package. A feature declares an entry point
in the ``kompetanseportal.plugins`` group whose object is a :class:`Plugin`;
the host loads every one not named in ``KP_DISABLED_PLUGINS`` and calls its
hooks. A plugin that requires a disabled plugin is left out too.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Callable

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


@dataclass
class Plugin:
    """A feature package as the host sees it.

    ``init_app`` registers blueprints, CLI commands and template paths.
    ``menu`` lists main-menu links. ``load_demo(now)`` loads the package's part
    of the demo programme and must change nothing when run twice.
    ``dashboard`` returns figures for a user's front page as
    ``(label, value, endpoint)`` tuples.
    """

    name: str
    init_app: Callable[[Flask], None]
    requires: tuple[str, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    load_demo: Callable[..., None] | None = None
    dashboard: Callable[[object], list[tuple[str, object, str | None]]] | None = None
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
