"""Real `harken worker` processes against a real database (SQLite file or PostgreSQL).

`proc_db` gives a migrated database (a copy of the run's one migrated template, tests/core/migrated.py) that child processes share with the test: a SQLite file, or,
when the suite runs on PostgreSQL (DATABASE_URL=postgres://…), a database of its own named
`<test database>_procs[_<xdist worker>]`. Tests read it with plain SQL (sqlite3 / psycopg), because the test's
own Django connection points at the test database.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.migrated import postgres_copy, sqlite_copy
from tests.core.test_serve import PROJECT, harken_env

TABLES_TO_EMPTY = [
    "core_tasklease",
    "django_tasks_database_dbtaskresult",
    "notify_outboundemail",
    "core_periodicrun",
]


class ProcDB:
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.vendor = "postgresql" if url.startswith("postgres") else "sqlite"

    def env(self, **extra: str) -> dict[str, str]:
        return harken_env(self.tmp_path, DATABASE_URL=self.url, **extra)

    def _connect(self) -> Any:
        if self.vendor == "sqlite":
            return sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.vendor == "sqlite":
            sql = sql.replace("%s", "?")
        db = self._connect()
        try:
            cursor = db.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
            if self.vendor == "sqlite":
                db.commit()
            return list(rows)
        finally:
            db.close()

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def empty(self) -> None:
        for table in TABLES_TO_EMPTY:
            self.rows(f"DELETE FROM {table}")
        self.rows("DELETE FROM accounts_user WHERE email LIKE %s", ("%@procs.test",))

    def tasks(self) -> list[dict[str, Any]]:
        import json

        found = self.rows(
            "SELECT id, task_path, status, worker_ids, return_value, exception_class_path, traceback "
            "FROM django_tasks_database_dbtaskresult"
        )
        keys = ["id", "task_path", "status", "worker_ids", "return_value", "exception_class_path", "traceback"]
        out = []
        for row in found:
            item = dict(zip(keys, row, strict=True))
            for key in ("worker_ids", "return_value"):
                if self.vendor == "sqlite" and isinstance(item[key], str):
                    item[key] = json.loads(item[key])
            out.append(item)
        return out

    def run_python(self, code: str, **extra: str) -> str:
        """Run Django code in a child process against this database (as the web app would)."""
        env = {**self.env(**extra), "DJANGO_SETTINGS_MODULE": "harken.settings"}
        done = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code],
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


class WorkerProc:
    """A `harken worker` child; its output is collected for failure messages."""

    def __init__(self, db: ProcDB, *args: str, **env: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harken.cli", "worker", "--no-scheduler", "--interval", "0.2", *args],
            env=db.env(**env),
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def wait_for(condition: Callable[[], Any], attempts: int = 600, pause: float = 0.2) -> Any:
    """Poll until `condition()` is truthy; returns its value (falsy if it never became true)."""
    value = None
    for _ in range(attempts):
        value = condition()
        if value:
            return value
        time.sleep(pause)
    return value


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


@pytest.fixture(scope="session")
def proc_db_session(tmp_path_factory: pytest.TempPathFactory) -> ProcDB:
    tmp_path = tmp_path_factory.mktemp("procs")
    pg = _postgres_url()
    if pg:
        base, name = pg.rsplit("/", 1)
        # one per xdist worker: a shared one was dropped (WITH FORCE) by the other worker's session start
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        name = f"{name.split('?')[0]}_procs{'_' + worker if worker else ''}"
        postgres_copy(tmp_path_factory, base, name)
        url = f"{base}/{name}"
    else:
        sqlite_copy(tmp_path_factory, tmp_path / "harken.sqlite3")
        url = f"sqlite:///{tmp_path / 'harken.sqlite3'}"
    db = ProcDB(url, tmp_path)
    return db


@pytest.fixture
def proc_db(proc_db_session: ProcDB) -> Iterator[ProcDB]:
    proc_db_session.empty()
    yield proc_db_session
    proc_db_session.empty()
