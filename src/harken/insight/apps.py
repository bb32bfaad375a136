from __future__ import annotations

from typing import Any

from django.apps import AppConfig

# Fields whose change alters what is embedded.
EMBEDDED_FIELDS = frozenset({"title", "text"})


def _on_created(sender: Any, feedback: Any, actor: Any = None, **kwargs: Any) -> None:
    """Enqueue inside the create transaction: the job commits (or rolls back) with the item."""
    from harken.insight.tasks import embed_feedback

    embed_feedback.enqueue(feedback.pk)


def _on_updated(sender: Any, feedback: Any, actor: Any = None, changed: Any = (), **kwargs: Any) -> None:
    if EMBEDDED_FIELDS & set(changed or ()):
        from harken.insight.tasks import embed_feedback

        embed_feedback.enqueue(feedback.pk, suggest=False)


class InsightConfig(AppConfig):
    name = "harken.insight"
    label = "insight"
    verbose_name = "Insight"

    def ready(self) -> None:
        from harken.feedback.signals import feedback_created, feedback_updated

        feedback_created.connect(_on_created, dispatch_uid="insight.embed_on_create")
        feedback_updated.connect(_on_updated, dispatch_uid="insight.embed_on_update")

        from harken.insight.themes import receivers as theme_receivers  # themes: classify + assign new items

        theme_receivers.connect()
