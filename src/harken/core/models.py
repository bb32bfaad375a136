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
