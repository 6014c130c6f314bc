"""The LMS launch benchmark: whole LTI 1.3 launches against gunicorn, as a ratio to the ceiling.

One launch is what a teacher's browser does when they click the tool's link
in the LMS, less the LMS's own work:

1. ``GET /lti/login?iss=…&login_hint=…`` (third-party-initiated login): the
   tool answers with the platform's authorisation address, its state and
   nonce, and the state cookie;
2. the platform's signed id_token for that state and nonce (made here, in the
   client, with the platform's key: the LMS's cost, not ours);
3. ``POST /lti/launch`` with id_token and state: the tool checks it against
   the platform's keyset, finds the teacher, opens the session, answers 303;
4. ``GET /lti/inn/<ticket>`` and the landing page it sends to (the front page,
   signed in).

The platform's keyset is served by a small HTTP server in this process that
counts how often it is fetched: once in all (the first launch keeps it in the
database for every worker), never per launch. 200 teachers launch in turn;
each has launched once before the measured window (their accounts exist and
are linked, as on any day after the first).

Alone (``python -m bench.lti``) it starts gunicorn as ``bench.run`` does
(``-w 2 --threads 4``) on a fresh database, measures ``GET /ping`` before and
after as the ceiling, and prints the launch rate, its ratio to the ceiling and
how often the keyset was fetched; ``bench.run`` calls :func:`launches` too.
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from bench import common

TEACHERS, CONCURRENCY = 200, 8
ISSUER_PATH = "/lms"
CLIENT_ID, DEPLOYMENT_ID = "kp-bench-client", "kp-bench-deployment"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
SCHOOL_ORG_NUMBER = "974760673"


class KeysetServer:
    """The platform's JWKS at ``/lms/jwks``, counting fetches."""

    def __init__(self, key: RSAKey):
        self.fetches = 0
        body = json.dumps({"keys": [key.as_dict(private=False)]}).encode()
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                counter.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{ISSUER_PATH}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def register(app, issuer: str) -> None:
    """Register the bench platform (a deployment at one school), making the school if it is missing."""
    from lms.db import db
    from lms.lti import operations as ops
    from lms.people.models import School

    with app.app_context():
        if db.session.scalar(db.select(School).where(School.org_number == SCHOOL_ORG_NUMBER)) is None:
            db.session.add(School(name="Benchmarkskolen", org_number=SCHOOL_ORG_NUMBER, district="Benchmark"))
            db.session.flush()
        ops.save_platform(ops.PlatformData(name="Bench-LMS", issuer=issuer, client_id=CLIENT_ID,
                                           auth_login_url=f"{issuer}/authorize", keyset_url=f"{issuer}/jwks",
                                           deployment_ids=[DEPLOYMENT_ID], school_org_number=SCHOOL_ORG_NUMBER),
                          None, datetime.now(timezone.utc))
        db.session.commit()
        db.session.remove()


def _cookie(headers: list[tuple[str, str]], prefix: str) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith(prefix):
            return value.split(";", 1)[0]
    return None


