"""Host CLI: loading the demo programme."""
import click
from flask import current_app
from flask.cli import AppGroup

from lms import plugins
from lms.db import db, now_utc

demo_cli = AppGroup("demo", help="Demoprogrammet.")


@demo_cli.command("load")
def load_demo():
    """Load the demo schools, people and programme; running it twice changes nothing."""
    now = now_utc()
    for plugin in plugins.active(current_app):
        if plugin.load_demo:
            plugin.load_demo(now)
    db.session.commit()
    click.echo("Demoprogrammet er lastet.")
