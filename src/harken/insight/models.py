from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from harken.core.models import TenantModel
from harken.feedback.models import Feedback
from harken.workspaces.models import Workspace


class ItemEmbedding(TenantModel):
    """The vector of one feedback item under one embedder; `text_hash` says which text it encodes.

    Stored as raw float32 bytes (384 floats = 1.5 KB): portable across SQLite and PostgreSQL and
    loaded straight into numpy by the vector index.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="item_embeddings")
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="embedding")
    embedder = models.CharField(max_length=60)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["workspace", "embedder", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.embedder} vector of feedback {self.feedback_id}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Not a duplicate"
    MERGED = "merged", "Merged"


class DuplicateSuggestion(TenantModel):
    """ "`item` may repeat `candidate`" — found by the duplicate finder when `item` arrived.

    A dismissed pair stays stored, so the same pair is never suggested again.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="duplicate_suggestions")
    item = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="Fused duplicate score, 0–1")
    signals = models.JSONField(default=dict, help_text="The parts of the score: cosine, lexical, title")
    status = models.CharField(max_length=12, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "candidate"], name="duplicate_suggestion_once_per_pair"),
        ]
        indexes = [models.Index(fields=["workspace", "status", "-score"])]

    def __str__(self) -> str:
        return f"{self.item_id} ~ {self.candidate_id} ({self.score:.2f})"


class FeedbackMerge(TenantModel):
    """`merged` was folded into `survivor`. The merged item is kept, so the merge can be undone exactly.

    This row *is* the generic "merged_into" pointer: an item with an active merge (undone_at is
    null) counts as part of its survivor. Other apps that move things on merge (votes, links)
    listen to `insight.signals.feedback_merged` and record what they moved in `details[<app>]`,
    then put it back on `feedback_unmerged`.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feedback_merges")
    survivor = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion = models.ForeignKey(
        DuplicateSuggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_tag_ids = models.JSONField(default=list, help_text="Tags the survivor received from the merged item")
    details = models.JSONField(default=dict, blank=True, help_text="What other apps moved, for an exact undo")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merged"], condition=Q(undone_at__isnull=True), name="feedback_merged_once_at_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"

    @property
    def active(self) -> bool:
        return self.undone_at is None


from harken.insight.themes.models import *  # noqa: E402,F401,F403  (themes sub-package: registered with the insight app)
