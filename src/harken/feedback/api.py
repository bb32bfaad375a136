"""Feedback API at /api/feedback/: push evidence in from scripts and tools, read it back out.

Creation is idempotent: an `external_id` (your system's id) or an `Idempotency-Key` header makes
a retried request return the item it already created (200) instead of a duplicate (201).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from harken.core.apierrors import ErrorOut as Error
from harken.core.respcache import cached_result
from harken.feedback import actions, bulk, export, queries
from harken.feedback.models import Channel, Feedback
from harken.workspaces.access import Actor
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["feedback"])

MAX_LIMIT = 200
MAX_IDEMPOTENCY_KEY = 200


class Ref(Schema):
    id: int
    name: str


class AccountRef(Ref):
    domain: str
    arr: float
    segment: str


class ContactRef(Ref):
    email: str


class ProductLineRef(Ref):
    slug: str


class FeedbackOut(Schema):
    id: int
    title: str
    text: str
    channel: str
    author_email: str
    author_name: str
    contact: ContactRef | None
    account: AccountRef | None
    product_line: ProductLineRef | None
    tags: list[str]
    received_at: datetime
    external_id: str
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="The item's page in the Harken UI")


class FeedbackList(Schema):
    count: int
    limit: int
    offset: int
    items: list[FeedbackOut]


class FeedbackIn(Schema):
    text: str = Field(description="What the customer said (required, up to 1 MB)")
    title: str = ""
    channel: str = Field("api", description="One of: " + ", ".join(Channel.values))
    email: str = Field("", description="Sender email; matched to a contact, or to an account by domain")
    author_email: str = Field("", description="Same as `email`")
    author_name: str = ""
    account_domain: str = Field("", description="File under the account with this domain (overrides matching)")
    account_id: int | None = None
    product_line: str = Field("", description="Product line slug or name")
    tags: list[str] = Field(default_factory=list)
    received_at: datetime | None = Field(None, description="ISO 8601; defaults to now")
    external_id: str = Field("", description="Your system's id for this item; makes retries idempotent")


class FeedbackPatch(Schema):
    title: str | None = None
    text: str | None = None
    product_line: str | None = Field(None, description="Slug or name; empty string or null clears it")
    tags: list[str] | None = Field(None, description="Replaces the item's tags")
    account_id: int | None = Field(None, description="null clears the account")
    account_domain: str | None = None
    contact_email: str | None = Field(None, description="Reassign to the contact with this email; empty clears")


def _out(request: HttpRequest, item: Feedback) -> dict[str, Any]:
    account, contact, line = item.account, item.contact, item.product_line
    return {
        "id": item.pk,
        "title": item.title,
        "text": item.text,
        "channel": item.channel,
        "author_email": item.author_email,
        "author_name": item.author_name,
        "contact": {"id": contact.pk, "name": contact.name, "email": contact.email} if contact else None,
        "account": (
            {
                "id": account.pk,
                "name": account.name,
                "domain": account.domain,
                "arr": float(account.arr),
                "segment": account.segment,
            }
            if account
            else None
        ),
        "product_line": {"id": line.pk, "name": line.name, "slug": line.slug} if line else None,
        "tags": [t.name for t in item.tags.all()],
        "received_at": item.received_at,
        "external_id": item.external_id,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "url": request.build_absolute_uri(
            reverse("feedback:detail", kwargs={"ws": item.workspace.slug, "pk": item.pk})
        ),
    }


def _too_large(text: str | None) -> Status[dict[str, Any]] | None:
    size = len((text or "").encode("utf-8"))
    if size > actions.MAX_TEXT_BYTES:
        return Status(
            413,
            {
                "detail": f"Feedback text is {size / 1_000_000:.1f} MB; the limit is 1 MB per item.",
                "errors": {"text": ["Too large."]},
            },
        )
    return None


def _account(actor: Actor, account_id: int | None, domain: str | None) -> Any:
    if account_id is not None:
        found = actor.workspace.accounts.filter(pk=account_id).first()
        if found is None:
            raise ValidationError({"account_id": f"No account {account_id} in this workspace."})
        return found
    if domain:
        domain = domain.strip().lower().removeprefix("www.")
        found = actor.workspace.accounts.filter(domain__iexact=domain).first()
        if found is None:
            raise ValidationError({"account_domain": f"No account with domain “{domain[:100]}” in this workspace."})
        return found
    return None


def _items(actor: Actor) -> Any:
    return actor.workspace.feedback_items.select_related(
        "account", "contact", "product_line", "workspace"
    ).prefetch_related("tags")


@router.post("/", response={200: FeedbackOut, 201: FeedbackOut, 413: Error, 422: Error})
def create(request: HttpRequest, payload: FeedbackIn) -> Any:
    actor = require_write(request)
    too_large = _too_large(payload.text)
    if too_large:
        return too_large
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        return Status(
            422, {"detail": f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters.", "errors": {}}
        )
    account = _account(actor, payload.account_id, payload.account_domain)
    item, created = actions.create_feedback(
        actor,
        text=payload.text,
        title=payload.title,
        channel=payload.channel or Channel.API,
        author_email=payload.author_email or payload.email,
        author_name=payload.author_name,
        account=account,
        product_line=actions.resolve_product_line(actor.workspace, payload.product_line),
        tags=payload.tags,
        received_at=payload.received_at,
        external_id=payload.external_id,
        dedupe_key=None if payload.external_id.strip() or not key else f"api:{key}",
        raw_payload=request.body.decode("utf-8", errors="replace"),
        raw_content_type=request.content_type or "application/json",
    )
    # a new item carries its relations and tags already: no second read for the response
    return Status(201 if created else 200, _out(request, item if created else _items(actor).get(pk=item.pk)))


def _filter_params(
    q: str,
    channel: str,
    product_line: str,
    tag: str,
    account: int | None,
    segment: str,
    since: str,
    until: str,
    has_account: str,
    sort: str,
) -> dict[str, str]:
    """The list and export endpoints' query parameters, as the inbox's `FeedbackFilters` reads them."""
    return {
        "q": q,
        "channel": channel,
        "product_line": product_line,
        "tag": tag,
        "account": "" if account is None else str(account),
        "segment": segment,
        "since": since,
        "until": until,
        "has_account": has_account,
        "sort": sort,
    }


@router.get("/", response=FeedbackList)
@cached_result(FeedbackList)
def list_feedback(
    request: HttpRequest,
    q: str = "",
    channel: str = "",
    product_line: str = "",
    tag: str = "",
    account: int | None = None,
    segment: str = "",
    since: str = "",
    until: str = "",
    has_account: str = "",
    sort: str = "newest",
    limit: int = 50,
    offset: int = 0,
) -> Any:
    """Filters work like the inbox's; `since`/`until` are dates (YYYY-MM-DD), `has_account` is yes/no."""
    actor = actor_of(request)
    params = _filter_params(q, channel, product_line, tag, account, segment, since, until, has_account, sort)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    results = queries.search_feedback(actor.workspace, params).select_related("workspace")
    page = list(results[offset : offset + limit])
    return {"count": results.count(), "limit": limit, "offset": offset, "items": [_out(request, i) for i in page]}


