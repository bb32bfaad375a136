from __future__ import annotations

from typing import Any

from django import template

from harken.roadmap import queries

register = template.Library()


@register.inclusion_tag("roadmap/_panel.html", takes_context=True)
def roadmap_panel(context: dict[str, Any], feedback: Any) -> dict[str, Any]:
    """The roadmap panel on a feedback item's page: which items it supports, and a link form."""
    actor = context.get("actor") or getattr(context.get("request"), "actor", None)
    if actor is None:
        return {"panel": None}
    linked = queries.items_for_feedback(feedback)
    linked_ids = {i.pk for i in linked}
    choices = [i for i in queries.live_items(actor.workspace).order_by("title")[:300] if i.pk not in linked_ids]
    return {
        "panel": {"linked": linked, "choices": choices},
        "item": feedback,
        "actor": actor,
        "current_workspace": actor.workspace,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
