"""Import API: every file import is one job. Create it from an upload, preview it, start it, poll it.

Step by step: `POST /imports/` (multipart: file, source, kind, …) → `POST /imports/{id}/preview`
(dry run in the worker) → `POST /imports/{id}/start` → `GET /imports/{id}` until `status` is done or
failed. In one call: `POST /imports/feedback|accounts|contacts` (upload, map, start; or `dry_run`).
Refused requests raise ValidationError: the global handler answers 422 with `ErrorOut`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from harken.core.apierrors import ErrorOut
from harken.imports import actions, queries
from harken.imports.fields import merge_mapping
from harken.imports.models import ImportJob, ImportKind, ImportSource, ImportStatus
from harken.workspaces.access import Actor
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["imports"])

_COMMON_FIELDS: dict[str, Any] = {
    "file": {"type": "string", "format": "binary", "description": "The file, verbatim"},
    "mapping": {
        "type": "string",
        "description": 'CSV: JSON object of column → field (or field → column), e.g. {"Comment": "text"}; columns not '
        'named are auto-mapped by their headers. Source "json": field → dotted path, e.g. {"text": "message.body"}.',
    },
    "channel": {"type": "string", "description": "Feedback channel (CSV default csv; source json default api)"},
    "product_line": {"type": "string", "description": "Other tools' exports: product line slug for every item"},
    "stop_on_first_error": {"type": "boolean", "description": "One bad row stops the run and nothing is kept"},
}
_SOURCE = {
    "type": "string",
    "enum": list(ImportSource.values),
    "description": "csv (mapped columns, the default) or another tool's export",
}


def _doc(required: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": required, "properties": {**_COMMON_FIELDS, **extra}}
                }
            }
        }
    }


_CREATE_DOC = _doc(
    ["file"],
    source=_SOURCE,
    kind={"type": "string", "enum": list(ImportKind.values), "description": "CSV only (default feedback)"},
)
_ONE_SHOT_DOC = _doc(
    ["file"],
    source={**_SOURCE, "description": "feedback only: csv (default) or another tool's export"},
    dry_run={"type": "boolean", "description": "Validate every row and return counts; write nothing"},
)


def _flag(request: HttpRequest, name: str) -> bool:
    return str(request.POST.get(name, "")).lower() in ("1", "true", "yes", "on")


def _mapping(request: HttpRequest) -> dict[str, str]:
    try:
        pairs = json.loads(request.POST.get("mapping") or "{}")
        if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
            raise ValueError
    except ValueError:
        raise ValidationError(
            {"mapping": 'mapping must be a JSON object of strings, e.g. {"Comment": "text"}.'}
        ) from None
    return pairs


def _create(request: HttpRequest, actor: Actor, kind: str, source: str) -> ImportJob:
    """Store the upload as a job, mapped (CSV: the guessed mapping plus the request's) and ready to preview."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": "Send the file as multipart/form-data in a field named 'file'."})
    pairs = _mapping(request)
    options: dict[str, Any] = {"stop_on_first_error": _flag(request, "stop_on_first_error")}
    for name in ("channel", "product_line"):
        if request.POST.get(name):
            options[name] = request.POST[name]
    if source == ImportSource.JSON and pairs:
        options["mapping"] = pairs
    job = actions.create_job(actor, kind, upload, options=options, source=source)
    if job.status == ImportStatus.FAILED:
        raise ValidationError({"file": f"{job.failure} (import #{job.pk}; the file is kept)"})
    if source == ImportSource.CSV:
        actions.set_mapping(actor, job, merge_mapping(kind, job.header, job.mapping, pairs))
    else:
        actions.set_mapping(actor, job, {})
    return job


def _job(actor: Actor, job_id: int) -> ImportJob:
    return get_object_or_404(actor.workspace.imports.select_related("workspace"), pk=job_id)


@router.get("/", response=list[dict[str, Any]], summary="Import history of the workspace (newest first, 100 at most)")
def list_imports(request: HttpRequest, source: str = "") -> list[dict[str, Any]]:
    actor = actor_of(request)
    return [
        queries.job_summary(job)
        for job in actor.workspace.imports.filter(**({"source": source} if source else {}))[:100]
    ]


@router.post(
    "/",
    summary="Create an import job from an uploaded file (nothing is written until it is started)",
    openapi_extra=_CREATE_DOC,
    response={201: dict[str, Any], 422: ErrorOut},
)
def create_import(request: HttpRequest) -> Status[dict[str, Any]]:
    """The file is stored and its start checked at once; a 200 MB export returns without being read."""
    actor = require_write(request)
    source = request.POST.get("source") or ImportSource.CSV
    kind = request.POST.get("kind") or ImportKind.FEEDBACK
    job = _create(request, actor, kind, source)
    return Status(201, queries.job_summary(job))


@router.post(
    "/{job_id}/preview",
    summary="Queue a dry run over every row: counts, first rows, per-row errors",
    response={202: dict[str, Any], 422: ErrorOut},
)
def preview_import(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    actor = require_write(request)
    job = actions.start_preview(actor, _job(actor, job_id))
    return Status(202, queries.job_summary(job))


@router.post(
    "/{job_id}/start",
    summary="Queue the run (resumes a stalled one); poll GET /imports/{id} for progress",
    response={202: dict[str, Any], 422: ErrorOut},
)
def start_import(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    actor = require_write(request)
    job = actions.start_import(actor, _job(actor, job_id))
    return Status(202, queries.job_summary(job))


@router.post(
    "/{job_id}/cancel",
    summary="Cancel a running import: what it wrote is undone",
    response={202: dict[str, Any], 422: ErrorOut},
)
def cancel_import(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    actor = require_write(request)
    job = actions.cancel_import(actor, _job(actor, job_id))
    return Status(202, queries.job_summary(job))


def _one_shot(request: HttpRequest, kind: str) -> Status[dict[str, Any]]:
    """Permission first (a read-only token gets 403 whatever it sends), then the file."""
    actor = require_write(request)
    source = (request.POST.get("source") or ImportSource.CSV) if kind == ImportKind.FEEDBACK else ImportSource.CSV
    job = _create(request, actor, kind, source)
    if _flag(request, "dry_run"):
        actions.run_dry(actor, job)
        return Status(200, queries.job_summary(job))
    actions.start_import(actor, job)
    return Status(202, queries.job_summary(job))


@router.post(
    "/feedback",
    summary="Import feedback from a file in one call (a CSV, or another tool's export with source=)",
    openapi_extra=_ONE_SHOT_DOC,
    response={200: dict[str, Any], 202: dict[str, Any], 422: ErrorOut},
)
def import_feedback(request: HttpRequest) -> Status[dict[str, Any]]:
    return _one_shot(request, ImportKind.FEEDBACK)


@router.post(
    "/accounts",
    summary="Import accounts from a CSV file in one call",
    openapi_extra=_ONE_SHOT_DOC,
    response={200: dict[str, Any], 202: dict[str, Any], 422: ErrorOut},
)
def import_accounts(request: HttpRequest) -> Status[dict[str, Any]]:
    return _one_shot(request, ImportKind.ACCOUNTS)


@router.post(
    "/contacts",
    summary="Import contacts from a CSV file in one call",
    openapi_extra=_ONE_SHOT_DOC,
    response={200: dict[str, Any], 202: dict[str, Any], 422: ErrorOut},
)
def import_contacts(request: HttpRequest) -> Status[dict[str, Any]]:
    return _one_shot(request, ImportKind.CONTACTS)


@router.get("/{job_id}", response=dict[str, Any], summary="One import job: status, progress, counts and per-row errors")
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return queries.job_summary(_job(actor_of(request), job_id))
