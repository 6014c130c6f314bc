"""``flask mail send``: the outbox worker, run from cron or kept running by a service manager."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from lms.config import ConfigError
from lms.db import db
from lms.mail import operations
from lms.mail.transport import transport_from_config

mail_cli = AppGroup("mail", help="E-post fra utboksen.")


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into a request to stop after the current mail."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _summary(report: operations.SendReport) -> str:
    line = f"Sendt {report.sent}, feilet {report.failed}, venter {operations.waiting_count()}."
    if report.retrying:
        line += f" {report.retrying} prøves igjen senere."
    return line


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Fortsett til prosessen får SIGTERM eller SIGINT.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Sekunder mellom rundene med --loop.")
@click.option("--batch", type=click.IntRange(min=1), default=100, show_default=True,
              help="Høyst så mange e-poster per runde.")
def send(loop: bool, interval: float, batch: int) -> None:
    """Send the mail that is due, once or (--loop) until stopped; a stop waits for the current mail."""
    try:
        transport_from_config(current_app.config)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    stop = threading.Event()
    with _stop_on_signals(stop):
        while not stop.is_set():
            try:
                report = operations.send_pending(limit=batch, should_stop=stop.is_set)
            except sa.exc.OperationalError as err:
                if not loop:
                    raise
                # The database is away (restart, failover): the mail waits in it, so does the worker.
                db.session.rollback()
                click.echo(f"Databasen svarer ikke: {err.orig or err}", err=True)
            else:
                if report.server_problem:
                    click.echo(f"E-posttjeneren svarer ikke ({report.server_problem}); "
                               "e-posten venter i utboksen og prøves igjen senere.", err=True)
                if not loop or report.sent or report.failed or report.retrying:
                    click.echo(_summary(report))
                if loop and report.sent + report.failed + report.retrying == batch and not report.server_problem:
                    continue  # a full batch: more may be due already
            if not loop:
                break
            stop.wait(interval)
