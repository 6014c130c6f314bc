"""Catalogue jobs for cron: passing on expired waitlist offers, reminding before sessions, go/no-go mails."""
import click
from flask.cli import AppGroup

from catalog.enrollment import operations
from catalog.offerings import operations as offering_ops
from lms.db import db, now_utc

catalog_cli = AppGroup("catalog", help="Kurskatalogen.")


@catalog_cli.command("expire-offers")
def expire_offers():
    """Pass on offered seats whose time to accept has run out."""
    count = operations.expire_offers(now_utc())
    db.session.commit()
    click.echo(f"{count} tilbud om plass utløp og ble gitt videre.")


@catalog_cli.command("remind")
def remind():
    """Queue reminders for sessions that start within the reminder days."""
    count = operations.queue_reminders(now_utc())
    db.session.commit()
    click.echo(f"{count} påminnelser lagt i utboksen.")


@catalog_cli.command("go-no-go")
def go_no_go():
    """Tell organisers how many signed up before the go/no-go day, and ask for a decision on it."""
    notices, due = offering_ops.queue_minimum_mails(now_utc())
    db.session.commit()
    click.echo(f"{notices} varsler før beslutningsdatoen og {due} forespørsler om beslutning lagt i utboksen.")
