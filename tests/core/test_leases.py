"""Defect 3 of issue 15: a SIGKILLed worker's task stayed RUNNING for ever.

Tasks now carry a lease (core/leases.py): a worker that stops heart-beating loses its task to the
next worker, which retries it a bounded number of times, then fails it with a clear error.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from harken.accounts.models import User
from harken.core import leases
from harken.core.models import TaskLease
from harken.core.worker import HarkenWorker, drain
from tests.core.procs import ProcDB, WorkerProc, wait_for
from tests.core.tasks import create_user, shout

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py


def _worker(worker_id: str) -> HarkenWorker:
    return HarkenWorker(
        heartbeat=False,
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def _expire(result: DBTaskResult) -> None:
    past = timezone.now() - timedelta(seconds=1)
    TaskLease.objects.filter(task_result=result).update(expires_at=past)


@pytest.mark.django_db
def test_claim_takes_a_lease_and_finishing_releases_it() -> None:
    shout.enqueue("hi")
    worker = _worker("w-one")
    claimed = worker.claim_next()
    assert claimed is not None
    lease = TaskLease.objects.get(task_result=claimed)
    assert lease.worker_id == "w-one"
    assert lease.expires_at > timezone.now()
    worker.run_task(claimed)
    claimed.refresh_from_db()
    assert claimed.status == "SUCCESSFUL"
    assert not TaskLease.objects.exists()


@pytest.mark.django_db
def test_an_expired_lease_is_requeued_once_and_the_task_then_runs() -> None:
    create_user.enqueue("reclaimed@example.test")
    dead = _worker("w-dead").claim_next()
    assert dead is not None
    assert leases.reclaim() == {"requeued": 0, "failed": 0}, "a live lease is left alone"
    _expire(dead)
    assert leases.reclaim() == {"requeued": 1, "failed": 0}
    assert leases.reclaim() == {"requeued": 0, "failed": 0}, "reclaiming is idempotent"
    dead.refresh_from_db()
    assert dead.status == "READY"
    assert drain(tick=False) == 1
    dead.refresh_from_db()
    assert dead.status == "SUCCESSFUL"
    assert len(dead.worker_ids) == 2
    assert User.objects.filter(email="reclaimed@example.test").count() == 1


@pytest.mark.django_db
def test_a_task_that_keeps_losing_its_worker_fails_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARKEN_TASK_MAX_ATTEMPTS", "2")
    shout.enqueue("doomed")
    for attempt in (1, 2):
        claimed = _worker(f"w-{attempt}").claim_next()
        assert claimed is not None
        _expire(claimed)
        leases.reclaim()
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED"
    assert result.exception_class_path == "harken.core.leases.WorkerLost"
    assert "stopped responding" in result.traceback
    assert "after 2 attempt(s)" in result.traceback
    assert drain(tick=False) == 0, "a failed task is not retried again"


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_attempt() -> None:
    shout.enqueue("twice")
    slow = _worker("w-slow")
    first = slow.claim_next()
    assert first is not None
    _expire(first)
    leases.reclaim()
    second = _worker("w-fast").claim_next()
    assert second is not None and second.pk == first.pk
    slow.run_task(first)  # finishes late: its result is dropped
    second.refresh_from_db()
    assert second.status == "RUNNING"
    assert TaskLease.objects.get(task_result=second).worker_id == "w-fast"


@pytest.mark.django_db
def test_a_task_claimed_without_a_lease_by_an_older_worker_is_reclaimed_after_the_lease_time() -> None:
    shout.enqueue("legacy")
    result = DBTaskResult.objects.get()
    result.claim("old-version-worker")
    assert leases.reclaim() == {"requeued": 0, "failed": 0}
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert leases.reclaim() == {"requeued": 1, "failed": 0}


def test_a_sigkilled_workers_task_is_reclaimed_and_completed_by_another_worker(proc_db: ProcDB, tmp_path: Path) -> None:
    marker = tmp_path / "running.pid"
    proc_db.run_python(f"from tests.core.tasks import hold; hold.enqueue({str(marker)!r})")
    fast_leases = {"HARKEN_TASK_LEASE_SECONDS": "2"}
    first = WorkerProc(proc_db, **fast_leases)
    try:
        assert wait_for(marker.exists), first.output
        assert int(marker.read_text()) == first.process.pid
        [task] = proc_db.tasks()
        assert task["status"] == "RUNNING"
        first.kill()
    finally:
        first.stop()
    second = WorkerProc(proc_db, **fast_leases)
    try:
        done = wait_for(lambda: [t for t in proc_db.tasks() if t["status"] == "SUCCESSFUL"])
        assert done, second.output + str(proc_db.tasks())
    finally:
        assert second.stop() == 0, second.output
    [task] = done
    assert task["return_value"] == "done on attempt 2"
    assert len(task["worker_ids"]) == 2
    assert str(first.process.pid) in task["worker_ids"][0]
    assert str(second.process.pid) in task["worker_ids"][1]
    assert "stopped responding; requeued" in second.output
    assert proc_db.scalar("SELECT count(*) FROM core_tasklease") == 0


@pytest.mark.django_db
def test_a_failing_task_finished_receiver_does_not_stop_the_worker() -> None:
    """Seen on PostgreSQL: the connection dropped while a receiver ran, after the result was recorded."""
    from django.db import OperationalError
    from django_tasks.signals import task_finished

    def broken(**kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    task_finished.connect(broken, dispatch_uid="test-broken-receiver")
    try:
        shout.enqueue("one")
        shout.enqueue("two")
        assert drain(tick=False) == 2
    finally:
        task_finished.disconnect(dispatch_uid="test-broken-receiver")
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
