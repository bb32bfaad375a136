"""Advocacy: asks (testimonial, review, reference call, case study) with tracked consent,
referrals with their outcome, and the rewards ledger."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class AskKind(models.TextChoices):
    TESTIMONIAL = "testimonial", "Testimonial"
    REVIEW = "review", "Public review"
    REFERENCE = "reference", "Reference call"
    CASE_STUDY = "case_study", "Case study"


class AskStatus(models.TextChoices):
    ASKED = "asked", "Asked"
    AGREED = "agreed", "Agreed"
    DECLINED = "declined", "Declined"
    DONE = "done", "Done"


class Ask(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="advocacy_asks")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="advocacy_asks")
    kind = models.CharField(max_length=20, choices=AskKind.choices)
    status = models.CharField(max_length=10, choices=AskStatus.choices, default=AskStatus.ASKED)
    response = models.ForeignKey(
        "surveys.Response", null=True, blank=True, on_delete=models.SET_NULL, related_name="advocacy_asks"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    quote = models.TextField(blank=True, help_text="The testimonial or review text, as approved")
    # consent: what may be published, where, until when
    consent_scope = models.CharField(
        max_length=300, blank=True, help_text="What may be published (e.g. quote with name and logo)"
    )
    consent_where = models.CharField(max_length=300, blank=True, help_text="Where (e.g. website, G2, sales decks)")
    consent_until = models.DateField(null=True, blank=True)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.contact}"

    @property
    def consent_active(self) -> bool:
        if self.consent_given_at is None:
            return False
        return self.consent_until is None or self.consent_until >= timezone.localdate()

    @property
    def consent_expired(self) -> bool:
        return (
            self.consent_given_at is not None
            and self.consent_until is not None
            and self.consent_until < dt.date.today()
        )


class Outcome(models.TextChoices):
    OPEN = "open", "Open"
    QUALIFIED = "qualified", "Qualified"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Referral(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="advocacy_referrals")
    referrer = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="referrals_made")
    company = models.CharField(max_length=200)
    person = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="ARR won")
    referred_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-referred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.company} (from {self.referrer})"


class Reward(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="advocacy_rewards")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="advocacy_rewards")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    ask = models.ForeignKey(Ask, null=True, blank=True, on_delete=models.SET_NULL, related_name="rewards")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="rewards")
    given_at = models.DateTimeField(default=timezone.now)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.description} → {self.contact}"