class BulkIn(Schema):
    action: str = Field(description="One of: " + ", ".join(bulk.ACTIONS))
    ids: list[int] = Field(description=f"Items of this workspace, at most {bulk.MAX_ITEMS}")
    assignee_id: int | None = Field(None, description="assign: a member's user id; null unassigns")
    tag: str = Field("", description="tag: the tag name (created if new)")
    decision: str = Field("", description="decide: the decision key, as in the triage API")
    reason: str = Field("", description="decide: why (required for not_now and wont_do)")
    link: str = Field("", description="decide: where it exists (required for already_exists)")
    duplicate_of: int | None = Field(None, description="decide: the item they duplicate (for duplicate)")
    into: int | None = Field(None, description="merge: the item the others are merged into")
    theme_id: int | None = Field(None, description="theme: the theme to move them to; null takes them out")


class BulkOut(Schema):
    action: str
    count: int
    ids: list[int]
    message: str


@router.post("/bulk", response={200: BulkOut, 422: Error})
def bulk_write(request: HttpRequest, payload: BulkIn) -> Any:
    """One action on many items, all or nothing, through the same per-item actions as the UI.

    Every id must be an item of this workspace: any other id (another workspace's, or none) is a
    422 and nothing is changed."""
    actor = require_write(request)
    result = bulk.run(
        actor,
        payload.action,
        payload.ids,
        assignee=payload.assignee_id,
        tag=payload.tag,
        decision=payload.decision,
        reason=payload.reason,
        link=payload.link,
        duplicate_of=payload.duplicate_of,
        into=payload.into,
        theme=payload.theme_id,
    )
    return {"action": result.action, "count": len(result.ids), "ids": result.ids, "message": result.message}


