"""Accounts, contacts and segments over HTTP. Every call is scoped to the token's workspace.

Bad values come back as 422 `{"detail": ..., "errors": {field: [messages]}}`, the same messages the UI shows.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.customers import actions, queries
from harken.customers.models import Account, Contact
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["customers"])

MAX_PAGE_SIZE = 200


class AccountOut(Schema):
    id: int
    name: str
    domain: str
    plan: str
    segment: str
    lifecycle_stage: str
    arr: float
    renewal_date: dt.date | None
    owner_email: str | None
    external_id: str
    notes: str
    feedback_count: int | None = None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner_email(obj: Account) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_arr(obj: Account) -> float:
        return float(obj.arr)

    @staticmethod
    def resolve_feedback_count(obj: Account) -> int | None:
        return getattr(obj, "feedback_count", None)


class AccountIn(Schema):
    """Values may be strings as people write them ("12k", "31/03/2026") or typed JSON values."""

    name: str | None = None
    domain: str | None = None
    plan: str | None = None
    segment: str | None = None
    lifecycle_stage: str | None = None
    arr: float | str | None = None
    renewal_date: str | None = None
    owner_email: str | None = None
    external_id: str | None = None
    notes: str | None = None


class AccountPage(Schema):
    count: int
    page: int
    pages: int
    total_arr: float
    items: list[AccountOut]


class ContactOut(Schema):
    id: int
    name: str
    email: str
    title: str
    account_id: int | None
    account_name: str | None
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account_name(obj: Contact) -> str | None:
        return obj.account.name if obj.account else None


class ContactIn(Schema):
    """Point at the account by `account_id`, `account_domain` or `account_name`."""

    name: str | None = None
    email: str | None = None
    title: str | None = None
    account_id: int | None = None
    account_domain: str | None = None
    account_name: str | None = None
    external_id: str | None = None


class ContactPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ContactOut]


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    weight: float
    filters: dict[str, str]
    account_count: int
    total_arr: float


def _paginate(qs: QuerySet[Any], page: int, page_size: int) -> tuple[int, int, int, QuerySet[Any]]:
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = qs.count()
    pages = max(1, math.ceil(count / page_size))
    page = max(1, min(page, pages))
    start = (page - 1) * page_size
    return count, page, pages, qs[start : start + page_size]


def _contact_data(payload: ContactIn, *, partial: bool) -> dict[str, Any]:
    data = payload.dict(exclude_unset=partial)
    if "account_id" in data:
        account_id = data.pop("account_id")
        if partial or account_id is not None:
            data["account"] = account_id
    return data


# ------------------------------------------------------------------------------------------ accounts


@router.get("/accounts", response={200: AccountPage, 422: ErrorOut})
def list_accounts(
    request: HttpRequest,
    q: str = "",
    segment: str = "",
    segment_id: int | None = None,
    plan: str = "",
    lifecycle_stage: str = "",
    owner: str = "",
    min_arr: str = "",
    max_arr: str = "",
    renewal_before: str = "",
    renewal_after: str = "",
    renewal_within_days: str = "",
    sort: str = "name",
    page: int = 1,
    page_size: int = 50,
) -> Any:
    """Filter like the accounts page; `segment_id` applies a saved segment, `segment` the account's segment field."""
    workspace = actor_of(request).workspace
    filters: dict[str, Any] = {}
    if segment_id is not None:
        filters.update(queries.segment_filters(get_object_or_404(workspace.segments, pk=segment_id)))
    given = {
        "q": q,
        "segment": segment,
        "plan": plan,
        "lifecycle_stage": lifecycle_stage,
        "owner": owner,
        "min_arr": min_arr,
        "max_arr": max_arr,
        "renewal_before": renewal_before,
        "renewal_after": renewal_after,
        "renewal_within_days": renewal_within_days,
    }
    filters.update({k: v for k, v in given.items() if v})
    queries.clean_filters(filters)
    result = queries.list_accounts(workspace, filters, sort)
    count, page, pages, items = _paginate(result.page_accounts, page, page_size)
    return {"count": count, "page": page, "pages": pages, "total_arr": float(result.total_arr), "items": list(items)}


@router.get("/accounts/{account_id}", response=AccountOut)
def get_account(request: HttpRequest, account_id: int) -> Any:
    qs = actor_of(request).workspace.accounts.select_related("owner").annotate(feedback_count=Count("feedback_items"))
    return get_object_or_404(qs, pk=account_id)


@router.post("/accounts", response={201: AccountOut, 422: ErrorOut})
def create_account(request: HttpRequest, payload: AccountIn) -> Any:
    actor = require_write(request)
    account = actions.create_account(actor, payload.dict())
    return Status(201, account)


@router.patch("/accounts/{account_id}", response={200: AccountOut, 422: ErrorOut})
def update_account(request: HttpRequest, account_id: int, payload: AccountIn) -> Any:
    """Only the fields you send change."""
    actor = require_write(request)
    account = get_object_or_404(actor.workspace.accounts, pk=account_id)
    return actions.update_account(actor, account, payload.dict(exclude_unset=True), partial=True)


@router.delete("/accounts/{account_id}", response={204: None})
def delete_account(request: HttpRequest, account_id: int) -> Any:
    actor = require_write(request)
    actions.delete_account(actor, get_object_or_404(actor.workspace.accounts, pk=account_id))
    return Status(204, None)


# ------------------------------------------------------------------------------------------ contacts


@router.get("/contacts", response=ContactPage)
def list_contacts(request: HttpRequest, q: str = "", account_id: str = "", page: int = 1, page_size: int = 50) -> Any:
    """`account_id` may be an id or `none` (contacts without an account)."""
    workspace = actor_of(request).workspace
    count, page, pages, items = _paginate(queries.filter_contacts(workspace, q, account_id), page, page_size)
    return {"count": count, "page": page, "pages": pages, "items": list(items)}


@router.get("/contacts/{contact_id}", response=ContactOut)
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return get_object_or_404(actor_of(request).workspace.contacts.select_related("account"), pk=contact_id)


@router.post("/contacts", response={201: ContactOut, 422: ErrorOut})
def create_contact(request: HttpRequest, payload: ContactIn) -> Any:
    actor = require_write(request)
    contact = actions.create_contact(actor, _contact_data(payload, partial=False))
    return Status(201, contact)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, 422: ErrorOut})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactIn) -> Any:
    actor = require_write(request)
    contact = get_object_or_404(actor.workspace.contacts, pk=contact_id)
    return actions.update_contact(actor, contact, _contact_data(payload, partial=True), partial=True)


@router.delete("/contacts/{contact_id}", response={204: None})
def delete_contact(request: HttpRequest, contact_id: int) -> Any:
    actor = require_write(request)
    actions.delete_contact(actor, get_object_or_404(actor.workspace.contacts, pk=contact_id))
    return Status(204, None)


# ------------------------------------------------------------------------------------------ segments


@router.get("/segments", response=list[SegmentOut])
def list_segments(request: HttpRequest) -> Any:
    return [
        {
            "id": row["segment"].pk,
            "name": row["segment"].name,
            "description": row["segment"].description,
            "weight": row["segment"].weight,
            "filters": row["filters"],
            "account_count": row["count"],
            "total_arr": float(row["arr"]),
        }
        for row in queries.segment_rows(actor_of(request).workspace)
    ]


# Goals, jobs and process maps live in their own module (customers/understanding_api.py).
from harken.customers.understanding_api import router as _understanding_router  # noqa: E402

router.add_router("", _understanding_router)
