from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, Any]:
    """Expose the current actor and the user's workspaces to the layout (navigation only)."""
    actor = getattr(request, "actor", None)
    context: dict[str, Any] = {"actor": actor, "current_workspace": actor.workspace if actor else None}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["my_workspaces"] = list(user.workspaces.order_by("name").only("name", "slug"))
    return context
