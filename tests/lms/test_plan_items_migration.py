"""The migration that gives the plan's items a version keeps every row, and what points at them, both ways.

On SQLite a table copied and dropped with foreign keys on would cascade and
empty a measure's links and the milestones' dependencies; this runs the
migration over a plan that has both, on the database of this run.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.db import db
from tests.lms.test_migrations import scratch_database

BEFORE, AFTER = "e4b7c2a9d815", "e2418321d8be"
ITEMS = ("plan_goal", "plan_measure", "plan_treatment", "plan_information", "milestone")


def _rows(table: str) -> int:
    return db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def _fill() -> None:
    """One plan with an item of each kind, a measure's link and a milestone's dependency, as raw rows."""
    now = datetime(2026, 9, 1, tzinfo=timezone.utc)
    for statement, values in [
        ("INSERT INTO school (id, name, org_number, district, focus_areas_text) VALUES (1, 'S', '900000001', '', '')",
         {}),
        ("INSERT INTO plan (id, school_id, start_year, end_year, state, created_at, updated_at) "
         "VALUES (1, 1, 2026, 2027, 'draft', :now, :now)", {"now": now}),
        ("INSERT INTO plan_goal (id, plan_id, area, indicator, target) VALUES (1, 1, 4, 'i', 't')", {}),
        ("INSERT INTO plan_measure (id, plan_id, area, title, target_group, responsible, timing) "
         "VALUES (1, 1, 4, 'm', 'teachers', 'r', 'h')", {}),
        ("INSERT INTO plan_measure_link (id, measure_id, kind, ref_id) VALUES (1, 1, 'plan_area', 4)", {}),
        ("INSERT INTO plan_treatment (id, plan_id, body, treated_on, decision) VALUES (1, 1, 'fau', :day, 'd')",
         {"day": date(2026, 9, 10)}),
        ("INSERT INTO plan_information (id, plan_id, kind, title, audience, informed_on) "
         "VALUES (1, 1, 'letter', 't', 'parents', :day)", {"day": date(2026, 9, 10)}),
        ("INSERT INTO milestone (id, plan_id, what, deadline, evaluation, status) "
         "VALUES (1, 1, 'a', :day, '', 'planned'), (2, 1, 'b', :day, '', 'planned')", {"day": date(2026, 10, 1)}),
        ("INSERT INTO milestone_dependency (milestone_id, depends_on_id) VALUES (2, 1)", {}),
    ]:
        db.session.execute(sa.text(statement), values)
    db.session.commit()


def test_the_items_version_migration_keeps_links_and_dependencies_up_and_down(app, tmp_path):
    with scratch_database(app, tmp_path) as url:
        other = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with other.app_context():
            try:
                upgrade(revision=BEFORE)
                _fill()
                upgrade(revision=AFTER)
                kept = {table: _rows(table) for table in (*ITEMS, "plan_measure_link", "milestone_dependency")}
                assert kept == dict.fromkeys(kept, 1) | {"milestone": 2}
                for table in ITEMS:
                    assert db.session.scalar(sa.text(f"SELECT min(version) FROM {table}")) == 1
                db.session.commit()
                downgrade(revision=BEFORE)
                columns = {c["name"] for c in db.inspect(db.engine).get_columns("milestone")}
                assert "version" not in columns
                assert (_rows("plan_measure_link"), _rows("milestone_dependency")) == (1, 1)
                db.session.commit()
            finally:
                db.session.remove()
                db.engine.dispose()
