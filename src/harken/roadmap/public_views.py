"""Unauthenticated roadmap pages: public roadmap, changelog + Atom feed, sneak previews, unsubscribe, tracker hooks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from harken.roadmap import loop, public, trackers
from harken.roadmap.models import TrackerHook
from harken.workspaces.models import Workspace


def _published_workspace(slug: str) -> Workspace:
    ws = get_object_or_404(Workspace, slug=slug)
    if not public.is_public(ws):
        raise Http404("No public roadmap here")
    return ws


def roadmap(request: HttpRequest, ws: str, line: str = "") -> HttpResponse:
    workspace = _published_workspace(ws)
    product_line = get_object_or_404(workspace.product_lines, slug=line) if line else None
    return render(
        request,
        "roadmap/public/roadmap.html",
        {
            "workspace": workspace,
            "line": product_line,
            "lines": workspace.product_lines.filter(
                roadmap_items__public=True, roadmap_items__deleted_at__isnull=True
            ).distinct(),
            "columns": public.public_board(workspace, product_line),
        },
    )


def changelog(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _published_workspace(ws)
    entries = [{"a": a, "html": public.render_markdown(a.body)} for a in public.published(workspace)[:50]]
    return render(request, "roadmap/public/changelog.html", {"workspace": workspace, "entries": entries})


def feed(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _published_workspace(ws)
    return HttpResponse(public.atom_feed(workspace), content_type="application/atom+xml; charset=utf-8")


@require_POST
def subscribe(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _published_workspace(ws)
    try:
        public.subscribe(workspace, request.POST.get("email", ""))
    except ValidationError as exc:
        entries = [{"a": a, "html": public.render_markdown(a.body)} for a in public.published(workspace)[:50]]
        return render(
            request,
            "roadmap/public/changelog.html",
            {
                "workspace": workspace,
                "entries": entries,
                "subscribe_error": " ".join(exc.messages),
                "email": request.POST.get("email", ""),
            },
            status=422,
        )
    messages.success(
        request, "Almost done: we sent a confirmation link to that address. Announcements start once it is confirmed."
    )
    return redirect("roadmap_public:changelog", ws=workspace.slug)


def preview(request: HttpRequest, token: str) -> HttpResponse:
    sneak = public.open_preview(token)
    if sneak is None:
        return render(request, "roadmap/public/preview_gone.html", status=404)
    response = render(
        request,
        "roadmap/public/preview.html",
        {"preview": sneak, "workspace": sneak.workspace, "items": public.preview_items(sneak)},
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in. GET shows a button (reads never write: mail scanners follow links); POST confirms
    and spends the single-use token. Unknown, used and expired links answer the same."""
    context: dict[str, object] = {"days": public.CONFIRM_DAYS}
    sub = public.pending_subscription(token)
    if sub is None:
        return render(request, "roadmap/public/confirm.html", {**context, "invalid": True}, status=404)
    if request.method == "POST":
        sub = public.confirm_subscription(token)
        if sub is None:
            return render(request, "roadmap/public/confirm.html", {**context, "invalid": True}, status=404)
        context["done"] = True
    response = render(
        request, "roadmap/public/confirm.html", {**context, "workspace": sub.workspace, "email": sub.email}
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (reads never write: mail scanners follow links); POST unsubscribes."""
    parsed = loop.read_unsubscribe_token(token)
    workspace = Workspace.objects.filter(pk=parsed[0]).first() if parsed else None
    if parsed is None or workspace is None:
        return render(request, "roadmap/public/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        loop.unsubscribe(token)
        done = True
    return render(
        request, "roadmap/public/unsubscribe.html", {"workspace": workspace, "email": parsed[1], "done": done}
    )


@csrf_exempt
@require_POST
def tracker_hook(request: HttpRequest, public_id: str) -> HttpResponse:
    hook = TrackerHook.objects.filter(public_id=public_id).select_related("workspace").first()
    if hook is None:
        return JsonResponse({"detail": "No such hook."}, status=404)
    try:
        result = trackers.receive(hook, request.headers, request.body)
    except trackers.HookRejected as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    return JsonResponse(result)
