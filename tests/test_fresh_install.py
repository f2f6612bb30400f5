"""``make run`` on a fresh machine: SQLite migrates from nothing and the demo data loads."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_fresh_sqlite_database_migrates_and_loads_the_demo(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'converse.sqlite3'}",
        "CONVERSE_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "filesystem://",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "converse.settings",
    }
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert "Demo data ready" in done.stdout
