"""Theme pages: list, detail with edits, re-clustering job, top problems, trends, corrections. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from harken.core.views import flash_error, redirect_back
from harken.insight import filters as evidence_filters
from harken.insight.embeddings import item_text
from harken.insight.themes import classify, services
from harken.insight.themes import problems as problem_service
from harken.insight.themes import trends as trend_service
from harken.insight.themes.models import Category, RunStatus, Sentiment, ThemeStatus
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

ALERTS_SHOWN = 30


def _url(actor: Actor, name: str, **kwargs: object) -> str:
    return reverse(f"insight:{name}", kwargs={"ws": actor.workspace.slug, **kwargs})


@workspace_view()
def theme_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    evidence = evidence_filters.parse_lenient(actor.workspace, request.GET)
    rows = services.summaries(actor, evidence=evidence)
    themed = sum(r.size for r in rows)
    total = evidence.feedback().count()
    last_run = actor.workspace.theme_runs.first()
    return evidence_filters.clean_url(
        request,
        render(
            request,
            "insight/themes_list.html",
            {
                "rows": rows,
                "sections": services.grouped_summaries(actor, rows),
                "themed": themed,
                "total": total,
                "last_run": last_run,
                "emerging": sum(1 for r in rows if r.emerging),
                **evidence_filters.bar_context(evidence),
            },
        ),
    )


@require_POST
@workspace_view(Role.MEMBER)
def recluster(request: HttpRequest, actor: Actor) -> HttpResponse:
    run = services.start_recluster(actor)
    messages.info(request, "Re-clustering started. Your current themes stay in place until it finishes.")
    return redirect(_url(actor, "themes_run", pk=run.pk))


@workspace_view()
def run_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The job page; htmx polls it (the fragment) while the run is queued or running."""
    run = get_object_or_404(actor.workspace.theme_runs, pk=pk)
    context = {
        "run": run,
        "active": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "percent": round(run.progress * 100),
    }
    if request.headers.get("HX-Request"):
        return render(request, "insight/themes_run_status.html", context)
    return render(request, "insight/themes_run.html", context)


@workspace_view()
def theme_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    theme = get_object_or_404(actor.workspace.themes, pk=pk)
    if theme.status == ThemeStatus.MERGED and theme.merged_into_id:
        messages.info(request, f"“{theme.name}” was merged into this theme.")
        return redirect(_url(actor, "theme", pk=theme.merged_into_id))
    detail = services.theme_detail(actor, theme)
    paginator = Paginator(detail.pop("items"), 25)
    paginator.count = detail.pop("count")  # type: ignore[misc]  # known: no COUNT over the joined items
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "insight/themes_detail.html",
        {"theme": theme, "page_obj": page, "categories": Category.choices, "sentiments": Sentiment.choices, **detail},
    )


@require_POST
@workspace_view(Role.MEMBER)
def rename(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    theme = get_object_or_404(actor.workspace.themes, pk=pk)
    try:
        services.rename_theme(actor, theme, request.POST.get("name", ""))
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, f"Renamed to “{theme.name}”. The name is kept when themes are recomputed.")
    return redirect_back(request, _url(actor, "theme", pk=theme.pk))


@require_POST
@workspace_view(Role.MEMBER)
def pin(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    theme = get_object_or_404(actor.workspace.themes, pk=pk)
    try:
        services.set_pinned(actor, theme, request.POST.get("pinned", "1") == "1")
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, "Pinned: re-clustering keeps this theme as it is." if theme.pinned else "Unpinned.")
    return redirect_back(request, _url(actor, "theme", pk=theme.pk))


