"""The development plan benchmark: a plan page with live evidence, its PDF, the overview of every school.

On the nationwide dataset (``bench.generate``, 3,000 schools), every school
is given a plan (written directly), and one of them 2 and then ``--measures``
measures (its earlier measures removed first, so every run measures the same
plan) linked to offerings its staff are enrolled in, to plan area 4 and to
fyrtårn offerings. Then, under gunicorn (``-w 2 --threads 4``) with the load
generator (``bench.loadgen``) and ``GET /ping`` before and after as the
ceiling (the ratio uses their mean), as ``bench.networks`` and ``bench.run``
measure:

* the plan page of a signed-in leader, with 2 and with ``--measures``
  measures (its query count must not grow with the measures);
* its PDF report;
* the programme admin's overview of all schools (``--overview-connections``
  connections, one by default: the figure is how long one admin waits;
  measured for ``--overview-duration`` seconds after ``--overview-warmup``).

The platform's shared cache is on where Redis answers (``KP_REDIS_URL``,
as ``bench.run`` sets it), so the plan page is the kept one between writes
(``lms.plans.views.show``). It is also measured made anew for every view:
over HTTP with the write generation raised every millisecond beside the
load, as if another instance wrote all the time, and in-process with the
generation raised before each request.

The number of SELECTs of each page is counted in-process (Flask's test
client, the same requests), with its in-process median time.

``python -m bench.plans [--database sqlite|postgresql | --database-url URL] [--scale 1] [--measures 40]``
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient

from bench import common, enroll_rush


def _timed(client, path: str, repeat: int, before_each=lambda: None) -> tuple[float, float, int]:
    """Return the median seconds and median CPU seconds of ``repeat`` GETs of ``path`` (the CPU of this
    process: the page's Python and SQLite's work, PostgreSQL's own work not included), and its SELECTs;
    ``before_each`` runs before each GET, outside the time (a write elsewhere: :func:`written`)."""
    from lms.db import db

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    before_each()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    client.get(path)
    sa.event.remove(db.engine, "before_cursor_execute", count)
    times, cpu = [], []
    for _ in range(repeat):
        before_each()
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(path)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return (statistics.median(times), statistics.median(cpu),
            len([s for s in statements if s.lstrip().upper().startswith("SELECT")]))


def written(app):
    """Return what raises the write generation, as any instance's commit does (nothing without Redis)."""
    cache = app.extensions.get("kp_shared_cache")
    return cache.raise_generation if cache is not None else (lambda: None)


@contextmanager
def writing_all_the_time(app, every: float = 0.001):
    """Raise the write generation every ``every`` seconds in a thread, so that no kept plan page is used."""
    raise_generation, stop = written(app), threading.Event()

    def run():
        while not stop.wait(every):
            raise_generation()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def prepare(app, now: datetime, measures: int) -> tuple[int, int, int, list[int]]:
    """Give every school a plan; return (leader id, plan id, admin id, offering ids to link)."""
    from catalog.enrollment.models import Enrollment
    from lms.db import db
    from lms.people.models import Membership, Role, User
    from lms.plans import operations as ops
    from lms.plans.models import Plan, PlanMeasure, PlanMeasureLink, PlanSection, PlanState, PlanTargetGroup

    with app.app_context():
        year = 2026
        leaders = db.session.execute(sa.select(Membership.school_id, sa.func.min(Membership.user_id))
                                     .where(Membership.role == Role.LEADER).group_by(Membership.school_id)).all()
        have = set(db.session.scalars(sa.select(Plan.school_id)))
        states = list(PlanState)
        rows = [{"school_id": school_id, "start_year": year, "end_year": year + 2, "state": states[i % len(states)],
                 "created_at": now, "updated_at": now} for i, (school_id, _u) in enumerate(leaders)
                if school_id not in have]
        if rows:
            db.session.execute(sa.insert(Plan), rows)
            ids = db.session.scalars(sa.select(Plan.id)).all()
            db.session.execute(sa.insert(PlanSection), [{"plan_id": pid, "key": key, "body": "Tekst.", "version": 1,
                                                         "updated_at": now} for pid in ids for key in ops.SECTION_KEYS])
        school_id, leader_id = leaders[0]
        plan = db.session.scalar(sa.select(Plan).where(Plan.school_id == school_id))
        plan.state = PlanState.DRAFT
        # An earlier run's measures go, so that every run measures the plan with the same measures.
        earlier = sa.select(PlanMeasure.id).where(PlanMeasure.plan_id == plan.id)
        db.session.execute(sa.delete(PlanMeasureLink).where(PlanMeasureLink.measure_id.in_(earlier)))
        db.session.execute(sa.delete(PlanMeasure).where(PlanMeasure.plan_id == plan.id))
        leader = db.session.get(User, leader_id)
        staff = [m.user_id for m in db.session.scalars(sa.select(Membership).where(Membership.school_id == school_id))]
        offerings = list(dict.fromkeys(db.session.scalars(
            sa.select(Enrollment.offering_id).where(Enrollment.user_id.in_(staff)).limit(measures * 3))))[:measures]
        admin = db.session.scalar(sa.select(Membership.user_id).where(Membership.role == Role.ADMIN).limit(1))
        if admin is None:
            user = User(name="Bench Admin", email="bench-admin@kommune.example", password_hash="")
            user.memberships.append(Membership(role=Role.ADMIN))
            db.session.add(user)
            db.session.flush()
            admin = user.id
        for i, offering_id in enumerate(offerings[:2]):
            ops.add_measure(plan, 4, f"Tiltak {i}", PlanTargetGroup.TEACHERS, leader.name, "Høst",
                            [("offering", offering_id), ("plan_area", 4)], actor=leader, now=now)
        db.session.commit()
        return leader_id, plan.id, admin, offerings


def add_measures(app, leader_id: int, plan_id: int, offerings: list[int], now: datetime) -> None:
    from lms.db import db
    from lms.people.models import User
    from lms.plans import operations as ops
    from lms.plans.models import Plan, PlanTargetGroup

    with app.app_context():
        plan, leader = db.session.get(Plan, plan_id), db.session.get(User, leader_id)
        for i, offering_id in enumerate(offerings[2:], start=2):
            ops.add_measure(plan, 4 if i % 2 else 6, f"Tiltak {i}", PlanTargetGroup.TEACHERS, leader.name, "Vår",
                            [("offering", offering_id), ("lighthouse_offering", i)], actor=leader, now=now)
        db.session.commit()


class _FreshClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``: the measurement keeps one app context
    open (for the query counter), and the signed-in user would otherwise leak from one client to the other."""

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        return super().open(*args, **kwargs)


def signed_in(app, user_id: int, now: datetime):
    from lms.auth.operations import start_session
    from lms.db import db
    from lms.people.models import User

    with app.app_context():
        token = start_session(db.session.get(User, user_id), now)
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def measure_page(server_url: str, path: str, cookie: str, name: str, args, overview: bool = False) -> dict:
    host, port = common.split_url(server_url)
    connections, duration, warmup = ((args.overview_connections, args.overview_duration, args.overview_warmup)
                                     if overview else (args.connections, args.duration, args.warmup))
    return common.run_loadgen({"mode": "duration", "host": host, "port": port, "connections": connections,
                               "duration": duration, "warmup": warmup, "expect": [200],
                               "requests": [common.get_request(host, port, path, cookie=cookie)]}, name)


def cookies(app, user_ids: list[int], now: datetime) -> list[str]:
    """Session cookies for the users, as a browser signed in would send them (see ``bench.enroll_rush``)."""
    from lms.db import db

    with app.app_context():
        pairs = enroll_rush.sign_in(app, db.session.connection(), user_ids, now)
        db.session.commit()
    return [f"{app.config['SESSION_COOKIE_NAME']}={cookie}" for cookie, _token in pairs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plans", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-name", default="kp_bench_plans",
                        help="the fresh database to create (dropped first!): file bench/data/NAME.sqlite or a "
                             "PostgreSQL database (default kp_bench_plans)")
    parser.add_argument("--database-url", help="an existing generated dataset instead of a fresh one")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--measures", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5, help="in-process requests timed per page (default 5)")
    parser.add_argument("--duration", type=float, default=15, help="seconds measured per endpoint (default 15)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--overview-connections", type=int, default=1)
    parser.add_argument("--overview-duration", type=float, default=20,
                        help="seconds the overview is measured (default 20: it takes a second or more)")
    parser.add_argument("--overview-warmup", type=float, default=5)
    args = parser.parse_args(argv)
    if args.database_url:
        url = common.normalise_url(args.database_url)
    else:
        url = common.fresh_database(args.database, args.database_name)
        common.migrate(url)
        common.generate_dataset(url, args.scale)
    shared = common.use_redis_cache()
    app = common.make_app(url)
    app.test_client_class = _FreshClient
    now = datetime.now(timezone.utc)
    leader_id, plan_id, admin_id, offerings = prepare(app, now, args.measures)
    from lms.db import db
    from lms.plans.models import PlanMeasure

    def measures() -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(PlanMeasure)
                                     .where(PlanMeasure.plan_id == plan_id))

    plan_path, pdf_path, overview_path = (f"/utviklingsplan/{plan_id}", f"/utviklingsplan/{plan_id}/rapport.pdf",
                                          "/utviklingsplan/oversikt")
    leader_cookie, admin_cookie = cookies(app, [leader_id, admin_id], now)
    leader, admin = signed_in(app, leader_id, now), signed_in(app, admin_id, now)
    few = measures()
    with app.app_context():
        in_process = {"plan_few": _timed(leader, plan_path, args.repeat),
                      "plan_few_made": _timed(leader, plan_path, args.repeat, written(app))}
    server = common.Server(url, log_path=common.DATA_DIR / "gunicorn-plans.log").start()
    print(f"gunicorn {' '.join(server.command[1:])} on {url.split('://')[0]}; load average "
          f"{open('/proc/loadavg').read().split()[:3]}")
    try:
        before = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "plans-ping-before")
        http = {"plan_few": measure_page(server.url, plan_path, leader_cookie, "plan-page-few", args)}
        with writing_all_the_time(app):
            http["plan_few_made"] = measure_page(server.url, plan_path, leader_cookie, "plan-page-few-made", args)
        add_measures(app, leader_id, plan_id, offerings, now)
        many = measures()
        with app.app_context():
            in_process["plan_many"] = _timed(leader, plan_path, args.repeat)
            in_process["plan_many_made"] = _timed(leader, plan_path, args.repeat, written(app))
            in_process["pdf"] = _timed(leader, pdf_path, args.repeat)
            in_process["overview"] = _timed(admin, overview_path, max(3, args.repeat // 2))
        http["plan_many"] = measure_page(server.url, plan_path, leader_cookie, "plan-page-many", args)
        with writing_all_the_time(app):
            http["plan_many_made"] = measure_page(server.url, plan_path, leader_cookie, "plan-page-many-made", args)
        http["pdf"] = measure_page(server.url, pdf_path, leader_cookie, "plan-pdf", args)
        http["overview"] = measure_page(server.url, overview_path, admin_cookie, "plans-overview", args, overview=True)
        after = common.measure_ping(server.url, args.connections, args.duration, args.warmup, "plans-ping-after")
    finally:
        server.stop()
    ceiling = (before["rps"] + after["rps"]) / 2
    print(f"database: {url.split('://')[0]}; ceiling GET /ping (mean of before {before['rps']:.1f} and after "
          f"{after['rps']:.1f}): {ceiling:.1f} req/s; load average {open('/proc/loadavg').read().split()[:3]}")
    print(f"shared cache (Redis): {'on' if shared else 'off: every plan page is made anew'}")
    names = {"plan_few": f"plan page, {few} measures", "plan_many": f"plan page, {many} measures",
             "plan_few_made": f"plan page, {few} measures, made anew (a write between every two views)",
             "plan_many_made": f"plan page, {many} measures, made anew (a write between every two views)",
             "pdf": f"PDF report, {many} measures",
             "overview": f"overview of every school ({args.overview_connections} connection"
                         f"{'s' if args.overview_connections > 1 else ''})"}
    print("| page | req/s | ratio to ceiling | p50 ms | p90 ms | errors | SELECTs | in-process ms | in-process CPU ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ok = before["errors"] == 0 and after["errors"] == 0
    for key, name in names.items():
        result, (seconds, cpu, queries) = http[key], in_process[key]
        print(f"| {name} | {result['rps']:.1f} | {result['rps'] / ceiling:.3f} | {result['latency_ms'].get('p50')} | "
              f"{result['latency_ms'].get('p90')} | {result['errors']} | {queries} | {seconds * 1000:.1f} | "
              f"{cpu * 1000:.1f} |")
        ok = ok and result["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
