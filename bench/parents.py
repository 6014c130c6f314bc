"""Parent events under load: the public ``/foreldre`` list, and a rush of 1,000 parents on one evening.

For each database (``--database sqlite postgresql``) a fresh database is
migrated and filled with ``--schools`` schools and ``--events`` upcoming
parent events (a third municipal, the rest a school's, for one to three
grades), plus the rush's event: 120 seats in the hall and 400 places on the
stream. gunicorn is started as in ``bench.run`` (``-w 2 --threads 4``).

* ``GET /ping`` (the ceiling) before and after, and ``GET /foreldre``
  rotating over no filter, a school and a grade: req/s as a ratio to the
  ceiling of the same run (target: at least 0.15).
* The rush: 1,000 anonymous parents, each with a browser session of their
  own (cookie and CSRF token from a real GET of the event page), POST the
  sign-up once through ``--concurrency`` keep-alive connections; even ones
  ask for the hall, odd ones for the stream. Expected: 303 for a place or
  the waitlist, 400 ("Strømmingen er full.") for the 100 the stream cannot
  take; nothing else. Afterwards the database must hold exactly 120
  confirmed in the hall, 400 on the stream and 380 on the hall's waitlist,
  the hall given to the first hall sign-ups the server took (ids in lock
  order) and the waitlist in that order, one sign-up per address.

Usage: ``.venv/bin/python -m bench.parents [--database sqlite postgresql]``;
prints one JSON line per database and exits 0 only when every rush is exact
with 0 errors.
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlencode

import sqlalchemy as sa

from bench import common

HALL, STREAM, PARENTS = 120, 400, 1000
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')


def fill(database_url: str, schools: int, events: int) -> tuple[int, list[int]]:
    """Create the schools, the parent events and the rush's event; return its id and the school ids."""
    app = common.make_app(database_url)
    from catalog.parents import operations as ops
    from catalog.parents.models import AttendanceMode, ParentEventKind
    from lms.db import db
    from lms.people.models import Membership, Role, School, User
    from lms.settings import operations as settings

    now = datetime.now(timezone.utc)
    with app.app_context():
        admin = User(name="Bench Admin", email="bench-admin@kommune.test", password_hash="x")
        admin.memberships.append(Membership(role=Role.ADMIN, school=None))
        db.session.add(admin)
        rows = [School(name=f"Benkskole {n}", org_number=f"{800000000 + n}") for n in range(schools)]
        db.session.add_all(rows)
        db.session.flush()
        kinds = list(ParentEventKind)
        for n in range(events):
            start = now + timedelta(days=3 + n % 120, hours=n % 5)
            school = None if n % 3 == 0 else rows[n % schools].id
            ops.create_event(ops.EventData(
                title=f"Foreldremøte {n}", kind=kinds[n % len(kinds)], school_id=school, starts_at=start,
                ends_at=start + timedelta(hours=2), mode=list(AttendanceMode)[n % 3], hall_capacity=100,
                stream_capacity=None, stream_url="https://video.example.no/s", location="Aulaen",
                grades=[1 + (n + k) % 10 for k in range(n % 3 + 1)]), actor=admin, now=now)
        start = now + timedelta(days=20)
        rush = ops.create_event(ops.EventData(
            title="Brukerforum (rush)", kind=ParentEventKind.USER_FORUM, school_id=rows[0].id, starts_at=start,
            ends_at=start + timedelta(hours=2), mode=AttendanceMode.BOTH, hall_capacity=HALL, stream_capacity=STREAM,
            stream_url="https://video.example.no/rush", location="Rådhuset", grades=[]), actor=admin, now=now)
        # One address sends everything here; the limits are for bursts from real clients.
        settings.set_value(ops.ADDRESS_LIMIT.key, "100000")
        settings.set_value(ops.EMAIL_LIMIT.key, "100000")
        db.session.commit()
        return rush.id, [s.id for s in rows]


