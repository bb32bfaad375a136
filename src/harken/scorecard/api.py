"""The customer-focus scorecard and the PM growth rubric over HTTP, scoped to the token's workspace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.scorecard import actions, metrics, rubric
from harken.scorecard.models import SelfAssessment
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["scorecard"])


class ScopeOut(Schema):
    key: str
    label: str


class ScorecardOut(Schema):
    scope: ScopeOut
    window_days: int
    period_days: int
    time_zone: str  # the zone whose Mondays start the weeks (the PM's, else the workspace's)
    metrics: list[dict[str, Any]]


class AssessmentIn(Schema):
    levels: dict[str, int]
    note: str = ""


class AssessmentOut(Schema):
    id: int
    user_email: str
    created_at: dt.datetime
    levels: dict[str, int]
    note: str


@router.get("/scopes", response=list[ScopeOut])
def scopes(request: HttpRequest) -> list[dict[str, str]]:
    """The team, each product line and each PM: the keys `/scorecard/?scope=` accepts."""
    actor = actor_of(request)
    return [{"key": s.key, "label": s.label} for s in metrics.scopes(actor.workspace)]


@router.get("/", response={200: ScorecardOut, 404: ErrorOut})
def scorecard(request: HttpRequest, scope: str = "team") -> dict[str, Any] | Status:
    """Every metric for one scope ("team", "line:<slug>", "pm:<user id>"), with its trend and suggested action."""
    actor = actor_of(request)
    try:
        chosen = metrics.scope_for(actor.workspace, scope)
    except LookupError:
        return Status(404, {"detail": "No such scope.", "errors": {"scope": ["Unknown scope."]}})
    return {
        "scope": {"key": chosen.key, "label": chosen.label},
        "window_days": metrics.WINDOW_DAYS,
        "period_days": metrics.PERIOD_DAYS,
        "time_zone": metrics.scope_zone(chosen).key,
        "metrics": [c.as_dict() for c in metrics.scorecard(chosen)],
    }


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "user_email": row.user.email,
        "created_at": row.created_at,
        "levels": row.levels,
        "note": row.note,
    }


@router.get("/assessments", response=list[AssessmentOut])
def assessments(request: HttpRequest) -> list[dict[str, Any]]:
    """Every self-assessment in the workspace, newest first (the rubric's history)."""
    actor = actor_of(request)
    return [_out(r) for r in SelfAssessment.objects.filter(workspace=actor.workspace).select_related("user")[:500]]


@router.post("/assessments", response={201: AssessmentOut, 403: ErrorOut, 422: ErrorOut})
def assess(request: HttpRequest, payload: AssessmentIn) -> Status:
    """Record the token owner's self-assessment: `levels` maps each practice to 1 (novice) … 5 (master)."""
    actor = require_write(request)
    row = actions.assess(actor, payload.levels, payload.note)
    return Status(201, _out(row))


@router.get("/rubric", response=dict)
def rubric_definition(request: HttpRequest) -> dict[str, Any]:
    """The rubric's practices and levels."""
    actor_of(request)
    return {
        "levels": [{"level": n, "name": name} for n, name in rubric.LEVELS],
        "practices": [{"key": k, "name": name, "master": master} for k, name, master in rubric.PRACTICES],
    }
