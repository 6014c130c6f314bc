"""Development plan jobs for cron: reminding of milestones before their deadline."""
import click
from flask.cli import AppGroup

from lms.db import db, now_utc
from lms.plans import operations

plans_cli = AppGroup("plans", help="Utviklingsplaner.")


@plans_cli.command("remind")
@click.option("--days", default=operations.REMIND_DAYS_BEFORE, show_default=True,
              type=click.IntRange(0, 365), help="Påminn så mange dager før fristen.")
def remind(days: int):
    """Queue a reminder to the person responsible for each open milestone whose deadline is near."""
    count = operations.queue_milestone_reminders(now_utc(), days)
    db.session.commit()
    click.echo(f"{count} påminnelser om milepæler lagt i utboksen.")
