"""The LMS page and ``flask lti``: registering platforms, deployments and schools, rotating the tool's keys."""
from __future__ import annotations

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.db import db
from lms.lti.models import LtiPlatform, LtiToolKey
from lms.people.models import Role

SKOLE_A = "974760673"
FORM = {"new-name": "itslearning", "new-issuer": "https://kommune.itslearning.com",
        "new-client-id": "kp-123", "new-auth_login_url": "https://kommune.itslearning.com/connect/authorize",
        "new-auth_token_url": "https://kommune.itslearning.com/connect/token",
        "new-keyset_url": "https://kommune.itslearning.com/.well-known/openid-configuration/jwks",
        "new-deployment_ids": "dep-1\ndep-2", "new-school_org_number": SKOLE_A,
        "new-frame_origins": "https://kommune.itslearning.com"}


def _form(**changes):
    data = {k.replace("new-client-id", "new-client_id"): v for k, v in FORM.items()}
    data.update(changes)
    return data


def test_the_lms_page_shows_the_tool_addresses_to_admins_only(login, admin, make_user):
    page = login(admin).get("/admin/lms").get_data(as_text=True)
    for path in ("/lti/login", "/lti/launch", "/lti/jwks", "/lti/config.json"):
        assert f"{path}</code>" in page
    assert "signerer nå" in page  # the tool's first key, made on first use
    assert login(make_user(roles=(Role.LEADER,))).get("/admin/lms").status_code == 403


def test_an_admin_registers_a_platform_with_its_deployments_at_a_school(login, admin, make_school):
    make_school("Eikeli skole", org_number=SKOLE_A)
    client = login(admin)
    response = client.post("/admin/lms/plattform", data=_form())
    assert response.status_code == 303
    page = client.get("/admin/lms").get_data(as_text=True)
    assert "itslearning er registrert." in page and "Deployment dep-2" in page and "Eikeli skole" in page
    platform = db.session.scalar(sa.select(LtiPlatform))
    assert [(d.deployment_id, d.school.org_number) for d in platform.deployments] == [("dep-1", SKOLE_A),
                                                                                       ("dep-2", SKOLE_A)]
    assert "https://kommune.itslearning.com" in client.get("/").headers["Content-Security-Policy"]
    assert db.session.scalar(sa.select(AuditEntry.to_state).where(AuditEntry.object_type == "lti_platform")) == "created"


def test_a_registration_with_a_plain_http_address_keeps_what_was_typed(login, admin):
    response = login(admin).post("/admin/lms/plattform", data=_form(**{"new-keyset_url": "http://lms.example/jwks"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv inn en fullstendig https-adresse (keyset_url)." in page
    assert 'value="kp-123"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LtiPlatform)) == 0


def test_flask_lti_add_platform_registers_like_the_page(app, make_school):
    make_school("Eikeli skole", org_number=SKOLE_A)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=[
        "lti", "add-platform", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000001",
        "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
        "--keyset-url", "https://sso.canvaslms.com/api/lti/security/jwks", "--deployment-id", "7:abc",
        "--school", SKOLE_A])
    assert result.exit_code == 0, result.output
    assert "Registrert: canvas.instructure.com" in result.output and "7:abc (Eikeli skole)" in result.output
    bad = app.test_cli_runner().invoke(args=["lti", "add-platform", "--issuer", "x", "--client-id", "y",
                                             "--auth-login-url", "ftp://x", "--keyset-url", "https://x/jwks"])
    assert bad.exit_code != 0 and "https-adresse" in bad.output


def test_rotating_keeps_the_old_key_published_for_the_overlap(app, login, admin):
    client = login(admin)
    first = client.get("/lti/jwks").get_json()["keys"]
    assert client.post("/admin/lms/nokler/roter", data={}).status_code == 303
    published = [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]]
    assert first[0]["kid"] in published and len(published) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LtiToolKey).where(
        LtiToolKey.retired_at.is_(None))) == 1
    history = db.session.execute(sa.select(AuditEntry.to_state, AuditEntry.actor_id).where(
        AuditEntry.object_type == "lti_tool_key").order_by(AuditEntry.id)).all()
    assert [state for state, _actor in history] == ["created", "retired", "created"]
    assert history[1].actor_id == admin.id
    second = [kid for kid in published if kid != first[0]["kid"]][0]
    result = app.test_cli_runner().invoke(args=["lti", "rotate-key", "--overlap-days", "0"])
    assert result.exit_code == 0
    now_published = [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]]
    # The first is still in its week of overlap; the second, rotated without one, is gone at once.
    assert first[0]["kid"] in now_published and second not in now_published and len(now_published) == 2
