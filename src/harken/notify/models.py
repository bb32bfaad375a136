from __future__ import annotations

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
