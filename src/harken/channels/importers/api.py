"""Import API: upload an export file (multipart) to one of the importers; list and read runs."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from harken.channels.importers import services
from harken.channels.importers.models import ImportSource
from harken.core.apierrors import ErrorOut, error_body
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["channels"])


class RunErrorOut(ErrorOut):
    """The one error shape, plus the run when one was recorded."""

    run: dict[str, Any] | None = None


_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["source", "file"],
                    "properties": {
                        "source": {
                            "type": "string",
                            "enum": ["zendesk", "intercom", "appstore", "googleplay", "json"],
                            "description": "Which tool's export the file is",
                        },
                        "file": {"type": "string", "format": "binary", "description": "The export file, verbatim"},
                        "mapping": {
                            "type": "string",
                            "description": 'json importer only: JSON object field → dotted path, e.g. {"text": "message.body"}',
                        },
                        "channel": {
                            "type": "string",
                            "description": "json importer only: feedback channel (default api)",
                        },
                        "product_line": {"type": "string", "description": "Product line slug for every item"},
                    },
                }
            }
        }
    }
}


@router.post(
    "",
    response={201: dict[str, Any], 422: RunErrorOut},
    openapi_extra=_UPLOAD_DOC,
    summary="Import an export file (zendesk, intercom, appstore, googleplay, json)",
)
def upload(request: HttpRequest) -> Status[dict[str, Any]]:
    """Idempotent: uploading the same export again creates nothing new (`existing` counts those)."""
    actor = require_write(request)
    source = request.POST.get("source", "")
    if source not in ImportSource.values:
        raise ValidationError({"source": f"Give source= one of {', '.join(ImportSource.values)}."})
    upload_file = request.FILES.get("file")
    if upload_file is None:
        raise ValidationError({"file": "Send the export as multipart/form-data in a field named 'file'."})
    options: dict[str, Any] = {}
    if request.POST.get("product_line"):
        options["product_line"] = request.POST["product_line"]
    if source == "json":
        options["channel"] = request.POST.get("channel") or "api"
        if request.POST.get("mapping"):
            try:
                options["mapping"] = json.loads(request.POST["mapping"])
            except json.JSONDecodeError:
                raise ValidationError(
                    {"mapping": 'mapping must be a JSON object, e.g. {"text": "message.body"}.'}
                ) from None
    run = services.run_import(actor, source, upload_file, options=options)
    if run.status == "failed":
        return Status(422, {**error_body(ValidationError({"file": run.failure})), "run": services.run_summary(run)})
    return Status(201, services.run_summary(run))


@router.get("", response=list[dict[str, Any]], summary="Recent import runs")
def runs(request: HttpRequest) -> list[dict[str, Any]]:
    return [services.run_summary(run) for run in services.recent_runs(actor_of(request), limit=100)]


@router.get("/{run_id}", response=dict[str, Any], summary="One import run with its per-record errors")
def run_detail(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = get_object_or_404(actor_of(request).workspace.channel_imports, pk=run_id)
    return services.run_summary(run)
