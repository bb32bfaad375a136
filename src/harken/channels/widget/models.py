"""The embeddable feedback widget: per-workspace config and the submissions it received."""

from __future__ import annotations

import secrets

from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import ProductLine, Workspace


def new_public_key() -> str:
    return "wgt_" + secrets.token_urlsafe(12)


class Widget(TenantModel):
    """The public key is not a secret (it sits in every page's HTML); origins are the protection."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="widgets")
    name = models.CharField(max_length=120)
    public_key = models.CharField(max_length=40, unique=True, default=new_public_key)
    allowed_origins = models.TextField(
        blank=True, help_text="One origin per line, e.g. https://app.example.com (scheme, host and port only)"
    )
    product_line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    button_label = models.CharField(max_length=40, default="Feedback")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines() if line.strip()]


def screenshot_path(instance: WidgetSubmission, filename: str) -> str:
    return f"widget-screenshots/{instance.workspace_id}/{secrets.token_hex(8)}-{filename[-80:]}"


class WidgetSubmission(TenantModel):
    """What the widget posted, with its screenshot: the attachment of the feedback item it created."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="widget_submissions")
    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="submissions")
    feedback = models.ForeignKey(
        "feedback.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="widget_submissions"
    )
    origin = models.CharField(max_length=300, blank=True)
    page_url = models.CharField(max_length=1000, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    screenshot = models.FileField(upload_to=screenshot_path, blank=True, max_length=300)
    screenshot_type = models.CharField(max_length=40, blank=True)
    screenshot_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
