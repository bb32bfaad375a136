from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.customers.models import Account, Contact
from harken.workspaces.models import ProductLine, Workspace

DEFAULT_WEEKLY_TARGET = 3


class Kind(models.TextChoices):
    INTERVIEW = "interview", "Interview"
    CALL = "call", "Customer call"
    RIDE_ALONG = "ride_along", "Ride-along / shadowing"
    SUPPORT_CALL = "support_call", "Support call"
    SALES_CALL = "sales_call", "Sales call"
    CO_INVENTION = "co_invention", "Co-invention / design sprint"
    SPRINT_REVIEW = "sprint_review", "Sprint review with customers"


class Source(models.TextChoices):
    MANUAL = "manual", "Logged by hand"
    ICS = "ics", "Calendar import"
    API = "api", "API"


class Conversation(TenantModel):
    """One conversation with customers. `owner` is the product manager it counts for in the cadence."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INTERVIEW)
    title = models.CharField(max_length=300)
    happened_at = models.DateTimeField(default=timezone.now, db_index=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_conversations"
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="conversations")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="attended_conversations")
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    external_uid = models.CharField(
        max_length=400, blank=True, help_text="Calendar UID + occurrence start: re-imports create nothing"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-happened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_uid"],
                condition=~models.Q(external_uid=""),
                name="conversation_uid_per_workspace",
            )
        ]
        indexes = [models.Index(fields=["workspace", "-happened_at"]), models.Index(fields=["workspace", "owner"])]

    def __str__(self) -> str:
        return self.title


class Highlight(TenantModel):
    """A moment worth keeping: it becomes a feedback item (channel "conversation") linked back here."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversation_highlights")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="highlights")
    text = models.TextField()
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    feedback = models.OneToOneField(
        "feedback.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversation_highlight"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:80]


class CalendarImport(TenantModel):
    """An uploaded .ics file, stored verbatim before it is parsed, with what the import did."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="calendar_imports")
    filename = models.CharField(max_length=255, blank=True)
    raw = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stats = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class CadenceSettings(models.Model):
    """Workspace-wide cadence: conversations per product manager per product line per week."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="cadence_settings")
    weekly_target = models.PositiveSmallIntegerField(default=DEFAULT_WEEKLY_TARGET)
    reminders_enabled = models.BooleanField(default=True, help_text="Send each PM a Monday reminder")

    def __str__(self) -> str:
        return f"{self.weekly_target} a week"


class MemberPreference(TenantModel):
    """Per person, per workspace: the time zone their weeks are counted in (empty: the workspace's)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="member_preferences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    time_zone = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_preference_per_member")]


class CadenceReminder(TenantModel):
    """One Monday reminder per PM per week: the unique constraint makes the periodic job idempotent."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="cadence_reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    email = models.ForeignKey(
        "notify.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user", "week_start"], name="one_cadence_reminder_per_week")
        ]
