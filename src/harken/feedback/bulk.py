"""Bulk writes from the inbox and the API: assign, tag, decide, merge, move to theme.

Nothing here writes on its own: every item goes through the owning app's action for one item
(`triage.actions.assign` / `decide`, `feedback.actions.add_tag`, `insight.services.merge`) or its
batch action (`insight.themes.services.move_items`), so validation, authorisation, history entries
(one per item, as the single actions write them), webhooks and emails are exactly theirs.

A bulk write is all or nothing: the ids are checked first (every one must be an item of the
actor's workspace, or nothing is touched), then the whole batch runs in one transaction; the first
item an action refuses rolls the batch back and its message says which item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from harken.feedback import actions as feedback_actions
from harken.feedback.models import Feedback
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

#: Most items one bulk write may touch (the inbox selects at most one page).
MAX_ITEMS = 500

ACTIONS = {
    "assign": "Assign",
    "tag": "Tag",
    "decide": "Decide",
    "merge": "Merge",
    "theme": "Move to theme",
}


@dataclass
class BulkResult:
    action: str
    ids: list[int]
    message: str


def parse_ids(values: Iterable[Any]) -> list[int]:
    """Ids from a form or JSON list, in order, without repeats; anything not a positive integer is an error."""
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or int(text) <= 0:
            raise ValidationError({"ids": f"“{text[:20]}” is not an item id."})
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise ValidationError({"ids": "Select at least one item."})
    if len(ids) > MAX_ITEMS:
        raise ValidationError({"ids": f"Select at most {MAX_ITEMS} items at a time (you selected {len(ids)})."})
    return ids


def resolve_items(actor: Actor, ids: list[int]) -> list[Feedback]:
    """The actor's workspace items with these ids, in the given order. An id of another workspace (or
    none at all) is reported exactly like a missing one, and nothing is touched."""
    found = {
        item.pk: item
        for item in actor.workspace.feedback_items.filter(pk__in=ids).select_related(
            "workspace", "account", "contact", "triage"
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(f"#{i}" for i in missing[:10]) + ("…" if len(missing) > 10 else "")
        raise ValidationError({"ids": f"No item {shown} in this workspace; nothing was changed."})
    return [found[i] for i in ids]


def _per_item(item: Feedback, exc: ValidationError, many: bool) -> ValidationError:
    """Field errors (a missing reason, an unknown assignee) are about the request: kept as they are.
    Anything else is about this item: say which one."""
    if hasattr(exc, "error_dict") or not many:
        return exc
    return ValidationError({"ids": f"#{item.pk} “{item.headline[:60]}”: {' '.join(exc.messages)}"})


def _triage_of(item: Feedback) -> Any:
    from harken.triage.actions import open_triage
    from harken.triage.models import Triage

    try:
        return item.triage
    except Triage.DoesNotExist:
        return open_triage(item)


def run(actor: Actor, action: str, ids: Iterable[Any], **params: Any) -> BulkResult:
    """Apply `action` to the items `ids` of the actor's workspace. Params by action:
    assign: `assignee` (user id, empty: unassign) · tag: `tag` · decide: `decision`, `reason`, `link`,
    `duplicate_of` (item id) · merge: `into` (item id, the survivor) · theme: `theme` (id, empty: no theme)."""
    actor.require(Role.MEMBER)
    if action not in ACTIONS:
        raise ValidationError({"action": f"Pick an action: {', '.join(ACTIONS)}."})
    items = resolve_items(actor, parse_ids(ids))
    handler = {"assign": _assign, "tag": _tag, "decide": _decide, "merge": _merge, "theme": _theme}[action]
    with transaction.atomic():
        message = handler(actor, items, params)
    return BulkResult(action=action, ids=[i.pk for i in items], message=message)


def _count(n: int) -> str:
    return f"{n:,} item{'s' if n != 1 else ''}"


def _id_param(params: dict[str, Any], key: str) -> int | None:
    value = str(params.get(key) if params.get(key) is not None else "").strip().lstrip("#")
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError({key: "Pick one from the list."})
    return int(value)


def _assign(actor: Actor, items: list[Feedback], params: dict[str, Any]) -> str:
    from harken.triage.actions import assign

    user_id = _id_param(params, "assignee")
    user = None
    if user_id is not None:
        membership = actor.workspace.memberships.filter(user_id=user_id).select_related("user").first()
        if membership is None:
            raise ValidationError({"assignee": "Only members of this workspace (not viewers) can be assigned."})
        user = membership.user
    for item in items:
        try:
            assign(actor, _triage_of(item), user)
        except ValidationError as exc:
            raise _per_item(item, exc, len(items) > 1) from None
    who = user.display_name if user else "nobody"
    return f"Assigned {_count(len(items))} to {who}."


def _tag(actor: Actor, items: list[Feedback], params: dict[str, Any]) -> str:
    name = str(params.get("tag") or "").strip()
    if not name:
        raise ValidationError({"tag": "Type a tag name."})
    tag = None
    for item in items:
        try:
            tag = feedback_actions.add_tag(actor, item, name)
        except ValidationError as exc:
            raise _per_item(item, exc, len(items) > 1) from None
    return f"Tagged {_count(len(items))} “{tag.name if tag else name}”."


def _decide(actor: Actor, items: list[Feedback], params: dict[str, Any]) -> str:
    from harken.triage.actions import decide
    from harken.triage.models import Decision

    decision = str(params.get("decision") or "")
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Pick a decision: {', '.join(Decision.labels)}."})
    duplicate_of = None
    dup_id = _id_param(params, "duplicate_of")
    if dup_id is not None:
        duplicate_of = actor.workspace.feedback_items.filter(pk=dup_id).first()
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": f"No item #{dup_id} in this workspace."})
        if decision == "duplicate" and any(item.pk == duplicate_of.pk for item in items):
            raise ValidationError(
                {"duplicate_of": f"#{dup_id} is the original: untick it, or pick another item as the original."}
            )
    for item in items:
        try:
            decide(
                actor,
                _triage_of(item),
                decision,
                reason=str(params.get("reason") or ""),
                link=str(params.get("link") or ""),
                duplicate_of=duplicate_of,
            )
        except ValidationError as exc:
            raise _per_item(item, exc, len(items) > 1) from None
    return f"Decided “{Decision(decision).label}” on {_count(len(items))}."


def _merge(actor: Actor, items: list[Feedback], params: dict[str, Any]) -> str:
    from harken.insight.services import merge

    into = _id_param(params, "into")
    if into is None:
        raise ValidationError({"into": "Pick the item to merge the others into."})
    survivor = next((i for i in items if i.pk == into), None) or actor.workspace.feedback_items.filter(pk=into).first()
    if survivor is None:
        raise ValidationError({"into": f"No item #{into} in this workspace."})
    others = [i for i in items if i.pk != survivor.pk]
    if not others:
        raise ValidationError({"ids": "Select at least one item besides the one you merge into."})
    for item in others:
        try:
            merge(actor, survivor, item)
        except ValidationError as exc:
            raise _per_item(item, exc, True) from None
    return f"Merged {_count(len(others))} into #{survivor.pk} “{survivor.headline[:60]}”."


def _theme(actor: Actor, items: list[Feedback], params: dict[str, Any]) -> str:
    from harken.insight.themes.models import Theme
    from harken.insight.themes.services import move_items

    theme_id = _id_param(params, "theme")
    theme = None
    if theme_id is not None:
        theme = Theme.objects.for_workspace(actor.workspace).filter(pk=theme_id).first()
        if theme is None:
            raise ValidationError({"theme": f"No theme #{theme_id} in this workspace."})
    move_items(actor, items, theme)
    return (
        f"Moved {_count(len(items))} to “{theme.name}”." if theme else f"Took {_count(len(items))} out of every theme."
    )
