"""An import job: the uploaded file (kept verbatim, never deleted on failure) and what became of it.

Every file import is one `ImportJob`, whatever its source: a CSV mapped column by column
(`source="csv"`) or another tool's export read by a source kind (Zendesk, Intercom, App Store
Connect, Google Play, generic JSON/CSV; see `harken.imports.sources`). `ImportedRow` is the run's
ledger: what each committed chunk created or changed, so a failed run can be undone by its id.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    FEEDBACK = "feedback", "Feedback"


class ImportSource(models.TextChoices):
    """Where the file comes from: a CSV mapped by hand, or another tool's export with a known layout."""

    CSV = "csv", "CSV (map the columns)"
    ZENDESK = "zendesk", "Zendesk tickets"
    INTERCOM = "intercom", "Intercom conversations"
    APPSTORE = "appstore", "App Store Connect reviews"
    GOOGLEPLAY = "googleplay", "Google Play reviews"
    JSON = "json", "Generic JSON / CSV"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    MAPPED = "mapped", "Mapped"
    VALIDATING = "validating", "Checking rows"
    PREVIEWED = "previewed", "Previewed"
    RUNNING = "running", "Running"
    ROLLING_BACK = "rolling_back", "Undoing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.workspace.slug}/{filename}"


class ImportJob(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    source = models.CharField(max_length=20, choices=ImportSource.choices, default=ImportSource.CSV)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    file = models.FileField(upload_to=upload_to, max_length=400)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    header = models.JSONField(default=list, blank=True)
    sample = models.JSONField(default=list, blank=True, help_text="First rows as read, for the mapping page")
    mapping = models.JSONField(default=dict, blank=True, help_text="{field: column header}")
    options = models.JSONField(
        default=dict, blank=True, help_text="channel, stop_on_first_error, product_line, source mapping"
    )
    dry_run = models.BooleanField(default=False, help_text="Counts come from a dry run; nothing was written")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the file read")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Already present: nothing to change")
    duplicates = models.PositiveIntegerField(default=0, help_text="Repeated rows within this file")
    errors = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(
        default=0, help_text="Records with nothing to import, e.g. rating-only reviews"
    )
    error_report = models.JSONField(default=list, blank=True, help_text="[{row, column, message, level}]")
    preview = models.JSONField(default=list, blank=True, help_text="First parsed rows of the last dry run")
    failure = models.TextField(blank=True, help_text="Why the whole job failed")
    checkpoint = models.PositiveIntegerField(
        default=0, help_text="Last row/record number whose chunk is committed: a resumed run starts after it"
    )
    state = models.JSONField(default=dict, blank=True, help_text="Run state a resumed run needs (grouped notes)")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the run")
    cancel_requested = models.BooleanField(default=False)
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
        return self.status in (ImportStatus.VALIDATING, ImportStatus.RUNNING, ImportStatus.ROLLING_BACK)

    @property
    def is_mapped_csv(self) -> bool:
        return self.source == ImportSource.CSV

    @property
    def status_badge(self) -> str:
        return {
            ImportStatus.DONE: "badge-ok",
            ImportStatus.FAILED: "badge-bad",
            ImportStatus.RUNNING: "badge-info",
            ImportStatus.VALIDATING: "badge-info",
            ImportStatus.ROLLING_BACK: "badge-warn",
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
            "ignored": self.ignored,
        }


class ImportedRow(models.Model):
    """The ledger of a run: one row per object a committed chunk created (or updated: `previous` holds
    the values before), so a failed or cancelled run is undone by its job id, chunk by chunk."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="ledger")
    model = models.CharField(max_length=10)  # "feedback", "account", "contact"
    object_id = models.BigIntegerField()
    previous = models.JSONField(
        null=True, blank=True, encoder=DjangoJSONEncoder, help_text="Field values before an update; null: created"
    )

    class Meta:
        indexes = [models.Index(fields=["job", "model"])]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} (import {self.job_id})"
