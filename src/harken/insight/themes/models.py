"""Themes, their members, user edits, per-item category/sentiment, trend alerts and re-clustering runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from harken.core.models import TenantModel
from harken.customers.models import Account
from harken.feedback.models import Feedback
from harken.workspaces.models import Workspace

__all__ = [
    "AssignmentSource",
    "Category",
    "ItemClassification",
    "RunStatus",
    "Sentiment",
    "Theme",
    "ThemeAccountCount",
    "ThemeAssignment",
    "ThemeEdit",
    "ThemeGroup",
    "ThemeRun",
    "ThemeStatsState",
    "ThemeStatus",
    "ThemeWeekCount",
    "TrendAlert",
]


class ThemeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    MERGED = "merged", "Merged"
    RETIRED = "retired", "Retired"  # did not survive a re-clustering


class ThemeGroup(TenantModel):
    """A top-level theme: a group of related themes (sub-themes) — what a PM scans first.

    Found by re-clustering (themes grouped on the graph of themes), matched to the previous groups
    by the items they hold, so a surviving group keeps its id and name like a theme does.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="theme_groups")
    name = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(default=0)
    user_named = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ThemeStatus.choices, default=ThemeStatus.ACTIVE)

    class Meta:
        ordering = ["-size", "id"]

    def __str__(self) -> str:
        return self.name


class Theme(TenantModel):
    """A group of feedback about one thing. Keeps its id (and name) across re-clusterings it survives."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=200)
    keywords = models.JSONField(default=list, blank=True)
    quote_ids = models.JSONField(default=list, blank=True, help_text="Representative items, closest to the centroid")
    size = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(default=False, help_text="Kept as it is by re-clustering")
    user_named = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ThemeStatus.choices, default=ThemeStatus.ACTIVE)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    embedder = models.CharField(max_length=60, blank=True)
    centroid = models.BinaryField(default=b"", blank=True)
    parent = models.ForeignKey(
        ThemeGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="themes", help_text="Top-level theme"
    )
    summary = models.CharField(max_length=300, blank=True, help_text="One line from the representative quotes")

    class Meta:
        ordering = ["-size", "id"]
        indexes = [models.Index(fields=["workspace", "status", "-size"])]

    def __str__(self) -> str:
        return self.name


class AssignmentSource(models.TextChoices):
    AUTO = "auto", "Automatic"
    USER = "user", "Set by a person"


class ThemeAssignment(TenantModel):
    """Which theme an item belongs to. `source=user` rows are never changed by re-clustering.

    A user row with no theme means "a person took this item out of every theme".
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="theme_assignments")
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="theme_assignment")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    score = models.FloatField(default=0.0, help_text="Cosine to the theme centroid when assigned")
    source = models.CharField(max_length=4, choices=AssignmentSource.choices, default=AssignmentSource.AUTO)

    class Meta:
        indexes = [models.Index(fields=["workspace", "theme"])]

    def __str__(self) -> str:
        return f"{self.feedback_id} → {self.theme_id}"


class ThemeEdit(TenantModel):
    """What a person changed (rename, merge, split, move, pin): the audit trail of theme edits."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="theme_edits")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="edits")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.theme_id}"


class Category(models.TextChoices):
    BUG = "bug", "Bug"
    FEATURE = "feature_request", "Feature request"
    QUESTION = "question", "Question"
    COMPLAINT = "complaint", "Complaint"
    PRAISE = "praise", "Praise"
    USABILITY = "usability", "Usability"


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ItemClassification(TenantModel):
    """Category and sentiment of one item. Once a person corrects it, the classifier never overwrites it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="item_classifications")
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="classification")
    category = models.CharField(max_length=20, choices=Category.choices)
    category_score = models.FloatField(default=0.0)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    sentiment_score = models.FloatField(default=0.0)
    corrected_by_user = models.BooleanField(default=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.CharField(max_length=60, blank=True, help_text="Embedder the automatic guess used")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "category"]),
            models.Index(fields=["workspace", "corrected_by_user"]),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id}: {self.category}/{self.sentiment}"


class TrendAlert(TenantModel):
    """A theme whose recent volume (or distinct accounts) rose significantly above its own baseline."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="trend_alerts")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="trend_alerts")
    metric = models.CharField(max_length=10, help_text="volume or accounts")
    window_start = models.DateField()
    window_end = models.DateField()
    recent = models.PositiveIntegerField()
    baseline = models.PositiveIntegerField()
    baseline_weeks = models.PositiveSmallIntegerField()
    recent_weeks = models.PositiveSmallIntegerField()
    ratio = models.FloatField(help_text="Recent weekly rate / baseline weekly rate")
    p_value = models.FloatField()
    q_value = models.FloatField(help_text="Benjamini–Hochberg adjusted p-value")

    class Meta:
        ordering = ["-window_end", "q_value"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "metric", "window_end"], name="trend_alert_once_per_window"),
        ]

    def __str__(self) -> str:
        return f"{self.theme_id} {self.metric} ×{self.ratio:.1f}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ThemeRun(TenantModel):
    """One re-clustering job: its progress for the job page, and what it changed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="theme_runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=60, blank=True)
    progress = models.FloatField(default=0.0)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"theme run {self.pk} ({self.status})"


class ThemeStatsState(TenantModel):
    """The workspace's per-theme figures are stored (`ThemeWeekCount`, `ThemeAccountCount`), with
    weeks counted in `zone`. No row: the pages count from the items (and nothing keeps figures).

    Its row lock is what serialises the writes that change the figures (themes/stats.py)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="theme_stats_state")
    zone = models.CharField(max_length=64, help_text="Time zone the weeks were counted in")
    built_at = models.DateTimeField(help_text="Last full recount (re-clustering or `harken insight themestats`)")

    def __str__(self) -> str:
        return f"theme stats of {self.workspace_id} ({self.zone})"


class ThemeWeekCount(TenantModel):
    """Items of a theme received in one week (Monday, in the state's zone); merged-away items excluded.

    Summed over all weeks: the theme's size as the theme list shows it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="theme_week_counts")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="week_counts")
    week = models.DateField()
    items = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["theme", "week"], name="theme_week_count_once")]

    def __str__(self) -> str:
        return f"{self.theme_id} {self.week}: {self.items}"


class ThemeAccountCount(TenantModel):
    """Items of a theme from one account (merged-away items excluded). The account's ARR and segment
    are read from the account when shown, so editing an account changes nothing here."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="theme_account_counts")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="account_counts")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    items = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["theme", "account"], name="theme_account_count_once")]

    def __str__(self) -> str:
        return f"{self.theme_id} account {self.account_id}: {self.items}"
