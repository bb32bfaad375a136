"""Triage over HTTP: the queues, and decide / assign / reply on an item (addressed by its feedback id).

Bad values come back as 422 `{"detail": ..., "errors": {field: [messages]}}`, the same messages the UI shows.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.triage import actions, queries
from harken.triage.models import Triage
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["triage"])
MAX_PAGE_SIZE = 200


class TriageOut(Schema):
    feedback_id: int
    headline: str
    author_email: str
    assignee_email: str | None
    decision: str
    decision_reason: str
    decision_link: str
    duplicate_of: int | None
    decided_at: dt.datetime | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    needs_response: bool
    clock: str
    clock_label: str


class QueuePage(Schema):
    tab: str
    count: int
    page: int
    pages: int
    items: list[TriageOut]


class DecideIn(Schema):
    decision: str
    reason: str = ""
    link: str = ""
    duplicate_of: int | None = None


class AssignIn(Schema):
    assignee_email: str | None = None


class ReplyIn(Schema):
    body: str = ""
    subject: str = ""
    template_id: int | None = None


class ReplyOut(Schema):
    id: int
    to: str
    subject: str
    body: str
    email_id: int | None
    email_status: str | None
    created_at: dt.datetime


def _out(item: Triage, config: Any) -> dict[str, Any]:
    state = queries.clock(item, config)
    return {
        "feedback_id": item.feedback_id,
        "headline": item.feedback.headline,
        "author_email": item.feedback.author_email,
        "assignee_email": item.assignee.email if item.assignee else None,
        "decision": item.decision,
        "decision_reason": item.decision_reason,
        "decision_link": item.decision_link,
        "duplicate_of": item.duplicate_of_id,
        "decided_at": item.decided_at,
        "received_at": item.received_at,
        "due_at": item.due_at,
        "first_response_at": item.first_response_at,
        "needs_response": item.needs_response,
        "clock": state.state,
        "clock_label": state.label,
    }


def _item(request: HttpRequest, feedback_id: int) -> Triage:
    return get_object_or_404(
        actor_of(request).workspace.triage_items.select_related("feedback"), feedback_id=feedback_id
    )


@router.get("/queue", response={200: QueuePage, 422: ErrorOut})
def queue(request: HttpRequest, tab: str = "awaiting_response", page: int = 1, page_size: int = 50) -> Any:
    """Items in one queue: new, awaiting_response, awaiting_decision, overdue or done."""
    actor = actor_of(request)
    items = queries.queue(actor.workspace, tab)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = items.count()
    pages = max(1, math.ceil(count / page_size))
    page = max(1, min(page, pages))
    config = queries.get_settings(actor.workspace)
    chunk = items[(page - 1) * page_size : page * page_size]
    return {"tab": tab, "count": count, "page": page, "pages": pages, "items": [_out(t, config) for t in chunk]}


@router.get("/items/{feedback_id}", response=TriageOut)
def get_item(request: HttpRequest, feedback_id: int) -> Any:
    item = _item(request, feedback_id)
    return _out(item, queries.get_settings(item.workspace))


@router.post("/items/{feedback_id}/decide", response={200: TriageOut, 422: ErrorOut})
def decide(request: HttpRequest, feedback_id: int, payload: DecideIn) -> Any:
    actor = require_write(request)
    item = _item(request, feedback_id)
    duplicate_of = None
    if payload.duplicate_of is not None:
        duplicate_of = actor.workspace.feedback_items.filter(pk=payload.duplicate_of).first()
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": f"No item {payload.duplicate_of} in this workspace."})
    actions.decide(actor, item, payload.decision, reason=payload.reason, link=payload.link, duplicate_of=duplicate_of)
    return _out(item, queries.get_settings(item.workspace))


@router.post("/items/{feedback_id}/assign", response={200: TriageOut, 422: ErrorOut})
def assign(request: HttpRequest, feedback_id: int, payload: AssignIn) -> Any:
    """Assign to a member by email; null unassigns."""
    actor = require_write(request)
    item = _item(request, feedback_id)
    user = None
    if payload.assignee_email:
        membership = (
            actor.workspace.memberships.select_related("user")
            .filter(user__email__iexact=payload.assignee_email.strip())
            .first()
        )
        if membership is None:
            raise ValidationError({"assignee_email": "No member of this workspace has that email."})
        user = membership.user
    actions.assign(actor, item, user)
    return _out(item, queries.get_settings(item.workspace))


@router.post("/items/{feedback_id}/reply", response={201: ReplyOut, 422: ErrorOut})
def reply(request: HttpRequest, feedback_id: int, payload: ReplyIn) -> Any:
    """Queue a reply to the customer (template variables are filled in); stops the SLA clock."""
    actor = require_write(request)
    item = _item(request, feedback_id)
    template = None
    body, subject = payload.body, payload.subject
    if payload.template_id is not None:
        template = actor.workspace.reply_templates.filter(pk=payload.template_id).first()
        if template is None:
            raise ValidationError({"template_id": "No such reply template in this workspace."})
        draft = queries.draft_from_template(item, template)
        body = body or draft["body"]
        subject = subject or draft["subject"]
    sent = actions.send_reply(actor, item, body=body, subject=subject, template=template)
    return Status(
        201,
        {
            "id": sent.pk,
            "to": sent.to,
            "subject": sent.subject,
            "body": sent.body,
            "email_id": sent.email_id,
            "email_status": sent.email.status if sent.email else None,
            "created_at": sent.created_at,
        },
    )
