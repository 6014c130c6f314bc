"""People commands: importing staff from a CSV file."""
import click
from flask.cli import AppGroup

from lms.db import db, now_utc
from lms.people import operations

people_cli = AppGroup("people", help="Skoler og personer.")


@people_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Vis hva som ville skjedd, uten å lagre noe.")
def import_staff(file, dry_run: bool):
    """Create or update staff from a CSV file and report what happened to each row."""
    try:
        text = operations.decode_csv(file.read(operations.MAX_IMPORT_BYTES + 1))
        report = operations.import_staff(text, actor=None, now=now_utc())
    except operations.StaffImportError as err:
        raise click.ClickException(str(err)) from err
    for line in report.lines:
        click.echo(line)
    click.echo(report.summary)
    if dry_run:
        db.session.rollback()
        click.echo("Ingenting er lagret (--dry-run).")
    else:
        db.session.commit()
