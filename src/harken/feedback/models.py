from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.customers.models import Account, Contact
from harken.workspaces.models import ProductLine, Workspace


class Channel(models.TextChoices):
    MANUAL = "manual", "Manual"
    CSV = "csv", "CSV import"
    API = "api", "API"
    EMAIL = "email", "Email"
    WIDGET = "widget", "Widget"
    PORTAL = "portal", "Ideas portal"
    REVIEW = "review", "App review"
    FORUM = "forum", "Forum / RSS"
    CONVERSATION = "conversation", "Conversation"
    SUPPORT = "support", "Support ticket"
    CHAT = "chat", "Chat"
    WEBHOOK = "webhook", "Webhook"
    SURVEY = "survey", "Survey"


class Tag(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="tag_name_per_workspace")]

    def __str__(self) -> str:
        return self.name


def content_hash(*parts: object) -> str:
    """Stable fingerprint for idempotent imports when the source has no id of its own."""
    normalised = "\x1f".join(" ".join(str(p or "").split()).lower() for p in parts)
    return hashlib.sha256(normalised.encode()).hexdigest()


class Feedback(TenantModel):
    """One piece of customer evidence, from any channel. The raw payload is kept verbatim."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feedback_items")
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.MANUAL)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    author_email = models.EmailField(blank=True, help_text="Sender as given by the source, matched or not")
    author_name = models.CharField(max_length=200, blank=True)
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="feedback_items")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    external_id = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(
        max_length=400, null=True, blank=True, help_text="Source id or content hash; makes re-imports create nothing"
    )
    raw_payload = models.TextField(blank=True, help_text="The original input, verbatim")
    raw_content_type = models.CharField(max_length=100, blank=True)
    source_kind = models.CharField(
        max_length=40, blank=True, help_text="Which source brought it in (e.g. feed, webhook, widget, zendesk)"
    )
    source_ref = models.CharField(
        max_length=300, blank=True, help_text="Which one of that kind (e.g. the feed's id), to list a source's items"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absorbed_items",
        help_text="Set while this item is merged into another; the inbox shows only the survivor",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "dedupe_key"], name="feedback_dedupe_per_workspace"),
        ]
        indexes = [
            models.Index(fields=["workspace", "-received_at"]),
            models.Index(fields=["workspace", "channel"]),
            # The inbox: open (not merged) items, newest first; also lets counting them skip the table.
            models.Index(
                fields=["workspace", "-received_at", "-id"],
                condition=models.Q(merged_into__isnull=True),
                name="feedback_open_newest",
            ),
            models.Index(fields=["workspace", "source_kind", "source_ref"], name="feedback_source_idx"),
        ]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return self.title or self.text[:80]

    @property
    def headline(self) -> str:
        if self.title:
            return self.title
        first_line = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return first_line[:120] + ("…" if len(first_line) > 120 else "")


#: The inbox's optional columns, in display order (the feedback column is always shown).
INBOX_COLUMNS = {
    "customer": "Customer",
    "channel": "Channel",
    "decision": "Decision",
    "assignee": "Assignee",
    "arr": "ARR",
    "theme": "Theme",
    "received": "Received",
}


class InboxColumns(TenantModel):
    """Which optional inbox columns one person shows in one workspace. Saved by a POST, read on GET."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbox_columns")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=list, blank=True, help_text="Keys of INBOX_COLUMNS, in display order")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="inbox_columns_per_user"),
        ]
        verbose_name_plural = "inbox columns"

    def __str__(self) -> str:
        return f"Inbox columns of user {self.user_id}"
