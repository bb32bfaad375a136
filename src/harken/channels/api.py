"""Channels API. Uploading another tool's export is an import job: see `/api/imports/` (source=zendesk…).

`POST /api/channels/imports` is kept for existing scripts: it creates and starts the same job and
answers 202 at once (it used to answer 201 after the whole file had run).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from harken.core.apierrors import ErrorOut
from harken.imports import actions, queries
from harken.imports.api import _create
from harken.imports.models import ImportSource
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["channels"])


@router.post(
    "/imports",
    response={202: dict[str, Any], 422: ErrorOut},
    summary="Import another tool's export (deprecated: use POST /api/imports/feedback with source=)",
    deprecated=True,
)
def upload(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = require_write(request)
    source = request.POST.get("source", "")
    if source not in ImportSource.values or source == ImportSource.CSV:
        choices = ", ".join(v for v in ImportSource.values if v != ImportSource.CSV)
        raise ValidationError({"source": f"Give source= one of {choices}."})
    job = _create(request, actor, "feedback", source)
    actions.start_import(actor, job)
    return Status(202, queries.job_summary(job))


@router.get(
    "/imports", response=list[dict[str, Any]], summary="Recent imports of other tools' exports", deprecated=True
)
def runs(request: HttpRequest) -> list[dict[str, Any]]:
    jobs = actor_of(request).workspace.imports.exclude(source=ImportSource.CSV)
    return [queries.job_summary(job) for job in jobs[:100]]


@router.get(
    "/imports/{run_id}",
    response=dict[str, Any],
    summary="One import job (deprecated: GET /api/imports/{id})",
    deprecated=True,
)
def run_detail(request: HttpRequest, run_id: int) -> dict[str, Any]:
    job = get_object_or_404(actor_of(request).workspace.imports.exclude(source=ImportSource.CSV), pk=run_id)
    return queries.job_summary(job)
