from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from harken.core import memo
from harken.workspaces.models import Workspace

FIELDS = ("id", "name", "slug")


def _workspace_rows(user: Any) -> tuple[tuple[Any, ...], ...]:
    return tuple(user.workspaces.order_by("name").values_list(*FIELDS))


def workspace(request: HttpRequest) -> dict[str, Any]:
    """Expose the current actor and the user's workspaces to the layout (navigation only).

    The workspace list is memoised by data version (harken/core/memo.py): joining or leaving a
    workspace, or renaming one, is a write of product data."""
    actor = getattr(request, "actor", None)
    context: dict[str, Any] = {"actor": actor, "current_workspace": actor.workspace if actor else None}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        rows = memo.remember("my-workspaces", user.pk, lambda: _workspace_rows(user))
        context["my_workspaces"] = [memo.build(Workspace, row, FIELDS) for row in rows]
    return context
