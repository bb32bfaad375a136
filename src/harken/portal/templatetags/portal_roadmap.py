"""The ideas-portal panel on a roadmap item's page (declared in `portal.panels.ROADMAP_ITEM_PANELS`)."""

from __future__ import annotations

from typing import Any

from django import template

from harken.portal import roadmap_link
from harken.portal.models import Idea

register = template.Library()


@register.inclusion_tag("portal/_roadmap_panel_body.html", takes_context=True)
def portal_roadmap_panel(context: dict[str, Any], item: Any) -> dict[str, Any]:
    """Ideas linked to this roadmap item (votes, demand) and a form to link another idea. Reads only."""
    actor = context.get("actor")
    if actor is None:
        return {"panel": None}
    linked = roadmap_link.ideas_for_item(item)
    choices: list[Idea] = []
    if actor.can_write:
        linked_ids = {i.pk for i in linked}
        choices = [
            i
            for i in Idea.objects.for_workspace(actor.workspace)
            .filter(state="published", feedback__isnull=False, feedback__merged_into__isnull=True)
            .order_by("-vote_count", "title")[:300]
            if i.pk not in linked_ids
        ]
    return {
        "panel": {"linked": linked, "choices": choices},
        "item": item,
        "actor": actor,
        "current_workspace": actor.workspace,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def idea_status(idea: Idea) -> Any:
    """The status an idea shows (its linked roadmap item's, else its own): `portal.status.shown_status`."""
    from harken.portal.status import shown_status

    return shown_status(idea)


__all__ = ["idea_status", "portal_roadmap_panel"]
