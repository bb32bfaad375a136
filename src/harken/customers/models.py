from __future__ import annotations

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class LifecycleStage(models.TextChoices):
    TRIAL = "trial", "Trial"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    AT_RISK = "at_risk", "At risk"
    CHURNED = "churned", "Churned"
    PROSPECT = "prospect", "Prospect"


class Account(TenantModel):
    """A customer company. Feedback from any of its contacts counts as the account's evidence."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, help_text="Email domain used to match senders")
    plan = models.CharField(max_length=80, blank=True)
    segment = models.CharField(max_length=80, blank=True)
    lifecycle_stage = models.CharField(max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0)
    renewal_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts"
    )
    external_id = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain"],
                condition=~models.Q(domain=""),
                name="account_domain_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~models.Q(external_id=""),
                name="account_external_id_per_workspace",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "name"])]

    def __str__(self) -> str:
        return self.name


class Contact(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    title = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=~models.Q(email=""),
                name="contact_email_per_workspace",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"Contact {self.pk}"


class Segment(TenantModel):
    """A saved filter over accounts (e.g. "Enterprise on annual plans renewing this quarter")."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    filters = models.JSONField(default=dict, blank=True)
    weight = models.FloatField(default=1.0, help_text="Multiplier for this segment's evidence when ranking problems")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="segment_name_per_workspace")]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------
# Customer understanding: goals, jobs to be done, and the process map (services in understanding.py)
# ---------------------------------------------------------------------------------------------


class CustomerGoal(TenantModel):
    """What the customer is trying to achieve as a business ("Close the books in 3 days")."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="customer_goals")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class CustomerJob(TenantModel):
    """A job-to-be-done statement: When <situation>, I want to <motivation>, so I can <outcome>."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="customer_jobs")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="jobs")
    situation = models.CharField("When…", max_length=300)
    motivation = models.CharField("I want to…", max_length=300)
    outcome = models.CharField("so I can…", max_length=300)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.statement

    @property
    def statement(self) -> str:
        return f"When {self.situation}, I want to {self.motivation}, so I can {self.outcome}."


class ProcessStep(TenantModel):
    """One step of the customer's workflow; a step with a parent is a micro-step of that step."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="process_steps")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="process_steps")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="micro_steps")
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "account", "parent", "position"])]

    def __str__(self) -> str:
        return self.title


class StepPain(TenantModel):
    """A pain felt at one process step, with the feedback and themes that show it."""

    class Severity(models.IntegerChoices):
        MINOR = 1, "Minor"
        MAJOR = 2, "Major"
        BLOCKING = 3, "Blocking"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="step_pains")
    step = models.ForeignKey(ProcessStep, on_delete=models.CASCADE, related_name="pains")
    text = models.CharField(max_length=500)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MAJOR)
    feedback = models.ManyToManyField("feedback.Feedback", blank=True, related_name="process_pains")
    themes = models.ManyToManyField("insight.Theme", blank=True, related_name="process_pains")

    class Meta:
        ordering = ["-severity", "id"]

    def __str__(self) -> str:
        return self.text


class ValueSettings(models.Model):
    """Workspace-wide inputs of customer lifetime value (customers/value.py); absent row: the defaults."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="value_settings")
    gross_margin = models.DecimalField(
        "Gross margin (%)", max_digits=5, decimal_places=2, default=80, help_text="Share of revenue kept after COGS"
    )
    annual_churn = models.DecimalField(
        "Annual churn rate (%)",
        max_digits=5,
        decimal_places=2,
        default=10,
        help_text="Share of customers lost per year; expected lifetime = 1 / churn",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"margin {self.gross_margin}%, churn {self.annual_churn}%"
