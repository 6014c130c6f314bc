"""`flask db`, as an operator runs it on a new machine: Flask-Migrate's commands are loaded when asked for."""
from __future__ import annotations

import os
import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory

from lms import MIGRATIONS_DIR


def _flask(*args: str, database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASK_APP": "lms", "KP_SECRET_KEY": "test", "KP_DATABASE_URL": database}
    return subprocess.run([sys.executable, "-m", "flask", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_flask_db_upgrades_a_new_database_and_tells_its_revision(tmp_path):
    database = f"sqlite:///{tmp_path / 'kp.sqlite'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    listed = _flask("db", "--help", database=database)
    assert listed.returncode == 0 and "upgrade" in listed.stdout and "downgrade" in listed.stdout
    upgraded = _flask("db", "upgrade", database=database)
    assert upgraded.returncode == 0, upgraded.stderr
    current = _flask("db", "current", database=database)
    assert current.returncode == 0 and f"{head} (head)" in current.stdout
