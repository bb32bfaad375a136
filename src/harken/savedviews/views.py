"""Saved views: the bar's two forms post here and land back on the page. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from harken.savedviews import actions, queries
from harken.workspaces.access import Actor, workspace_view


def _back(request: HttpRequest, actor: Actor, query: str = "") -> HttpResponse:
    target = request.POST.get("next", "")
    if not (target.startswith("/") and not target.startswith("//")):
        target = f"/w/{actor.workspace.slug}/"
    target = target.split("?", 1)[0]
    return redirect(f"{target}?{query}" if query else target)


@require_POST
@workspace_view()
def create(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        view = actions.create_view(
            actor, request.POST.get("page", ""), request.POST.get("name", ""), request.POST.get("query", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, actor, actions.clean_query(request.POST.get("query", "")))
    messages.success(request, f"Saved the view “{view.name}”.")
    return _back(request, actor, view.query)


@require_POST
@workspace_view()
def delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    view = get_object_or_404(queries.views_for(actor), pk=pk)
    actions.delete_view(actor, view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return _back(request, actor, actions.clean_query(request.POST.get("query", "")))
