"""Host CLI: loading the demo programme and listing its accounts; backing up and restoring SQLite."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms import backup, plugins
from lms.db import db, now_utc
from lms.people.demo import DemoContentError, demo_accounts, load_people
from lms.plans.demo import load_demo_plans

demo_cli = AppGroup("demo", help="Demoprogrammet.")


@demo_cli.command("load")
@click.option("--allow-production", is_flag=True,
              help="Last demoen selv om KP_ENV=production (demokontoene har et kjent passord).")
def load_demo(allow_production: bool):
    """Load the demo schools, people and programme; running it twice changes nothing."""
    if current_app.config["ENV_NAME"] == "production" and not allow_production:
        raise click.ClickException("Demokontoene har et kjent passord og lastes ikke i produksjon "
                                   "(bruk --allow-production om du virkelig vil).")
    now = now_utc()
    lines = []
    try:
        people = load_people(now)
        lines.append(f"Skoler: {people.schools_total} ({people.schools_created} nye, {people.schools_updated} endret)")
        lines.append(f"Personer: {people.people_total} ({people.people_created} nye, {people.people_updated} endret)")
        for plugin in plugins.active(current_app):
            if plugin.load_demo:
                result = plugin.load_demo(now)
                if result:
                    lines.append(f"{plugin.name}: {result}")
        # After the features: the plans' figures come from their demo data.
        lines.append(f"Utviklingsplaner: {load_demo_plans(now)}")
    except DemoContentError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"Demoprogrammet er lastet for skoleåret {people.school_year}/{people.school_year + 1}.")
    for line in lines:
        click.echo(f"  {line}")


@demo_cli.command("accounts")
def list_accounts():
    """Print the demo accounts with their roles, schools and password."""
    try:
        accounts = demo_accounts()
    except DemoContentError as err:
        raise click.ClickException(str(err)) from None
    headers = ("E-post", "Navn", "Rolle", "Skole", "Passord")
    rows = [(a.email, a.name, a.roles, a.school, a.password) for a in accounts]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    click.echo("Demokontoer:")
    for row in [headers, tuple("-" * w for w in widths), *rows]:
        click.echo("  " + "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())
    missing = [a.email for a in accounts if not a.loaded]
    if missing:
        click.echo(f"{len(missing)} av kontoene finnes ikke i databasen ennå: kjør «flask demo load».")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path):
    """Copy the SQLite database to TARGET while the platform runs (PostgreSQL: pg_dump)."""
    try:
        pages = backup.backup(db.engine, target)
    except backup.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Sikkerhetskopi skrevet til {target} ({pages} sider).")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ja, erstatt alt i databasen med sikkerhetskopien.")
def restore_command(source: Path, yes: bool):
    """Replace the SQLite database with the backup SOURCE; stop the platform (and the mail worker) first."""
    if not yes:
        raise click.ClickException("Dette erstatter alt i databasen. Stopp plattformen og gjenta med --yes.")
    db.session.remove()
    try:
        backup.restore(db.engine, source)
    except backup.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Databasen er hentet tilbake fra {source}.")
