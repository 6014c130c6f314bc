"""The Alembic history builds exactly the schema the models describe, and can be undone."""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.db import db


def test_migrations_match_the_models(app):
    # The session's schema was built by the migrations (see conftest).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


@contextmanager
def scratch_database(app, tmp_path):
    """Yield the URL of an empty database of the run's kind: a new SQLite file, or a new PostgreSQL database."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'roundtrip.db'}"
        return
    scratch = f"{url.database}_roundtrip"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
    try:
        yield url.set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(app, tmp_path):
    """Every migration's downgrade runs, on the database of this run (SQLite, or PostgreSQL's own DDL)."""
    with scratch_database(app, tmp_path) as url:
        other = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with other.app_context():
            try:
                upgrade()
                full = set(db.inspect(db.engine).get_table_names())
                downgrade(revision="base")
                assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
                if db.engine.dialect.name == "postgresql":
                    # Enum types and sequences go with their tables.
                    with db.engine.connect() as conn:
                        assert conn.exec_driver_sql("SELECT typname FROM pg_type t JOIN pg_namespace n "
                                                    "ON n.oid = t.typnamespace WHERE n.nspname = 'public' "
                                                    "AND t.typtype = 'e'").all() == []
                upgrade()
                assert set(db.inspect(db.engine).get_table_names()) == full
            finally:
                db.session.remove()
                db.engine.dispose()
