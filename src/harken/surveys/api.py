"""Surveys over HTTP, scoped to the token's workspace: list, create, send, results and answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.surveys import actions, queries
from harken.surveys.models import Survey
from harken.workspaces.access import Actor
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["surveys"])


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    question: str
    status: str
    product_line_id: int | None
    shareable: bool
    throttle_days: int
    remind_after_days: int
    expires_after_days: int
    csat_satisfied_from: int
    created_at: dt.datetime

    @staticmethod
    def resolve_shareable(obj: Survey) -> bool:
        return bool(obj.share_key)


class SurveyIn(Schema):
    name: str
    kind: str = "nps"
    question: str = ""
    product_line_id: int | None = None
    shareable: bool = False
    # None: the workspace's default (GET /api/surveys/settings)
    throttle_days: int | None = None
    remind_after_days: int | None = None
    expires_after_days: int | None = None
    csat_satisfied_from: int | None = None


class SettingsOut(Schema):
    throttle_days: int
    remind_after_days: int
    expires_after_days: int
    csat_satisfied_from: int


class SendIn(Schema):
    contact_ids: list[int] | None = None
    segment: str = ""
    plan: str = ""


class SendOut(Schema):
    sent: int
    throttled: int
    without_email: int


class ScoreOut(Schema):
    n: int
    value: float | None
    low: float | None
    high: float | None
    enough: bool
    counts: dict[str, int]


class PeriodOut(Schema):
    start: dt.date
    score: ScoreOut


class GroupOut(Schema):
    name: str
    score: ScoreOut


class BreakdownOut(Schema):
    key: str
    label: str
    rows: list[GroupOut]


class ResultsOut(Schema):
    score: ScoreOut
    period: str
    trend: list[PeriodOut]
    breakdowns: list[BreakdownOut]


class AnswerOut(Schema):
    id: int
    score: int | None
    comment: str
    email: str
    contact_id: int | None
    account_id: int | None
    feedback_id: int | None
    answered_at: dt.datetime


def _survey(actor: Actor, survey_id: int) -> Survey:
    return get_object_or_404(Survey.objects.for_workspace(actor.workspace), pk=survey_id)


@router.get("/", response=list[SurveyOut])
def list_surveys(request: HttpRequest) -> Any:
    return list(queries.surveys(actor_of(request).workspace))


@router.post("/", response={201: SurveyOut, 422: ErrorOut})
def create_survey(request: HttpRequest, payload: SurveyIn) -> Any:
    actor = require_write(request)
    line = None
    if payload.product_line_id:
        line = get_object_or_404(actor.workspace.product_lines, pk=payload.product_line_id)
    survey = actions.create_survey(
        actor,
        name=payload.name,
        kind=payload.kind,
        question=payload.question,
        product_line=line,
        shareable=payload.shareable,
        throttle_days=payload.throttle_days,
        remind_after_days=payload.remind_after_days,
        expires_after_days=payload.expires_after_days,
        csat_satisfied_from=payload.csat_satisfied_from,
    )
    return Status(201, survey)


@router.get("/settings", response=SettingsOut)
def get_settings(request: HttpRequest) -> Any:
    """The workspace's defaults for new surveys (admins change them on the Surveys → Defaults page)."""
    return actions.survey_settings(actor_of(request).workspace)


@router.get("/{survey_id}", response=SurveyOut)
def get_survey(request: HttpRequest, survey_id: int) -> Any:
    return _survey(actor_of(request), survey_id)


@router.post("/{survey_id}/send", response={200: SendOut, 422: ErrorOut})
def send_survey(request: HttpRequest, survey_id: int, payload: SendIn) -> Any:
    actor = require_write(request)
    survey = _survey(actor, survey_id)
    contacts = None
    if payload.contact_ids is not None:
        wanted = set(payload.contact_ids)
        contacts = list(actor.workspace.contacts.select_related("account").filter(pk__in=wanted))
        if len(contacts) != len(wanted):
            from django.core.exceptions import ValidationError

            raise ValidationError({"contact_ids": "Unknown contact."})
    result = actions.send_survey(actor, survey, contacts=contacts, segment=payload.segment, plan=payload.plan)
    return {"sent": len(result.sent), "throttled": len(result.throttled), "without_email": result.without_email}


@router.get("/{survey_id}/results", response=ResultsOut)
def survey_results(request: HttpRequest, survey_id: int, period: str = "month") -> Any:
    return queries.results(_survey(actor_of(request), survey_id), period=period)


@router.get("/{survey_id}/answers", response=list[AnswerOut])
def survey_answers(request: HttpRequest, survey_id: int, limit: int = 100) -> Any:
    return list(queries.recent_answers(_survey(actor_of(request), survey_id), limit=max(1, min(limit, 500))))