@router.post("/export", response={200: None, 422: Error}, openapi_extra={"responses": {200: {
    "description": "The view as a CSV or JSON download, streamed",
    "content": {"text/csv": {}, "application/json": {}},
}}})  # fmt: skip
def export_feedback(
    request: HttpRequest,
    format: str = "csv",
    q: str = "",
    channel: str = "",
    product_line: str = "",
    tag: str = "",
    account: int | None = None,
    segment: str = "",
    since: str = "",
    until: str = "",
    has_account: str = "",
    sort: str = "newest",
) -> Any:
    """Every item the list endpoint's filters match (no paging), as CSV (formula-safe) or JSON.

    A POST because the export is recorded in the workspace's audit log; read-only tokens may export."""
    actor = actor_of(request)
    if format not in export.FORMATS:
        raise ValidationError({"format": "Export as csv or json."})
    params = _filter_params(q, channel, product_line, tag, account, segment, since, until, has_account, sort)
    filters = queries.FeedbackFilters.from_params(params)
    return export.response(actor, filters, format, request.build_absolute_uri("/").rstrip("/"))


@router.get("/{int:item_id}", response=FeedbackOut)
def get_feedback(request: HttpRequest, item_id: int) -> Any:
    actor = actor_of(request)
    return _out(request, get_object_or_404(_items(actor), pk=item_id))


@router.patch("/{int:item_id}", response={200: FeedbackOut, 413: Error, 422: Error})
def update(request: HttpRequest, item_id: int, payload: FeedbackPatch) -> Any:
    actor = require_write(request)
    item = get_object_or_404(_items(actor), pk=item_id)
    given = payload.model_fields_set
    too_large = _too_large(payload.text)
    if too_large:
        return too_large
    changes: dict[str, Any] = {}
    if "title" in given:
        changes["title"] = payload.title or ""
    if "text" in given:
        changes["text"] = payload.text or ""
    if "product_line" in given:
        changes["product_line"] = payload.product_line
    if "tags" in given:
        changes["tags"] = payload.tags or []
    if "account_id" in given or "account_domain" in given:
        changes["account"] = _account(actor, payload.account_id, payload.account_domain)
    if "contact_email" in given:
        email = (payload.contact_email or "").strip()
        contact = actor.workspace.contacts.filter(email__iexact=email).first() if email else None
        if email and contact is None:
            raise ValidationError({"contact_email": f"No contact with email “{email[:100]}” in this workspace."})
        changes["contact"] = contact
    actions.update_feedback(actor, item, **changes)
    return Status(200, _out(request, _items(actor).get(pk=item.pk)))


@router.delete("/{int:item_id}", response={204: None})
def delete(request: HttpRequest, item_id: int) -> Any:
    actor = require_write(request)
    actions.delete_feedback(actor, get_object_or_404(actor.workspace.feedback_items, pk=item_id))
    return Status(204, None)
