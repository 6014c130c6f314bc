"""The development plan benchmark: a plan page with live evidence, its PDF, the overview of every school.

On the nationwide dataset (``bench.generate``, 3,000 schools), every school
is given a plan (written directly through the plan operations), one of them
with ``--measures`` measures linked to offerings its staff are enrolled in.
Measured in-process with Flask's test client, each against ``GET /ping`` in
the same process as the ceiling (the ratio is ping time / page time), with
the number of SELECTs each page runs:

* the plan page of a signed-in leader, with 2 and with ``--measures``
  measures (its query count must not grow with the measures);
* its PDF report;
* the programme admin's overview of all schools.

``python -m bench.plans [--database-url URL] [--scale 1] [--measures 40]``
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient

from bench import common


def _timed(client, path: str, repeat: int) -> tuple[float, int]:
    """Return the median seconds of ``repeat`` GETs of ``path`` and the SELECTs one of them runs."""
    from lms.db import db

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    sa.event.listen(db.engine, "before_cursor_execute", count)
    client.get(path)
    sa.event.remove(db.engine, "before_cursor_execute", count)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def prepare(app, now: datetime, measures: int) -> tuple[int, int, int, list[int]]:
    """Give every school a plan; return (leader id, plan id, admin id, offering ids to link)."""
    from catalog.enrollment.models import Enrollment
    from lms.db import db
    from lms.people.models import Membership, Role, User
    from lms.plans import operations as ops
    from lms.plans.models import Plan, PlanSection, PlanState, PlanTargetGroup

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plans", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing dataset (default: a fresh SQLite one)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--measures", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    url = args.database_url
    if not url:
        url = common.fresh_database("sqlite", "plans")
        common.migrate(url)
        common.generate_dataset(url, args.scale)
    app = common.make_app(url)
    app.test_client_class = _FreshClient
    now = datetime.now(timezone.utc)
    leader_id, plan_id, admin_id, offerings = prepare(app, now, args.measures)
    leader, admin = signed_in(app, leader_id, now), signed_in(app, admin_id, now)
    from lms.plans.models import PlanMeasure

    def measures() -> int:
        # Counted, not assumed: a second run on the same dataset adds to the plan's measures.
        return db.session.scalar(sa.select(sa.func.count()).select_from(PlanMeasure)
                                 .where(PlanMeasure.plan_id == plan_id))

    from lms.db import db
    with app.app_context():
        ping, _q = _timed(leader, "/ping", args.repeat * 4)
        results = {}
        results[f"plan page, {measures()} measures"] = _timed(leader, f"/utviklingsplan/{plan_id}", args.repeat)
    add_measures(app, leader_id, plan_id, offerings, now)
    with app.app_context():
        results[f"plan page, {measures()} measures"] = _timed(leader, f"/utviklingsplan/{plan_id}", args.repeat)
        results[f"PDF report, {measures()} measures"] = _timed(leader, f"/utviklingsplan/{plan_id}/rapport.pdf",
                                                               args.repeat)
        results["overview of every school"] = _timed(admin, "/utviklingsplan/oversikt", max(3, args.repeat // 5))
        ping_after, _q = _timed(leader, "/ping", args.repeat * 4)
    ceiling = min(ping, ping_after)
    print(f"database: {url.split('://')[0]}; ceiling GET /ping {ceiling * 1000:.2f} ms (in-process)")
    print("| page | median ms | ratio to ceiling | SELECTs |")
    print("|---|---:|---:|---:|")
    for name, (seconds, queries) in results.items():
        print(f"| {name} | {seconds * 1000:.1f} | {ceiling / seconds:.3f} | {queries} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
