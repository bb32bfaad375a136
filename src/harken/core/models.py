"""Bases shared by every tenant-owned model."""

from __future__ import annotations

from typing import Any

from django.db import models


class TenantQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Any) -> TenantQuerySet:
        return self.filter(workspace=workspace)


class TenantModel(models.Model):
    """A row that belongs to exactly one workspace.

    Reach rows through `workspace.<related_name>` or `Model.objects.for_workspace(ws)`;
    a bare `Model.objects.get(pk=…)` on tenant data is a bug.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class PeriodicRun(models.Model):
    """One row per (job, slot): the unique constraint is what makes a slot run once."""

    job = models.CharField(max_length=200)
    slot = models.DateTimeField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="periodic_run_once_per_slot")]
        indexes = [models.Index(fields=["job", "-slot"])]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"


class TaskLease(models.Model):
    """The lease of one RUNNING task: which worker holds it and until when.

    django-tasks-db marks a claimed task RUNNING and never looks at it again, so a worker that
    dies (SIGKILL, OOM, a lost host) would leave it RUNNING for ever. The claiming worker writes
    this row in the claim's transaction and extends `expires_at` from a heartbeat thread; any
    worker that finds an expired lease puts the task back in the queue (or fails it after
    HARKEN_TASK_MAX_ATTEMPTS attempts, counted by django-tasks-db's own `worker_ids`).
    See harken/core/leases.py.
    """

    task_result = models.OneToOneField(
        "django_tasks_database.DBTaskResult", primary_key=True, on_delete=models.CASCADE, related_name="harken_lease"
    )
    worker_id = models.CharField(max_length=100, db_index=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.task_result_id} held by {self.worker_id} until {self.expires_at:%H:%M:%S}"


class DataVersion(models.Model):
    """One row (id 1): a counter bumped after every committed write of product data.

    Rendered GET responses are cached under it (harken/core/respcache.py), so a write anywhere makes
    every cached page stale at once — coarse, but it cannot miss a write. Bumped by the database
    wrapper in harken/core/dataversion.py, never by hand.
    """

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"data version {self.version}"
