"""Sign-in with Feide against a real OpenID provider on loopback, with Feide's groups API beside it."""
from __future__ import annotations

import base64
import json
import logging
import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.auth.models import LoginSession
from lms.db import db
from lms.identity.models import LinkedAccount
from lms.people.models import Role, User
from tests.conftest import PASSWORD
from tests.lms import feide_stand_in as stand_in
from tests.lms.feide_stand_in import APP_BASE, CLIENT_ID, CLIENT_SECRET, owner_group, school_group

STAFF = ["member", "employee", "faculty"]
#: Valid organisation numbers (modulus 11), as Feide gives them.
SKOLE_A, SKOLE_B = "974760673", "971524960"


@pytest.fixture(scope="module")
def feide(tmp_path_factory):
    running = stand_in.start(tmp_path_factory.mktemp("feide"))
    yield running
    stand_in.stop(running)


@pytest.fixture
def caplog(caplog):
    """The log, with the sign-in's logger on again (Alembic's fileConfig turns off loggers made before it ran)."""
    logging.getLogger("lms.feide.views").disabled = False
    return caplog


@pytest.fixture(autouse=True)
def _fresh_stand_in(request):
    if "feide" in request.fixturenames:
        feide = request.getfixturevalue("feide")
        feide.door.tamper = None
        feide.groups_api.down = False
        feide.groups_api.groups.clear()


@pytest.fixture
def feide_app(make_app, feide):
    return make_app(FEIDE_CLIENT_ID=CLIENT_ID, FEIDE_CLIENT_SECRET=CLIENT_SECRET, FEIDE_ISSUER=feide.issuer,
                    FEIDE_GROUPS_API=feide.groups_api.url, BASE_URL=APP_BASE, SERVER_NAME="localhost")


@pytest.fixture
def schools(make_school):
    a = make_school("Eikeli skole", org_number=SKOLE_A)
    b = make_school("Hosle skole", org_number=SKOLE_B)
    db.session.commit()
    return a, b


class FeideBrowser:
    """A person's browser: our app through the Flask test client, Feide through HTTP on loopback."""

    def __init__(self, app):
        self.app = app.test_client()
        self.feide = requests.Session()

    def start(self, next_path: str | None = None) -> str:
        """Press "Logg inn med Feide"; return the address Feide was asked at."""
        response = self.app.get("/feide/logg-inn" + (f"?next={next_path}" if next_path else ""))
        assert response.status_code == 302, response.get_data(as_text=True)
        return response.headers["Location"]

    def at_feide(self, address: str, person: dict | None) -> str:
        """Follow Feide's pages (signing in as ``person`` if asked) to the way back; return that address."""
        response = self.feide.get(address, allow_redirects=False)
        for _ in range(10):
            location = urljoin(address, response.headers["Location"])
            if location.startswith(APP_BASE):
                return location
            if "/interaction/" in location:
                assert person is not None, "Feide asked who is signing in"
                response = self.feide.post(location, data=person, allow_redirects=False)
            else:
                response = self.feide.get(location, allow_redirects=False)
            address = location
        raise AssertionError("Feide never sent the browser back")

    def back(self, location: str):
        """Arrive at our callback with what Feide sent."""
        parts = urlsplit(location)
        return self.app.get(f"{parts.path}?{parts.query}")

    def sign_in(self, person: dict, next_path: str | None = None):
        return self.back(self.at_feide(self.start(next_path), person))

    def front_page(self) -> str:
        return self.app.get("/").get_data(as_text=True)


def person(sub="a7d3c1e2-6b8f-4f3e-9a10-kari", name="Kari Nordmann", email="kari.nordmann@baerum.kommune.no"):
    return {"sub": sub, "name": name, "email": email, "eppn": "kari@baerum.kommune.no"}


def nobody_signed_in(browser: FeideBrowser) -> bool:
    signed_out = "Logg ut" not in browser.front_page()
    sessions = db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession))
    db.session.rollback()  # let the app write again (SQLite has one writer)
    return signed_out and sessions == 0


