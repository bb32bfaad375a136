"""{% saved_views "problems" %}: the current person's saved views of a page, and a form to save the current one."""

from __future__ import annotations

from typing import Any

from django import template

from harken.savedviews.actions import clean_query
from harken.savedviews.models import PAGES
from harken.savedviews.queries import views_for

register = template.Library()


@register.inclusion_tag("savedviews/_bar.html", takes_context=True)
def saved_views(context: template.Context, page_key: str) -> dict[str, Any]:
    request = context.get("request")
    actor = context.get("actor")
    if request is None or actor is None or page_key not in PAGES:
        return {"show": False}
    current = clean_query(request.GET.urlencode())
    views = list(views_for(actor, page_key))
    return {
        "show": True,
        "page_key": page_key,
        "page_label": PAGES[page_key],
        "views": [{"view": v, "current": v.query == current} for v in views],
        "current_query": current,
        "path": request.path,
        "current_workspace": actor.workspace,
        "csrf_token": context.get("csrf_token"),
    }
