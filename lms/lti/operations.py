"""The LTI 1.3 rules: registrations, the third-party-initiated login, the launch and who it signs in.

Every entry point (the LMS page, ``flask lti``, the launch, dynamic
registration) calls these functions. JWTs and keys are joserfc's; what is
checked, and what a launch may do, is here.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

import requests
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from lms.audit import operations as audit
from lms.cache import clock as kept_clock
from lms.db import db
from lms.identity.operations import Arrival, ArrivalRefused, arrive
from lms.lti import keys
from lms.lti.models import LtiDeployment, LtiNonce, LtiPlatform
from lms.people.models import School, User
from lms.lti import hooks
from lms.people.operations import PeopleError, normalise_org_number, require_admin

LTI_VERSION = "1.3.0"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK, DEEP_LINKING = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
#: The custom parameter that names the school when a deployment serves several.
SCHOOL_PARAMETER = "school_org_number"
#: How long a login waits for its launch.
LOGIN_LIFETIME = timedelta(minutes=10)
#: Seconds of clock difference accepted between us and a platform.
LEEWAY_SECONDS = 60

#: LIS role names (the part after ``#``) that make school staff here: all of them teachers.
#: A platform's Administrator is staff too, but never becomes a programme admin.
STAFF_ROLES = frozenset({"Instructor", "Mentor", "ContentDeveloper", "TeachingAssistant", "Administrator",
                         "Faculty", "Staff", "Manager"})
LEARNER_ROLES = frozenset({"Learner", "Student", "Prospective", "Alumni", "Guest"})


class LtiError(Exception):
    """A registration the rules refuse; the message is for the admin. ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class LaunchRefused(Exception):
    """A login or launch refused: nobody is signed in. The message is for the person in the LMS."""

    def __init__(self, message: str, reason: str, detail: str = ""):
        super().__init__(message)
        self.reason = reason
        self.detail = detail


# --- registrations ----------------------------------------------------------

@dataclass
class PlatformData:
    """A platform registration as an admin types it."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    keyset_url: str
    auth_token_url: str = ""
    deployment_ids: list[str] = field(default_factory=list)
    #: Organisation number of the school the deployments belong to; empty for the launch's custom parameter.
    school_org_number: str = ""
    frame_origins: list[str] = field(default_factory=list)


def _url(value: str, name: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.netloc or (parts.scheme == "http" and not loopback):
        raise LtiError(_("Skriv inn en fullstendig https-adresse (%(what)s).", what=name), name)
    return value


def origin_of(url: str) -> str:
    """Return the ``scheme://host[:port]`` of an address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def school_by_org_number(org_number: str) -> School | None:
    """Return the school with this organisation number (None for an empty one), or raise LtiError."""
    if not (org_number or "").strip():
        return None
    try:
        number = normalise_org_number(org_number)
    except PeopleError as err:
        raise LtiError(str(err), "school_org_number") from None
    school = db.session.scalar(sa.select(School).where(School.org_number == number))
    if school is None:
        raise LtiError(_("Ingen skole har organisasjonsnummeret %(number)s.", number=number), "school_org_number")
    return school