def roles(user: User) -> set[tuple[Role, str | None]]:
    db.session.refresh(user)
    return {(m.role, m.school.org_number if m.school else None) for m in user.memberships}


def test_sign_in_page_leads_with_feide_only_when_configured(client, feide_app):
    page = feide_app.test_client().get("/logg-inn?next=/mine-kurs").get_data(as_text=True)
    assert page.index("Logg inn med Feide") < page.index('name="password"')
    assert "/feide/logg-inn?next=/mine-kurs" in unescape(page)
    assert "Logg inn med Feide" not in client.get("/logg-inn").get_data(as_text=True)
    assert client.get("/feide/logg-inn").status_code == 404


def test_feide_sign_in_lands_a_new_teacher_signed_in_at_the_school(feide, feide_app, schools):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    browser = FeideBrowser(feide_app)
    address = browser.start()
    asked = parse_qs(urlsplit(address).query)
    assert address.startswith(feide.issuer + "/auth")
    assert asked["code_challenge_method"] == ["S256"] and asked["state"] and asked["nonce"]
    assert asked["redirect_uri"] == [f"{APP_BASE}/feide/callback"]
    assert "groups-org" in asked["scope"][0].split()
    response = browser.back(browser.at_feide(address, person()))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Hei, Kari Nordmann." in browser.front_page()
    db.session.rollback()
    kari = db.session.scalar(sa.select(User).where(User.email == "kari.nordmann@baerum.kommune.no"))
    assert roles(kari) == {(Role.TEACHER, SKOLE_A)}
    assert kari.password_hash == ""
    link = db.session.scalar(sa.select(LinkedAccount))
    assert (link.user_id, link.issuer, link.subject, link.method) == (kari.id, feide.issuer, person()["sub"], "feide")
    assert db.session.scalar(sa.select(LoginSession.method)) == "feide"
    history = [e.to_state for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == kari.id))]
    assert history == ["created", "linked", "membership_added"]


def test_feide_sign_in_returns_to_the_page_asked_for(feide, feide_app, schools):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    response = FeideBrowser(feide_app).sign_in(person(), next_path="/mine-kurs")
    assert response.headers["Location"] == "/mine-kurs"


def test_imported_staff_member_is_matched_by_email_at_the_school_and_keeps_their_roles(feide, feide_app, schools,
                                                                                      make_user):
    leader = make_user("Kari N.", roles=(Role.LEADER,), school=schools[0], email="kari.nordmann@baerum.kommune.no")
    db.session.commit()
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    browser = FeideBrowser(feide_app)
    assert browser.sign_in(person()).status_code == 302
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert db.session.scalar(sa.select(LinkedAccount.user_id)) == leader.id
    # Already staff there (as leader): no teacher role added; the name follows Feide.
    assert roles(leader) == {(Role.LEADER, SKOLE_A)}
    assert leader.name == "Kari Nordmann"
    assert "Ansatte" in browser.front_page()  # the leader's menu, from our own staff list


def test_feide_never_gives_leader_or_admin_roles(feide, feide_app, schools):
    owner = owner_group(STAFF)
    owner["membership"]["basic"] = "admin"
    owner["membership"]["displayName"] = "Rektor"
    feide.groups_api.groups[person()["sub"]] = [owner, school_group(SKOLE_A, "Eikeli skole")]
    FeideBrowser(feide_app).sign_in(person())
    db.session.rollback()
    assert roles(db.session.scalar(sa.select(User))) == {(Role.TEACHER, SKOLE_A)}


def test_a_person_at_two_schools_gets_both_memberships(feide, feide_app, schools):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole"),
                                                school_group(SKOLE_B, "Hosle skole")]
    FeideBrowser(feide_app).sign_in(person())
    db.session.rollback()
    assert roles(db.session.scalar(sa.select(User))) == {(Role.TEACHER, SKOLE_A), (Role.TEACHER, SKOLE_B)}


