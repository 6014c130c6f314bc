"""The lighthouse plugin: registered, with nothing to add yet."""
from flask import Flask

from lms.plugins import Plugin


def _init_app(app: Flask) -> None:
    """Nothing yet: profiles, bookings and films come with the fyrtårn issue."""


plugin = Plugin(name="lighthouse", init_app=_init_app, requires=("catalog",))
