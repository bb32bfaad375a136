from __future__ import annotations

from typing import Any

from django import template

from harken.triage import queries

register = template.Library()


@register.inclusion_tag("triage/_panel.html", takes_context=True)
def triage_panel(context: dict[str, Any], feedback: Any, part: str = "all") -> dict[str, Any]:
    """The triage panel for any page that shows a feedback item: `{% triage_panel item %}`.

    `part` is "side" (clock, assignment, decision), "main" (conversation, notes, history) or "all".
    """
    actor = context.get("actor") or getattr(context.get("request"), "actor", None)
    if actor is None:  # only workspace pages render the panel; they always carry an actor
        return {"triage": None}
    request = context.get("request")
    # The item page renders the side and main parts separately: compute the panel once per request.
    cache: dict[int, tuple[Any, dict[str, Any]] | None] = getattr(request, "_triage_panels", {})
    if feedback.pk not in cache:
        # A read: the row was opened when the item was created; none (yet) means no panel (remembered too).
        item = actor.workspace.triage_items.filter(feedback_id=feedback.pk).select_related("feedback").first()
        if item is not None:
            item.feedback.workspace = actor.workspace  # the same row (the filter above): no query for it
        cache[feedback.pk] = (item, queries.panel(actor, item)) if item is not None else None
        if request is not None:
            request._triage_panels = cache
    found = cache[feedback.pk]
    if found is None:
        return {"triage": None}
    item, panel = found
    return {
        **panel,
        "request": request,
        "actor": actor,
        "current_workspace": item.workspace,
        "csrf_token": context.get("csrf_token"),
        "part": part,
    }