def launch_once(conn: http.client.HTTPConnection, key: RSAKey, issuer: str, teacher: int) -> bool:
    """Run one whole launch over ``conn``; return whether it landed signed in."""
    sub = f"bench-teacher-{teacher}"
    query = urlencode({"iss": issuer, "login_hint": sub, "target_link_uri": "http://127.0.0.1/",
                       "lti_message_hint": "bench", "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID})
    conn.request("GET", f"/lti/login?{query}")
    answer = conn.getresponse()
    answer.read()
    if answer.status != 302:
        return False
    asked = parse_qs(urlsplit(answer.getheader("Location")).query)
    state_cookie = _cookie(answer.getheaders(), "kp_lti_")
    now = int(time.time())
    claims = {"iss": issuer, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
              "nonce": asked["nonce"][0], "name": f"Lærer {teacher}", "email": f"bench.teacher.{teacher}@bench.no",
              LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
              LTI + "deployment_id": DEPLOYMENT_ID, LTI + "target_link_uri": "http://127.0.0.1/",
              LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
              LTI + "resource_link": {"id": "bench-link"}}
    id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
    body = urlencode({"id_token": id_token, "state": asked["state"][0]})
    conn.request("POST", "/lti/launch", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": state_cookie or ""})
    answer = conn.getresponse()
    answer.read()
    session = _cookie(answer.getheaders(), "session=")
    if answer.status != 303 or not session:
        return False
    path = answer.getheader("Location")
    for _ in range(3):
        conn.request("GET", urlsplit(path).path or "/", headers={"Cookie": session, "Accept-Language": "nb"})
        answer = conn.getresponse()
        page = answer.read()
        if answer.status in (301, 302, 303):
            path = answer.getheader("Location")
            continue
        return answer.status == 200 and b"Logg ut" in page
    return False


def launches(app, server_url: str, *, duration: float = 20, warmup: float = 3, concurrency: int = CONCURRENCY,
             teachers: int = TEACHERS, echo=print) -> dict:
    """Measure whole launches per second against a running server; return the figures."""
    key = RSAKey.generate_key(2048, parameters={"kid": "bench-platform-key", "alg": "RS256"}, private=True)
    keyset = KeysetServer(key)
    host, port = common.split_url(server_url)
    try:
        register(app, keyset.issuer)
        conn = http.client.HTTPConnection(host, port, timeout=60)
        first = [launch_once(conn, key, keyset.issuer, t) for t in range(teachers)]  # everyone once, serially
        conn.close()
        done, failed, lock = [0], [0], threading.Lock()
        stop_at = [0.0]
        measuring = threading.Event()

        def worker(offset: int):
            c = http.client.HTTPConnection(host, port, timeout=60)
            n = offset
            while time.monotonic() < stop_at[0]:
                try:
                    ok = launch_once(c, key, keyset.issuer, n % teachers)
                except (OSError, http.client.HTTPException):
                    c.close()
                    c = http.client.HTTPConnection(host, port, timeout=60)
                    ok = False
                n += concurrency
                if measuring.is_set():
                    with lock:
                        (done if ok else failed)[0] += 1
            c.close()

        stop_at[0] = time.monotonic() + warmup + duration
        cpu_before = time.process_time()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
        for t in threads:
            t.start()
        time.sleep(warmup)
        measuring.set()
        started = time.monotonic()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        figures = {"launches": done[0], "errors": failed[0] + first.count(False), "elapsed_s": round(elapsed, 2),
                   "rps": done[0] / elapsed if elapsed else 0.0, "keyset_fetches": keyset.fetches,
                   "concurrency": concurrency, "teachers": teachers,
                   "client_cpu_s": round(time.process_time() - cpu_before, 1)}
    finally:
        keyset.close()
    echo(f"  LMS launch: {figures['launches']} whole launches in {figures['elapsed_s']} s = {figures['rps']:.1f}/s "
         f"({concurrency} at a time); errors {figures['errors']}; platform keyset fetched {keyset.fetches} time(s)")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lti", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="a migrated database to use instead (SQLAlchemy URL)")
    parser.add_argument("--duration", type=float, default=20, help="seconds measured (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections for /ping (default 16)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY,
                        help=f"launches at a time (default {CONCURRENCY})")
    args = parser.parse_args(argv)
    if args.database_url:
        database_url = common.normalise_url(args.database_url)
    else:
        database_url = common.fresh_database(args.database, "kp_bench_lti")
        common.migrate(database_url)
    app = common.make_app(database_url)
    server = common.Server(database_url, log_path=common.DATA_DIR / "gunicorn-lti.log").start()
    print(f"gunicorn {' '.join(server.command[1:])} on {re.sub(r'//[^@/]*@', '//', database_url)}")
    try:
        before = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "lti-ping-before")
        figures = launches(app, server.url, duration=args.duration, warmup=args.warmup, concurrency=args.concurrency)
        after = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "lti-ping-after")
    finally:
        server.stop()
    ceiling = (before["rps"] + after["rps"]) / 2
    ratio = figures["rps"] / ceiling if ceiling else 0.0
    print(f"  ceiling (GET /ping, mean of {before['rps']:.1f} before and {after['rps']:.1f} after): {ceiling:.1f} req/s")
    print(f"  whole launch: {figures['rps']:.1f}/s = {ratio:.3f} of the ceiling (target 0.05); "
          f"keyset fetched {figures['keyset_fetches']} time(s); client CPU {figures['client_cpu_s']} s")
    return 0 if figures["errors"] == 0 and figures["keyset_fetches"] == 1 and ratio >= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
