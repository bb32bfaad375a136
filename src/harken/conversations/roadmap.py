"""Conversations as roadmap evidence: what the conversation log contributes to the roadmap.

A conversation is linked to a roadmap item as `roadmap.Evidence(kind="conversation", object_id=…)`
(from the conversation's page or the roadmap item's evidence form). `ConversationsConfig.ready()`
registers:

- `customers_of` in `roadmap.queries.EVIDENCE_RESOLVERS`: the conversation's account, and the
  contacts that took part, count towards the item's reach and ARR at stake;
- `describe` in `roadmap.queries.EVIDENCE_SOURCES`: the item page names and links the conversation,
  and refuses ids of other workspaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from harken.conversations.models import Conversation
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace

KIND = "conversation"


def customers_of(workspace: Workspace, ids: list[int]) -> Iterable[tuple[int | None, int | None]]:
    """(account_id, contact_id) pairs for the conversations: the account, and contacts of no account."""
    rows = Conversation.objects.filter(workspace=workspace, pk__in=ids).prefetch_related("contacts")
    for c in rows:
        if c.account_id:
            yield c.account_id, None
        for contact in c.contacts.all():
            yield contact.account_id, (None if contact.account_id else contact.pk)


def describe(workspace: Workspace, ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = Conversation.objects.filter(workspace=workspace, pk__in=ids).select_related("account")
    return {
        c.pk: (
            f"{c.title} ({c.happened_at:%d %b %Y}{', ' + c.account.name if c.account else ''})",
            reverse("conversations:detail", kwargs={"ws": workspace.slug, "pk": c.pk}),
        )
        for c in rows
    }


def items_for(conversation: Conversation) -> list[Any]:
    """Live roadmap items this conversation is evidence for."""
    from harken.roadmap.queries import live_items

    ids = conversation.workspace.roadmap_evidence.filter(kind=KIND, object_id=conversation.pk).values("item_id")
    return list(live_items(conversation.workspace).filter(pk__in=ids).order_by("title"))


def link(actor: Actor, conversation: Conversation, item: Any) -> Any:
    from harken.roadmap import actions

    if conversation.workspace_id != actor.workspace.pk:
        raise ValidationError("That conversation belongs to another workspace.")
    return actions.link_evidence(actor, item, conversation.pk, kind=KIND)


def register() -> None:
    from harken.roadmap import queries

    queries.EVIDENCE_RESOLVERS[KIND] = customers_of
    queries.EVIDENCE_SOURCES[KIND] = queries.EvidenceSource("Conversations", "Conversation", describe)
