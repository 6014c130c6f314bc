"""LTI Dynamic Registration against an LMS's registration endpoint on a real OpenID provider (oidc-provider)."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from lms.db import db
from lms.lti.models import LtiPlatform
from lms.people.models import Role
from tests.conftest import PASSWORD
from tests.lms.feide_stand_in import start_registration_provider

TOKEN = "registration-token-from-the-lms"
SKOLE_A = "974760673"


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    issuer, process = start_registration_provider(tmp_path_factory.mktemp("lms-reg"), TOKEN, "moodle-deployment-7")
    yield issuer
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def tool(make_app):
    # An https address as a real deployment has: the LMS refuses plain http for a tool's addresses.
    return make_app(BASE_URL="https://kompetanse.kommune.test", SERVER_NAME="localhost")


@pytest.fixture
def invite_path(tool, make_user, make_school):
    make_school("Eikeli skole", org_number=SKOLE_A)
    make_user("Ada Admin", roles=(Role.ADMIN,), email="ada@kommune.test")
    db.session.commit()
    admin = tool.test_client()
    assert admin.post("/logg-inn", data={"email": "ada@kommune.test", "password": PASSWORD}).status_code == 302
    page = admin.post("/admin/lms/invitasjon", data={"invite-school_org_number": SKOLE_A}).get_data(as_text=True)
    return urlsplit(unescape(re.search(r"<code>(https?://[^<]+/lti/register/[^<]+)</code>", page).group(1))).path


def test_dynamic_registration_registers_the_lms_with_its_deployment_at_the_school(lms, tool, invite_path):
    query = urlencode({"openid_configuration": f"{lms}/.well-known/openid-configuration", "registration_token": TOKEN})
    response = tool.test_client().get(f"{invite_path}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Kompetanseportalen er registrert" in page and "data-kp-registration-done" in page
    db.session.rollback()
    platform = db.session.scalar(sa.select(LtiPlatform))
    assert (platform.issuer, platform.name) == (lms, "moodle")
    assert platform.auth_login_url == f"{lms}/auth" and platform.keyset_url == f"{lms}/jwks"
    assert [(d.deployment_id, d.school.org_number) for d in platform.deployments] == [("moodle-deployment-7", SKOLE_A)]
    assert platform.client_id


def test_a_wrong_registration_token_is_refused_by_the_lms_and_nothing_is_registered(lms, tool, invite_path):
    query = urlencode({"openid_configuration": f"{lms}/.well-known/openid-configuration", "registration_token": "x"})
    response = tool.test_client().get(f"{invite_path}?{query}")
    assert response.status_code == 400
    assert "Plattformen tok ikke imot registreringen" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LtiPlatform)) == 0


def test_registration_without_a_valid_invitation_is_refused(lms, tool):
    query = urlencode({"openid_configuration": f"{lms}/.well-known/openid-configuration", "registration_token": TOKEN})
    response = tool.test_client().get(f"/lti/register/forged-invitation?{query}")
    assert response.status_code == 403
    assert "Registreringslenken er ugyldig eller utløpt" in response.get_data(as_text=True)
