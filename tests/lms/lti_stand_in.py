"""The LMS and the tool on loopback for the LTI tests: the platform process, and the tool served in a thread."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

from tests.concurrency.live import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "kp-tool-in-the-lms"
DEPLOYMENT_ID = "deployment-eikeli"
MEMBERS = [
    {"user_id": "lms-teacher-1", "name": "Kari Nordmann", "email": "kari.nordmann@baerum.kommune.no",
     "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], "status": "Active"},
    {"user_id": "lms-teacher-2", "name": "Per Hansen", "email": "per.hansen@baerum.kommune.no",
     "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], "status": "Active"},
    {"user_id": "lms-pupil-1", "name": "Ola Elev", "email": "ola@elev.baerum.kommune.no",
     "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], "status": "Active"},
]


@dataclass
class Platform:
    url: str
    process: subprocess.Popen

    @property
    def issuer(self) -> str:
        return self.url

    def link(self, course: str = "personalrom", **spec) -> str:
        """The address of a link in the LMS course (what a teacher clicks), launching with ``spec``."""
        return f"{self.url}/emne/{course}/lenke?{urlencode(spec)}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def _keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def start_platform(tmp_dir: Path, tool_base: str, *, port: int | None = None) -> Platform:
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    private, public = _keys()
    config = {"port": port, "issuer": url, "client_id": CLIENT_ID, "deployment_id": DEPLOYMENT_ID,
              "private_key_pem": private, "public_key_pem": public, "members": MEMBERS,
              "tool": {"login_url": f"{tool_base}/lti/login", "launch_url": f"{tool_base}/lti/launch",
                       "jwks_url": f"{tool_base}/lti/jwks", "target_url": f"{tool_base}/",
                       "origin": tool_base}}
    path = tmp_dir / f"platform-{port}.json"
    path.write_text(json.dumps(config))
    log = open(tmp_dir / f"platform-{port}.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "tests.lms.lti_platform", str(path)], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/hentet", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the LTI platform did not start: " + (tmp_dir / f"platform-{port}.log").read_text())
        time.sleep(0.1)
    return Platform(url=url, process=process)


class ToolServer:
    """The app served on loopback in a thread, as the platform and a browser reach it."""

    def __init__(self, app, port: int):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
