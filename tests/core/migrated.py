"""One `harken migrate` per test run, copied wherever a test needs a migrated database of its own.

Migrating from scratch runs every migration (10–20 s of CPU); the suite needs a migrated file or
database in several places (`migrated`, `proc_db`) on each xdist worker. The first worker to get here
migrates a template under a file lock in the run's shared temporary directory; everyone else copies
it: SQLite with the sqlite3 backup API (consistent even in WAL mode), PostgreSQL with
`CREATE DATABASE … TEMPLATE …`. What is copied is exactly what `harken migrate` produced.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from tests.core.test_serve import PROJECT, harken_env


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker's base is <run>/popen-gwN; the run's directory is shared by all workers
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _migrate(env: dict[str, str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "harken.cli", "migrate"], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def sqlite_copy(tmp_path_factory: pytest.TempPathFactory, target: Path) -> None:
    """Make `target` a migrated SQLite database (a copy of the run's template)."""
    root = _shared_root(tmp_path_factory)
    template_dir = root / "migrated-template"
    template = template_dir / "harken.sqlite3"
    with FileLock(str(root / "migrated-template.lock")):
        if not (template_dir / "done").exists():
            template_dir.mkdir(exist_ok=True)
            _migrate(harken_env(template_dir))
            (template_dir / "done").write_text("ok")
    source = sqlite3.connect(template)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def postgres_copy(tmp_path_factory: pytest.TempPathFactory, base: str, name: str) -> None:
    """Make database `name` (on server `base`) a migrated copy of the run's template database."""
    import psycopg

    root = _shared_root(tmp_path_factory)
    template = f"{name.split('_procs')[0]}_migrated_template"
    lock = FileLock(str(root / "migrated-template-pg.lock"))
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin, lock:
        if not (root / "migrated-template-pg.done").exists():
            admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{template}"')
            _migrate(harken_env(root, DATABASE_URL=f"{base}/{template}"))
            (root / "migrated-template-pg.done").write_text("ok")
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
