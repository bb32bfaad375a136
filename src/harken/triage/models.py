"""Triage state: one `Triage` row per feedback item, its history, notes, replies and templates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.triage import sla
from harken.workspaces.models import Workspace


class Decision(models.TextChoices):
    PLANNED = "planned", "Planned"
    UNDER_CONSIDERATION = "under_consideration", "Under consideration"
    ALREADY_EXISTS = "already_exists", "Already exists"
    DUPLICATE = "duplicate", "Duplicate"
    NEEDS_INFO = "needs_info", "Needs more information"
    NOT_NOW = "not_now", "Not now"
    WONT_DO = "wont_do", "Won't do"
    ANSWERED = "answered", "Answered"


#: Negative or deferred decisions must say why: customers deserve an honest reason.
REASON_REQUIRED = {Decision.NOT_NOW, Decision.WONT_DO}
#: Decisions that close the item (it leaves "awaiting decision"). Needs-info waits on the customer.
LINK_REQUIRED = {Decision.ALREADY_EXISTS}
DUPLICATE_REQUIRED = {Decision.DUPLICATE}


class TriageSettings(models.Model):
    """Per-workspace SLA target and business hours (created with the workspace; defaults until then)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="triage_settings")
    target_hours = models.PositiveIntegerField(default=sla.DEFAULT_TARGET_HOURS, help_text="First-response target")
    near_breach_hours = models.PositiveIntegerField(
        default=sla.DEFAULT_NEAR_BREACH_HOURS, help_text="Highlight and remind when less than this is left"
    )
    business_hours = models.BooleanField(default=False, help_text="Count only working hours towards the target")
    timezone = models.CharField(max_length=64, blank=True, help_text="Empty: the workspace's time zone")
    work_days = models.JSONField(default=list, blank=True, help_text="Weekdays, Monday = 0")
    day_start = models.TimeField(default=dt.time(9, 0))
    day_end = models.TimeField(default=dt.time(17, 0))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SLA for {self.workspace}"

    @property
    def tz_name(self) -> str:
        return self.timezone or self.workspace.timezone or "UTC"

    def schedule(self) -> sla.Schedule:
        days = tuple(int(d) for d in (self.work_days if self.work_days else [0, 1, 2, 3, 4]))
        return sla.Schedule(
            target_hours=self.target_hours,
            business_hours=self.business_hours,
            tz=self.tz_name,
            days=days,
            start=self.day_start,
            end=self.day_end,
        )


class Triage(TenantModel):
    """Where one feedback item stands: who owns it, what was decided, and its SLA clock."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="triage_items")
    feedback = models.OneToOneField("feedback.Feedback", on_delete=models.CASCADE, related_name="triage")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="triage_assigned"
    )
    decision = models.CharField(max_length=30, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decision_link = models.URLField(max_length=500, blank=True)
    duplicate_of = models.ForeignKey(
        "feedback.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needs_response = models.BooleanField(default=True, help_text="False when there is nobody to answer (no email)")
    received_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    customer_replied_at = models.DateTimeField(null=True, blank=True, help_text="Last follow-up from the customer")

    class Meta:
        ordering = ["due_at", "-received_at"]
        indexes = [
            models.Index(fields=["workspace", "first_response_at", "due_at"]),
            models.Index(fields=["workspace", "decision"]),
        ]

    def __str__(self) -> str:
        return f"Triage of feedback {self.feedback_id}"

    @property
    def clock_running(self) -> bool:
        return self.needs_response and self.first_response_at is None

    @property
    def is_done(self) -> bool:
        return bool(self.decision) and not self.clock_running


class EventKind(models.TextChoices):
    RECEIVED = "received", "Received"
    ASSIGNED = "assigned", "Assignment"
    DECIDED = "decided", "Decision"
    REPLIED = "replied", "Reply sent"
    NOTE = "note", "Internal note"
    CUSTOMER = "customer", "Customer replied"


class TriageEvent(TenantModel):
    """History: who changed what on an item, from which value to which."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="triage_events")
    triage = models.ForeignKey(Triage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.old_value} → {self.new_value}"


class Note(TenantModel):
    """An internal note on an item; never shown to the customer. @mentions notify members."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="triage_notes")
    triage = models.ForeignKey(Triage, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="triage_mentions")

    class Meta:
        ordering = ["created_at", "id"]


class ReplyTemplate(TenantModel):
    """A saved answer with {{name}}, {{product}}, {{decision}}, {{reason}} placeholders."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reply_templates")
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=300, blank=True, help_text="Empty: Re: the original subject")
    body = models.TextField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="reply_template_name_per_workspace")]

    def __str__(self) -> str:
        return self.name


class Reply(TenantModel):
    """A reply to the customer; the email itself lives in the notify outbox."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="triage_replies")
    triage = models.ForeignKey(Triage, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    to = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    template = models.ForeignKey(ReplyTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.OneToOneField(
        "notify.OutboundEmail", null=True, on_delete=models.SET_NULL, related_name="triage_reply"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"
