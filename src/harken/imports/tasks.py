"""The import pipeline's two background tasks, on the default queue: a preview (dry run) and the run.

Both claim their job first, so of two tasks queued for one job (a double click) only one works on
it. A run whose worker died (no heartbeat for `actions.STALE_AFTER`) may be claimed again: it
resumes after its checkpoint, or finishes undoing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from harken.imports import actions
from harken.imports.models import ImportJob, ImportStatus
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership


def _actor(job: ImportJob) -> Actor:
    """Act as the person who uploaded (if still a member), else as the workspace's system actor."""
    if job.created_by_id:
        membership = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace=job.workspace, user_id=job.created_by_id)
            .first()
        )
        if membership is not None:
            return Actor.for_member(membership)
    return Actor.system(job.workspace)


def _claim(job_id: int, *statuses: str, worker_lost: bool = False) -> ImportJob | None:
    """Claim the job: unclaimed, or claimed by a run that stopped showing signs of life.

    `worker_lost`: this is a later attempt of the same task, put back in the queue because the worker
    that ran it stopped heart-beating (harken/core/leases.py). That worker is gone, so the run resumes
    now rather than after `STALE_AFTER` of silence (which would leave it "running" until someone
    pressed Resume).
    """
    now = timezone.now()
    stale = now - actions.STALE_AFTER
    jobs = ImportJob.objects.filter(pk=job_id, status__in=statuses)
    if not worker_lost:
        jobs = jobs.filter(
            Q(started_at__isnull=True) | Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
        )
    claimed = jobs.update(started_at=now, heartbeat_at=now)
    if not claimed:
        return None
    return ImportJob.objects.select_related("workspace").get(pk=job_id)


@task()
def preview_import(job_id: int) -> str:
    job = _claim(job_id, ImportStatus.VALIDATING)
    if job is None:
        return "skipped"
    return actions.run_dry(_actor(job), job).status


@task(takes_context=True)
def run_import(context: Any, job_id: int) -> str:
    """The one run of every file import (CSV or another tool's export)."""
    job = _claim(job_id, ImportStatus.RUNNING, ImportStatus.ROLLING_BACK, worker_lost=context.attempt > 1)
    if job is None:
        return "skipped"
    return actions.run(_actor(job), job).status
