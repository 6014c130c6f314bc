"""Parent-event jobs for cron: the stream links shortly before the start, and forgetting on time."""
import click
from flask.cli import AppGroup

from catalog.parents import operations
from lms.db import db, now_utc

parents_cli = AppGroup("parents", help="Arrangementer for foreldre.")


@parents_cli.command("remind")
def remind():
    """Send stream participants the stream link shortly before the start."""
    count = operations.queue_stream_reminders(now_utc())
    db.session.commit()
    click.echo(f"{count} strømmelenker lagt i utboksen.")


@parents_cli.command("purge")
def purge():
    """Delete parents' personal data the retention days after their event; keep the counts."""
    report = operations.purge(now_utc())
    db.session.commit()
    click.echo(f"{report.events} arrangementer ryddet, {report.signups} påmeldinger slettet, "
               f"{report.mails} e-poster uten adresse.")
