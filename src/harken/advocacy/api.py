"""Advocacy over HTTP: the promoter queue, asks with consent, referrals, rewards, candidates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.advocacy import actions, queries
from harken.core.apierrors import ErrorOut
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["advocacy"])


class PromoterOut(Schema):
    response_id: int
    contact_id: int
    email: str
    account_id: int | None
    score: int
    comment: str
    answered_at: dt.datetime


class AskOut(Schema):
    id: int
    contact_id: int
    kind: str
    status: str
    response_id: int | None
    asked_at: dt.datetime
    quote: str
    consent_scope: str
    consent_where: str
    consent_until: dt.date | None
    consent_given_at: dt.datetime | None


class AskIn(Schema):
    contact_id: int
    kind: str
    response_id: int | None = None
    notes: str = ""


class AskUpdateIn(Schema):
    status: str
    quote: str = ""
    consent_scope: str = ""
    consent_where: str = ""
    consent_until: dt.date | None = None


class ReferralOut(Schema):
    id: int
    referrer_id: int
    company: str
    person: str
    email: str
    outcome: str
    value: Decimal
    referred_at: dt.datetime


class ReferralIn(Schema):
    referrer_id: int
    company: str
    person: str = ""
    email: str = ""
    notes: str = ""


class RewardOut(Schema):
    id: int
    contact_id: int
    description: str
    amount: Decimal
    ask_id: int | None
    referral_id: int | None
    given_at: dt.datetime


class RewardIn(Schema):
    contact_id: int
    description: str
    amount: Decimal = Decimal("0")
    ask_id: int | None = None
    referral_id: int | None = None


class CandidateOut(Schema):
    account_id: int
    account: str
    arr: Decimal
    positive: int


@router.get("/queue", response=list[PromoterOut])
def promoter_queue(request: HttpRequest) -> Any:
    return [
        {
            "response_id": r.pk,
            "contact_id": r.contact_id,
            "email": r.email,
            "account_id": r.account_id,
            "score": r.score,
            "comment": r.comment,
            "answered_at": r.answered_at,
        }
        for r in queries.queue(actor_of(request).workspace)
    ]


@router.get("/asks", response=list[AskOut])
def list_asks(request: HttpRequest) -> Any:
    return list(queries.asks(actor_of(request).workspace)[:500])


@router.post("/asks", response={201: AskOut, 422: ErrorOut})
def create_ask(request: HttpRequest, payload: AskIn) -> Any:
    actor = require_write(request)
    return Status(
        201,
        actions.ask(
            actor,
            contact_id=payload.contact_id,
            kind=payload.kind,
            response_id=payload.response_id,
            notes=payload.notes,
        ),
    )


@router.patch("/asks/{ask_id}", response={200: AskOut, 422: ErrorOut})
def update_ask(request: HttpRequest, ask_id: int, payload: AskUpdateIn) -> Any:
    actor = require_write(request)
    item = get_object_or_404(queries.asks(actor.workspace), pk=ask_id)
    return actions.update_ask(actor, item, **payload.dict())


@router.get("/referrals", response=list[ReferralOut])
def list_referrals(request: HttpRequest) -> Any:
    return list(queries.referrals(actor_of(request).workspace)[:500])


@router.post("/referrals", response={201: ReferralOut, 422: ErrorOut})
def create_referral(request: HttpRequest, payload: ReferralIn) -> Any:
    actor = require_write(request)
    return Status(201, actions.add_referral(actor, **payload.dict()))


@router.get("/rewards", response=list[RewardOut])
def list_rewards(request: HttpRequest) -> Any:
    return list(queries.rewards(actor_of(request).workspace)[:500])


@router.post("/rewards", response={201: RewardOut, 422: ErrorOut})
def create_reward(request: HttpRequest, payload: RewardIn) -> Any:
    actor = require_write(request)
    return Status(201, actions.give_reward(actor, **payload.dict()))


@router.get("/candidates", response=list[CandidateOut])
def case_study_candidates(request: HttpRequest) -> Any:
    return [
        {
            "account_id": c["account"].pk,
            "account": c["account"].name,
            "arr": c["account"].arr,
            "positive": c["positive"],
        }
        for c in queries.case_study_candidates(actor_of(request).workspace)
    ]
