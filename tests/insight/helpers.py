from __future__ import annotations

from typing import Any

from harken.feedback.actions import create_feedback
from harken.feedback.models import Feedback
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace


def add(workspace: Workspace, text: str, title: str = "", **kwargs: Any) -> Feedback:
    """Create an item the way the product does (feedback service → signal → queued embed task)."""
    item, _ = create_feedback(Actor.system(workspace), text=text, title=title, **kwargs)
    return item
