"""RSS/Atom/forum feeds polled on a schedule, with conditional GET state and backoff."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.workspaces.models import ProductLine, Workspace


class Feed(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feeds")
    name = models.CharField(max_length=120, blank=True)
    url = models.URLField(max_length=1000)
    schedule_minutes = models.PositiveIntegerField(default=60, help_text="How often to check the feed")
    product_line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.CharField(
        max_length=300, blank=True, help_text="Added to every item from this feed (comma-separated)"
    )
    enabled = models.BooleanField(default=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, help_text="Why the last poll failed (cleared on success)")
    last_warning = models.TextField(
        blank=True, help_text="Problems in the last feed that did not stop it, e.g. broken XML"
    )
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status of the last poll")
    items_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "url"], name="feed_url_once_per_workspace")]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def health_badge(self) -> str:
        if not self.enabled:
            return "badge"
        if self.consecutive_failures:
            return "badge-bad"
        if self.last_warning:
            return "badge-warn"
        return "badge-ok" if self.last_success_at else "badge-info"

    @property
    def health_label(self) -> str:
        if not self.enabled:
            return "Paused"
        if self.consecutive_failures:
            return f"Failing ({self.consecutive_failures}×)"
        if self.last_warning:
            return "Warning"
        return "OK" if self.last_success_at else "Not polled yet"


class PollOutcome(models.TextChoices):
    NEW = "new", "New entries"
    UNCHANGED = "unchanged", "No new entries"
    NOT_MODIFIED = "not_modified", "Not modified (304)"
    ERROR = "error", "Error"


class FeedPoll(TenantModel):
    """One poll of one feed: kept so the feed page shows what happened and when."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feed_polls")
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="polls")
    outcome = models.CharField(max_length=12, choices=PollOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    entries = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
