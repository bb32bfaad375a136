from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from harken.workspaces.access import Actor, workspace_view


@workspace_view()
def overview(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "feedback/overview.html", {})
