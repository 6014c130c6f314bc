"""The enrollment rush: many signed-in teachers enroll in one small offering at once.

A fresh, empty offering (30 seats, for teachers, registration open) is created
in the database; 2,000 distinct teachers of the dataset (topped up with new
teacher accounts if the dataset has fewer) get a server-side sign-in session
each, made directly in the database (a ``login_session`` row holding the
SHA-256 of a random token) and a session cookie signed with the app's own
serializer, with the matching CSRF token from Flask-WTF. Signing 2,000 people
in through the form would spend minutes on scrypt by design, and that is not
what the rush measures. One probe POST on a second offering first proves that
the cookie and token are accepted (303 and an enrollment row; a wrong token
gives 400).

Then every teacher sends ``POST /kurs/<id>/pamelding`` once, through
``--concurrency`` keep-alive connections of the load generator
(:mod:`bench.loadgen`). Anything but the expected 303 redirect, and every
broken connection, is an error. Afterwards the database must hold exactly
``capacity`` enrolled and ``attempts - capacity`` waitlisted, served in
arrival order: the order in which the server committed the enrollments (the
ids of their first audit entries) must be the order of the enrollment ids,
the first ``capacity`` must hold the seats, the waitlist order
(``waitlisted_at``, id) must follow it, and the app's own waitlist positions
must run 1..N without gaps.

Two ways to run it:

* against a running server: ``--url http://127.0.0.1:8000 --database-url URL
  --secret-key KEY`` (the server's database and ``KP_SECRET_KEY``; the key
  defaults to ``$KP_SECRET_KEY``);
* self-starting (no ``--url``): on ``--database-url URL`` if given (a migrated
  database, normally with the generated dataset), otherwise on a fresh
  ``--database sqlite|postgresql`` (SQLite file under ``bench/data/``,
  PostgreSQL database ``kp_bench``) migrated and filled with
  ``bench.generate --scale S``; gunicorn is started as in ``bench.run``
  (``-w 2 --threads 4``) and stopped at the end.

The last line printed is ``enrolled=N capacity=C waitlisted=W errors=E``; the
exit status is 0 only when N = C, W = attempts - C, E = 0 and the order holds.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench import common

OSLO = ZoneInfo("Europe/Oslo")
ATTEMPTS, CAPACITY, CONCURRENCY = 2000, 30, 32


def _table(name: str) -> sa.Table:
    from lms.db import db

    return db.metadata.tables[name]


def create_offering(conn: sa.Connection, *, title: str, capacity: int, now: datetime) -> int:
    """Insert a published, empty offering for teachers with one session a month ahead; return its id."""
    day = (now + timedelta(days=30)).astimezone(OSLO).date()
    starts = datetime(day.year, day.month, day.day, 14, 0, tzinfo=OSLO).astimezone(timezone.utc)
    schedule_id = conn.execute(_table("schedule").insert().returning(_table("schedule").c.id),
                               {"owner_kind": "catalog.offering", "created_at": now}).scalar_one()
    conn.execute(_table("session").insert(), {
        "schedule_id": schedule_id, "starts_at": starts, "ends_at": starts + timedelta(hours=2), "title": "",
        "location": "Rådhuset, møterom 1", "online_url": "", "status": "scheduled", "sequence": 0,
        "updated_at": now})
    year = day.year if day.month >= 8 else day.year - 1
    offering = _table("offering")
    offering_id = conn.execute(offering.insert().returning(offering.c.id), {
        "title": title, "kind": "course", "theme": "Digitalt medborgerskap",
        "description": "Et populært kurs med få plasser: benchmarkens påmeldingsrush.", "organiser": "Oppvekst skole",
        "responsible_id": None, "plan_area": 4, "capacity": capacity, "min_participants": 0,
        "go_no_go_date": None, "registration_opens_at": now - timedelta(days=1),
        "registration_closes_at": starts - timedelta(days=2), "cancellation_deadline": starts - timedelta(days=7),
        "location": "Rådhuset, møterom 1", "online_url": "", "school_year": year, "onboarding_cohort": None,
        "status": "published", "cancel_reason": "", "schedule_id": schedule_id, "first_starts_at": starts,
        "source_key": None, "created_at": now, "updated_at": now}).scalar_one()
    conn.execute(_table("offering_target_group").insert(), {"offering_id": offering_id, "group": "teachers"})
    return offering_id


def pick_teachers(conn: sa.Connection, count: int, seed: int, now: datetime) -> list[int]:
    """Return ``count`` distinct active teachers, topping up with new accounts if there are too few."""
    membership, user = _table("membership"), _table("user_account")
    ids = sorted(conn.scalars(
        sa.select(membership.c.user_id).distinct().join(user, user.c.id == membership.c.user_id)
        .where(membership.c.role == "teacher", user.c.active.is_(True))))
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(count, len(ids)))
    missing = count - len(chosen)
    if missing:
        school = _table("school")
        tag = secrets.token_hex(3)
        org = f"8{int(tag, 16) % 10**8:08d}"
        school_id = conn.execute(school.insert().returning(school.c.id), {
            "name": f"Rushskolen {tag}", "org_number": org, "district": "Benchmark",
            "focus_areas_text": ""}).scalar_one()
        for k in range(missing):
            uid = conn.execute(user.insert().returning(user.c.id), {
                "email": f"rush.{tag}.{k}@bench.kompetanse.no", "name": f"Rushlærer {k + 1}", "password_hash": "",
                "locale": "nb", "hire_date": None, "is_digital_supervisor": False, "active": True,
                "created_at": now}).scalar_one()
            conn.execute(membership.insert(), {"user_id": uid, "school_id": school_id, "role": "teacher"})
            chosen.append(uid)
    return chosen


def sign_in(app, conn: sa.Connection, user_ids: list[int], now: datetime) -> list[tuple[str, str]]:
    """Open a server-side session for each user; return (session cookie value, CSRF form token) pairs."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from lms.auth.login import SEEN_KEY

    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    conn.execute(_table("login_session").insert(), [
        {"token_hash": hashlib.sha256(t.encode()).hexdigest(), "user_id": uid, "created_at": now,
         "revoked_at": None, "method": "local"} for t, uid in zip(tokens, user_ids)])
    serializer = app.session_interface.get_signing_serializer(app)
    pairs = []
    for token in tokens:
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        with app.test_request_context():
            g.pop("csrf_token", None)
            session["csrf_token"] = raw
            form_token = generate_csrf()
        # As the browser holds it after the sign-in's answer: with the moment it was last seen (lms.auth.login).
        cookie = serializer.dumps({"_user_id": token, "_fresh": True, "csrf_token": raw,
                                   SEEN_KEY: int(now.timestamp())})
        pairs.append((cookie, form_token))
    return pairs


