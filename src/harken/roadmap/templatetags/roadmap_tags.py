from __future__ import annotations

from typing import Any

from django import template

from harken.core import memo
from harken.roadmap import queries
from harken.roadmap.models import RoadmapItem

CHOICE_FIELDS = ("id", "title")

register = template.Library()


@register.inclusion_tag("roadmap/_panel.html", takes_context=True)
def roadmap_panel(context: dict[str, Any], feedback: Any) -> dict[str, Any]:
    """The roadmap panel on a feedback item's page: which items it supports, and a link form."""
    actor = context.get("actor") or getattr(context.get("request"), "actor", None)
    if actor is None:
        return {"panel": None}
    workspace = actor.workspace
    # The workspace's live items (the link form's choices; shown only by pk and title), memoised by data
    # version (harken/core/memo.py): the same for every item page until something is written.
    rows = memo.remember(
        "roadmap-choices",
        workspace.pk,
        lambda: tuple(queries.live_items(workspace).order_by("title").values_list(*CHOICE_FIELDS)[:300]),
    )
    # No live roadmap item at all (the query above is capped at 300, so none means none): nothing to link to.
    linked = queries.items_for_feedback(feedback) if rows else []
    linked_ids = {i.pk for i in linked}
    choices = [memo.build(RoadmapItem, row, CHOICE_FIELDS) for row in rows if row[0] not in linked_ids]
    return {
        "panel": {"linked": linked, "choices": choices},
        "item": feedback,
        "actor": actor,
        "current_workspace": actor.workspace,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
