"""Conversations, highlights, the cadence and who-to-talk-to over HTTP, scoped to the token's workspace.

Contact ids of another workspace are refused (422), objects of another workspace are 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.conversations import cadence, queries, services, suggestions
from harken.conversations.models import Conversation, Source
from harken.core.apierrors import ErrorOut
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["conversations"])
MAX_PAGE_SIZE = 200


class HighlightOut(Schema):
    id: int
    text: str
    contact_id: int | None
    feedback_id: int | None


class ConversationOut(Schema):
    id: int
    title: str
    kind: str
    happened_at: dt.datetime
    duration_minutes: int | None
    account_id: int | None
    product_line_id: int | None
    owner_email: str | None
    contact_ids: list[int]
    member_emails: list[str]
    notes: str
    source: str
    highlights: list[HighlightOut]

    @staticmethod
    def resolve_owner_email(obj: Conversation) -> str | None:
        return obj.owner.email if obj.owner else None

    @staticmethod
    def resolve_contact_ids(obj: Conversation) -> list[int]:
        return [c.pk for c in obj.contacts.all()]

    @staticmethod
    def resolve_member_emails(obj: Conversation) -> list[str]:
        return [m.email for m in obj.members.all()]

    @staticmethod
    def resolve_highlights(obj: Conversation) -> list[Any]:
        return list(obj.highlights.all())


class ConversationIn(Schema):
    title: str | None = None
    kind: str | None = None
    happened_at: dt.datetime | None = None
    duration_minutes: int | None = None
    account_id: int | None = None
    product_line_id: int | None = None
    owner_email: str | None = None
    contact_ids: list[int] | None = None
    member_emails: list[str] | None = None
    notes: str | None = None
    highlights: list[str] | None = None


class ConversationPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ConversationOut]


class HighlightIn(Schema):
    text: str
    contact_id: int | None = None


class WeekOut(Schema):
    start: dt.date
    count: int
    target: int
    status: str


class CadenceOut(Schema):
    pm_email: str
    product_line: str
    time_zone: str
    streak: int
    gaps: int
    weeks: list[WeekOut]


class SuggestionOut(Schema):
    contact_id: int
    contact: str
    email: str
    account_id: int | None
    account: str | None
    score: float
    reasons: list[str]


def _members(request: HttpRequest, emails: list[str]) -> list[Any]:
    workspace = actor_of(request).workspace
    wanted = {e.strip().lower() for e in emails}
    users = list(get_user_model().objects.filter(memberships__workspace=workspace, email__in=wanted))
    if len(users) != len(wanted):
        raise ValidationError({"member_emails": "Only members of this workspace can be listed as attendees."})
    return users


def _changes(request: HttpRequest, payload: ConversationIn) -> dict[str, Any]:
    workspace = actor_of(request).workspace
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    for key in ("title", "kind", "happened_at", "duration_minutes", "notes"):
        if key in data:
            changes[key] = data[key]
    if "account_id" in data:
        changes["account"] = (
            get_object_or_404(workspace.accounts, pk=data["account_id"]) if data["account_id"] else None
        )
    if "product_line_id" in data:
        pid = data["product_line_id"]
        changes["product_line"] = get_object_or_404(workspace.product_lines, pk=pid) if pid else None
    if data.get("contact_ids") is not None:
        changes["contacts"] = services.resolve_contacts(workspace, data["contact_ids"])
    if data.get("member_emails") is not None:
        changes["members"] = _members(request, data["member_emails"])
    if data.get("owner_email"):
        changes["owner"] = _members(request, [data["owner_email"]])[0]
    return changes


def _load(request: HttpRequest, conversation_id: int) -> Conversation:
    return get_object_or_404(
        actor_of(request).workspace.conversations.prefetch_related("contacts", "members", "highlights"),
        pk=conversation_id,
    )


@router.get("/", response=ConversationPage)
def list_conversations(
    request: HttpRequest, kind: str = "", account_id: int | None = None, q: str = "", page: int = 1, page_size: int = 50
) -> Any:
    qs = queries.list_conversations(
        actor_of(request).workspace, kind=kind, account=str(account_id or ""), q=q
    ).prefetch_related("contacts", "members", "highlights")
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = qs.count()
    pages = max(1, -(-count // page_size))
    page = max(1, min(page, pages))
    return {"count": count, "page": page, "pages": pages, "items": list(qs[(page - 1) * page_size : page * page_size])}


@router.post("/", response={201: ConversationOut, 422: ErrorOut})
def create_conversation(request: HttpRequest, payload: ConversationIn) -> Any:
    actor = require_write(request)
    changes = _changes(request, payload)
    if "title" not in changes:
        raise ValidationError({"title": "Give the conversation a title."})
    conversation = services.create_conversation(
        actor, **changes, highlights=payload.highlights or [], source=Source.API
    )
    return Status(201, _load(request, conversation.pk))


@router.get("/cadence", response=list[CadenceOut])
def get_cadence(request: HttpRequest, weeks: int = cadence.DEFAULT_WEEKS) -> Any:
    rows = cadence.cadence(actor_of(request).workspace, weeks=max(1, min(weeks, 52)))
    return [
        {
            "pm_email": r.user.email,
            "product_line": r.line.name,
            "time_zone": str(r.zone),
            "streak": r.streak,
            "gaps": r.gaps,
            "weeks": [{"start": w.start, "count": w.count, "target": w.target, "status": w.status} for w in r.weeks],
        }
        for r in rows
    ]


@router.get("/suggestions", response=list[SuggestionOut])
def get_suggestions(request: HttpRequest, product_line_id: int | None = None, limit: int = 10) -> Any:
    workspace = actor_of(request).workspace
    line = get_object_or_404(workspace.product_lines, pk=product_line_id) if product_line_id else None
    picks = suggestions.suggest(workspace, product_line=line, limit=max(1, min(limit, 50)))
    return [
        {
            "contact_id": s.contact.pk,
            "contact": str(s.contact),
            "email": s.contact.email,
            "account_id": s.account.pk if s.account else None,
            "account": s.account.name if s.account else None,
            "score": round(s.score, 2),
            "reasons": [r.text for r in s.reasons],
        }
        for s in picks
    ]


@router.get("/{conversation_id}", response=ConversationOut)
def get_conversation(request: HttpRequest, conversation_id: int) -> Any:
    return _load(request, conversation_id)


@router.patch("/{conversation_id}", response={200: ConversationOut, 422: ErrorOut})
def update_conversation(request: HttpRequest, conversation_id: int, payload: ConversationIn) -> Any:
    actor = require_write(request)
    conversation = _load(request, conversation_id)
    changes = _changes(request, payload)
    changes.pop("owner", None)
    services.update_conversation(actor, conversation, **changes)
    return _load(request, conversation_id)


@router.delete("/{conversation_id}", response={204: None})
def delete_conversation(request: HttpRequest, conversation_id: int) -> Any:
    actor = require_write(request)
    services.delete_conversation(actor, _load(request, conversation_id))
    return Status(204, None)


@router.post("/{conversation_id}/highlights", response={201: HighlightOut, 422: ErrorOut})
def add_highlight(request: HttpRequest, conversation_id: int, payload: HighlightIn) -> Any:
    actor = require_write(request)
    conversation = _load(request, conversation_id)
    contact = None
    if payload.contact_id:
        contact = services.resolve_contacts(actor.workspace, [payload.contact_id])[0]
    return Status(201, services.add_highlight(actor, conversation, text=payload.text, contact=contact))
