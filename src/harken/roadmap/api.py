"""Roadmap over HTTP: items with reach/RICE, status changes, evidence links, promises, slips.

Service ValidationErrors become 422 `{"detail", "errors"}` (core.apierrors); other workspaces' ids are 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.roadmap import actions, promises, queries
from harken.roadmap import statuses as st
from harken.roadmap.models import RoadmapItem
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["roadmap"])


class ItemOut(Schema):
    id: int
    title: str
    description: str
    status: str
    status_label: str
    status_kind: str
    product_line: str | None
    owner_email: str | None
    target_release: str
    target_date: dt.date | None
    public: bool
    reach: int
    accounts: int
    arr_at_stake: Decimal
    requests: int
    impact: float
    confidence: int
    effort: float
    rice: float
    rice_explained: str
    value_fit: int


class ItemIn(Schema):
    title: str
    description: str = ""
    status: str = ""
    product_line: str | None = None
    target_release: str = ""
    target_date: dt.date | None = None
    public: bool = False
    impact: float = 1
    confidence: int = 80
    effort: float = 1
    value_fit: int = 0


class ItemPatch(Schema):
    title: str | None = None
    description: str | None = None
    target_release: str | None = None
    target_date: dt.date | None = None
    public: bool | None = None
    impact: float | None = None
    confidence: int | None = None
    effort: float | None = None
    value_fit: int | None = None


class StatusIn(Schema):
    status: str
    note: str = ""


class EvidenceIn(Schema):
    kind: Literal["feedback", "theme", "account"]
    id: int
    note: str = ""


class EvidenceOut(Schema):
    id: int
    kind: str
    object_id: int


class PromiseIn(Schema):
    target_date: dt.date
    account_id: int | None = None
    contact_id: int | None = None
    note: str = ""


class PromiseOut(Schema):
    id: int
    item_id: int
    account_id: int | None
    contact_id: int | None
    target_date: dt.date
    original_target_date: dt.date
    status: str
    kept_on_time: bool | None


def _out(item: RoadmapItem, reach: queries.Reach) -> dict[str, Any]:
    status = st.status_of(item.workspace, item.status)
    score = queries.score_of(item, reach)
    return {
        "id": item.pk,
        "title": item.title,
        "description": item.description,
        "status": item.status,
        "status_label": status.label,
        "status_kind": status.kind,
        "product_line": item.product_line.slug if item.product_line else None,
        "owner_email": item.owner.email if item.owner else None,
        "target_release": item.target_release,
        "target_date": item.target_date,
        "public": item.public,
        "reach": reach.customers,
        "accounts": len(reach.accounts),
        "arr_at_stake": reach.arr,
        "requests": len(reach.requests),
        "impact": score.impact,
        "confidence": score.confidence,
        "effort": score.effort,
        "rice": score.rice,
        "rice_explained": score.explanation,
        "value_fit": score.value_fit,
    }


def _one(request: HttpRequest, item_id: int) -> RoadmapItem:
    return get_object_or_404(queries.live_items(actor_of(request).workspace), pk=item_id)


def _item_out(item: RoadmapItem) -> dict[str, Any]:
    return _out(item, queries.reach_for(item.workspace, [item])[item.pk])


@router.get("/items", response=list[ItemOut])
def list_items(request: HttpRequest, line: str = "", status: str = "", sort: str = "rice") -> Any:
    """Live items with reach, revenue at stake and RICE; sort by rice, reach, arr, fit, effort or title."""
    ws = actor_of(request).workspace
    return [_out(r["item"], r["reach"]) for r in queries.rows(ws, line=line, status=status, sort=sort)]


@router.post("/items", response={201: ItemOut, 422: ErrorOut})
def create_item(request: HttpRequest, payload: ItemIn) -> Any:
    actor = require_write(request)
    data = payload.dict()
    line = data.pop("product_line")
    data["product_line"] = get_object_or_404(actor.workspace.product_lines, slug=line) if line else None
    item = actions.create_item(actor, **data)
    return Status(201, _item_out(item))


@router.get("/items/{item_id}", response=ItemOut)
def get_item(request: HttpRequest, item_id: int) -> Any:
    return _item_out(_one(request, item_id))


@router.patch("/items/{item_id}", response={200: ItemOut, 422: ErrorOut})
def update_item(request: HttpRequest, item_id: int, payload: ItemPatch) -> Any:
    actor = require_write(request)
    item = _one(request, item_id)
    actions.update_item(actor, item, **payload.dict(exclude_unset=True))
    return _item_out(item)


@router.post("/items/{item_id}/status", response={200: ItemOut, 422: ErrorOut})
def change_status(request: HttpRequest, item_id: int, payload: StatusIn) -> Any:
    actor = require_write(request)
    item = actions.change_status(actor, _one(request, item_id), payload.status, source="api", note=payload.note)
    return _item_out(item)


@router.post("/items/{item_id}/evidence", response={201: EvidenceOut, 404: ErrorOut, 422: ErrorOut})
def link_evidence(request: HttpRequest, item_id: int, payload: EvidenceIn) -> Any:
    actor = require_write(request)
    item = _one(request, item_id)
    source = {
        "feedback": actor.workspace.feedback_items,
        "theme": actor.workspace.themes,
        "account": actor.workspace.accounts,
    }[payload.kind]
    obj = get_object_or_404(source, pk=payload.id)
    evidence = actions.link_evidence(actor, item, obj, note=payload.note)
    return Status(201, {"id": evidence.pk, "kind": evidence.kind, "object_id": payload.id})


@router.post("/items/{item_id}/promises", response={201: PromiseOut, 422: ErrorOut})
def make_promise(request: HttpRequest, item_id: int, payload: PromiseIn) -> Any:
    actor = require_write(request)
    item = get_object_or_404(actor.workspace.roadmap_items, pk=item_id)  # deleted → a clear 422
    account = get_object_or_404(actor.workspace.accounts, pk=payload.account_id) if payload.account_id else None
    contact = get_object_or_404(actor.workspace.contacts, pk=payload.contact_id) if payload.contact_id else None
    promise = promises.make_promise(
        actor, item, target_date=payload.target_date, account=account, contact=contact, note=payload.note
    )
    return Status(201, promise)


@router.get("/promises", response=list[PromiseOut])
def list_promises(request: HttpRequest, status: str = "") -> Any:
    qs = actor_of(request).workspace.roadmap_promises.order_by("target_date", "id")
    return qs.filter(status=status) if status else qs
