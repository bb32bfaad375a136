"""The Channels page (every way feedback arrives, recent import runs) and the importer upload pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from harken.channels.importers import services
from harken.channels.importers.forms import UploadForm
from harken.channels.importers.models import ImportSource
from harken.core.forms import add_service_errors
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

FORMAT_NOTES = {
    "zendesk": "Zendesk → Admin Center → Account → Tools → Reports → Export: the JSON ticket export (one ticket per line), "
    'an API dump ({"tickets": [...]}), or the CSV export (columns Id, Subject, Description, Requester, Requester email, '
    "Created at, Tags, Via). Keyed by the ticket id.",
    "intercom": 'Intercom conversations as the API returns them (a JSON array, {"conversations": [...]}, or one per line): '
    "id, created_at (unix seconds), source.body (HTML, converted to safe text), source.author.email/name, tags. "
    "Keyed by the conversation id.",
    "appstore": "App Store Connect reviews CSV: Review ID, Rating, Title, Review, Nickname, Date, Territory, Version. "
    "Rating, territory and version become tags. Keyed by the review id.",
    "googleplay": "Google Play Console → Download reports → Reviews: reviews_<package>_<YYYYMM>.csv (UTF-16, as Google ships it). "
    "Uses Review Link (its reviewId), Star Rating, Review Title, Review Text, Review Submit Date and Time, App Version Name, "
    "Reviewer Language. Rating-only reviews are skipped.",
    "json": "A JSON array, JSON lines, or a CSV file. Map fields to dotted paths (JSON) or column names (CSV); common names "
    "(text, body, message, email, created_at, id, tags) are found on their own. Keyed by the mapped id (or the content).",
}


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
    importers = [
        {"source": value, "label": label, "notes": FORMAT_NOTES[value]} for value, label in ImportSource.choices
    ]
    return render(
        request,
        "channels/importers_overview.html",
        {"channels": [c for c in channels if c["url"]], "importers": importers, "runs": services.recent_runs(actor)},
    )


def _maybe_url(name: str, slug: str) -> str:
    try:
        return reverse(name, kwargs={"ws": slug})
    except NoReverseMatch:
        return ""


@workspace_view()
def import_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """`?source=zendesk` picks the importer (a query parameter: the URL names no tenant object)."""
    if request.method == "POST":
        actor.require(Role.MEMBER)
    source = request.GET.get("source") or request.POST.get("source") or ""
    if not source:
        return redirect("channels:overview", ws=actor.workspace.slug)
    if source not in ImportSource.values:
        raise Http404("No such importer")
    form = UploadForm(actor.workspace, source, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.run_import(actor, source, form.cleaned_data["file"], options=form.options())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if run.status == "failed":
                messages.error(request, f"The file could not be imported: {run.failure}")
            else:
                messages.success(
                    request,
                    f"{run.created} new items, {run.existing} already imported, {run.skipped} skipped, {run.errors} errors.",
                )
            return redirect("channels:import_detail", ws=actor.workspace.slug, pk=run.pk)
    return render(
        request,
        "channels/importers_new.html",
        {"form": form, "source": source, "label": ImportSource(source).label, "notes": FORMAT_NOTES[source]},
    )


@workspace_view()
@require_GET
def import_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    run = get_object_or_404(actor.workspace.channel_imports.select_related("created_by"), pk=pk)
    return render(request, "channels/importers_detail.html", {"run": run, "problems": run.error_report})


@workspace_view()
@require_GET
def import_file(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    run = get_object_or_404(actor.workspace.channel_imports, pk=pk)
    return FileResponse(  # type: ignore[return-value]
        run.file.open("rb"), as_attachment=True, filename=run.original_name, content_type="application/octet-stream"
    )
