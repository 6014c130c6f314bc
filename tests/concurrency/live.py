"""Talking to a real server: browser-like clients, a seat counter, a start line for threads."""
from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Callable, TypeVar

import requests
import sqlalchemy as sa

from catalog.enrollment.models import SEAT_STATES

T = TypeVar("T")

_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')
_ACCESS_LINE = re.compile(r"^\[\d{2}/\w{3}/\d{4}:")
_FLASH = re.compile(r'<div class="ds-alert" data-color="\w+" role="(?:alert|status)">\s*'
                    r'<p class="ds-paragraph">(.*?)</p>', re.S)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A running gunicorn process serving the app on the test database."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self, last_chars: int = 8000) -> str:
        """Return the end of the server's own log (tracebacks), without the access lines."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(line for line in lines if not _ACCESS_LINE.match(line))[-last_chars:]


@dataclass
class Browser:
    """One person's browser: a cookie jar, the CSRF token of the last page, every status seen."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)
    statuses: list[int] = field(default_factory=list)
    csrf_token: str | None = None

    def __post_init__(self):
        # A fresh connection per request: a kept-alive one may be closed by the
        # server (after its keep-alive seconds) just as a waiting thread posts.
        self.http.headers["Connection"] = "close"

    def _record(self, response: requests.Response) -> requests.Response:
        self.statuses.extend(r.status_code for r in [*response.history, response])
        tokens = [_VALUE.search(tag) for tag in _CSRF_INPUT.findall(response.text)]
        if tokens and tokens[0]:
            self.csrf_token = unescape(tokens[0][1])
        return response

    def get(self, path: str) -> requests.Response:
        return self._record(self.http.get(self.base + path, timeout=120))

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        """Post a form with the CSRF token of the last page, following the redirect."""
        form = {"csrf_token": self.csrf_token or "", **(data or {})}
        return self._record(self.http.post(self.base + path, data=form, timeout=120))

    def login(self, email: str, password: str) -> None:
        self.get("/logg-inn")
        response = self.post("/logg-inn", {"email": email, "password": password, "next": ""})
        assert response.history and response.history[0].status_code == 302, response.text[:2000]

    def clone(self) -> "Browser":
        """Return another tab of the same signed-in browser (same cookies, same token)."""
        other = Browser(self.base, csrf_token=self.csrf_token)
        other.http.cookies.update(self.http.cookies)
        return other

    @staticmethod
    def flashes(response: requests.Response) -> list[str]:
        return [unescape(m).strip() for m in _FLASH.findall(response.text)]


class SeatWatch:
    """Count an offering's held seats over and over from a connection of its own.

    Used as a context manager around a rush, it records the highest count seen
    while the server works, so a seat given out beyond capacity and taken back
    before the end is still caught.
    """

    def __init__(self, database_url: str, offering_id: int):
        self.engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        self.offering_id = offering_id
        self.highest = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._query = sa.text("SELECT count(*) FROM enrollment WHERE offering_id = :o AND state IN ("
                              + ", ".join(f"'{s.value}'" for s in SEAT_STATES) + ")")

    def _run(self):
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                taken = conn.execute(self._query, {"o": self.offering_id}).scalar_one()
                conn.rollback()
                self.highest = max(self.highest, taken)
                self.samples += 1
                time.sleep(0.002)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()


def run_together(tasks: list[Callable[[threading.Barrier], T]], timeout: float = 120) -> list[T]:
    """Run each task in a thread of its own; they share a barrier to fire together.

    A task prepares (signs in, loads the form), waits at the barrier, then acts.
    If one fails before the barrier, the barrier is broken so the others stop
    waiting, and the first error is raised.
    """
    barrier = threading.Barrier(len(tasks), timeout=timeout)

    def guarded(task):
        try:
            return task(barrier)
        except BaseException:
            barrier.abort()
            raise

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(guarded, task) for task in tasks]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        # The broken barrier is only the echo; raise what broke it.
        raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])
    return [f.result() for f in futures]
