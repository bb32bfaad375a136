"""Surveys (NPS, CSAT, a free question), per-recipient invitations and the answers.

Invitation tokens are stored only as hashes (`workspaces.models.hash_secret`); the clear token
exists in the outbound email alone. A person may answer again: the newest answer is `current`,
older ones stay as history.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.workspaces.models import Workspace


class Kind(models.TextChoices):
    NPS = "nps", "NPS (0–10)"
    CSAT = "csat", "CSAT (1–5)"
    FREE = "free", "Free question"


#: (lowest, highest) score per kind; a free question has no score.
SCALES: dict[str, tuple[int, int] | None] = {Kind.NPS: (0, 10), Kind.CSAT: (1, 5), Kind.FREE: None}

#: The standard defaults of the configurable thresholds (workspace `SurveySettings`, then each survey).
DEFAULT_THROTTLE_DAYS = 90
DEFAULT_REMIND_AFTER_DAYS = 4
DEFAULT_EXPIRES_AFTER_DAYS = 30
DEFAULT_CSAT_SATISFIED_FROM = 4
#: (lowest, highest) of each configurable value, for validation and the forms.
LIMITS = {
    "throttle_days": (0, 3650),
    "remind_after_days": (0, 365),
    "expires_after_days": (1, 365),
    "csat_satisfied_from": (2, 5),
}

DEFAULT_QUESTIONS = {
    Kind.NPS: "How likely are you to recommend us to a friend or colleague?",
    Kind.CSAT: "How satisfied are you with us?",
    Kind.FREE: "What is the one thing we should improve?",
}


class Status(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Survey(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NPS)
    question = models.CharField(max_length=300, blank=True)
    comment_prompt = models.CharField(max_length=300, default="What is the main reason for your answer?")
    product_line = models.ForeignKey(
        "workspaces.ProductLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="surveys"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    share_key = models.CharField(
        max_length=40, blank=True, help_text="Shareable link key (empty: email invitations only)"
    )
    throttle_days = models.PositiveIntegerField(
        default=DEFAULT_THROTTLE_DAYS,
        help_text="Skip anyone invited to any survey of this workspace in the last N days",
    )
    remind_after_days = models.PositiveIntegerField(default=DEFAULT_REMIND_AFTER_DAYS, help_text="0: no reminder")
    expires_after_days = models.PositiveIntegerField(default=DEFAULT_EXPIRES_AFTER_DAYS)
    csat_satisfied_from = models.PositiveSmallIntegerField(
        default=DEFAULT_CSAT_SATISFIED_FROM, help_text="CSAT: answers at or above this score count as satisfied (2–5)"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["share_key"], condition=~models.Q(share_key=""), name="survey_share_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES[self.kind]

    @property
    def display_question(self) -> str:
        return self.question or DEFAULT_QUESTIONS[Kind(self.kind)]

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN


class Invitation(TenantModel):
    """One person invited by email. `token_hash` (and the reminder's) identify the answer link."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="survey_invitations")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_invitations"
    )
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    reminder_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    sent_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "email", "sent_at"], name="survey_inv_throttle")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.email}"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @staticmethod
    def expiry(days: int) -> dt.datetime:
        return timezone.now() + dt.timedelta(days=days)


class Response(TenantModel):
    """One answer. The newest answer of an invitation (or of an email on a shared link) is current."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="survey_responses")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    account = models.ForeignKey(
        "customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    product_line = models.ForeignKey(
        "workspaces.ProductLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    score = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    current = models.BooleanField(default=True)
    feedback = models.ForeignKey(
        "feedback.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )

    class Meta:
        ordering = ["-answered_at", "-pk"]
        indexes = [models.Index(fields=["survey", "current", "answered_at"], name="survey_resp_current")]

    def __str__(self) -> str:
        return f"{self.survey}: {self.score}"

    @property
    def band(self) -> str:
        """promoter / passive / detractor (NPS), satisfied / unsatisfied (CSAT), "" otherwise."""
        return band(self.survey.kind, self.score, self.survey.csat_satisfied_from)


#: NPS bands are the standard definition and not configurable: detractors 0–6, promoters 9–10.
NPS_PROMOTER_FROM = 9
NPS_PASSIVE_FROM = 7


def band(kind: str, score: int | None, csat_satisfied_from: int = DEFAULT_CSAT_SATISFIED_FROM) -> str:
    if score is None:
        return ""
    if kind == Kind.NPS:
        return "promoter" if score >= NPS_PROMOTER_FROM else "passive" if score >= NPS_PASSIVE_FROM else "detractor"
    if kind == Kind.CSAT:
        return "satisfied" if score >= csat_satisfied_from else "unsatisfied"
    return ""


class SurveySettings(models.Model):
    """A workspace's defaults for new surveys (each survey keeps its own copy, editable on its form).

    Standard defaults: throttle 90 days, reminder after 4 days, links expire after 30 days, CSAT
    satisfied from 4 (of 1–5). No row: the defaults."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="survey_settings")
    throttle_days = models.PositiveIntegerField(default=DEFAULT_THROTTLE_DAYS)
    remind_after_days = models.PositiveIntegerField(default=DEFAULT_REMIND_AFTER_DAYS)
    expires_after_days = models.PositiveIntegerField(default=DEFAULT_EXPIRES_AFTER_DAYS)
    csat_satisfied_from = models.PositiveSmallIntegerField(default=DEFAULT_CSAT_SATISFIED_FROM)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Survey settings of {self.workspace}"
