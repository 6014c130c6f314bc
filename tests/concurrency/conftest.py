"""A real gunicorn server on the test database, started once per test module.

The server is a separate process with several workers and threads, so the
requests it serves race each other exactly as they would in production. It
reads the same database as the test process: data that a test creates through
the factories must be committed before the server is asked about it.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.concurrency.live import LiveServer, free_port

REPO = Path(__file__).resolve().parents[2]
WORKERS, THREADS = 4, 4
STARTUP_SECONDS = 90
#: Each request in the server's log: when it ended, what, the status, the seconds it took.
ACCESS_LOG = '%(t)s "%(r)s" %(s)s %(L)ss'


@pytest.fixture(scope="module")
def live_server(app, tmp_path_factory):
    """Start gunicorn on the test database, wait for /healthz, stop it afterwards."""
    instance = tmp_path_factory.mktemp("instance")
    log_path = instance / "gunicorn.log"
    port = free_port()
    env = {
        **os.environ,
        "KP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "KP_SECRET_KEY": secrets.token_hex(32),
        "KP_INSTANCE_PATH": str(instance),
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "lms:create_app()", "--workers", str(WORKERS),
             "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
             "--no-control-socket", "--access-logfile", "-", "--access-logformat", ACCESS_LOG],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log()}")
            try:
                if requests.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or workers still booting
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz in {STARTUP_SECONDS} s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


