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


def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's migrated SQLite template file (made by the first caller, under a lock)."""
    root = _shared_root(tmp_path_factory)
    template_dir = root / "migrated-template"
    with FileLock(str(root / "migrated-template.lock")):
        if not (template_dir / "done").exists():
            template_dir.mkdir(exist_ok=True)
            _migrate(harken_env(template_dir))
            (template_dir / "done").write_text("ok")
    return template_dir / "harken.sqlite3"


def sqlite_copy(tmp_path_factory: pytest.TempPathFactory, target: Path) -> None:
    """Make `target` a migrated SQLite database (a copy of the run's template)."""
    source = sqlite3.connect(sqlite_template(tmp_path_factory))
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def postgres_template(tmp_path_factory: pytest.TempPathFactory, base: str, name: str) -> str:
    """The name of the run's migrated template database on server `base` (made by the first caller).

    `name` is the run's database (DATABASE_URL's) or one derived from it (`<name>_procs…`, `test_<name>…`):
    the template is `<name>_migrated_template`, so CI's clean-up of `%<name>%` drops it too."""
    import psycopg

    root = _shared_root(tmp_path_factory)
    template = f"{name.split('_procs')[0]}_migrated_template"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin, _pg_lock(root):
        if not (root / "migrated-template-pg.done").exists():
            admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{template}"')
            _migrate(harken_env(root, DATABASE_URL=f"{base}/{template}"))
            (root / "migrated-template-pg.done").write_text("ok")
    return template


def _pg_lock(root: Path) -> FileLock:
    return FileLock(str(root / "migrated-template-pg.lock"))


def postgres_copy(tmp_path_factory: pytest.TempPathFactory, base: str, name: str) -> None:
    """Make database `name` (on server `base`) a migrated copy of the run's template database."""
    import psycopg

    template = postgres_template(tmp_path_factory, base, name)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin, _pg_lock(_shared_root(tmp_path_factory)):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