def save_platform(data: PlatformData, actor: User | None, now: datetime) -> LtiPlatform:
    """Register a platform, or update the one with the same issuer and client id; add its deployments."""
    if actor is not None:
        require_admin(actor)
    name = data.name.strip() or urlsplit(data.issuer.strip()).hostname or ""
    issuer = (data.issuer or "").strip()
    client_id = (data.client_id or "").strip()
    if not issuer or len(issuer) > 255:
        raise LtiError(_("Skriv inn plattformens issuer (iss), høyst 255 tegn."), "issuer")
    if not client_id or len(client_id) > 255:
        raise LtiError(_("Skriv inn klient-ID-en plattformen ga verktøyet."), "client_id")
    auth_login_url = _url(data.auth_login_url, "auth_login_url")
    keyset_url = _url(data.keyset_url, "keyset_url")
    auth_token_url = _url(data.auth_token_url, "auth_token_url", required=False)
    origins = [origin_of(_url(o, "frame_origins")) for o in data.frame_origins if o.strip()]
    school = school_by_org_number(data.school_org_number)
    deployment_ids = [d.strip() for d in data.deployment_ids if d.strip()]
    if any(len(d) > 255 for d in deployment_ids):
        raise LtiError(_("En deployment-ID kan ha høyst 255 tegn."), "deployment_ids")
    platform = db.session.scalar(sa.select(LtiPlatform).where(LtiPlatform.issuer == issuer,
                                                              LtiPlatform.client_id == client_id))
    created = platform is None
    if created:
        platform = LtiPlatform(issuer=issuer, client_id=client_id, created_at=now, keyset_json="")
        db.session.add(platform)
    if platform.keyset_url != keyset_url:
        platform.keyset_json, platform.keyset_fetched_at = "", None
    platform.name = name[:200]
    platform.auth_login_url, platform.keyset_url, platform.auth_token_url = auth_login_url, keyset_url, auth_token_url
    platform.frame_origins_text = "\n".join(origins)
    platform.active = True
    known = {d.deployment_id: d for d in platform.deployments}
    for deployment_id in deployment_ids:
        deployment = known.get(deployment_id)
        if deployment is None:
            platform.deployments.append(LtiDeployment(deployment_id=deployment_id, school=school))
        elif school is not None:
            deployment.school = school
    db.session.flush()
    audit.record(object_type="lti_platform", object_id=platform.id, from_state=None,
                 to_state="created" if created else "updated", actor_id=actor.id if actor else None, at=now,
                 note=f"{issuer} {client_id} deployments {', '.join(deployment_ids)}")
    platform_changed()
    return platform


def set_deployment_school(deployment: LtiDeployment, org_number: str, actor: User, now: datetime) -> None:
    """Say which school a deployment belongs to (empty: the launch's custom parameter names it)."""
    require_admin(actor)
    deployment.school = school_by_org_number(org_number)
    db.session.flush()
    audit.record(object_type="lti_platform", object_id=deployment.platform_id, from_state=None, to_state="updated",
                 actor_id=actor.id, at=now, note=f"deployment {deployment.deployment_id} school {org_number or '-'}")


def remove_platform(platform: LtiPlatform, actor: User, now: datetime) -> None:
    """Remove a registration: its launches are refused from now on."""
    require_admin(actor)
    audit.record(object_type="lti_platform", object_id=platform.id, from_state="active", to_state="removed",
                 actor_id=actor.id, at=now, note=f"{platform.issuer} {platform.client_id}")
    db.session.delete(platform)
    db.session.flush()
    platform_changed()