def seen_now(app, cookie: str, now: datetime) -> str:
    """Return the session cookie ``cookie`` as a browser holds it after an answer at ``now``.

    The platform renews the cookie's "last seen" at most once a minute
    (``SEEN_GRANULARITY``), and a browser keeps the renewed cookie; the load
    generator sends one fixed request, so a measurement that starts more than
    a minute after sign-in would have every answer renew it, which no browser
    asks for. ``cookie`` may be ``name=value``.
    """
    from lms.auth.login import SEEN_KEY

    prefix = app.config["SESSION_COOKIE_NAME"] + "="
    named = cookie.startswith(prefix)
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(cookie[len(prefix):] if named else cookie)
    data[SEEN_KEY] = int(now.timestamp())
    return (prefix if named else "") + serializer.dumps(data)


def enroll_request(app, host: str, port: int, offering_id: int, cookie: str, form_token: str) -> str:
    return common.post_request(host, port, f"/kurs/{offering_id}/pamelding", "csrf_token=" + quote(form_token, safe=""),
                               cookie=f"{app.config['SESSION_COOKIE_NAME']}={cookie}")


def probe(app, engine, host: str, port: int, offering_id: int, user_id: int, cookie: str, form_token: str) -> dict:
    """Prove that a prepared session and CSRF token are accepted, and a wrong token is not."""
    bad = common.run_loadgen({"mode": "each", "host": host, "port": port, "connections": 1, "expect": [400],
                              "requests": [enroll_request(app, host, port, offering_id, cookie, form_token[:-4] + "AAAA")]},
                             "probe-bad")
    good = common.run_loadgen({"mode": "each", "host": host, "port": port, "connections": 1, "expect": [303],
                               "requests": [enroll_request(app, host, port, offering_id, cookie, form_token)]},
                              "probe-good")
    enrollment = _table("enrollment")
    with engine.connect() as conn:
        state = conn.scalar(sa.select(enrollment.c.state).where(enrollment.c.offering_id == offering_id,
                                                               enrollment.c.user_id == user_id))
    result = {"good_status": good["results"][0][1], "bad_token_status": bad["results"][0][1], "state": state}
    result["ok"] = result["good_status"] == 303 and state == "enrolled" and result["bad_token_status"] == 400
    return result


