"""Goals, jobs and the process map over HTTP (mounted on the customers router)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.customers import understanding
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["customers"])


class GoalOut(Schema):
    id: int
    title: str
    detail: str


class JobOut(Schema):
    id: int
    situation: str
    motivation: str
    outcome: str
    statement: str


class PainOut(Schema):
    id: int
    text: str
    severity: int
    feedback_ids: list[int]
    theme_ids: list[int]

    @staticmethod
    def resolve_feedback_ids(obj: Any) -> list[int]:
        return [f.pk for f in obj.feedback.all()]

    @staticmethod
    def resolve_theme_ids(obj: Any) -> list[int]:
        return [t.pk for t in obj.themes.all()]


class MicroStepOut(Schema):
    id: int
    number: str
    title: str
    pains: list[PainOut]


class StepOut(Schema):
    id: int
    number: str
    title: str
    detail: str
    score: int
    pains: list[PainOut]
    micro_steps: list[MicroStepOut]


class UnderstandingOut(Schema):
    goals: list[GoalOut]
    jobs: list[JobOut]
    process: list[StepOut]


class GoalIn(Schema):
    title: str
    detail: str = ""


class JobIn(Schema):
    situation: str
    motivation: str
    outcome: str


class StepIn(Schema):
    title: str
    detail: str = ""
    parent_id: int | None = None


class PainIn(Schema):
    text: str
    severity: int = 2
    feedback_ids: list[int] = []
    theme_ids: list[int] = []


class GoalPatch(Schema):
    title: str | None = None
    detail: str | None = None


class JobPatch(Schema):
    situation: str | None = None
    motivation: str | None = None
    outcome: str | None = None


class StepPatch(Schema):
    title: str | None = None
    detail: str | None = None


class StepEditOut(Schema):
    id: int
    title: str
    detail: str
    parent_id: int | None


class StepPainRow(Schema):
    label: str
    value: int
    pains: int
    feedback: int
    accounts: list[str]


@router.get("/accounts/{account_id}/understanding", response=UnderstandingOut)
def get_understanding(request: HttpRequest, account_id: int) -> Any:
    account = get_object_or_404(actor_of(request).workspace.accounts, pk=account_id)
    data = understanding.account_understanding(account)
    return {
        "goals": data["goals"],
        "jobs": data["jobs"],
        "process": [
            {
                "id": row["step"].pk,
                "number": row["number"],
                "title": row["step"].title,
                "detail": row["step"].detail,
                "score": row["score"],
                "pains": row["pains"],
                "micro_steps": [
                    {"id": m["step"].pk, "number": m["number"], "title": m["step"].title, "pains": m["pains"]}
                    for m in row["micro"]
                ],
            }
            for row in data["process"]
        ],
    }


@router.post("/accounts/{account_id}/goals", response={201: GoalOut, 422: ErrorOut})
def add_goal(request: HttpRequest, account_id: int, payload: GoalIn) -> Any:
    actor = require_write(request)
    account = get_object_or_404(actor.workspace.accounts, pk=account_id)
    return Status(201, understanding.add_goal(actor, account, title=payload.title, detail=payload.detail))


@router.post("/accounts/{account_id}/jobs", response={201: JobOut, 422: ErrorOut})
def add_job(request: HttpRequest, account_id: int, payload: JobIn) -> Any:
    actor = require_write(request)
    account = get_object_or_404(actor.workspace.accounts, pk=account_id)
    return Status(201, understanding.add_job(actor, account, **payload.dict()))


@router.post("/accounts/{account_id}/steps", response={201: GoalOut, 422: ErrorOut})
def add_step(request: HttpRequest, account_id: int, payload: StepIn) -> Any:
    actor = require_write(request)
    account = get_object_or_404(actor.workspace.accounts, pk=account_id)
    parent = get_object_or_404(actor.workspace.process_steps, pk=payload.parent_id) if payload.parent_id else None
    return Status(
        201, understanding.add_step(actor, account, title=payload.title, detail=payload.detail, parent=parent)
    )


@router.post("/steps/{step_id}/pains", response={201: PainOut, 422: ErrorOut})
def add_pain(request: HttpRequest, step_id: int, payload: PainIn) -> Any:
    actor = require_write(request)
    step = get_object_or_404(actor.workspace.process_steps, pk=step_id)
    return Status(
        201,
        understanding.add_pain(
            actor,
            step,
            text=payload.text,
            severity=payload.severity,
            feedback_ids=payload.feedback_ids,
            theme_ids=payload.theme_ids,
        ),
    )


@router.get("/process-pain", response=list[StepPainRow])
def process_pain(request: HttpRequest) -> Any:
    return understanding.pain_by_step(actor_of(request).workspace)


@router.patch("/goals/{goal_id}", response={200: GoalOut, 422: ErrorOut})
def edit_goal(request: HttpRequest, goal_id: int, payload: GoalPatch) -> Any:
    """Change a goal's title and/or detail (fields left out stay as they are)."""
    actor = require_write(request)
    goal = get_object_or_404(actor.workspace.customer_goals, pk=goal_id)
    return understanding.edit_goal(actor, goal, **payload.dict(exclude_unset=True))


@router.patch("/jobs/{job_id}", response={200: JobOut, 422: ErrorOut})
def edit_job(request: HttpRequest, job_id: int, payload: JobPatch) -> Any:
    """Rewrite parts of a job statement (fields left out stay as they are)."""
    actor = require_write(request)
    job = get_object_or_404(actor.workspace.customer_jobs, pk=job_id)
    return understanding.edit_job(actor, job, **payload.dict(exclude_unset=True))


@router.patch("/steps/{step_id}", response={200: StepEditOut, 422: ErrorOut})
def edit_step(request: HttpRequest, step_id: int, payload: StepPatch) -> Any:
    """Rename a step or micro-step and/or change its detail (fields left out stay as they are)."""
    actor = require_write(request)
    step = get_object_or_404(actor.workspace.process_steps, pk=step_id)
    return understanding.edit_step(actor, step, **payload.dict(exclude_unset=True))


@router.delete("/goals/{goal_id}", response={204: None})
def delete_goal(request: HttpRequest, goal_id: int) -> Any:
    actor = require_write(request)
    understanding.delete_goal(actor, get_object_or_404(actor.workspace.customer_goals, pk=goal_id))
    return Status(204, None)


@router.delete("/jobs/{job_id}", response={204: None})
def delete_job(request: HttpRequest, job_id: int) -> Any:
    actor = require_write(request)
    understanding.delete_job(actor, get_object_or_404(actor.workspace.customer_jobs, pk=job_id))
    return Status(204, None)


@router.delete("/steps/{step_id}", response={204: None})
def delete_step(request: HttpRequest, step_id: int) -> Any:
    actor = require_write(request)
    understanding.delete_step(actor, get_object_or_404(actor.workspace.process_steps, pk=step_id))
    return Status(204, None)


@router.delete("/pains/{pain_id}", response={204: None})
def delete_pain(request: HttpRequest, pain_id: int) -> Any:
    actor = require_write(request)
    understanding.delete_pain(actor, get_object_or_404(actor.workspace.step_pains, pk=pain_id))
    return Status(204, None)
