from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Gave up"


class OutboundEmail(models.Model):
    """The outbox: every email is stored here first, then delivered by the worker.

    `workspace` is null for account mail (password resets) that belongs to no workspace.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    text = models.TextField()
    html = models.TextField(blank=True)
    secrets = models.TextField(
        blank=True,
        help_text="Encrypted values of the links hidden in text/html; wiped once the email is sent",
    )
    from_email = models.CharField(max_length=300, blank=True)
    reply_to = models.CharField(max_length=300, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=300, unique=True)
    kind = models.CharField(max_length=50, blank=True, help_text="What caused it: invitation, password_reset, reply…")
    related_object = models.CharField(max_length=100, blank=True, help_text="app.model:pk of what it is about")
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"


class WebhookEvent(models.TextChoices):
    FEEDBACK_CREATED = "feedback.created", "Feedback created"
    DECISION_MADE = "triage.decision_made", "Decision made"
    STATUS_CHANGED = "roadmap.status_changed", "Roadmap status changed"
    SHIPPED = "roadmap.shipped", "Roadmap item shipped"
    PROMISE_SLIPPED = "roadmap.promise_slipped", "Promise slipped"
    TREND_DETECTED = "insight.trend_detected", "Emerging trend detected"


class PayloadFormat(models.TextChoices):
    HARKEN = "harken", "Harken JSON (signed)"
    SLACK = "slack", 'Slack-compatible ({"text": …})'


class OutgoingWebhook(models.Model):
    """An endpoint that hears about events. The signing secret is derived from SECRET_KEY and `salt`."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="outgoing_webhooks")
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event keys (WebhookEvent) this endpoint receives")
    payload_format = models.CharField(max_length=10, choices=PayloadFormat.choices, default=PayloadFormat.HARKEN)
    salt = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        sync_webhook_events(self.workspace)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        sync_webhook_events(self.workspace)
        return result


class OutgoingDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Gave up"


class OutgoingDelivery(models.Model):
    """One event for one endpoint: stored in the transaction that caused it, then posted with retries."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="outgoing_deliveries")
    endpoint = models.ForeignKey(OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    event_id = models.CharField(max_length=40, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=OutgoingDeliveryStatus.choices, default=OutgoingDeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


def sync_webhook_events(workspace: Any) -> None:
    """Store on the workspace which events its enabled endpoints hear (`Workspace.webhook_events`)."""
    events: set[str] = set()
    for row in OutgoingWebhook.objects.filter(workspace=workspace, enabled=True).values_list("events", flat=True):
        events.update(row or [])
    workspace.webhook_events = sorted(events)
    type(workspace).objects.filter(pk=workspace.pk).update(webhook_events=workspace.webhook_events)
