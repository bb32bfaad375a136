from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from harken.workspaces import services
from harken.workspaces.forms import WorkspaceForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("workspace").order_by("workspace__name")  # type: ignore[union-attr]
    if memberships.count() == 1 and not request.GET.get("all"):
        return redirect("feedback:overview", ws=memberships[0].workspace.slug)
    return render(request, "workspaces/home.html", {"memberships": memberships})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = services.create_workspace(owner=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        return redirect("feedback:overview", ws=workspace.slug)
    return render(request, "workspaces/create.html", {"form": form})
