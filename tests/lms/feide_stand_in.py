"""Feide on loopback: a real OpenID Connect provider, a door in front of it, and the groups API.

* The provider is ``oidc-provider`` from npm (``tests/lms/feide_provider.mjs``) in
  a node process of its own, with an RSA key made here, Feide's scopes and
  Feide's way of keeping the id_token minimal.
* The door (:class:`ProviderDoor`) is where the provider's issuer address
  points: it passes every request through to the provider unchanged, unless a
  test asks it to alter the id_token in the next token answers, as an attacker
  between us and Feide would (re-signed with the provider's own key with a
  claim changed, or changed without re-signing).
* The groups API (:class:`GroupsApi`) answers ``GET /groups/me/groups`` the way
  Feide documents it: the bearer token is checked by asking the provider's
  userinfo who it belongs to, and the answer is that person's groups as the
  test set them. It can also be down.
"""
from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.concurrency.live import free_port

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = Path(__file__).with_name("feide_provider.mjs")
CLIENT_ID = "kompetanseportalen-test"
CLIENT_SECRET = "feide-test-client-secret-0123456789"
OTHER_CLIENT_ID = "another-service"
#: Where our app is reached in the tests (the Flask test client's SERVER_NAME).
APP_BASE = "http://localhost"


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] = (),
              content_type: str | None = "application/json") -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ProviderDoor:
    """Everything addressed to the provider's issuer passes here; ``tamper`` may change id_tokens on the way."""

    def __init__(self, provider_port: int):
        self.port = free_port()
        self.provider_port = provider_port
        #: Applied to the id_token of every token answer while set.
        self.tamper: Callable[[str], str] | None = None
        door = self

        class Handler(_Quiet):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn = http.client.HTTPConnection("127.0.0.1", door.provider_port, timeout=30)
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                passed = [(k, v) for k, v in answer.getheaders()
                          if k.lower() not in ("content-length", "transfer-encoding", "connection", "keep-alive",
                                               "content-type")]
                if self.path.startswith("/token") and door.tamper and answer.status == 200:
                    token = json.loads(data)
                    token["id_token"] = door.tamper(token["id_token"])
                    data = json.dumps(token).encode()
                self._send(answer.status, data, passed, answer.getheader("Content-Type"))

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class GroupsApi:
    """Feide's groups API as documented: ``/groups/me/groups`` for the bearer token's person."""

    userinfo_url: str
    #: The groups each person (by Feide user id) is a member of.
    groups: dict[str, list[dict]] = field(default_factory=dict)
    #: Answer 503 to everything, as a groups API that is down.
    down: bool = False

    def __post_init__(self):
        self.port = free_port()
        api = self

        class Handler(_Quiet):
            def do_GET(self):
                if api.down:
                    self._send(503, b'{"message": "Service Unavailable"}')
                    return
                if self.path.split("?")[0] != "/groups/me/groups":
                    self._send(404, b'{"message": "Not Found"}')
                    return
                who = requests.get(api.userinfo_url, headers={"Authorization": self.headers.get("Authorization", "")},
                                   timeout=10)
                if who.status_code != 200:
                    self._send(401, b'{"message": "Unauthorized"}')
                    return
                self._send(200, json.dumps(api.groups.get(who.json()["sub"], [])).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/groups"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class FeideStandIn:
    issuer: str
    key: RSAKey
    door: ProviderDoor
    groups_api: GroupsApi
    process: subprocess.Popen

    def resign(self, change: Callable[[dict], None]) -> Callable[[str], str]:
        """Return a tamper function that changes the id_token's claims and signs it again with the provider's key."""
        def tamper(id_token: str) -> str:
            token = jwt.decode(id_token, self.key)
            claims = dict(token.claims)
            change(claims)
            return jwt.encode(dict(token.header), claims, self.key)
        return tamper


def school_group(org_number: str, name: str, realm: str = "baerum.kommune.no") -> dict:
    """A school as Feide's groups API lists it (type fc:org, with a parent and the organisation number)."""
    return {"id": f"fc:org:{realm}:unit:NO{org_number}", "type": "fc:org", "displayName": name,
            "membership": {"basic": "member", "primarySchool": True}, "public": False,
            "orgType": ["primary_and_lower_secondary"], "parent": f"fc:org:{realm}"}


def owner_group(affiliation: list[str], realm: str = "baerum.kommune.no") -> dict:
    """The school owner (the municipality) with the person's affiliation there."""
    return {"id": f"fc:org:{realm}", "type": "fc:org", "displayName": "Bærum kommune",
            "membership": {"basic": "admin" if "faculty" in affiliation else "member", "affiliation": affiliation},
            "public": False, "orgType": ["primary_and_lower_secondary_owner"], "norEduOrgNIN": "NO974760673"}


def start(tmp_dir: Path) -> FeideStandIn:
    """Start the provider, its door and the groups API; skip where node or oidc-provider is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Feide sign-in tests are skipped (apt-get install nodejs npm)")
    if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.skip("oidc-provider is not installed: run `make test`, or `npm install` in the project folder")
    provider_port = free_port()
    door = ProviderDoor(provider_port)
    key = RSAKey.generate_key(2048, parameters={"kid": "feide-test-key", "alg": "RS256", "use": "sig"}, private=True)
    client = {"client_secret": CLIENT_SECRET, "redirect_uris": [f"{APP_BASE}/feide/callback"],
              "post_logout_redirect_uris": [f"{APP_BASE}/"], "grant_types": ["authorization_code"],
              "response_types": ["code"], "token_endpoint_auth_method": "client_secret_basic"}
    config = {"port": provider_port, "issuer": door.url, "jwks": {"keys": [key.as_dict(private=True)]},
              "clients": [{"client_id": CLIENT_ID, **client}, {"client_id": OTHER_CLIENT_ID, **client}]}
    config_path = tmp_dir / "feide-provider.json"
    config_path.write_text(json.dumps(config))
    process = subprocess.Popen([node, str(PROVIDER_SCRIPT), str(config_path)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    said = []
    while not (said and said[-1].startswith("ready")):
        line = process.stdout.readline()
        if not line:  # it stopped without becoming ready
            process.kill()
            raise RuntimeError("the OpenID provider did not start: " + "".join(said))
        said.append(line)
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe drained
    groups_api = GroupsApi(userinfo_url=f"{door.url}/me")
    return FeideStandIn(issuer=door.url, key=key, door=door, groups_api=groups_api, process=process)


def stop(stand_in: FeideStandIn) -> None:
    stand_in.groups_api.close()
    stand_in.door.close()
    stand_in.process.terminate()
    stand_in.process.wait(timeout=10)


def start_registration_provider(tmp_dir: Path, registration_token: str, deployment_id: str) -> tuple[str, subprocess.Popen]:
    """Start an LMS's dynamic-registration side on oidc-provider; return its issuer and process."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.skip("node or oidc-provider is missing: run `make test`, or `npm install` in the project folder")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    key = RSAKey.generate_key(2048, parameters={"kid": "lms-test-key", "alg": "RS256", "use": "sig"}, private=True)
    path = tmp_dir / "lms-registration.json"
    path.write_text(json.dumps({"port": port, "issuer": issuer, "jwks": {"keys": [key.as_dict(private=True)]},
                                "registration_token": registration_token, "deployment_id": deployment_id}))
    process = subprocess.Popen([node, str(ROOT / "tests" / "lms" / "lms_registration_provider.mjs"), str(path)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said = []
    while not (said and said[-1].startswith("ready")):
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise RuntimeError("the registration provider did not start: " + "".join(said))
        said.append(line)
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return issuer, process
