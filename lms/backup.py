"""Backups of the embedded SQLite database: a consistent copy while the platform runs, and putting one back.

SQLite's online backup API copies the database page by page under a read
lock, so requests go on reading and the copy is one consistent state even
while they write (a write during the copy makes SQLite start it again).
PostgreSQL has its own tools: ``pg_dump`` / ``pg_restore`` (see README).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa


class BackupError(Exception):
    """The backup or restore cannot be made; the message says why."""


def _sqlite_only(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        raise BackupError("PostgreSQL: bruk pg_dump og pg_restore (se README, «Backup and restore»).")


def backup(engine: sa.Engine, target: Path) -> int:
    """Copy the SQLite database to ``target`` (a new file) while it is in use; return the pages copied."""
    _sqlite_only(engine)
    if target.exists():
        raise BackupError(f"{target} finnes allerede; velg et nytt filnavn.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        source = conn.connection.dbapi_connection
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
    return pages


def restore(engine: sa.Engine, source: Path) -> None:
    """Replace the SQLite database's content with the backup in ``source``; the platform must be stopped."""
    _sqlite_only(engine)
    if not source.is_file():
        raise BackupError(f"{source} finnes ikke.")
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            whole = backup_file.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            whole = False
        if not whole:
            raise BackupError(f"{source} er ikke en hel SQLite-database.")
        engine.dispose()  # no connection of ours may hold the database while it is replaced
        with engine.connect() as conn:
            backup_file.backup(conn.connection.dbapi_connection)
    finally:
        backup_file.close()
    engine.dispose()
