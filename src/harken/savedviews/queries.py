"""Reads of saved views: always one person's, in one workspace. Nothing here writes."""

from __future__ import annotations

from django.db.models import QuerySet

from harken.savedviews.models import SavedView
from harken.workspaces.access import Actor


def views_for(actor: Actor, page: str | None = None) -> QuerySet[SavedView]:
    """The actor's own saved views in the actor's workspace (none for a user-less actor)."""
    if actor.user is None:
        return SavedView.objects.none()
    qs = actor.workspace.saved_views.filter(user=actor.user)
    return qs.filter(page=page) if page is not None else qs