def platforms() -> list[LtiPlatform]:
    return list(db.session.scalars(sa.select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


# --- frame-ancestors ----------------------------------------------------------

#: The framing origins as last read, and when (another instance's changes are seen within FRAME_ORIGINS_TTL).
_frame_origins: tuple[str, ...] | None = None
_frame_origins_read = 0.0
FRAME_ORIGINS_TTL = 60.0


def platform_changed() -> None:
    """Forget the framing origins and login targets kept in this process, so the next answer asks the database."""
    global _frame_origins
    _frame_origins = None
    _login_targets.clear()


def frame_origins() -> tuple[str, ...]:
    """Return the origins of every registered platform, which may frame the tool (kept a minute, or until a change)."""
    global _frame_origins, _frame_origins_read
    if _frame_origins is None or kept_clock() - _frame_origins_read > FRAME_ORIGINS_TTL:
        _frame_origins_read = kept_clock()
        found: set[str] = set()
        try:
            rows = db.session.execute(sa.select(LtiPlatform.issuer, LtiPlatform.auth_login_url,
                                                LtiPlatform.frame_origins_text).where(LtiPlatform.active)).all()
        except sa.exc.SQLAlchemyError:  # the database is down: keep what we knew
            return _frame_origins or ()
        for issuer, auth_login_url, extra in rows:
            for url in (issuer, auth_login_url, *extra.split()):
                origin = origin_of(url)
                if origin:
                    found.add(origin)
        _frame_origins = tuple(sorted(found))
    return _frame_origins


# --- the login --------------------------------------------------------------

def refusal_message(reason: str) -> str:
    """Return what the person in the LMS is told when a login or launch is refused for ``reason``."""
    messages = {
        "unknown_platform": _("LMS-et som sendte deg hit er ikke registrert i Kompetanseportalen. "
                              "Be en programadministrator registrere det på siden «LMS»."),
        "unknown_deployment": _("Denne installasjonen av Kompetanseportalen i LMS-et er ikke registrert. "
                                "Be en programadministrator legge inn deployment-ID-en på siden «LMS»."),
        "state": _("Innloggingen fra LMS-et hørte ikke til denne nettleseren, eller var utløpt. "
                   "Åpne lenken i LMS-et på nytt."),
        "token": _("LMS-et sendte en innlogging som ikke kunne godkjennes, så du er ikke logget inn. "
                   "Åpne lenken i LMS-et på nytt."),
        "replay": _("Denne innloggingen fra LMS-et er allerede brukt. Åpne lenken i LMS-et på nytt."),
        "keyset": _("Vi fikk ikke hentet LMS-ets nøkler, så innloggingen kunne ikke kontrolleres. Prøv igjen om litt."),
        "request": _("Forespørselen fra LMS-et manglet noe vi trenger. Åpne lenken i LMS-et på nytt."),
    }
    return messages[reason]


def _refused(reason: str, detail: str = "") -> LaunchRefused:
    return LaunchRefused(refusal_message(reason), reason, detail)


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform:
    """Return the active registration for a login's issuer (and client id, when given)."""
    stmt = sa.select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.active)
    if client_id:
        stmt = stmt.where(LtiPlatform.client_id == client_id)
    found = list(db.session.scalars(stmt.limit(2)))
    if len(found) != 1:
        raise _refused("unknown_platform", f"{issuer} {client_id or '(no client id)'}: {len(found)} registrations")
    return found[0]


@dataclass(frozen=True)
class LoginTarget:
    """What a login initiation needs of a registration (kept a minute: the launch checks the database again)."""

    platform_id: int
    client_id: str
    auth_login_url: str
    deployment_ids: frozenset[str]


_login_targets: dict[tuple[str, str], tuple[float, LoginTarget]] = {}


def login_target(issuer: str, client_id: str | None) -> LoginTarget:
    """Return the registration a login initiation is for, kept for FRAME_ORIGINS_TTL seconds or until a change."""
    key = (issuer, client_id or "")
    kept = _login_targets.get(key)
    if kept is not None and kept_clock() - kept[0] < FRAME_ORIGINS_TTL:
        return kept[1]
    platform = find_platform(issuer, client_id)
    target = LoginTarget(platform.id, platform.client_id, platform.auth_login_url,
                         frozenset(d.deployment_id for d in platform.deployments))
    if len(_login_targets) > 1000:
        _login_targets.clear()
    _login_targets[key] = (kept_clock(), target)
    return target


@dataclass(frozen=True)
class PendingLogin:
    """A login started at /lti/login and waiting for its launch, as its signed state carries it.

    The state holds the platform, the nonce sent to it, how the browser keeps
    the state (the platform's frame for ``lti_storage_target``, or empty for
    the partitioned cookie), and the login's parameters to start again in a
    new window. It is signed with the app's secret and runs out after
    ``LOGIN_LIFETIME``; the launch uses its nonce up.
    """

    state: str
    platform_id: int
    nonce: str
    storage_target: str
    login_query: str


@dataclass(frozen=True)
class LoginStart:
    """Where the browser goes next from /lti/login, and the login it started."""

    login: PendingLogin
    redirect_url: str


def _states() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-login-state")


def sign_state(platform_id: int, nonce: str, storage_target: str = "", login_query: str = "") -> PendingLogin:
    """Return a login with its signed state."""
    state = _states().dumps({"p": platform_id, "n": nonce, "s": storage_target, "q": login_query})
    return PendingLogin(state=state, platform_id=platform_id, nonce=nonce, storage_target=storage_target,
                        login_query=login_query)


def start_login(params: dict[str, str], redirect_uri: str, now: datetime) -> LoginStart:
    """Begin a third-party-initiated login: a fresh nonce in a signed state, and the platform's authorisation address."""
    issuer, login_hint = params.get("iss", ""), params.get("login_hint", "")
    if not issuer or not login_hint or not params.get("target_link_uri"):
        raise _refused("request", "iss, login_hint and target_link_uri are required")
    platform = login_target(issuer, params.get("client_id"))
    deployment_id = params.get("lti_deployment_id")
    if deployment_id and deployment_id not in platform.deployment_ids:
        raise _refused("unknown_deployment", f"{issuer} deployment {deployment_id}")
    login = sign_state(platform.platform_id, secrets.token_urlsafe(24), params.get("lti_storage_target", "")[:100],
                       urlencode(sorted((k, v) for k, v in params.items() if k != "lti_storage_target")))
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": platform.client_id, "redirect_uri": redirect_uri, "login_hint": login_hint,
             "state": login.state, "nonce": login.nonce}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginStart(login=login, redirect_url=f"{platform.auth_login_url}{separator}{urlencode(query)}")