def check(app, offering_id: int, user_ids: list[int], capacity: int) -> dict:
    """Read the outcome from the database: counts, and whether the order is the arrival order."""
    from catalog.enrollment import operations as enrollment_ops
    from catalog.enrollment.models import Enrollment
    from lms.db import db

    enrollment, audit = _table("enrollment"), _table("audit_entry")
    with app.app_context():
        rows = db.session.execute(sa.select(enrollment.c.id, enrollment.c.user_id, enrollment.c.state,
                                            enrollment.c.waitlisted_at)
                                  .where(enrollment.c.offering_id == offering_id)).all()
        ids = [r.id for r in rows]
        arrival = list(db.session.scalars(
            sa.select(audit.c.object_id).where(audit.c.object_type == "enrollment", audit.c.object_id.in_(ids),
                                               audit.c.from_state.is_(None)).order_by(audit.c.id))) if ids else []
        by_id = {r.id: r for r in rows}
        enrolled = [r.id for r in rows if r.state == "enrolled"]
        waitlisted = [r.id for r in rows if r.state == "waitlisted"]
        served = [r.id for r in sorted((by_id[i] for i in waitlisted), key=lambda r: (r.waitlisted_at, r.id))]
        waiting_arrival = [i for i in arrival if by_id[i].state == "waitlisted"]
        positions = []
        if waitlisted:
            objects = {e.id: e for e in db.session.scalars(sa.select(Enrollment).where(Enrollment.id.in_(waitlisted)))}
            positions = [enrollment_ops.waitlist_position(objects[i]) for i in waiting_arrival]
        db.session.remove()
    expected_positions = list(range(1, len(waitlisted) + 1))
    outcome = {
        "rows": len(rows), "distinct_users": len({r.user_id for r in rows}),
        "attempted_users_enrolled": len({r.user_id for r in rows} & set(user_ids)),
        "enrolled": len(enrolled), "waitlisted": len(waitlisted),
        "other_states": sorted({r.state for r in rows} - {"enrolled", "waitlisted"}),
        "capacity": capacity,
        "audited": len(arrival),
        # The enrollment ids follow the commit order (their first audit entries).
        "ids_in_commit_order": arrival == sorted(ids),
        # The first `capacity` to commit hold the seats.
        "seats_to_first_arrivals": set(enrolled) == set(arrival[:capacity]),
        # The waitlist is served (waitlisted_at, id) in the order people came.
        "waitlist_in_arrival_order": served == waiting_arrival,
        "waitlist_out_of_place": sum(1 for a, b in zip(served, waiting_arrival) if a != b),
        "positions_contiguous": positions == expected_positions,
        "positions_first_last": [positions[0], positions[-1]] if positions else [],
    }
    outcome["order_ok"] = bool(rows) and all(outcome[k] for k in ("ids_in_commit_order", "seats_to_first_arrivals",
                                                   "waitlist_in_arrival_order", "positions_contiguous"))
    return outcome


