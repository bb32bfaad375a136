"""Defect 4 of issue 15: one dropped database connection (pg_terminate_backend) killed `harken worker`.

The worker now closes a broken connection, waits a moment and reconnects; a task whose connection
was cut under it is requeued and runs again. PostgreSQL only: SQLite has no server to drop us.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.procs import ProcDB, WorkerProc, wait_for


def _terminate_backends(db: ProcDB) -> int:
    """Kill every other connection to the database, as a failover or an operator would."""
    return int(
        db.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )


def _enqueue_user(db: ProcDB, email: str) -> None:
    db.run_python(f"from tests.core.tasks import create_user; create_user.enqueue({email!r})")


def _user_exists(db: ProcDB, email: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM accounts_user WHERE email = %s", (email,)))


def test_worker_survives_dropped_connections_between_and_during_tasks(proc_db: ProcDB, tmp_path: Path) -> None:
    if proc_db.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (pg_terminate_backend)")
    worker = WorkerProc(proc_db, HARKEN_TASK_LEASE_SECONDS="4")
    try:
        _enqueue_user(proc_db, "before@procs.test")
        assert wait_for(lambda: _user_exists(proc_db, "before@procs.test")), worker.output

        # Between tasks: the idle worker's connections (loop and heartbeat) are cut.
        assert _terminate_backends(proc_db) >= 1
        _enqueue_user(proc_db, "after@procs.test")
        assert wait_for(lambda: _user_exists(proc_db, "after@procs.test")), worker.output
        assert worker.alive(), worker.output

        # During a task: it waits for `release`, then queries on a connection that is gone.
        marker, release = tmp_path / "running", tmp_path / "release"
        proc_db.run_python(f"from tests.core.tasks import hold; hold.enqueue({str(marker)!r}, {str(release)!r})")
        assert wait_for(marker.exists), worker.output
        assert _terminate_backends(proc_db) >= 1
        release.touch()
        held = wait_for(
            lambda: [t for t in proc_db.tasks() if "hold" in t["task_path"] and t["status"] == "SUCCESSFUL"]
        )
        assert held, worker.output + str(proc_db.tasks())
        assert held[0]["return_value"] == "done on attempt 2"
        assert worker.alive(), worker.output
    finally:
        code = worker.stop()
    assert code == 0, worker.output
    assert "Database connection lost" in worker.output or "requeued after" in worker.output
