"""Hooks into the feedback lifecycle: new or re-worded items get classified and themed (after embedding)."""

from __future__ import annotations

from typing import Any

EMBEDDED_FIELDS = frozenset({"title", "text"})


def on_created(sender: Any, feedback: Any, actor: Any = None, **kwargs: Any) -> None:
    from harken.insight.themes.tasks import understand_feedback

    understand_feedback.enqueue(feedback.pk)


def on_updated(sender: Any, feedback: Any, actor: Any = None, changed: Any = (), **kwargs: Any) -> None:
    if EMBEDDED_FIELDS & set(changed or ()):
        from harken.insight.themes.tasks import understand_feedback

        understand_feedback.enqueue(feedback.pk)


def connect() -> None:
    from harken.feedback.signals import feedback_created, feedback_updated

    feedback_created.connect(on_created, dispatch_uid="insight.themes.on_create")
    feedback_updated.connect(on_updated, dispatch_uid="insight.themes.on_update")