def rush(app, server_url: str, *, attempts: int = ATTEMPTS, capacity: int = CAPACITY,
         concurrency: int = CONCURRENCY, seed: int = 7, echo=print) -> dict:
    """Prepare, run and check one enrollment rush against a running server; return the figures."""
    from lms.db import db

    host, port = common.split_url(server_url)
    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    with app.app_context():
        engine = db.engine
    stamp = now.astimezone(OSLO).strftime("%H:%M:%S")
    with engine.begin() as conn:
        offering_id = create_offering(conn, title=f"Påmeldingsrush {stamp}", capacity=capacity, now=now)
        probe_id = create_offering(conn, title=f"Påmeldingsprøve {stamp}", capacity=capacity, now=now)
        user_ids = pick_teachers(conn, attempts + 1, seed, now)
        logins = sign_in(app, conn, user_ids, now)
    echo(f"  rush: offering {offering_id} ({capacity} seats), {attempts} teachers signed in "
         f"in {time.perf_counter() - t0:.1f} s")
    probed = probe(app, engine, host, port, probe_id, user_ids[-1], *logins[-1])
    echo(f"  rush: probe POST -> {probed['good_status']} ({probed['state']}); wrong CSRF token -> "
         f"{probed['bad_token_status']}")
    requests = [enroll_request(app, host, port, offering_id, cookie, token) for cookie, token in logins[:attempts]]
    result = common.run_loadgen({"mode": "each", "host": host, "port": port, "connections": concurrency,
                                 "expect": [303], "requests": requests}, "rush")
    outcome = check(app, offering_id, user_ids[:attempts], capacity)
    errors = result["errors"]
    figures = {
        "offering_id": offering_id, "attempts": attempts, "concurrency": concurrency, "probe": probed,
        "elapsed_s": result["elapsed"], "rps": result["rps"], "status": result["status"],
        "exceptions": result["exceptions"], "samples": result["samples"], "latency_ms": result["latency_ms"],
        "client_cpu_s": result["client_cpu_s"], "errors": errors, **outcome,
    }
    figures["ok"] = (outcome["enrolled"] == capacity and outcome["waitlisted"] == attempts - capacity
                     and errors == 0 and outcome["order_ok"] and probed["ok"])
    echo(f"  rush: {attempts} POSTs in {result['elapsed']:.2f} s = {result['rps']:.1f}/s; statuses "
         f"{result['status']}; order ok: {outcome['order_ok']}")
    return figures


def summary_line(figures: dict) -> str:
    return (f"enrolled={figures['enrolled']} capacity={figures['capacity']} "
            f"waitlisted={figures['waitlisted']} errors={figures['errors']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.enroll_rush", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server to rush (needs --database-url and the secret key)")
    parser.add_argument("--database-url", help="the server's database (SQLAlchemy URL)")
    parser.add_argument("--secret-key", default=os.environ.get("KP_SECRET_KEY"),
                        help="the server's KP_SECRET_KEY (default: $KP_SECRET_KEY)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="self-starting without --database-url: a fresh database of this kind (default sqlite)")
    parser.add_argument("--scale", type=float, default=0.02,
                        help="self-starting on a fresh database: dataset scale to generate first (default 0.02)")
    parser.add_argument("--attempts", type=int, default=ATTEMPTS)
    parser.add_argument("--capacity", type=int, default=CAPACITY)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args(argv)

    server = None
    if args.url:
        if not args.database_url or not args.secret_key:
            parser.error("--url needs --database-url and --secret-key (or $KP_SECRET_KEY)")
        database_url, secret_key, url = common.normalise_url(args.database_url), args.secret_key, args.url
    else:
        if args.database_url:
            database_url = common.normalise_url(args.database_url)
        else:
            database_url = common.fresh_database(args.database)
            print(f"Fresh {args.database} database: {database_url}")
            common.migrate(database_url)
            common.generate_dataset(database_url, args.scale)
        secret_key = common.SECRET_KEY
        server = common.Server(database_url).start()
        url = server.url
        print(f"gunicorn {' '.join(server.command[1:])} on {database_url}")
    try:
        app = common.make_app(database_url, secret_key)
        figures = rush(app, url, attempts=args.attempts, capacity=args.capacity, concurrency=args.concurrency)
    finally:
        if server is not None:
            server.stop()
    for key in ("ids_in_commit_order", "seats_to_first_arrivals", "waitlist_in_arrival_order",
                "positions_contiguous"):
        print(f"  {key}: {figures[key]}")
    if figures["samples"]:
        print("  sample errors:", *figures["samples"], sep="\n    ")
    print(summary_line(figures))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