# --- the launch -------------------------------------------------------------

def role_names(roles: object) -> frozenset[str]:
    """Return LIS role names without their vocabulary (``…/membership#Instructor`` is ``Instructor``)."""
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(str(r).rsplit("#", 1)[-1].rsplit("/", 1)[-1] for r in roles)


@dataclass(frozen=True)
class Launch:
    """A launch whose id_token has been checked, and what it says."""

    platform: LtiPlatform
    deployment: LtiDeployment
    login: PendingLogin
    claims: dict

    @property
    def message_type(self) -> str:
        return self.claims[CLAIM + "message_type"]

    def _object(self, claim: str) -> dict:
        value = self.claims.get(claim)
        return value if isinstance(value, dict) else {}

    @property
    def roles(self) -> frozenset[str]:
        return role_names(self.claims.get(CLAIM + "roles", []))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def custom(self) -> dict:
        return self._object(CLAIM + "custom")

    @property
    def target_link_uri(self) -> str:
        return str(self.claims.get(CLAIM + "target_link_uri", ""))

    @property
    def deep_linking(self) -> dict:
        return self._object(DL_CLAIM + "deep_linking_settings")

    @property
    def names_and_roles_url(self) -> str:
        return str(self._object(NRPS_CLAIM).get("context_memberships_url", ""))

    @property
    def context(self) -> dict:
        return self._object(CLAIM + "context")

    @property
    def document_target(self) -> str:
        return str(self._object(CLAIM + "launch_presentation").get("document_target", ""))


def _decode(id_token: str, keyset: KeySet):
    return jwt.decode(id_token, keyset, registry=JWSRegistry(algorithms=["RS256"]))


def pending_login(state: str, now: datetime) -> PendingLogin:
    """Return the login a launch's state belongs to, or refuse a state we did not sign or that has run out."""
    try:
        data = _states().loads(state, max_age=int(LOGIN_LIFETIME.total_seconds()))
        return PendingLogin(state=state, platform_id=int(data["p"]), nonce=str(data["n"]),
                            storage_target=str(data.get("s", "")), login_query=str(data.get("q", "")))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise _refused("state", "a state we did not sign, or one that ran out") from None


def validate_launch(id_token: str, login: PendingLogin, now: datetime) -> Launch:
    """Check a launch's id_token against its login and platform; use up its nonce; return what it says."""
    platform = db.session.get(LtiPlatform, login.platform_id)
    if platform is None or not platform.active:
        raise _refused("unknown_platform", "the registration is gone")
    try:
        try:
            token = _decode(id_token, keys.platform_keyset(platform, now))
        except InvalidKeyIdError:
            if not keys.may_refetch(platform, now):
                raise
            token = _decode(id_token, keys.fetch_keyset(platform, now))
    except keys.KeysetUnavailable as err:
        raise _refused("keyset", str(err)) from err
    except (JoseError, ValueError) as err:
        raise _refused("token", f"{type(err).__name__}: {err}") from err
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": platform.issuer},
        aud={"essential": True, "value": platform.client_id},
        exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
        nonce={"essential": True, "value": login.nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as err:
        raise _refused("token", f"{type(err).__name__}: {err}") from err
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audience) > 1 and claims.get("azp") != platform.client_id:
        raise _refused("token", "azp is not our client id")
    if claims.get(CLAIM + "version") != LTI_VERSION:
        raise _refused("token", f"LTI version {claims.get(CLAIM + 'version')!r}")
    if claims.get(CLAIM + "message_type") not in (RESOURCE_LINK, DEEP_LINKING):
        raise _refused("token", f"message type {claims.get(CLAIM + 'message_type')!r}")
    deployment_id = str(claims.get(CLAIM + "deployment_id", ""))
    deployment = next((d for d in platform.deployments if d.deployment_id == deployment_id), None)
    if deployment is None:
        raise _refused("unknown_deployment", f"deployment {deployment_id!r}")
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo) + timedelta(seconds=LEEWAY_SECONDS)
    use_once(platform.id, str(claims["nonce"]), max(expires, now + LOGIN_LIFETIME), alone=True)
    return Launch(platform=platform, deployment=deployment, login=login, claims=claims)


