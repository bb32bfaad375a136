"""An import job: the uploaded file (kept verbatim, never deleted on failure) and what became of it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    FEEDBACK = "feedback", "Feedback"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    MAPPED = "mapped", "Mapped"
    VALIDATING = "validating", "Checking rows"
    PREVIEWED = "previewed", "Previewed"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.workspace.slug}/{filename}"


class ImportJob(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    file = models.FileField(upload_to=upload_to, max_length=400)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    header = models.JSONField(default=list, blank=True)
    sample = models.JSONField(default=list, blank=True, help_text="First rows as read, for the mapping page")
    mapping = models.JSONField(default=dict, blank=True, help_text="{field: column header}")
    options = models.JSONField(default=dict, blank=True, help_text="channel, stop_on_first_error")
    dry_run = models.BooleanField(default=False, help_text="Counts come from a dry run; nothing was written")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the file read")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Already present: nothing to change")
    duplicates = models.PositiveIntegerField(default=0, help_text="Repeated rows within this file")
    errors = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True, help_text="[{row, column, message, level}]")
    preview = models.JSONField(default=list, blank=True, help_text="First parsed rows of the last dry run")
    failure = models.TextField(blank=True, help_text="Why the whole job failed")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.VALIDATING, ImportStatus.RUNNING)

    @property
    def status_badge(self) -> str:
        return {
            ImportStatus.DONE: "badge-ok",
            ImportStatus.FAILED: "badge-bad",
            ImportStatus.RUNNING: "badge-info",
            ImportStatus.VALIDATING: "badge-info",
            ImportStatus.PREVIEWED: "badge-brand",
        }.get(ImportStatus(self.status), "")

    @property
    def counts(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }
