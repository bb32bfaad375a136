"""Roadmap items tied to evidence, statuses, promises with delay notices, announcements, previews, tracker links."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.customers.models import Account, Contact
from harken.feedback.models import Feedback
from harken.workspaces.models import ProductLine, Workspace


class StatusKind(models.TextChoices):
    OPEN = "open", "Open"
    ACTIVE = "active", "Active (being built)"
    DONE = "done", "Done (shipped)"
    DECLINED = "declined", "Declined"


class RoadmapStatus(TenantModel):
    """A workspace's own status. Without any rows the defaults (`statuses.DEFAULTS`) apply."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_statuses")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=60)
    colour = models.CharField(max_length=7, default="#6366f1", help_text="Hex colour, e.g. #16a34a")
    kind = models.CharField(max_length=10, choices=StatusKind.choices, default=StatusKind.OPEN)
    on_roadmap = models.BooleanField(default=True, help_text="Shown as a column on the (public) roadmap")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="roadmap_status_key_per_workspace")]

    def __str__(self) -> str:
        return self.label


class RoadmapSettings(models.Model):
    """Per-workspace roadmap settings (a row only once someone changes a default)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="roadmap_settings")
    close_days = models.PositiveIntegerField(
        default=14,
        help_text="“Close to the date”: a promise slips when its item is not in progress this many days before it",
    )
    auto_send_delay_notices = models.BooleanField(
        default=False, help_text="Send delay notices as soon as a slip is found instead of waiting for review"
    )
    notify_delay_minutes = models.PositiveIntegerField(
        default=10, help_text="Wait this long after a status change before telling customers (flip-flops send nothing)"
    )
    public_roadmap = models.BooleanField(default=False, help_text="Publish the public roadmap and changelog")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Roadmap settings for {self.workspace}"


class Impact(models.TextChoices):
    MINIMAL = "0.25", "Minimal (0.25)"
    LOW = "0.5", "Low (0.5)"
    MEDIUM = "1", "Medium (1)"
    HIGH = "2", "High (2)"
    MASSIVE = "3", "Massive (3)"


class RoadmapItem(TenantModel):
    """A feature or opportunity. Reach and revenue come from its evidence, never typed in."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_items")
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="roadmap_items"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.SlugField(max_length=40, default="idea")
    target_release = models.CharField(max_length=60, blank=True)
    target_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_roadmap_items"
    )
    public = models.BooleanField(default=False, help_text="Shown on the public roadmap")
    public_description = models.TextField(blank=True, help_text="What customers read (Markdown); empty: title only")
    impact = models.CharField(max_length=5, choices=Impact.choices, default=Impact.MEDIUM)
    confidence = models.PositiveIntegerField(default=80, help_text="Percent, 10–100")
    effort = models.DecimalField(max_digits=6, decimal_places=2, default=1, help_text="Person-months")
    value_fit = models.PositiveSmallIntegerField(
        default=0, help_text="0–3: how well it serves the customer goals/jobs of the value proposition"
    )
    value_fit_note = models.CharField(max_length=300, blank=True)
    serves_goals = models.ManyToManyField(
        "customers.CustomerGoal", blank=True, related_name="roadmap_items", help_text="Customer goals it serves"
    )
    serves_jobs = models.ManyToManyField(
        "customers.CustomerJob", blank=True, related_name="roadmap_items", help_text="Customer jobs it serves"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    shipped_at = models.DateTimeField(null=True, blank=True)
    announced_status = models.SlugField(
        max_length=40, blank=True, help_text="The last status customers were told about (close-the-loop baseline)"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["workspace", "status"]), models.Index(fields=["workspace", "product_line"])]

    def __str__(self) -> str:
        return self.title


class StatusChange(TenantModel):
    """The item's status history; each change is announced (debounced) by `loop.announce`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_status_changes")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.SlugField(max_length=40, blank=True)
    to_status = models.SlugField(max_length=40)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=40, blank=True, help_text="web, api, github, gitlab, …")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class EvidenceKind(models.TextChoices):
    FEEDBACK = "feedback", "Feedback"
    THEME = "theme", "Theme"
    ACCOUNT = "account", "Account"
    CONVERSATION = "conversation", "Conversation"


class Evidence(TenantModel):
    """Why an item matters: a feedback item, a theme, an account (or, later, a conversation).

    Conversations: the conversations app stores its id in `object_id` with kind=conversation and
    contributes accounts/contacts through `queries.EVIDENCE_RESOLVERS` (see docs/roadmap.md).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_evidence")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    feedback = models.ForeignKey(
        Feedback, null=True, blank=True, on_delete=models.CASCADE, related_name="roadmap_evidence"
    )
    theme = models.ForeignKey(
        "insight.Theme", null=True, blank=True, on_delete=models.CASCADE, related_name="roadmap_evidence"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="roadmap_evidence"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="For kinds without a foreign key")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "feedback"], name="roadmap_evidence_feedback_once"),
            models.UniqueConstraint(fields=["item", "theme"], name="roadmap_evidence_theme_once"),
            models.UniqueConstraint(fields=["item", "account"], name="roadmap_evidence_account_once"),
            models.UniqueConstraint(fields=["item", "kind", "object_id"], name="roadmap_evidence_object_once"),
        ]


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Promise(TenantModel):
    """A commitment to an account or contact that an item ships by a date."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_promises")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="promises")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_date = models.DateField()
    original_target_date = models.DateField()
    item_target_date = models.DateField(
        null=True, blank=True, help_text="The item's target date when promised (a later one is a slip)"
    )
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.OPEN)
    kept_at = models.DateTimeField(null=True, blank=True)
    kept_on_time = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "id"]

    def __str__(self) -> str:
        return f"{self.item} for {self.account or self.contact} by {self.target_date}"

    @property
    def who(self) -> str:
        if self.contact_id and self.account_id:
            return f"{self.contact} ({self.account})"
        return str(self.contact or self.account or "—")


class SlipReason(models.TextChoices):
    DATE_PASSED = "date_passed", "The promised date passed"
    ITEM_MOVED = "item_moved", "The item's target date moved later"
    NOT_STARTED = "not_started", "Not in progress close to the date"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    DISMISSED = "dismissed", "Dismissed"


class DelayNotice(TenantModel):
    """A detected slip and the message that tells the customer: drafted, reviewed, sent via the outbox."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_delay_notices")
    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="notices")
    reason = models.CharField(max_length=20, choices=SlipReason.choices)
    detected_for = models.DateField(help_text="The promised date this slip is about (one notice per reason and date)")
    revised_date = models.DateField(null=True, blank=True)
    explanation = models.TextField(blank=True, help_text="Why it is late, in words for the customer")
    to_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    email = models.ForeignKey(
        "notify.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["promise", "reason", "detected_for"], name="roadmap_notice_once_per_slip")
        ]

    @property
    def sent_before_date(self) -> bool:
        return bool(self.sent_at and self.sent_at.date() <= self.detected_for)


class Unsubscribe(TenantModel):
    """Who asked to hear no more roadmap updates from this workspace (by address)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_unsubscribes")
    email = models.EmailField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "email"], name="roadmap_unsubscribe_once")]


class Notification(TenantModel):
    """One announced net status change of an item: exactly one per change (unique on the change)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_notifications")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="notifications")
    change = models.OneToOneField(StatusChange, on_delete=models.CASCADE, related_name="notification")
    from_status = models.SlugField(max_length=40, blank=True)
    to_status = models.SlugField(max_length=40)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class IssueProvider(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    JIRA = "jira", "Jira"
    LINEAR = "linear", "Linear"


class IssueLink(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_issue_links")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="issue_links")
    provider = models.CharField(max_length=10, choices=IssueProvider.choices)
    url = models.URLField(max_length=500)
    reference = models.CharField(max_length=200, help_text="owner/repo#12, PROJ-12, …")
    state = models.CharField(max_length=20, default="open")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["item", "url"], name="roadmap_issue_link_once")]


class TrackerHook(TenantModel):
    """An incoming GitHub/GitLab webhook. Its secret is derived from SECRET_KEY and `salt`, never stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_tracker_hooks")
    provider = models.CharField(max_length=10, choices=IssueProvider.choices[:2])
    public_id = models.CharField(max_length=40, unique=True)
    salt = models.CharField(max_length=64)
    done_status = models.SlugField(max_length=40, blank=True, help_text="Status to move items to; empty: first done")
    last_received_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "provider"], name="roadmap_tracker_hook_once")]


class SneakPreview(TenantModel):
    """A private, expiring link to selected upcoming items. Only the token's SHA-256 is stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_previews")
    name = models.CharField(max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    items = models.ManyToManyField(RoadmapItem, related_name="previews")
    accounts = models.ManyToManyField(Account, blank=True, related_name="+")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Announcement(TenantModel):
    """A changelog entry (Markdown, sanitised when rendered)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_announcements")
    product_line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown")
    items = models.ManyToManyField(RoadmapItem, blank=True, related_name="announcements")
    published_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Subscriber(TenantModel):
    """A changelog subscriber. Unsubscribing (signed link) sets `unsubscribed_at`.

    Double opt-in: someone who signs up on the public changelog gets a confirmation email; only the
    SHA-256 of its single-use token is stored (`confirm_token_hash`, cleared once used), and
    announcements go only to confirmed subscribers (`confirmed_at`). Addresses a member adds are
    confirmed by that member."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="roadmap_subscribers")
    email = models.EmailField()
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    confirm_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["workspace", "email"], name="roadmap_subscriber_once")]


def today() -> dt.date:
    return timezone.localdate()