def use_once(platform_id: int, value: str, keep_until: datetime, *, alone: bool = False) -> None:
    """Use up a one-time value (a launch's nonce, a landing ticket); refuse it the second time.

    ``alone``: nothing else in the transaction is pending, so a refusal may
    roll it all back instead of keeping a savepoint (a launch, first thing).
    """
    row = LtiNonce(platform_id=platform_id, nonce=value[:255], expires_at=keep_until)
    try:
        if alone:
            db.session.add(row)
            db.session.flush()
        else:
            with db.session.begin_nested():
                db.session.add(row)
    except sa.exc.IntegrityError:
        if alone:
            db.session.rollback()
        raise _refused("replay", f"{value[:40]} seen before") from None


def nonce_used(platform_id: int, nonce: str) -> bool:
    """Tell whether a one-time value has been used up already."""
    return db.session.scalar(sa.select(sa.exists().where(LtiNonce.platform_id == platform_id,
                                                         LtiNonce.nonce == nonce[:255]))) or False


def forget_used(now: datetime) -> int:
    """Delete used nonces and tickets past their expiry; return how many."""
    return db.session.execute(sa.delete(LtiNonce).where(LtiNonce.expires_at < now)).rowcount


def launch_school_org_number(launch: Launch) -> str:
    """Return the organisation number of the school the launch is for: the deployment's, or the custom parameter's."""
    if launch.deployment.school is not None:
        return launch.deployment.school.org_number
    return str(launch.custom.get(SCHOOL_PARAMETER, "")).replace(" ", "")


def person_arriving(launch: Launch, now: datetime) -> User:
    """Find or create the person the launch is about, at the launch's school, as staff (never as admin)."""
    claims = launch.claims
    name = claims.get("name") or " ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p)
    arrival = Arrival(method="lti", issuer=launch.platform.issuer, subject=str(claims["sub"]), name=str(name or ""),
                      email=str(claims.get("email") or ""), school_org_numbers=(launch_school_org_number(launch),),
                      is_staff=launch.is_staff, all_schools=False)
    return arrive(arrival, now)


def landing_path(launch: Launch, base_url: str, default: str) -> str:
    """Return the path on this site the launch asked for (its target link), or ``default``."""
    target = urlsplit(launch.target_link_uri)
    if target.scheme and origin_of(launch.target_link_uri) != origin_of(base_url):
        return default
    path = target.path or "/"
    if not path.startswith("/") or path.startswith("//") or path.startswith("/lti/"):
        return default
    return path + (f"?{target.query}" if target.query else "")


def keyset_json(platform: LtiPlatform) -> dict:
    return json.loads(platform.keyset_json) if platform.keyset_json else {"keys": []}


# --- deep linking -------------------------------------------------------------

def _jwt_time() -> int:
    """Return the time a JWT we sign is issued at: the real clock's, as the platform checks it against its own."""
    return int(time.time())


@dataclass(frozen=True)
class ContentItem:
    """A link the tool returns to the platform: an LTI resource link that launches into ``url``."""

    title: str
    url: str
    text: str = ""


