from __future__ import annotations

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class Audience(models.TextChoices):
    TEAM = "team", "Product team (everything)"
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"
    LEADERSHIP = "leadership", "Leadership"


class DigestSettings(models.Model):
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="digest_settings")
    enabled = models.BooleanField(default=True, help_text="Send the weekly digest on Monday at 09:00 (workspace time)")
    skip_when_empty = models.BooleanField(
        default=False, help_text="Skip a quiet week instead of sending a short “nothing new” digest"
    )

    def __str__(self) -> str:
        return f"Digest settings of {self.workspace}"


class DigestRecipient(TenantModel):
    """Who gets the weekly digest, and which sections (their audience)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="digest_recipients")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.TEAM)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["audience", "email"]
        constraints = [models.UniqueConstraint(fields=["workspace", "email"], name="digest_recipient_once")]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.get_audience_display()})"


class DigestIssue(TenantModel):
    """One weekly digest per workspace and week: the unique constraint makes sending idempotent."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="digest_issues")
    week_start = models.DateField()
    empty = models.BooleanField(default=False)
    skipped = models.BooleanField(default=False)
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["workspace", "week_start"], name="one_digest_per_week")]


class ReviewSignoff(TenantModel):
    """Someone read the monthly raw-data review pack (one row per person and month)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="review_signoffs")
    month = models.DateField(help_text="First day of the month reviewed")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["workspace", "month", "user"], name="one_signoff_per_person")]