def test_a_change_of_school_in_feide_moves_the_membership_at_the_next_sign_in(feide, feide_app, schools):
    sub = person()["sub"]
    feide.groups_api.groups[sub] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    FeideBrowser(feide_app).sign_in(person())
    feide.groups_api.groups[sub] = [owner_group(STAFF), school_group(SKOLE_B, "Hosle skole")]
    browser = FeideBrowser(feide_app)
    assert browser.sign_in(person()).status_code == 302
    assert "Hei, Kari Nordmann." in browser.front_page()
    db.session.rollback()
    kari = db.session.scalar(sa.select(User))
    assert roles(kari) == {(Role.TEACHER, SKOLE_B)}
    notes = [(e.to_state, e.note) for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]
    assert ("membership_added", f"feide: teacher at Hosle skole ({SKOLE_B})") in notes
    assert ("membership_removed", f"feide: teacher at Eikeli skole ({SKOLE_A}) no longer named by the issuer") in notes


def test_a_pupil_is_refused_with_a_clear_page(feide, feide_app, schools):
    pupil = person(sub="elev-1", name="Ola Elev", email="ola@elev.baerum.kommune.no")
    feide.groups_api.groups["elev-1"] = [owner_group(["member", "student"]), school_group(SKOLE_A, "Eikeli skole")]
    browser = FeideBrowser(feide_app)
    response = browser.sign_in(pupil)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Kompetanseportalen er for ansatte i skolen" in page and "Du er ikke logget inn." in page
    assert nobody_signed_in(browser)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_staff_of_a_school_not_in_the_platform_are_refused(feide, feide_app, schools):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group("987654325", "Ukjent skole")]
    browser = FeideBrowser(feide_app)
    response = browser.sign_in(person())
    assert response.status_code == 403
    assert "Skolen din er ikke registrert i Kompetanseportalen (organisasjonsnummer: 987654325)" in \
        response.get_data(as_text=True)
    assert nobody_signed_in(browser)


def test_an_email_of_someone_at_another_school_is_not_taken_over(feide, feide_app, schools, make_user):
    make_user("Kari Nordmann", roles=(Role.ADMIN,), email="kari.nordmann@baerum.kommune.no")
    db.session.commit()
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    browser = FeideBrowser(feide_app)
    response = browser.sign_in(person())
    assert response.status_code == 403
    assert "hører til en konto som ikke er registrert ved Eikeli skole" in response.get_data(as_text=True)
    assert nobody_signed_in(browser)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LinkedAccount)) == 0


def test_a_wrong_state_signs_nobody_in(feide, feide_app, schools):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    browser = FeideBrowser(feide_app)
    back = browser.at_feide(browser.start(), person())
    forged = re.sub(r"state=[^&]+", "state=forged-state", back)
    response = browser.back(forged)
    assert response.status_code == 400
    assert "hørte ikke til en innlogging startet i denne nettleseren" in response.get_data(as_text=True)
    assert nobody_signed_in(browser)


def test_a_replayed_code_signs_nobody_in(feide, feide_app, schools, caplog):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    victim = FeideBrowser(feide_app)
    used = victim.at_feide(victim.start(), person())
    assert victim.back(used).status_code == 302
    code = parse_qs(urlsplit(used).query)["code"][0]
    # An attacker who saw the code starts a sign-in of their own and slips the old code in.
    attacker = FeideBrowser(feide_app)
    fresh_state = parse_qs(urlsplit(attacker.start()).query)["state"][0]
    response = attacker.app.get(f"/feide/callback?code={code}&state={fresh_state}")
    assert response.status_code == 400
    assert "Svaret fra Feide kunne ikke godkjennes" in response.get_data(as_text=True)
    assert "invalid_grant" in caplog.text
    assert "Logg ut" not in attacker.front_page()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1  # the victim's only


def _wrong_issuer(claims):
    claims["iss"] = "https://auth.evil.example"


def _wrong_audience(claims):
    # Issued to another service: its audience and authorised party are that service, not us.
    claims["aud"] = claims["azp"] = stand_in.OTHER_CLIENT_ID


def _expired(claims):
    claims["iat"] -= 7200
    claims["exp"] = claims["iat"] + 600


