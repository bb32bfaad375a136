from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from harken.imports import services
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


def _job(job_id: int, status: str) -> ImportJob | None:
    """Claim the job: of two queued tasks for one job (a double click), only the first runs it."""
    claimed = ImportJob.objects.filter(pk=job_id, status=status, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    if not claimed:
        return None
    return ImportJob.objects.select_related("workspace").get(pk=job_id)


@task()
def preview_import(job_id: int) -> str:
    job = _job(job_id, ImportStatus.VALIDATING)
    if job is None:
        return "skipped"
    return services.run_dry(_actor(job), job).status


@task()
def run_import(job_id: int) -> str:
    job = _job(job_id, ImportStatus.RUNNING)
    if job is None:
        return "skipped"
    return services.run(_actor(job), job).status
