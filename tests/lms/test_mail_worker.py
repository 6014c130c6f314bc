"""``flask mail send`` as real processes on the test database: killed mid-batch, two at once, stopped."""
from __future__ import annotations

import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import AuthResult

from lms.db import db, set_clock
from lms.mail import operations as mail
from lms.mail.models import OutboxMessage
from tests.lms.test_mail import SmtpServer

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
SENDER = "Kompetanseportalen <kurs@kommune.test>"
WAIT_SECONDS = 120


@pytest.fixture
def smtp(app, monkeypatch):
    server = SmtpServer()
    server.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                       "SMTP_TIMEOUT": 30.0, "MAIL_FROM": SENDER}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


@pytest.fixture
def start_worker(app, smtp, tmp_path):
    """Return a starter of ``flask mail send`` processes on the test database and SMTP server."""
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "FLASK_APP": "lms",
        "KP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "KP_SECRET_KEY": secrets.token_hex(32),
        "KP_INSTANCE_PATH": str(tmp_path),
        "KP_SMTP_HOST": "127.0.0.1",
        "KP_SMTP_PORT": str(smtp.port),
        "KP_SMTP_SECURITY": "none",
        "KP_MAIL_FROM": SENDER,
        "PYTHONUNBUFFERED": "1",
    }

    def start(*args: str, **settings: str) -> subprocess.Popen:
        """Start ``flask mail send *args``; ``settings`` are more environment variables (KP_SMTP_PORT=...)."""
        db.session.commit()  # the worker has its own connections: let it see our mail
        process = subprocess.Popen([sys.executable, "-m", "flask", "mail", "send", *args], cwd=REPO,
                                   env={**env, **settings},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _queue(count: int, now: datetime) -> list[str]:
    """Queue ``count`` finished mails; return their Message-IDs."""
    messages = [mail.queue(f"person{n:02d}@skole.test", f"Melding {n}", f"Tekst {n}", now) for n in range(count)]
    db.session.commit()
    ids = [mail.message_id(m, SENDER) for m in messages]
    db.session.commit()  # loading the ids read the database; SQLite must not keep the lock
    return ids


def _finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, output
    return output


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_worker_killed_mid_batch_sends_every_mail_exactly_once(smtp, start_worker, now):
    expected = _queue(40, now)
    smtp.inbox.hold_at = 15
    worker = start_worker("--loop", "--interval", "1")

    # The 15th mail is on the wire and not yet accepted: the worker dies now.
    assert smtp.inbox.held.wait(WAIT_SECONDS), "the worker never reached the 15th mail"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=WAIT_SECONDS)
    smtp.inbox.release.set()
    assert len(smtp.inbox.messages) == 14

    # The dead worker's claim on the 15th lapses; a fresh run sends it and the rest.
    set_clock(datetime.now(timezone.utc) + mail.CLAIM_FOR + timedelta(minutes=1))
    report = mail.send_pending()

    assert report.sent == 26
    received = smtp.inbox.message_ids()
    assert sorted(received) == sorted(expected)
    assert len(set(received)) == 40
    assert db.session.scalar(db.select(db.func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


def test_two_workers_at_once_send_each_mail_once(smtp, start_worker, now):
    expected = _queue(40, now)
    # The first mail waits on the wire until the second worker is sending too, so they overlap.
    smtp.inbox.wait_for_peers = 2
    workers = [start_worker(), start_worker()]

    outputs = [_finish(w) for w in workers]

    received = smtp.inbox.message_ids()
    assert sorted(received) == sorted(expected)
    assert len(set(received)) == 40
    sent_by = [int(out.split("Sendt ")[1].split(",")[0]) for out in outputs]
    assert sum(sent_by) == 40 and min(sent_by) > 0, outputs


def test_looping_worker_stops_on_sigterm(smtp, start_worker, now):
    _queue(3, now)
    worker = start_worker("--loop", "--interval", "0.2")
    _wait_for(lambda: len(smtp.inbox.messages) == 3, "three mails")
    _queue(2, now)
    _wait_for(lambda: len(smtp.inbox.messages) == 5, "two more mails on a later round")

    worker.send_signal(signal.SIGTERM)

    output = _finish(worker)
    # The first round's count of mails waiting is taken after its sending, so
    # it may already see the two queued meanwhile: only the sent counts are fixed.
    assert "Sendt 3, feilet 0, venter " in output
    assert "Sendt 2, feilet 0, venter 0." in output


def test_worker_on_a_stopped_server_loses_nothing(smtp, start_worker, now):
    expected = _queue(3, now)
    smtp.stop()

    output = _finish(start_worker())

    assert "E-posttjeneren svarer ikke" in output and "Traceback" not in output
    assert mail.waiting_count() == 3
    smtp.start()
    set_clock(datetime.now(timezone.utc) + timedelta(minutes=2))
    assert mail.send_pending().sent == 3
    assert sorted(smtp.inbox.message_ids()) == sorted(expected)


@pytest.fixture
def starttls_smtp(tmp_path):
    """A server that takes mail only after STARTTLS, with a certificate from a throwaway CA, and a password.

    Return the server and the CA's certificate file, which the worker is given
    (``SSL_CERT_FILE``, read by OpenSSL) to verify the server against.
    """
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"kurs", b"hemmelig-passord"))

    server = SmtpServer(tls_context=context, require_starttls=True, authenticator=authenticator,
                        auth_require_tls=True)
    server.logins = logins
    server.start()
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield server, ca_file
    server.stop()


def test_worker_sends_over_starttls_to_a_server_whose_certificate_it_verifies(starttls_smtp, start_worker, now):
    server, ca_file = starttls_smtp
    expected = _queue(2, now)
    tls = {"KP_SMTP_PORT": str(server.port), "KP_SMTP_SECURITY": "starttls", "KP_SMTP_USER": "kurs",
           "KP_SMTP_PASSWORD": "hemmelig-passord"}

    output = _finish(start_worker(**tls, SSL_CERT_FILE=str(ca_file)))
    assert "Sendt 2, feilet 0, venter 0." in output, output
    assert sorted(server.inbox.message_ids()) == sorted(expected)
    # The password went once, inside TLS.
    assert server.logins == [(server.logins[0][0], b"kurs", b"hemmelig-passord", True)]

    # Without the CA the certificate cannot be verified: nothing is sent, no password leaves, nothing is lost.
    _queue(1, now)
    output = _finish(start_worker(**tls))
    assert "E-posttjeneren svarer ikke" in output and "CERTIFICATE_VERIFY_FAILED" in output, output
    assert len(server.inbox.messages) == 2 and len(server.logins) == 1
    assert mail.waiting_count() == 1
