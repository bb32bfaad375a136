"""Import pages: history, upload (a CSV or another tool's export), column mapping, preview (dry run),
the job page with live progress, cancel. Thin: `actions` write, `queries` read."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from harken.core.forms import add_service_errors
from harken.core.views import flash_error
from harken.imports import actions, queries, sources
from harken.imports.csvio import DELIMITER_NAMES
from harken.imports.fields import fields_for
from harken.imports.forms import MappingForm, SourceUploadForm, UploadForm
from harken.imports.models import ImportJob, ImportSource, ImportStatus
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _job(actor: Actor, pk: int) -> ImportJob:
    return get_object_or_404(actor.workspace.imports.select_related("created_by"), pk=pk)


def _context(job: ImportJob, **extra: object) -> dict[str, object]:
    return {
        "job": job,
        "live": queries.live_progress(job),
        "stalled": actions.is_stalled(job),
        "delimiter_name": DELIMITER_NAMES.get(job.delimiter, job.delimiter),
        "problems": [{**p, "text": queries.describe(p)} for p in job.error_report[:500]],
        "more_problems": max(0, len(job.error_report) - 500),
        "notes": queries.notes_summary(job),
        "result_link": queries.result_link(job) if job.status == ImportStatus.DONE else None,
        **extra,
    }


@workspace_view()
@require_GET
def job_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    page = Paginator(queries.jobs(actor), 25).get_page(request.GET.get("page"))
    return render(request, "imports/list.html", {"page_obj": page, "jobs": page.object_list})


@workspace_view(Role.MEMBER)
def new_import(request: HttpRequest, actor: Actor) -> HttpResponse:
    """`?source=zendesk` picks another tool's export (a query parameter: the URL names no tenant object)."""
    source = request.GET.get("source") or request.POST.get("source") or ImportSource.CSV
    if source not in ImportSource.values:
        raise Http404("No such import source")
    if source != ImportSource.CSV:
        return _new_source_import(request, actor, source)
    form = UploadForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind") or "feedback"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = actions.create_job(
                actor,
                form.cleaned_data["kind"],
                form.cleaned_data["file"],
                options={"channel": form.cleaned_data.get("channel") or "csv"},
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if job.status == ImportStatus.FAILED:
                messages.error(request, f"{job.original_name}: {job.failure} The file is kept on this page.")
                return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)
            return redirect("imports:mapping", ws=actor.workspace.slug, pk=job.pk)
    return render(
        request, "imports/new.html", {"form": form, "source": sources.source(source), "kinds": sources.kinds()}
    )


def _new_source_import(request: HttpRequest, actor: Actor, source: str) -> HttpResponse:
    """Another tool's export: store it, check its start at once, then the preview runs in the worker."""
    form = SourceUploadForm(actor.workspace, source, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = actions.create_job(
                actor, "feedback", form.cleaned_data["file"], options=form.options(), source=source
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if job.status == ImportStatus.FAILED:
                messages.error(request, f"{job.original_name}: {job.failure} The file is kept on this page.")
                return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)
            actions.start_preview(actor, job)
            return redirect("imports:preview", ws=actor.workspace.slug, pk=job.pk)
    return render(
        request, "imports/new.html", {"form": form, "source": sources.source(source), "kinds": sources.kinds()}
    )


@workspace_view(Role.MEMBER)
def mapping(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = _job(actor, pk)
    if job.is_active or job.status == ImportStatus.DONE or not job.is_mapped_csv or not job.header or not job.sample:
        return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        chosen = form.mapping()
        if not form.errors:
            try:
                actions.set_mapping(
                    actor, job, chosen, options={"stop_on_first_error": form.cleaned_data["stop_on_first_error"]}
                )
                actions.start_preview(actor, job)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("imports:preview", ws=actor.workspace.slug, pk=job.pk)
    rows = queries.mapping_rows(job)
    for row in rows:
        row["field"] = form[f"col_{row['index']}"]
    return render(
        request,
        "imports/mapping.html",
        _context(
            job,
            form=form,
            rows=rows,
            required=[f for f in fields_for(job.kind) if f.required],
            specs=fields_for(job.kind),
        ),
    )


@workspace_view()
@require_GET
def preview(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = _job(actor, pk)
    if job.status in (ImportStatus.RUNNING, ImportStatus.ROLLING_BACK, ImportStatus.DONE):
        return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)
    return render(request, "imports/preview.html", _context(job, table=queries.preview_table(job)))


@workspace_view(Role.MEMBER)
@require_POST
def run(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = _job(actor, pk)
    stop = request.POST.get("stop_on_first_error") in ("1", "on", "true") if "set_options" in request.POST else None
    try:
        actions.start_import(actor, job, stop_on_first_error=stop)
    except ValidationError as exc:
        flash_error(request, exc)
        return redirect(
            "imports:preview" if job.status == ImportStatus.PREVIEWED else "imports:detail",
            ws=actor.workspace.slug,
            pk=job.pk,
        )
    messages.success(request, "Import started. You can leave this page; it keeps running.")
    return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)


@workspace_view(Role.MEMBER)
@require_POST
def cancel(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = _job(actor, pk)
    try:
        actions.cancel_import(actor, job)
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, "Cancelling: what this import wrote is being undone.")
    return redirect("imports:detail", ws=actor.workspace.slug, pk=job.pk)


@workspace_view()
@require_GET
def detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = _job(actor, pk)
    return render(request, "imports/detail.html", _context(job))


@workspace_view()
@require_GET
def progress(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Polled by htmx while a job runs; once it is over the page reloads to show the results."""
    job = _job(actor, pk)
    response = render(request, "imports/_progress.html", _context(job))
    if not job.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@workspace_view()  # type: ignore[arg-type]  # FileResponse streams: not an HttpResponse subclass
@require_GET
def download(request: HttpRequest, actor: Actor, pk: int) -> FileResponse:
    job = _job(actor, pk)
    content_type = "text/csv" if job.is_mapped_csv else "application/octet-stream"
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name, content_type=content_type)


def _safe(cell: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; column names come from the upload."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


@workspace_view()
@require_GET
def errors_csv(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = _job(actor, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "column", "level", "message"])
    for p in job.error_report:
        writer.writerow([p["row"], _safe(p.get("column") or ""), p.get("level", "error"), _safe(p["message"])])
    return response