@pytest.mark.parametrize("change, why", [(_wrong_issuer, "Invalid claim: 'iss'"),
                                         (_wrong_audience, "Invalid claim: 'azp'"),
                                         (_expired, "ExpiredTokenError")], ids=["issuer", "audience", "expired"])
def test_an_id_token_with_a_wrong_claim_signs_nobody_in(feide, feide_app, schools, change, why, caplog):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    feide.door.tamper = feide.resign(change)
    browser = FeideBrowser(feide_app)
    response = browser.sign_in(person())
    assert response.status_code == 400
    assert "Svaret fra Feide kunne ikke godkjennes" in response.get_data(as_text=True)
    assert why in caplog.text
    assert nobody_signed_in(browser)


def test_a_tampered_id_token_signs_nobody_in(feide, feide_app, schools, make_user, caplog):
    make_user("Rektor", roles=(Role.LEADER,), school=schools[0], email="rektor@baerum.kommune.no")
    db.session.commit()
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]

    def claim_to_be_someone_else(id_token: str) -> str:
        header, payload, signature = id_token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = "rektor"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    feide.door.tamper = claim_to_be_someone_else
    browser = FeideBrowser(feide_app)
    response = browser.sign_in(person())
    assert response.status_code == 400
    assert "BadSignatureError" in caplog.text
    assert nobody_signed_in(browser)


def test_a_groups_api_that_is_down_is_said_and_the_local_sign_in_still_works(feide, feide_app, schools, make_user):
    make_user("Kari Nordmann", school=schools[0], email="kari@baerum.kommune.no")
    db.session.commit()
    feide.groups_api.down = True
    browser = FeideBrowser(feide_app)
    response = browser.sign_in(person())
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Feide svarte ikke på hvilken skole du arbeider ved" in page
    assert 'href="/logg-inn"' in page
    assert nobody_signed_in(browser)
    local = browser.app.post("/logg-inn", data={"email": "kari@baerum.kommune.no", "password": PASSWORD})
    assert local.status_code == 302
    assert "Hei, Kari Nordmann." in browser.front_page()


def test_a_groups_api_that_cannot_be_reached_is_said_too(make_app, feide, schools):
    unreachable = make_app(FEIDE_CLIENT_ID=CLIENT_ID, FEIDE_CLIENT_SECRET=CLIENT_SECRET, FEIDE_ISSUER=feide.issuer,
                           FEIDE_GROUPS_API="http://127.0.0.1:9/groups", BASE_URL=APP_BASE, SERVER_NAME="localhost")
    browser = FeideBrowser(unreachable)
    response = browser.sign_in(person())
    assert response.status_code == 503
    assert nobody_signed_in(browser)


def test_signing_out_ends_the_feide_session_too(feide, feide_app, schools):
    feide.groups_api.groups[person()["sub"]] = [owner_group(STAFF), school_group(SKOLE_A, "Eikeli skole")]
    browser = FeideBrowser(feide_app)
    browser.sign_in(person())
    # Still signed in at Feide: a new sign-in comes straight back without asking who it is.
    back = browser.at_feide(browser.start(), person=None)
    assert back.startswith(f"{APP_BASE}/feide/callback")
    assert browser.back(back).status_code == 302
    response = browser.app.post("/logg-ut")
    end_session = response.headers["Location"]
    assert end_session.startswith(feide.issuer + "/session/end")
    asked = parse_qs(urlsplit(end_session).query)
    assert asked["post_logout_redirect_uri"] == [f"{APP_BASE}/"] and asked["id_token_hint"]
    assert "Logg ut" not in browser.front_page()
    confirm = browser.feide.get(end_session)
    form_action = unescape(re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1))
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text).group(1)
    done = browser.feide.post(urljoin(end_session, form_action), data={"xsrf": xsrf, "logout": "yes"},
                              allow_redirects=False)
    assert urlsplit(urljoin(end_session, done.headers["Location"]))[:3] == urlsplit(f"{APP_BASE}/")[:3]
    # Feide now asks who is signing in again.
    with pytest.raises(AssertionError, match="Feide asked who is signing in"):
        browser.at_feide(browser.start(), person=None)
