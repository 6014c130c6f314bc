"""``flask lti``: registering platforms and rotating the tool's keys from the server."""
from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from lms.db import db, now_utc
from lms.lti import keys
from lms.lti import operations as ops

lti_cli = AppGroup("lti", help="LMS-plattformer (LTI 1.3).")


@lti_cli.command("add-platform")
@click.option("--issuer", required=True, help="Plattformens issuer (iss).")
@click.option("--client-id", required=True, help="Klient-ID-en plattformen ga verktøyet.")
@click.option("--auth-login-url", required=True, help="Plattformens OIDC-autorisasjonsadresse.")
@click.option("--auth-token-url", default="", help="Plattformens token-adresse (deltakerlister).")
@click.option("--keyset-url", required=True, help="Plattformens offentlige nøkler (JWKS).")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Deployment-ID (kan gis flere ganger).")
@click.option("--school", default="", help="Skolens organisasjonsnummer (tomt: fra lanseringens school_org_number).")
@click.option("--name", default="", help="Navnet som vises på LMS-siden.")
@click.option("--frame-origin", "frame_origins", multiple=True, help="LMS-ets nettadresse som kan vise oss i en ramme.")
def add_platform(issuer, client_id, auth_login_url, auth_token_url, keyset_url, deployment_ids, school, name,
                 frame_origins):
    """Register a platform (or update the one with this issuer and client id) with its deployments."""
    data = ops.PlatformData(name=name, issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
                            keyset_url=keyset_url, auth_token_url=auth_token_url, deployment_ids=list(deployment_ids),
                            school_org_number=school, frame_origins=list(frame_origins))
    try:
        platform = ops.save_platform(data, None, now_utc())
    except ops.LtiError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from None
    db.session.commit()
    deployments = ", ".join(f"{d.deployment_id} ({d.school.name if d.school else 'skole fra lanseringen'})"
                            for d in platform.deployments) or "ingen"
    click.echo(f"Registrert: {platform.name} ({platform.issuer}, klient {platform.client_id}); deployments: {deployments}")


@lti_cli.command("rotate-key")
@click.option("--overlap-days", default=7, show_default=True, type=click.IntRange(0, 365),
              help="Dager den gamle nøkkelen fortsatt publiseres.")
def rotate_key(overlap_days: int):
    """Make a new signing key; the old one stays published for the overlap."""
    key = keys.rotate(now_utc(), timedelta(days=overlap_days))
    db.session.commit()
    click.echo(f"Ny signeringsnøkkel: {key.kid}")


@lti_cli.command("forget-used")
def forget_used():
    """Delete used nonces and logins past their expiry (run daily from cron)."""
    gone = ops.forget_used(now_utc())
    db.session.commit()
    click.echo(f"Slettet {gone} utløpte rader.")
