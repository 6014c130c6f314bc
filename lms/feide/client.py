"""The Feide client: Authlib's Flask OAuth client, one per app, configured from ``KP_FEIDE_*``.

Authlib runs the OpenID Connect authorisation-code flow: discovery from
``KP_FEIDE_ISSUER``, PKCE (S256), state and nonce kept in the signed session
cookie, the id_token checked against the discovered keys (fetched again when
a key id is unknown), issuer, audience, expiry and nonce.
"""
from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError

log = logging.getLogger(__name__)

#: Feide's attribute groups the service asks for (see README, "Feide").
SCOPES = "openid profile email userid-feide groups-org"
#: Feide signs id_tokens with RS256; nothing else is accepted, whatever discovery says.
ID_TOKEN_ALGORITHMS = ["RS256"]
_EXTENSION = "kp_feide"
#: Session key of the id_token that ends Feide's session at sign-out.
ID_TOKEN_KEY = "feide_id_token"
#: What can go wrong between us and Feide: the protocol (Authlib), the tokens (joserfc), the network.
FAILURES = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError)


def configured(config) -> bool:
    """Tell whether Feide sign-in is set up (client id and secret given)."""
    return bool(config.get("FEIDE_CLIENT_ID") and config.get("FEIDE_CLIENT_SECRET"))


def init_app(app: Flask) -> None:
    oauth = OAuth(app)
    if configured(app.config):
        oauth.register(
            "feide",
            client_id=app.config["FEIDE_CLIENT_ID"],
            client_secret=app.config["FEIDE_CLIENT_SECRET"],
            server_metadata_url=app.config["FEIDE_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256",
                           "default_timeout": app.config["FEIDE_TIMEOUT"]},
        )
    app.extensions[_EXTENSION] = oauth


def client():
    """Return this app's Feide client with its discovery document loaded."""
    feide = current_app.extensions[_EXTENSION].create_client("feide")
    metadata = feide.load_server_metadata()
    metadata["id_token_signing_alg_values_supported"] = ID_TOKEN_ALGORITHMS
    return feide


def end_session_url(id_token: str, then: str) -> str | None:
    """Return Feide's end-session address for this id_token, coming back to ``then``.

    None when Feide is not set up, has no end-session endpoint or cannot be reached.
    """
    if not configured(current_app.config):
        return None
    try:
        feide = client()
        if not feide.load_server_metadata().get("end_session_endpoint"):
            return None
        return feide.create_logout_url(post_logout_redirect_uri=then, id_token_hint=id_token)["url"]
    except FAILURES as err:
        log.warning("Feide end-session address unavailable: %s", err)
        return None
