"""Import API: upload a CSV (multipart), optionally as a dry run; then poll the job."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from harken.core.apierrors import ErrorOut, error_body
from harken.imports import services
from harken.imports.fields import merge_mapping
from harken.imports.models import ImportJob, ImportKind, ImportStatus
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["imports"])

_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The CSV file"},
                        "mapping": {
                            "type": "string",
                            "description": 'JSON object of column → field (or field → column), e.g. {"Comment": "text"}. '
                            "Columns not named are auto-mapped by their headers.",
                        },
                        "dry_run": {
                            "type": "boolean",
                            "description": "Validate every row and return counts; write nothing",
                        },
                        "channel": {"type": "string", "description": "Feedback channel (default csv)"},
                        "stop_on_first_error": {"type": "boolean"},
                    },
                }
            }
        }
    }
}


class ImportErrorOut(ErrorOut):
    """The one error shape, plus the job when one was created (its id, counts and failure)."""

    job: dict[str, Any] | None = None


def _flag(request: HttpRequest, name: str) -> bool:
    return str(request.POST.get(name, "")).lower() in ("1", "true", "yes", "on")


def _upload(request: HttpRequest, kind: str) -> Status[dict[str, Any]]:
    """Permission first (a read-only token gets 403 whatever it sends), then the file."""
    actor = require_write(request)
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": "Send the CSV as multipart/form-data in a field named 'file'."})
    try:
        pairs = json.loads(request.POST.get("mapping") or "{}")
        if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
            raise ValueError
    except ValueError:
        raise ValidationError(
            {"mapping": 'mapping must be a JSON object of strings, e.g. {"Comment": "text"}.'}
        ) from None
    job = services.create_job(
        actor,
        kind,
        upload,
        options={
            "channel": request.POST.get("channel") or "csv",
            "stop_on_first_error": _flag(request, "stop_on_first_error"),
        },
    )
    if job.status == ImportStatus.FAILED:
        return Status(422, {**error_body(ValidationError({"file": job.failure})), "job": services.job_summary(job)})
    try:
        services.set_mapping(actor, job, merge_mapping(kind, job.header, job.mapping, pairs))
    except ValidationError as exc:
        return Status(422, {**error_body(exc), "job": services.job_summary(job)})
    if _flag(request, "dry_run"):
        services.run_dry(actor, job)
        return Status(200, services.job_summary(job))
    services.start_import(actor, job)
    return Status(202, services.job_summary(job))


@router.get("/", summary="Import history of the workspace (newest first, 100 at most)")
def list_imports(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    return [services.job_summary(job) for job in actor.workspace.imports.all()[:100]]


@router.post(
    "/feedback",
    summary="Import feedback from a CSV file",
    openapi_extra=_UPLOAD_DOC,
    response={200: dict, 202: dict, 422: ImportErrorOut},
)
def import_feedback(request: HttpRequest) -> Status[dict[str, Any]]:
    return _upload(request, ImportKind.FEEDBACK)


@router.post(
    "/accounts",
    summary="Import accounts from a CSV file",
    openapi_extra=_UPLOAD_DOC,
    response={200: dict, 202: dict, 422: ImportErrorOut},
)
def import_accounts(request: HttpRequest) -> Status[dict[str, Any]]:
    return _upload(request, ImportKind.ACCOUNTS)


@router.post(
    "/contacts",
    summary="Import contacts from a CSV file",
    openapi_extra=_UPLOAD_DOC,
    response={200: dict, 202: dict, 422: ImportErrorOut},
)
def import_contacts(request: HttpRequest) -> Status[dict[str, Any]]:
    return _upload(request, ImportKind.CONTACTS)


@router.get("/{job_id}", summary="One import job: status, progress, counts and per-row errors")
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    job: ImportJob = get_object_or_404(actor.workspace.imports, pk=job_id)
    return services.job_summary(job)