def deep_linking_response(request: dict, items: list[ContentItem], now: datetime) -> tuple[str, str]:
    """Return the signed deep-linking response (a JWT) for the platform, and the address to post it to.

    ``request`` is what the deep-linking launch kept: platform, deployment, return address and data.
    """
    platform = db.session.get(LtiPlatform, request["platform_id"])
    if platform is None or not request.get("return_url"):
        raise LtiError(_("LMS-et ba ikke om innhold, eller er ikke lenger registrert. Åpne valget i LMS-et på nytt."))
    if not items:
        raise LtiError(_("Velg minst én ting å lenke til."))
    key = keys.signing_key(now)
    issued = _jwt_time()
    claims = {
        "iss": platform.client_id, "aud": platform.issuer, "azp": platform.client_id,
        "iat": issued, "exp": issued + 300, "nonce": secrets.token_urlsafe(16),
        CLAIM + "message_type": "LtiDeepLinkingResponse", CLAIM + "version": LTI_VERSION,
        CLAIM + "deployment_id": request["deployment_id"],
        DL_CLAIM + "content_items": [
            {"type": "ltiResourceLink", "title": item.title, "url": item.url,
             **({"text": item.text} if item.text else {})} for item in items],
    }
    if request.get("data") is not None:
        claims[DL_CLAIM + "data"] = request["data"]
    token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
    return token, request["return_url"]


# --- names and role provisioning --------------------------------------------------

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SERVICE_TIMEOUT_SECONDS = 15


class ServiceUnavailable(Exception):
    """A platform's service (token endpoint, member list) could not be asked or answered wrongly."""


@dataclass(frozen=True)
class CourseMember:
    """A member of the LMS course, as the platform lists them."""

    user_id: str
    name: str
    email: str
    roles: frozenset[str]

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


def service_token(platform: LtiPlatform, scope: str, now: datetime) -> str:
    """Get an access token from the platform: client credentials with a signed assertion (RFC 7523)."""
    if not platform.auth_token_url:
        raise ServiceUnavailable("the platform has no token address")
    key = keys.signing_key(now)
    issued = _jwt_time()
    assertion = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"},
                           {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.auth_token_url,
                            "iat": issued, "exp": issued + 300, "jti": secrets.token_urlsafe(16)}, key)
    try:
        response = requests.post(platform.auth_token_url, timeout=SERVICE_TIMEOUT_SECONDS, data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion, "scope": scope})
        response.raise_for_status()
        return str(response.json()["access_token"])
    except (requests.RequestException, ValueError, KeyError) as err:
        raise ServiceUnavailable(f"token: {err}") from err


def course_members(platform: LtiPlatform, url: str, now: datetime) -> list[CourseMember]:
    """Fetch the LMS course's active members (every page) through Names and Role Provisioning."""
    token = service_token(platform, NRPS_SCOPE, now)
    members: list[CourseMember] = []
    for _page in range(50):
        try:
            response = requests.get(url, timeout=SERVICE_TIMEOUT_SECONDS,
                                    headers={"Authorization": f"Bearer {token}", "Accept": NRPS_MEDIA_TYPE})
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as err:
            raise ServiceUnavailable(f"members: {err}") from err
        for member in answer.get("members", []) if isinstance(answer, dict) else []:
            if not isinstance(member, dict) or member.get("status", "Active") != "Active" or not member.get("user_id"):
                continue
            name = member.get("name") or " ".join(p for p in (member.get("given_name"), member.get("family_name")) if p)
            members.append(CourseMember(
                user_id=str(member["user_id"]), name=str(name or member["user_id"]), email=str(member.get("email") or ""),
                roles=role_names(member.get("roles", []))))
        url = response.links.get("next", {}).get("url") or (answer.get("next") if isinstance(answer, dict) else None)
        if not url:
            break
    return sorted(members, key=lambda m: (m.name.lower(), m.user_id))


