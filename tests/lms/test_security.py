"""Protection on every request: CSRF, security headers, production settings, health."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.config import DEFAULT_SECRET_KEY, ConfigError
from lms.db import db
from lms.people.models import School
from tests.conftest import PASSWORD

LMS_ORIGIN = "https://skole.itslearning.com"


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def count_schools() -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(School))
    db.session.rollback()  # end the read: on SQLite it holds the lock the second app needs to write
    return count


def test_post_without_csrf_token_is_refused_in_norwegian(make_app, admin):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/logg-inn", data={"email": "admin@kommune.test", "password": PASSWORD})
    assert response.status_code == 400
    assert "Skjemaet var utløpt eller ugyldig" in response.get_data(as_text=True)


def test_admin_forms_need_the_csrf_token_too(make_app, admin):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(client.get("/logg-inn").get_data(as_text=True))
    signed_in = client.post("/logg-inn", data={"email": "admin@kommune.test", "password": PASSWORD,
                                               "csrf_token": token})
    assert signed_in.status_code == 302
    school = {"name": "Bekkestua skole", "org_number": "974760673"}
    assert client.post("/admin/skoler/ny", data=school).status_code == 400
    assert client.post("/admin/skoler/ny", data={**school, "csrf_token": "forfalsket"}).status_code == 400
    assert client.post("/logg-ut").status_code == 400
    assert count_schools() == 0
    token = csrf_token(client.get("/admin/skoler/ny").get_data(as_text=True))
    assert client.post("/admin/skoler/ny", data={**school, "csrf_token": token}).status_code == 302
    assert count_schools() == 1


def test_content_security_policy_forbids_inline_script(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_framing_is_allowed_from_configured_origins_only(make_app, monkeypatch):
    monkeypatch.setenv("KP_FRAME_ANCESTORS", f"{LMS_ORIGIN}, https://canvas.kommune.no")
    policy = make_app().test_client().get("/").headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {LMS_ORIGIN} https://canvas.kommune.no" in policy
    assert "X-Frame-Options" not in make_app().test_client().get("/").headers
    policy = make_app(FRAME_ANCESTORS=["https://moodle.skole.no"]).test_client().get("/") \
        .headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://moodle.skole.no" in policy
    assert LMS_ORIGIN not in policy


def test_production_refuses_the_default_secret_key(app, monkeypatch):
    monkeypatch.setenv("KP_ENV", "production")
    monkeypatch.delenv("KP_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEFAULT_SECRET_KEY})
    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "kort"})


def test_production_with_a_real_secret_starts_with_strict_cookies(make_app, monkeypatch):
    monkeypatch.setenv("KP_ENV", "production")
    production = make_app(SECRET_KEY="x" * 48)
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["SESSION_COOKIE_HTTPONLY"]
    assert "max-age" in production.test_client().get("/").headers["Strict-Transport-Security"]


def test_health_check_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_a_lost_race_for_a_unique_value_is_a_409_not_a_500(app, login, admin, make_user, monkeypatch):
    """Two admins register the same e-mail at once: the database refuses the second, politely."""
    from lms.people import operations
    taken = make_user(email="kari@skole.test")
    db.session.commit()
    # The second request's own check ran before the first committed, so it sees no duplicate.
    monkeypatch.setattr(operations, "_find_by_email", lambda email, except_id=None: None)
    c = login(admin)
    response = c.post("/admin/ansatte/ny", data={"name": "Kari Kopi", "email": taken.email, "locale": "nb"})
    assert response.status_code == 409
    assert "Noen andre endret det samme" in response.get_data(as_text=True)
