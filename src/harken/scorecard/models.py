"""The PM growth rubric's self-assessments and imported chat exports (for the talk index)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class SelfAssessment(TenantModel):
    """One PM's self-assessment on the growth rubric at one moment; history is every row, newest first."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="self_assessments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    levels = models.JSONField(default=dict, help_text="practice key → level 1 (novice) … 5 (master)")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Self-assessment of {self.user} on {self.created_at:%Y-%m-%d}"


class ChatExport(TenantModel):
    """An imported team chat export: its messages count in the customer-vs-internal talk index."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="chat_exports")
    filename = models.CharField(max_length=255, blank=True)
    messages = models.JSONField(default=list, help_text='[{"author": "…", "text": "…"}]')
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename or 'chat export'} ({len(self.messages)} messages)"
