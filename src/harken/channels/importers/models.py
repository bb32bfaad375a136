"""Stored runs of file importers: the uploaded export is kept verbatim next to its counts and errors."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class ImportSource(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk tickets"
    INTERCOM = "intercom", "Intercom conversations"
    APPSTORE = "appstore", "App Store Connect reviews"
    GOOGLEPLAY = "googleplay", "Google Play reviews"
    JSON = "json", "Generic JSON / CSV"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    PARTIAL = "partial", "Done with errors"
    FAILED = "failed", "Failed"


class ChannelImport(TenantModel):
    """One upload of one export file through one importer."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channel_imports")
    source = models.CharField(max_length=20, choices=ImportSource.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    file = models.FileField(upload_to="channel-imports/%Y/%m/", max_length=400)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Importer options, e.g. the generic mapping")
    total = models.PositiveIntegerField(default=0, help_text="Records read from the file")
    created = models.PositiveIntegerField(default=0)
    existing = models.PositiveIntegerField(default=0, help_text="Already imported (same source id): nothing created")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Records with nothing to import, e.g. rating-only reviews"
    )
    errors = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True, help_text="[{record, reason, level}]")
    failure = models.TextField(blank=True, help_text="Why the whole file could not be read")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} import {self.original_name}"

    @property
    def status_badge(self) -> str:
        return {
            RunStatus.DONE: "badge-ok",
            RunStatus.PARTIAL: "badge-warn",
            RunStatus.FAILED: "badge-bad",
        }.get(RunStatus(self.status), "badge-info")