def browser_session(port: int, path: str) -> tuple[str, str]:
    """GET the page as a new browser; return its session cookie and CSRF token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Accept-Language": "nb"})
    response = conn.getresponse()
    body = response.read().decode()
    cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    conn.close()
    return cookie, unescape(_CSRF.search(body)[1])


def check_rush(database_url: str, event_id: int) -> dict:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, mode, state, email_key, waitlisted_at FROM parent_signup "
                                    "WHERE event_id = :e ORDER BY id"), {"e": event_id}).all()
        counters = conn.execute(sa.text(
            "SELECT o.seats_taken, p.stream_taken, o.waitlist_length FROM parent_event p "
            "JOIN offering o ON o.id = p.offering_id WHERE p.id = :e"), {"e": event_id}).one()
    engine.dispose()
    hall = [r for r in rows if r.mode == "hall"]
    waiting = [r for r in hall if r.state == "waitlisted"]
    return {
        "hall": sum(1 for r in hall if r.state == "confirmed"),
        "stream": sum(1 for r in rows if r.mode == "stream" and r.state == "confirmed"),
        "waitlisted": len(waiting), "rows": len(rows), "distinct_emails": len({r.email_key for r in rows}),
        "counters": list(counters),
        "hall_in_arrival_order": all(r.state == "confirmed" for r in hall[:HALL])
        and all(r.state == "waitlisted" for r in hall[HALL:]),
        "waitlist_in_order": [r.id for r in sorted(waiting, key=lambda r: (r.waitlisted_at, r.id))]
        == [r.id for r in waiting],
    }


def bench_database(kind: str, args) -> dict:
    url = common.fresh_database(kind, "kp_bench_parents")
    common.migrate(url)
    event_id, school_ids = fill(url, args.schools, args.events)
    result: dict = {"database": kind, "schools": args.schools, "events": args.events}
    with common.Server(url, log_path=common.DATA_DIR / f"gunicorn-parents-{kind}.log") as server:
        host, port = "127.0.0.1", server.port

        def measure(name, paths, expect=200):
            return common.run_loadgen({
                "mode": "duration", "host": host, "port": port, "connections": args.connections,
                "duration": args.duration, "warmup": args.warmup, "expect": [expect],
                "requests": [common.get_request(host, port, p) for p in paths]}, name)

        before = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "ping-before")
        paths = ["/foreldre", *(f"/foreldre?skole={s}" for s in school_ids[:20]),
                 *(f"/foreldre?trinn={g}" for g in range(1, 11))]
        listing = measure("foreldre", paths)
        after = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "ping-after")
        ceiling = (before["rps"] + after["rps"]) / 2
        result.update({"ping_before": before["rps"], "ping_after": after["rps"], "foreldre_rps": listing["rps"],
                       "foreldre_ratio": round(listing["rps"] / ceiling, 3), "foreldre_p50": listing["latency_ms"]["p50"],
                       "foreldre_p99": listing["latency_ms"]["p99"], "foreldre_errors": listing["errors"]})
        page = f"/foreldre/{event_id}"
        requests = []
        for n in range(PARENTS):
            cookie, token = browser_session(port, page)
            body = urlencode({"csrf_token": token, "name": f"Forelder {n}", "email": f"forelder{n}@example.no",
                              "grade": str(1 + n % 10), "mode": "hall" if n % 2 == 0 else "stream",
                              "party_size": "1"})
            requests.append(common.post_request(host, port, page, body, cookie=cookie))
        started = time.perf_counter()
        rush = common.run_loadgen({"mode": "each", "host": host, "port": port, "connections": args.concurrency,
                                   "expect": [303, 400], "requests": requests}, "parent-rush")
        elapsed = time.perf_counter() - started
    told_full = rush["status"].get("400", rush["status"].get(400, 0))
    checked = check_rush(url, event_id)
    exact = (checked["hall"], checked["stream"], checked["waitlisted"]) == (HALL, STREAM, PARENTS // 2 - HALL) \
        and checked["counters"] == [HALL, STREAM, PARENTS // 2 - HALL] and told_full == PARENTS // 2 - STREAM \
        and checked["distinct_emails"] == checked["rows"] and checked["hall_in_arrival_order"] \
        and checked["waitlist_in_order"] and rush["errors"] == 0 and not rush["exceptions"]
    result.update({"rush_rps": rush["rps"], "rush_ratio": round(rush["rps"] / ceiling, 3), "rush_seconds":
                   round(elapsed, 1), "rush_status": rush["status"], "rush_errors": rush["errors"],
                   "rush_exceptions": rush["exceptions"], "rush_p50": rush["latency_ms"].get("p50"),
                   "rush_p99": rush["latency_ms"].get("p99"), "told_full": told_full, **checked, "exact": exact})
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args(argv)
    ok = True
    for kind in args.database:
        result = bench_database(kind, args)
        print(json.dumps(result), flush=True)
        ok = ok and result["exact"] and result["foreldre_errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
