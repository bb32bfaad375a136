"""Housekeeping tasks owned by core."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from harken.core.env import env_int
from harken.core.models import PeriodicRun


@task()
def prune_job_history() -> dict[str, int]:
    """Delete finished task results and periodic-run rows older than the retention window.

    Keeps the tables small on busy installs; the window is HARKEN_JOB_RETENTION_DAYS (default 30).
    Only the latest slot of a job matters to the scheduler, so old PeriodicRun rows are safe to drop.
    """
    cutoff = timezone.now() - timedelta(days=env_int("HARKEN_JOB_RETENTION_DAYS", 30))
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    runs, _ = PeriodicRun.objects.filter(slot__lt=cutoff).delete()
    return {"task_results": results, "periodic_runs": runs}
