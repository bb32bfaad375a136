"""The public ideas portal: portals, their users (magic-link sign-in), ideas, votes, comments, follows.

An idea is published as a feedback item (channel "portal") so it reaches the triage inbox and the
insight engine; the idea row keeps what only the portal needs (moderation state, status, counts).
Merges are insight's (`FeedbackMerge`); an idea is merged while its feedback item is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.core.models import TenantModel
from harken.customers.models import Contact
from harken.feedback.models import Feedback
from harken.workspaces.models import ProductLine, Workspace


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone can read; signed-in visitors post and vote"
    PRIVATE = "private", "Private: only invited people or allowed email domains"
    CLOSED = "closed", "Closed: offline for everyone but staff"


class IdeaStatus(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"


class ModState(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    PUBLISHED = "published", "Published"
    SPAM = "spam", "Spam"
    DELETED = "deleted", "Deleted"


class Importance(models.TextChoices):
    NICE = "nice", "Nice to have"
    IMPORTANT = "important", "Important"
    CRITICAL = "critical", "Critical"


def logo_path(instance: Portal, filename: str) -> str:
    return f"portal/{instance.workspace_id}/logo-{instance.slug}.{filename.rsplit('.', 1)[-1]}"


class Portal(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portals")
    slug = models.SlugField(max_length=60, unique=True, help_text="The public address: /p/<slug>/")
    name = models.CharField(max_length=120)
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="portals"
    )
    welcome_text = models.TextField(blank=True)
    accent_color = models.CharField(max_length=7, default="#4f46e5")
    logo = models.FileField(upload_to=logo_path, blank=True)
    logo_type = models.CharField(max_length=40, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    allowed_domains = models.TextField(blank=True, help_text="Private portals: email domains that may sign in")
    approve_before_publish = models.BooleanField(default=False)
    allow_staff_sign_in = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def domains(self) -> list[str]:
        return [d.strip().lower() for d in self.allowed_domains.replace(",", "\n").splitlines() if d.strip()]


class PortalUser(TenantModel):
    """Someone known to a portal by email; linked to a contact (and so an account) when one matches."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portal_users")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="users")
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited = models.BooleanField(default=False, help_text="May sign in to a private portal")
    blocked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["portal", "email"], name="portal_user_email_per_portal")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


class MagicLink(TenantModel):
    """A sign-in link: only the SHA-256 of its token is stored; single use, short-lived."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="magic_links")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    next_path = models.CharField(max_length=300, blank=True)

    def usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class Idea(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portal_ideas")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="ideas")
    feedback = models.OneToOneField(
        Feedback, null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_idea"
    )
    author = models.ForeignKey(PortalUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=IdeaStatus.choices, default=IdeaStatus.OPEN)
    state = models.CharField(max_length=12, choices=ModState.choices, default=ModState.PUBLISHED)
    vote_count = models.PositiveIntegerField(default=0, help_text="Distinct voters, merged ideas included")
    demand_arr = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    comment_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    created_ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["portal", "state", "-vote_count"]),
            models.Index(fields=["portal", "state", "-last_activity_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class Vote(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portal_votes")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="votes")
    importance = models.CharField(max_length=10, choices=Importance.choices, default=Importance.IMPORTANT)
    on_behalf_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.TextField(blank=True, help_text="What the customer said (staff votes on their behalf)")
    ip = models.CharField(max_length=64, blank=True)
    flagged = models.BooleanField(default=False, help_text="Suspected vote stuffing: not counted until cleared")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["idea", "voter"], name="portal_vote_once_per_idea")]


class Comment(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portal_comments")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(PortalUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    official = models.BooleanField(default=False)
    state = models.CharField(max_length=12, choices=ModState.choices, default=ModState.PUBLISHED)
    ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class Follow(TenantModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portal_follows")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="follows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="portal_follow_once")]


class AuditEntry(TenantModel):
    """Every moderation action, who did it and on what."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="portal_audit")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="audit")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    idea = models.ForeignKey(Idea, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit")
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
