"""Fyrtårn jobs for cron: bookings whose session is over, requests nobody answered in time."""
import click
from flask.cli import AppGroup

from lighthouse.bookings import operations
from lms.db import db, now_utc

lighthouse_cli = AppGroup("lighthouse", help="Fyrtårnordningen.")


@lighthouse_cli.command("complete")
def complete():
    """Mark confirmed bookings whose session is over as completed, and let unanswered past requests go."""
    now = now_utc()
    completed = operations.complete_past_bookings(now)
    expired = operations.expire_unanswered(now)
    db.session.commit()
    click.echo(f"{completed} bestillinger gjennomført, {expired} ubesvarte forespørsler avlyst.")
