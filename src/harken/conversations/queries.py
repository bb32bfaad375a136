"""Reads of the conversation log: lists, the account section, timeline events. Never write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse

from harken.conversations.models import Conversation, Kind
from harken.workspaces.models import Workspace


def list_conversations(
    workspace: Workspace, *, kind: str = "", account: str = "", owner: str = "", q: str = ""
) -> QuerySet[Conversation]:
    qs = (
        workspace.conversations.select_related("account", "product_line", "owner")
        .annotate(highlight_count=Count("highlights", distinct=True))
        .order_by("-happened_at", "-id")
    )
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if account.isdigit():
        qs = qs.filter(account_id=int(account))
    if owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    if q:
        qs = qs.filter(title__icontains=q[:100])
    return qs


def detail(conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation": conversation,
        "contacts": list(conversation.contacts.select_related("account")),
        "members": list(conversation.members.all()),
        "highlights": list(conversation.highlights.select_related("feedback", "contact")),
    }


def account_section(account: Any) -> dict[str, Any]:
    convs = list(
        account.conversations.select_related("owner")
        .annotate(highlight_count=Count("highlights"))
        .order_by("-happened_at")[:10]
    )
    return {"account": account, "conversations": convs, "total": account.conversations.count()}


def timeline_events(account: Any, since: dt.datetime) -> list[Any]:
    from harken.customers.timeline import MAX_EVENTS, TimelineEvent

    rows = (
        account.conversations.filter(happened_at__gte=since)
        .select_related("owner")
        .annotate(highlight_count=Count("highlights"))
        .order_by("-happened_at")[:MAX_EVENTS]
    )
    return [
        TimelineEvent(
            when=c.happened_at,
            kind="conversation",
            title=c.title,
            url=reverse("conversations:detail", kwargs={"ws": account.workspace.slug, "pk": c.pk}),
            detail=(f"with {c.owner.display_name}" if c.owner else "")
            + (f" · {c.highlight_count} highlight{'s' if c.highlight_count != 1 else ''}" if c.highlight_count else ""),
            label=c.get_kind_display(),
        )
        for c in rows
    ]
