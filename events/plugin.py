"""The events plugin as the host sees it."""
from pathlib import Path

from flask import Flask

from lms.plugins import Plugin


def _init_app(app: Flask) -> None:
    """Nothing to register yet: calendar feeds come with their own issue."""


plugin = Plugin(name="events", init_app=_init_app,
                translations=str(Path(__file__).resolve().parent / "translations"))
