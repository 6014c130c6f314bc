"""What one request costs, measured in-process: time, SQL statements, SQL time, ORM objects loaded.

The load test says how many requests per second the server gives; this says
why. Each request is made through Flask's test client in one thread (no
network, no gunicorn, no concurrency), with SQLAlchemy's cursor events
counting the statements and their time, and the ORM's ``loaded_as_persistent``
event counting the objects loaded. The enrollment
POST is measured on an empty offering (the first seats, then a short
waitlist) and on one whose waitlist already holds ``waiting`` people, which is
what the last requests of the rush meet.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.enroll_rush import _table, create_offering, pick_teachers, sign_in


class SQLCounter:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.reset()
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        sa.event.listen(Session, "loaded_as_persistent", self._loaded)

    def reset(self):
        self.statements, self.seconds, self.rows = 0, 0.0, 0

    def _loaded(self, session, instance):
        self.rows += 1

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        self.statements += 1
        self.seconds += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

    def close(self):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)
        sa.event.remove(Session, "loaded_as_persistent", self._loaded)


def _measure(client, counter: SQLCounter, calls, expect: int) -> dict:
    """Run ``calls`` (each a function of the client returning a response); return mean figures."""
    counter.reset()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    bad = 0
    for call in calls:
        if call(client).status_code != expect:
            bad += 1
    n = len(calls)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return {"requests": n, "ms": round(wall / n * 1000, 2), "cpu_ms": round(cpu / n * 1000, 2),
            "statements": round(counter.statements / n, 1), "sql_ms": round(counter.seconds / n * 1000, 2),
            "rows": round(counter.rows / n, 1), "unexpected_status": bad}


def _prefill_waitlist(conn: sa.Connection, offering_id: int, user_ids: list[int], capacity: int,
                      now: datetime) -> None:
    rows = []
    for k, uid in enumerate(user_ids):
        at = now - timedelta(seconds=len(user_ids) - k)
        waiting = k >= capacity
        rows.append({"offering_id": offering_id, "user_id": uid, "state": "waitlisted" if waiting else "enrolled",
                     "created_at": at, "updated_at": at, "waitlisted_at": at if waiting else None,
                     "offer_expires_at": None, "completed_at": None, "enrolled_by_id": None})
    conn.execute(_table("enrollment").insert(), rows)
    offering = _table("offering")
    counters = {"seats_taken": min(capacity, len(user_ids)), "waitlist_length": max(len(user_ids) - capacity, 0)}
    counters = {k: v for k, v in counters.items() if k in offering.c}
    if counters:  # the app's own counters on the offering, where its schema has them
        conn.execute(offering.update().where(offering.c.id == offering_id).values(**counters))


def request_costs(app, catalogue_paths: list[str], offering_ids: list[int], *, waiting: int = 1970,
                  capacity: int = 30, echo=print) -> dict:
    """Measure the cost of each benchmarked request in-process; return {name: figures}."""
    from lms.db import db

    now = datetime.now(timezone.utc)
    with app.app_context():
        engine = db.engine
    counter = SQLCounter(engine)
    app.config["SERVER_NAME"] = None
    results = {}
    try:
        client = app.test_client()
        results["ping"] = _measure(client, counter, [lambda c: c.get("/ping")] * 200, 200)
        catalogue = [lambda c, p=p: c.get(p) for p in catalogue_paths] * max(1, 60 // len(catalogue_paths))
        results["catalogue"] = _measure(client, counter, catalogue, 200)
        # The load test reads the same 300 offerings over and over: measure them as it meets them, after one read.
        offering_pages = [lambda c, i=i: c.get(f"/kurs/{i}") for i in offering_ids[:100]]
        _measure(client, counter, offering_pages, 200)
        results["offering"] = _measure(client, counter, offering_pages, 200)

        with engine.begin() as conn:
            empty_id = create_offering(conn, title="Diagnose: tomt kurs", capacity=capacity, now=now)
            long_id = create_offering(conn, title="Diagnose: lang venteliste", capacity=capacity, now=now)
            people = pick_teachers(conn, 80 + 50 + waiting + capacity, seed=11, now=now)
            fresh, prefill = people[:130], people[130:]
            _prefill_waitlist(conn, long_id, prefill, capacity, now)
            logins = sign_in(app, conn, fresh, now)
        cookie_name = app.config["SESSION_COOKIE_NAME"]

        def enroll(offering_id, cookie, token):
            def call(c):
                c.set_cookie(cookie_name, cookie, domain="localhost")
                return c.post(f"/kurs/{offering_id}/pamelding", data={"csrf_token": token})
            return call

        def signed_in(path, cookie):
            def call(c):
                c.set_cookie(cookie_name, cookie, domain="localhost")
                return c.get(path)
            return call

        signed_in_pages = [signed_in(f"/kurs/{i}", logins[k % 20][0]) for k, i in enumerate(offering_ids[:100])]
        _measure(client, counter, signed_in_pages, 200)
        results["offering_signed_in"] = _measure(client, counter, signed_in_pages, 200)
        results["enroll_seat"] = _measure(client, counter, [enroll(empty_id, *p) for p in logins[:capacity]], 303)
        results["enroll_short_waitlist"] = _measure(
            client, counter, [enroll(empty_id, *p) for p in logins[capacity:80]], 303)
        results["enroll_long_waitlist"] = _measure(
            client, counter, [enroll(long_id, *p) for p in logins[80:130]], 303)
        results["enroll_long_waitlist"]["waiting_before"] = waiting
        client.delete_cookie(cookie_name, domain="localhost")
    finally:
        counter.close()
        with app.app_context():
            db.session.remove()
    for name, figures in results.items():
        echo(f"  in-process {name:<22} {figures['ms']:7.2f} ms  cpu {figures['cpu_ms']:7.2f} ms  "
             f"{figures['statements']:5.1f} statements  sql {figures['sql_ms']:6.2f} ms  objects {figures['rows']:8.1f}")
    return results
