"""Shared pieces of the benchmark: databases, migrations, gunicorn, memory."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import http.client

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("KP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DATABASE = "kp_bench"
SECRET_KEY = "kp-bench-secret-key-0123456789abcdef0123456789"
#: The Redis the app's shared cache uses when it answers (empty: run without it).
REDIS_URL = os.environ.get("KP_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def fresh_database(kind: str, name: str = PG_DATABASE) -> str:
    """Create an empty database of this kind (called ``name``) and return its SQLAlchemy URL."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = DATA_DIR / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if kind == "postgresql":
        import psycopg

        admin = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        return f"{PG_ADMIN}/{name}"
    raise ValueError(f"unknown database kind {kind!r}")


def use_redis_cache() -> bool:
    """Turn the app's shared cache on, under a fresh key prefix, where Redis answers; return whether it is on.

    Sets ``KP_REDIS_URL`` and ``KP_REDIS_PREFIX`` in this process's environment,
    which :func:`app_env` passes on to gunicorn and the in-process app.
    """
    import secrets

    import redis

    os.environ.pop("KP_REDIS_URL", None)
    os.environ.pop("KP_REDIS_PREFIX", None)
    if not REDIS_URL:
        return False
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return False
    os.environ["KP_REDIS_URL"] = REDIS_URL
    os.environ["KP_REDIS_PREFIX"] = f"kpbench:{secrets.token_hex(6)}:"
    return True


def app_env(database_url: str) -> dict:
    """The environment the app (flask CLI, gunicorn) runs with in the benchmark."""
    env = dict(os.environ)
    env.update({
        "KP_DATABASE_URL": database_url,
        "KP_SECRET_KEY": SECRET_KEY,
        "KP_INSTANCE_PATH": str(DATA_DIR / "instance"),
        "FLASK_APP": "lms",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("KP_ENV", None)
    return env


def migrate(database_url: str) -> None:
    """Build the schema with the app's own Alembic migrations."""
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=app_env(database_url), check=True,
                   stdout=subprocess.DEVNULL)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (psycopg2 is not installed), absolute SQLite paths."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
        # Flask-SQLAlchemy would read a relative path inside the instance folder.
        return "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    return url


def generate_dataset(database_url: str, scale: float, facts_out: Path | None = None) -> None:
    """Run ``bench.generate`` in its own process (its half a gigabyte of rows is freed with it)."""
    command = [sys.executable, "-m", "bench.generate", "--database-url", database_url, "--scale", str(scale)]
    if facts_out:
        command += ["--facts-out", str(facts_out)]
    subprocess.run(command, cwd=ROOT, check=True)


def make_app(database_url: str, secret_key: str = SECRET_KEY):
    """Return the app configured as the benchmark's gunicorn runs it (for its serializers and checks)."""
    env = app_env(database_url)
    env["KP_SECRET_KEY"] = secret_key
    os.environ.update({k: v for k, v in env.items() if k.startswith("KP_")})
    from lms import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the app: ``-w 2 --threads 4`` unless told otherwise."""

    def __init__(self, database_url: str, workers: int = 2, threads: int = 4, port: int | None = None,
                 log_path: Path | None = None):
        self.database_url, self.workers, self.threads = database_url, workers, threads
        self.port = port or free_port()
        self.log_path = log_path or DATA_DIR / "gunicorn.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return [str(BIN / "gunicorn"), "lms:create_app()", "-w", str(self.workers), "--threads",
                str(self.threads), "-b", f"127.0.0.1:{self.port}"]

    def start(self, timeout: float = 60) -> "Server":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=app_env(self.database_url),
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def peak_memory_mb(self) -> dict[int, float]:
        """Return each worker's peak resident memory (VmHWM) in MB."""
        return {pid: peak_rss_mb(pid) for pid in self.worker_pids()}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def split_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


# --- talking to the load generator ------------------------------------------------

def get_request(host: str, port: int, path: str, cookie: str | None = None,
                headers: dict[str, str] | None = None) -> str:
    """The raw bytes (as latin-1 text) of a keep-alive GET."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: kp-bench", "Accept: text/html",
             "Accept-Language: nb"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def post_request(host: str, port: int, path: str, body: str, cookie: str | None = None) -> str:
    """The raw bytes (as latin-1 text) of a keep-alive form POST."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: kp-bench", "Accept: text/html",
             "Accept-Language: nb", "Content-Type: application/x-www-form-urlencoded",
             f"Content-Length: {len(body.encode())}"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def measure_ping(server_url: str, connections: int, duration: float, warmup: float, name: str) -> dict:
    """Measure ``GET /ping``, the ceiling, against a running server."""
    host, port = split_url(server_url)
    return run_loadgen({"mode": "duration", "host": host, "port": port, "connections": connections,
                        "duration": duration, "warmup": warmup, "expect": [200],
                        "requests": [get_request(host, port, "/ping")]}, name)


def run_loadgen(spec: dict, name: str) -> dict:
    """Run the load generator in its own process and return what it measured."""
    import json

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / ("spec-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".json")
    path.write_text(json.dumps(spec))
    done = subprocess.run([sys.executable, "-m", "bench.loadgen", str(path)], cwd=ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