def add_course_members(platform: LtiPlatform, members: list[CourseMember], chosen: set[str], school_org_number: str,
                       actor: User, now: datetime, offering_id: int | None = None) -> list[str]:
    """Make the chosen LMS course members staff at the school and, with an offering, enroll them; report each.

    Only a leader of that school (or a programme admin) may. Members who are
    not staff in the LMS (Learners) are never added.
    """
    school = db.session.scalar(sa.select(School).where(School.org_number == school_org_number))
    if school is None or not (actor.is_admin or school.id in actor.led_school_ids()):
        raise LtiError(_("Bare skolens ledere kan legge til ansatte fra LMS-emnet."))
    hook = hooks.enrollment() if offering_id is not None else None
    if offering_id is not None and hook is None:
        raise LtiError(_("Påmelding er ikke tilgjengelig i denne installasjonen."))
    lines = []
    for member in members:
        if member.user_id not in chosen:
            continue
        if not member.is_staff:
            lines.append(_("%(name)s er elev i LMS-et og ble ikke lagt til.", name=member.name))
            continue
        arrival = Arrival(method="lti", issuer=platform.issuer, subject=member.user_id, name=member.name,
                          email=member.email, school_org_numbers=(school.org_number,), is_staff=True)
        try:
            with db.session.begin_nested():
                person = arrive(arrival, now, actor=actor)
        except ArrivalRefused as err:
            lines.append(f"{member.name}: {err}")
            continue
        if hook is None:
            lines.append(_("%(name)s er ansatt ved %(school)s.", name=person.name, school=school.name))
            continue
        try:
            with db.session.begin_nested():
                lines.append(hook.enroll(offering_id, person, actor, now))
        except hooks.EnrollmentRefused as err:
            lines.append(f"{person.name}: {err}")
    return lines


# --- dynamic registration ---------------------------------------------------------

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def dynamic_registration(configuration_url: str, registration_token: str, addresses: dict[str, str],
                         school_org_number: str, now: datetime) -> LtiPlatform:
    """Register with a platform that offers LTI Dynamic Registration (Moodle 3.10+, Canvas), and keep its registration.

    Reads the platform's OpenID configuration, posts the tool's client
    metadata with its LTI configuration to the registration endpoint, and
    saves what the platform answers (client id, deployment id).
    """
    configuration_url = _url(configuration_url, "openid_configuration")
    try:
        answer = requests.get(configuration_url, timeout=SERVICE_TIMEOUT_SECONDS)
        answer.raise_for_status()
        config = answer.json()
        issuer = str(config["issuer"])
        endpoint = _url(str(config["registration_endpoint"]), "registration_endpoint")
    except (requests.RequestException, ValueError, KeyError) as err:
        raise LtiError(_("Plattformens oppsett kunne ikke leses: %(why)s", why=str(err)[:200])) from err
    if not configuration_url.startswith(issuer.rstrip("/")):
        raise LtiError(_("Oppsettet hører ikke til plattformen det sier det er fra."))
    host = urlsplit(addresses["launch"]).netloc
    metadata = {
        "application_type": "web", "response_types": ["id_token"], "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": addresses["login"], "redirect_uris": [addresses["launch"]],
        "client_name": "Kompetanseportalen", "jwks_uri": addresses["jwks"],
        "token_endpoint_auth_method": "private_key_jwt", "scope": NRPS_SCOPE,
        TOOL_CONFIGURATION: {
            "domain": host, "target_link_uri": addresses["target"],
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": DEEP_LINKING, "target_link_uri": addresses["launch"], "label": "Kompetanseportalen"}],
        },
    }
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        answer = requests.post(endpoint, json=metadata, headers=headers, timeout=SERVICE_TIMEOUT_SECONDS)
        answer.raise_for_status()
        registered = answer.json()
        client_id = str(registered["client_id"])
    except (requests.RequestException, ValueError, KeyError) as err:
        raise LtiError(_("Plattformen tok ikke imot registreringen: %(why)s", why=str(err)[:200])) from err
    tool = registered.get(TOOL_CONFIGURATION) if isinstance(registered.get(TOOL_CONFIGURATION), dict) else {}
    product = config.get(PLATFORM_CONFIGURATION, {}) if isinstance(config.get(PLATFORM_CONFIGURATION), dict) else {}
    return save_platform(PlatformData(
        name=str(product.get("product_family_code") or urlsplit(issuer).hostname or issuer),
        issuer=issuer, client_id=client_id, auth_login_url=str(config.get("authorization_endpoint", "")),
        keyset_url=str(config.get("jwks_uri", "")), auth_token_url=str(config.get("token_endpoint", "")),
        deployment_ids=[str(tool["deployment_id"])] if tool.get("deployment_id") else [],
        school_org_number=school_org_number), None, now)
