"""Inbound email storage: the raw message is stored verbatim before anything is parsed."""

from __future__ import annotations

import secrets

from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


def new_inbound_token() -> str:
    return secrets.token_urlsafe(24)


class InboundMailbox(models.Model):
    """A workspace's inbound address and the secret for the HTTP endpoint (created with the workspace)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="inbound_mailbox")
    address = models.EmailField(
        blank=True, help_text="An extra address that delivers into this workspace, e.g. feedback@yourcompany.com"
    )
    token = models.CharField(max_length=64, unique=True, default=new_inbound_token)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address"], condition=~models.Q(address=""), name="inbound_address_unique")
        ]

    def __str__(self) -> str:
        return f"Inbound mailbox of {self.workspace}"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    CREATED = "created", "New feedback"
    THREADED = "threaded", "Follow-up on an item"
    ERROR = "error", "Could not be read"


class InboundEmail(TenantModel):
    """One received message, verbatim. Duplicate deliveries of a Message-ID are stored once."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbound_emails")
    raw = models.BinaryField(help_text="The message exactly as received")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(
        max_length=64, db_index=True, help_text="Of the raw bytes: catches re-deliveries without a Message-ID"
    )
    via = models.CharField(max_length=10, default="smtp")
    envelope_from = models.CharField(max_length=300, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    sender_email = models.CharField(max_length=300, blank=True)
    sender_name = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True, help_text="The readable text extracted from the message")
    status = models.CharField(max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    parse_error = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="Non-fatal findings: skipped attachments, MIME defects")
    feedback = models.ForeignKey(
        "feedback.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "message_id"], condition=~models.Q(message_id=""), name="inbound_message_id_once"
            )
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"Inbound email {self.pk}"


class EmailAttachment(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="email_attachments")
    email = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=300)
    content_type = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="email-attachments/%Y/%m/")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
