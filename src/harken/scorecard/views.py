"""Scorecard pages: the customer-focus scorecard, the PM growth rubric, chat export import. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from harken.scorecard import actions, metrics, rubric
from harken.scorecard.models import ChatExport
from harken.scorecard.talk import CUSTOMER_CUES, MAX_EXPORT_BYTES
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


@workspace_view()
def scorecard(request: HttpRequest, actor: Actor) -> HttpResponse:
    key = request.GET.get("scope", "team")
    try:
        scope = metrics.scope_for(actor.workspace, key)
    except LookupError:
        raise Http404("No such team, product line or PM") from None
    return render(
        request,
        "scorecard/scorecard.html",
        {
            "scope": scope,
            "zone": metrics.scope_zone(scope).key,
            "scopes": metrics.scopes(actor.workspace),
            "cards": metrics.scorecard(scope),
            "window_weeks": metrics.WINDOW_DAYS // 7,
            "period_weeks": metrics.PERIOD_DAYS // 7,
            "periods": metrics.TREND_PERIODS,
            "cues": CUSTOMER_CUES,
            "exports": ChatExport.objects.filter(workspace=actor.workspace)[:20],
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def chat_import(request: HttpRequest, actor: Actor) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return render(
            request, "scorecard/error.html", {"errors": ["Choose a chat export file (text or JSON)."]}, status=400
        )
    try:
        export = actions.import_chat(actor, upload.read(MAX_EXPORT_BYTES + 1), upload.name or "")
    except ValidationError as e:
        return render(request, "scorecard/error.html", {"errors": e.messages}, status=400)
    messages.success(request, f"Imported {len(export.messages)} chat messages into the talk index.")
    return redirect(reverse("scorecard:scorecard", kwargs={"ws": actor.workspace.slug}))


@require_POST
@workspace_view(Role.MEMBER)
def chat_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    export = get_object_or_404(ChatExport.objects.filter(workspace=actor.workspace), pk=pk)
    actions.delete_chat(actor, export)
    messages.success(request, "Chat export removed.")
    return redirect(reverse("scorecard:scorecard", kwargs={"ws": actor.workspace.slug}))


@workspace_view()
def growth(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The rubric, the team's latest self-assessments, and (for members) their own form and evidence."""
    ws = actor.workspace
    mine = rubric.history(ws, actor.user) if actor.user else []
    latest = mine[0]["assessment"].levels if mine else {}
    facts = rubric.evidence(ws, actor.user) if actor.user else {}
    rows = [
        {"key": k, "name": name, "master": master, "level": latest.get(k), "evidence": facts.get(k, [])}
        for k, name, master in rubric.PRACTICES
    ]
    return render(
        request,
        "scorecard/growth.html",
        {
            "practices": rubric.PRACTICES,
            "levels": rubric.LEVELS,
            "team": rubric.team(ws),
            "history": mine,
            "rows": rows,
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def assess(request: HttpRequest, actor: Actor) -> HttpResponse:
    levels = {key: request.POST.get(key, "") for key in rubric.PRACTICE_KEYS}
    try:
        actions.assess(actor, levels, request.POST.get("note", ""))
    except ValidationError as e:
        return render(request, "scorecard/error.html", {"errors": e.messages}, status=400)
    messages.success(request, "Self-assessment saved.")
    return redirect(reverse("scorecard:growth", kwargs={"ws": actor.workspace.slug}))
