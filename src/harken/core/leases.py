"""Task leases: a worker that dies does not leave its task RUNNING for ever.

- **Claim**: in the transaction that marks a task RUNNING (django-tasks-db's `claim`, which also
  appends the worker's id to `worker_ids`), the worker writes a `TaskLease` valid for
  `HARKEN_TASK_LEASE_SECONDS` (default 60).
- **Heartbeat**: a thread in every worker process extends the leases it holds every quarter of
  that time, for as long as the process lives — however long the task runs.
- **Reclaim**: every worker, about once per heartbeat, looks for RUNNING tasks whose lease has
  expired (or that have no lease and started longer ago than the lease time: claimed by an older
  version). Each one is put back to READY, or, once it has been attempted
  `HARKEN_TASK_MAX_ATTEMPTS` times (default 3, counted by `len(worker_ids)`), marked FAILED with
  `harken.core.leases.WorkerLost` and a readable message. Each task is reclaimed under a row lock
  with its expiry re-checked, so many workers reclaiming at once act on it once.
- **Fencing**: a worker records a task's result only while it still holds the lease (it deletes
  its own lease row in the same transaction); a worker that lost its lease (paused longer than
  the lease, cut off from the database) drops its result instead of overwriting the new attempt's.

Tasks see their attempt number as `context.attempt` (`@task(takes_context=True)`): a task whose
effect is not naturally idempotent checks it (the outbox re-sends an email that was "sending"
when its worker died only on attempt 2 or later).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from harken.core.env import env_int
from harken.core.models import TaskLease

log = logging.getLogger("harken.worker")


class WorkerLost(Exception):  # noqa: N818 - the name is what operators read in `harken jobs`
    """Recorded as a task's error when its worker stopped heart-beating too many times."""


def lease_seconds() -> int:
    return max(2, env_int("HARKEN_TASK_LEASE_SECONDS", 60))


def max_attempts() -> int:
    return max(1, env_int("HARKEN_TASK_MAX_ATTEMPTS", 3))


def heartbeat_seconds() -> float:
    return lease_seconds() / 4


def take(task_result: DBTaskResult, worker_id: str, now: datetime | None = None) -> None:
    """Write the lease of a task this worker has just claimed (call inside the claim's transaction)."""
    expires = (now or timezone.now()) + timedelta(seconds=lease_seconds())
    TaskLease.objects.update_or_create(
        task_result=task_result, defaults={"worker_id": worker_id, "expires_at": expires}
    )


def extend(worker_id: str) -> int:
    """Extend every lease this worker holds; returns how many it still holds."""
    expires = timezone.now() + timedelta(seconds=lease_seconds())
    return TaskLease.objects.filter(worker_id=worker_id).update(expires_at=expires)


def release(task_result_id: Any, worker_id: str) -> bool:
    """Drop this worker's lease on a task (inside the transaction that records its result).

    False means the lease was lost (expired and reclaimed): the caller must not record anything.
    """
    deleted, _ = TaskLease.objects.filter(task_result_id=task_result_id, worker_id=worker_id).delete()
    return bool(deleted)


def requeue(db_result: DBTaskResult, worker_id: str) -> bool:
    """Give a task back to the queue now (the worker is stopping, or the database dropped under it)."""
    with transaction.atomic():
        if not release(db_result.id, worker_id):
            return False
        DBTaskResult.objects.filter(id=db_result.id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
    return True


def _expired_ids(now: datetime, limit: int) -> list[Any]:
    stale_start = now - timedelta(seconds=lease_seconds())
    from django.db.models import Q

    expired = DBTaskResult.objects.running().filter(
        Q(harken_lease__expires_at__lt=now) | Q(harken_lease__isnull=True, started_at__lt=stale_start)
    )
    return list(expired.order_by().values_list("id", flat=True)[:limit])


def reclaim(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Requeue (or fail, after too many attempts) RUNNING tasks whose worker stopped heart-beating."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    failed: list[DBTaskResult] = []
    for task_id in _expired_ids(now, limit):
        with exclusive_transaction(DBTaskResult.objects.db):
            result = DBTaskResult.objects.running().filter(id=task_id).select_for_update(skip_locked=True).first()
            if result is None:
                continue  # finished meanwhile, or another worker is reclaiming it right now
            lease = TaskLease.objects.filter(task_result_id=task_id).first()
            if lease is not None and lease.expires_at >= now:
                continue  # its worker came back and extended it
            if (
                lease is None
                and result.started_at is not None
                and result.started_at >= now - timedelta(seconds=lease_seconds())
            ):
                continue
            holder = lease.worker_id if lease else (result.worker_ids[-1] if result.worker_ids else "?")
            TaskLease.objects.filter(task_result_id=task_id).delete()
            attempts = len(result.worker_ids)
            if attempts >= max_attempts():
                message = (
                    f"Worker {holder} stopped responding while running this task (its lease expired at "
                    f"{(lease.expires_at if lease else now).isoformat()}). Gave up after {attempts} attempt(s); "
                    "HARKEN_TASK_MAX_ATTEMPTS allows "
                    f"{max_attempts()}. Find out why the worker died (out of memory? killed?) before re-running it."
                )
                result.set_failed(WorkerLost(message))
                failed.append(result)
                counts["failed"] += 1
                log.error("Task %s (%s) failed: %s", task_id, result.task_path, message)
            else:
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                counts["requeued"] += 1
                log.warning(
                    "Task %s (%s) was held by worker %s, which stopped responding; requeued (attempt %d of %d done)",
                    task_id,
                    result.task_path,
                    holder,
                    attempts,
                    max_attempts(),
                )
    for result in failed:
        _send_finished(result)
    return counts


def _send_finished(result: DBTaskResult) -> None:
    from django_tasks.signals import task_finished

    try:
        task_finished.send(sender=type(result.task.get_backend()), task_result=result.task_result)
    except Exception:  # noqa: BLE001 - a task whose code is gone still counts as failed
        log.exception("task_finished handlers failed for reclaimed task %s", result.id)


class Heartbeat(threading.Thread):
    """Extends this worker's leases every `heartbeat_seconds()` until stopped; survives database outages."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="harken-heartbeat", daemon=True)
        self.worker_id = worker_id
        self._stop_event = threading.Event()
        self.beats = 0

    def run(self) -> None:
        try:
            while not self._stop_event.wait(heartbeat_seconds()):
                try:
                    close_old_connections()
                    extend(self.worker_id)
                    self.beats += 1
                except DatabaseError as exc:
                    log.warning("Heartbeat of worker %s failed (%s); retrying", self.worker_id, exc)
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(5)
