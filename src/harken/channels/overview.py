"""The Channels page: every way feedback arrives, the export formats the import pipeline reads, recent runs.

Uploading an export is an import like any other (`harken.imports`): stored file → preview → a
background run with progress. The old `channels/import…` URLs redirect there.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from harken.imports import queries as import_queries
from harken.imports import sources
from harken.imports.models import ImportSource
from harken.workspaces.access import Actor, workspace_view


@workspace_view()
@require_GET
def overview(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    channels: list[dict[str, Any]] = [
        {
            "name": "Email",
            "summary": "Forward or send mail to the workspace address.",
            "url": _maybe_url("channels:email_settings", workspace.slug),
            "count": None,
        },
        {
            "name": "RSS / Atom / forum feeds",
            "summary": "Poll community forums, status pages and review feeds on a schedule.",
            "url": reverse("channels:feeds", kwargs={"ws": workspace.slug}),
            "count": workspace.feeds.count(),
        },
        {
            "name": "Signed webhooks",
            "summary": "Any tool that can POST JSON, verified with an HMAC signature.",
            "url": reverse("channels:webhooks", kwargs={"ws": workspace.slug}),
            "count": workspace.webhook_endpoints.count(),
        },
        {
            "name": "Feedback widget",
            "summary": "A script tag for your app: text, email and an optional screenshot.",
            "url": reverse("channels:widgets", kwargs={"ws": workspace.slug}),
            "count": workspace.widgets.count(),
        },
    ]
    return render(
        request,
        "channels/importers_overview.html",
        {
            "channels": [c for c in channels if c["url"]],
            "importers": sources.channel_kinds(),
            "runs": import_queries.jobs(actor, channel_sources=True)[:20],
        },
    )


def _maybe_url(name: str, slug: str) -> str:
    try:
        return reverse(name, kwargs={"ws": slug})
    except NoReverseMatch:
        return ""


@workspace_view()
@require_GET
def import_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Old address of the export upload: the import pipeline's upload page, for the same source."""
    source = request.GET.get("source") or ""
    if not source:
        return redirect("channels:overview", ws=actor.workspace.slug)
    if source not in ImportSource.values:
        raise Http404("No such importer")
    return redirect(reverse("imports:new", kwargs={"ws": actor.workspace.slug}) + f"?source={source}")


@workspace_view()
@require_GET
def import_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Old address of a channel import run (before runs became import jobs): its job page."""
    job = actor.workspace.imports.filter(options__legacy_channel_import=pk).first()
    if job is None:
        raise Http404("No such import")
    return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)