@require_POST
@workspace_view(Role.MEMBER)
def merge(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Merge theme `pk` into the theme posted as `into`."""
    source = get_object_or_404(actor.workspace.themes, pk=pk)
    try:
        into = int(request.POST.get("into", ""))
    except ValueError:
        messages.error(request, "Choose the theme to merge into.")
        return redirect_back(request, _url(actor, "theme", pk=source.pk))
    target = get_object_or_404(actor.workspace.themes, pk=into)
    try:
        services.merge_themes(actor, target, source)
    except ValidationError as exc:
        flash_error(request, exc)
        return redirect_back(request, _url(actor, "theme", pk=source.pk))
    messages.success(request, f"Merged “{source.name}” into “{target.name}”.")
    return redirect(_url(actor, "theme", pk=target.pk))


@require_POST
@workspace_view(Role.MEMBER)
def split(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    theme = get_object_or_404(actor.workspace.themes, pk=pk)
    try:
        other = services.split_theme(actor, theme, request.POST.get("name", ""))
    except ValidationError as exc:
        flash_error(request, exc)
        return redirect_back(request, _url(actor, "theme", pk=theme.pk))
    messages.success(request, f"Split off “{other.name}” ({other.size} items).")
    return redirect(_url(actor, "theme", pk=other.pk))


@require_POST
@workspace_view(Role.MEMBER)
def move(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Move item `pk` into the theme posted as `theme` ("none": out of every theme)."""
    item = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    raw = request.POST.get("theme", "")
    theme = None
    if raw != "none":
        if not raw.isdigit():
            messages.error(request, "Choose a theme (or “No theme”).")
            return redirect_back(request, _url(actor, "themes"))
        theme = get_object_or_404(actor.workspace.themes, pk=int(raw))
    try:
        services.move_item(actor, item, theme)
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(
            request, f"Moved #{item.pk} to “{theme.name}”." if theme else f"Took #{item.pk} out of its theme."
        )
    return redirect_back(request, _url(actor, "theme", pk=theme.pk) if theme else _url(actor, "themes"))


@require_POST
@workspace_view(Role.MEMBER)
def correct(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    try:
        classify.correct(actor, item, request.POST.get("category") or None, request.POST.get("sentiment") or None)
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, f"Saved for #{item.pk}; Harken will not change it again.")
    return redirect_back(request, reverse("feedback:detail", kwargs={"ws": actor.workspace.slug, "pk": item.pk}))


@workspace_view()
def item_understanding(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The item page's panel body: category, sentiment and theme, with the correction forms."""
    item = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    row = actor.workspace.item_classifications.filter(feedback=item).first()
    guess = None if row else classify.guess([item_text(item.title, item.text)])[0]
    context = {
        "item": item,
        "row": row,
        "guess": guess,
        "assignment": actor.workspace.theme_assignments.select_related("theme").filter(feedback=item).first(),
        "themes": actor.workspace.themes.filter(status=ThemeStatus.ACTIVE).order_by("name")[:200],
        "categories": Category.choices,
        "sentiments": Sentiment.choices,
    }
    return render(request, "insight/themes_item_understanding.html", context)


@workspace_view()
def problems(request: HttpRequest, actor: Actor) -> HttpResponse:
    weight = request.GET.get("weight") or "arr"
    if weight not in problem_service.WEIGHTS:
        weight = "arr"
    evidence = evidence_filters.parse_lenient(actor.workspace, request.GET)
    rows = problem_service.top_problems(actor, limit=30, weight=weight, evidence=evidence)
    top = max((p.score for p in rows), default=1.0) or 1.0
    bars = [
        {
            "label": p.theme.name,
            "value": round(p.score, 2),
            "pct": round(100 * p.score / top),
            "url": _url(actor, "theme", pk=p.theme.pk),
        }
        for p in rows[:10]
    ]
    return evidence_filters.clean_url(
        request,
        render(
            request,
            "insight/themes_problems.html",
            {
                "rows": rows,
                "bars": bars,
                "half_life": problem_service.HALF_LIFE_DAYS,
                "anonymous_weight": problem_service.ANONYMOUS_WEIGHT,
                "weight": weight,
                "weights": problem_service.WEIGHTS,
                **evidence_filters.bar_context(evidence),
            },
        ),
    )


@workspace_view()
def trends(request: HttpRequest, actor: Actor) -> HttpResponse:
    evidence = evidence_filters.parse_lenient(actor.workspace, request.GET)
    alerts = list(actor.workspace.trend_alerts.select_related("theme")[:ALERTS_SHOWN])
    views = trend_service.alert_views(actor.workspace, alerts, evidence)
    if evidence.active:  # alerts whose theme has no item the filter keeps say nothing about it
        views = [v for v in views if v.recent or v.baseline]
    tests = trend_service.rate_tests(actor.workspace, evidence=evidence)
    names = dict(actor.workspace.themes.values_list("pk", "name"))
    watch = sorted((t for t in tests if t.recent > 0), key=lambda t: t.q_value)[:20]
    return evidence_filters.clean_url(
        request,
        render(
            request,
            "insight/themes_trends.html",
            {
                "alerts": views,
                **evidence_filters.bar_context(evidence),
                "watch": [(t, names.get(t.theme_id, "")) for t in watch],
                "recent_weeks": trend_service.RECENT_WEEKS,
                "baseline_weeks": trend_service.BASELINE_WEEKS,
                "alpha": trend_service.ALPHA,
                "min_recent": trend_service.MIN_RECENT,
                "min_ratio": trend_service.MIN_RATIO,
            },
        ),
    )
