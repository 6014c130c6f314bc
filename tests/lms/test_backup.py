"""``flask backup`` and ``flask restore``: a copy of SQLite taken while it is written, and put back row for row."""
from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from lms.db import db
from lms.mail import operations as mail
from tests.conftest import NOW, database_rows


def rows_of(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: sorted((tuple(r) for r in conn.execute(sa.select(table))), key=repr)
                    for table in db.metadata.sorted_tables if table.name != "login_session"}
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's online backup; PostgreSQL is backed up with pg_dump (README)")


def test_a_backup_taken_while_the_platform_writes_is_whole_and_restores_the_same_rows(
        app, sqlite_only, make_offering, make_user, tmp_path):
    make_offering("Kildekritikk")
    make_user("Kari Lærer")
    db.session.commit()
    stop = threading.Event()

    def keep_writing():
        writer = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], connect_args={"timeout": 60})
        n = 0
        while not stop.is_set():
            with writer.begin() as conn:
                conn.execute(sa.insert(mail.OutboxMessage).values(
                    recipient=f"skriver{n}@skole.test", subject="Underveis", body_text="", created_at=NOW))
            n += 1
        writer.dispose()

    db.session.close()
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        target = tmp_path / "kopi.db"
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "Sikkerhetskopi skrevet til" in result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved = rows_of(f"sqlite:///{target}")
    assert any("Kildekritikk" in row for row in saved["offering"])

    # Later changes are undone by the restore, row for row.
    with db.engine.begin() as conn:
        conn.execute(sa.delete(mail.OutboxMessage))
    db.session.close()
    refused = app.test_cli_runner().invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    result = app.test_cli_runner().invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert database_rows() == saved


def test_backup_refuses_to_overwrite_a_file_and_restore_refuses_what_is_no_database(app, sqlite_only, tmp_path):
    existing = tmp_path / "finnes.db"
    existing.write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "finnes allerede" in result.output
    broken = tmp_path / "ødelagt.db"
    broken.write_bytes(b"ikke en database" * 100)
    result = app.test_cli_runner().invoke(args=["restore", str(broken), "--yes"])
    assert result.exit_code == 1 and "er ikke en hel SQLite-database" in result.output


def test_on_postgresql_backup_points_to_pg_dump(app, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL answer")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "kopi.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output
