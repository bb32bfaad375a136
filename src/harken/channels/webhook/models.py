"""Signed inbound webhooks: an endpoint per integration, every delivery (accepted or rejected) logged."""

from __future__ import annotations

import secrets

from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import ProductLine, Workspace


def new_endpoint_id() -> str:
    return "wh_" + secrets.token_urlsafe(12)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


DEFAULT_MAPPING = {
    "text": "text",
    "title": "title",
    "external_id": "id",
    "author_email": "email",
    "author_name": "name",
    "received_at": "created_at",
    "tags": "tags",
    "product_line": "product",
}


def default_mapping() -> dict[str, str]:
    return dict(DEFAULT_MAPPING)


class WebhookEndpoint(TenantModel):
    """The secret is kept (HMAC needs it to verify) but shown in full only when it is created."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints")
    name = models.CharField(max_length=120)
    public_id = models.CharField(max_length=40, unique=True, default=new_endpoint_id)
    secret = models.CharField(max_length=100, default=new_secret)
    mapping = models.JSONField(default=default_mapping, help_text="{feedback field: dotted path in the JSON body}")
    channel = models.CharField(max_length=20, default="webhook")
    product_line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return self.secret[:10] + "…"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    INVALID = "invalid", "Signed but unusable"


class WebhookDelivery(TenantModel):
    """One POST to an endpoint. The body is stored before it is parsed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED)
    reason = models.TextField(blank=True)
    delivery_id = models.CharField(max_length=200, blank=True)
    body = models.BinaryField(blank=True)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    signature_valid = models.BooleanField(default=False)
    repeats = models.PositiveIntegerField(
        default=0, help_text="Later deliveries of the same id: stored once, counted here"
    )
    feedback = models.ForeignKey(
        "feedback.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "delivery_id"],
                condition=~models.Q(delivery_id="") & models.Q(signature_valid=True),
                name="webhook_delivery_once",
            )
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"Delivery {self.delivery_id or self.pk} to {self.endpoint}"

    @property
    def status_badge(self) -> str:
        return {"accepted": "badge-ok", "rejected": "badge-bad", "invalid": "badge-warn"}.get(self.status, "badge-info")
