"""Writes on roadmap items: create, edit, status, evidence, prioritisation. Each validates and authorises.

Consequences are listed where they happen: a status change records history, keeps promises, emits
webhooks and enqueues the (debounced) close-the-loop announcement in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from harken.roadmap import statuses as st
from harken.roadmap.models import (
    Evidence,
    EvidenceKind,
    Impact,
    PromiseStatus,
    RoadmapItem,
    StatusChange,
    StatusKind,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

EDITABLE = (
    "title",
    "description",
    "product_line",
    "target_release",
    "target_date",
    "owner",
    "public",
    "public_description",
    "impact",
    "confidence",
    "effort",
    "value_fit",
    "value_fit_note",
)


def _same_ws(actor: Actor, obj: Any, label: str) -> None:
    if obj is not None and getattr(obj, "workspace_id", None) != actor.workspace.pk:
        raise ValidationError({label: f"That {label.replace('_', ' ')} belongs to another workspace."})


def _live(item: RoadmapItem) -> None:
    if item.deleted_at is not None:
        raise ValidationError("This roadmap item was deleted.")


def _clean(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out = dict(values)
    if "title" in out:
        out["title"] = " ".join(str(out["title"] or "").split())
        if not out["title"]:
            errors["title"] = "Give the item a title."
        elif len(out["title"]) > 200:
            errors["title"] = "Keep the title under 200 characters."
    if "product_line" in out:
        _same_ws(actor, out["product_line"], "product_line")
    if out.get("owner") is not None and not actor.workspace.memberships.filter(user=out["owner"]).exists():
        errors["owner"] = "The owner must be a member of this workspace."
    if "impact" in out and str(out["impact"]) not in Impact.values:
        try:
            out["impact"] = {float(v): v for v in Impact.values}[float(out["impact"])]
        except (KeyError, TypeError, ValueError):
            errors["impact"] = "Impact is one of 0.25, 0.5, 1, 2, 3."
    if "confidence" in out:
        try:
            out["confidence"] = int(out["confidence"])
            if not 10 <= out["confidence"] <= 100:
                raise ValueError
        except (TypeError, ValueError):
            errors["confidence"] = "Confidence is a percentage between 10 and 100."
    if "effort" in out:
        try:
            out["effort"] = Decimal(str(out["effort"]))
            if not Decimal("0.1") <= out["effort"] <= Decimal(1000):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["effort"] = "Effort is in person-months, between 0.1 and 1,000."
    if "value_fit" in out:
        try:
            out["value_fit"] = int(out["value_fit"])
            if not 0 <= out["value_fit"] <= 3:
                raise ValueError
        except (TypeError, ValueError):
            errors["value_fit"] = "Value-proposition fit is 0 (none) to 3 (strong)."
    if "target_date" in out and out["target_date"] is not None and not isinstance(out["target_date"], dt.date):
        errors["target_date"] = "Enter a date."
    if errors:
        raise ValidationError(errors)
    return out


def create_item(actor: Actor, *, title: str, status: str = "", **values: Any) -> RoadmapItem:
    actor.require(Role.MEMBER)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    data = _clean(actor, {"title": title, **values})
    known = st.status_map(actor.workspace)
    status = status or next(iter(known))
    if status not in known:
        raise ValidationError({"status": "Pick one of this workspace's statuses."})
    target = data.get("target_date")
    if target is not None and target < timezone.localdate():
        raise ValidationError({"target_date": "The target date is in the past; pick today or later."})
    with transaction.atomic():
        item = RoadmapItem.objects.create(
            workspace=actor.workspace, status=status, announced_status=status, created_by=actor.user, **data
        )
        if known[status].kind == StatusKind.DONE:
            item.shipped_at = timezone.now()
            item.save(update_fields=["shipped_at"])
    return item


def update_item(actor: Actor, item: RoadmapItem, **values: Any) -> RoadmapItem:
    actor.require(Role.MEMBER)
    _same_ws(actor, item, "item")
    _live(item)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    data = _clean(actor, values)
    target = data.get("target_date")
    if target is not None and target != item.target_date and target < timezone.localdate():
        raise ValidationError({"target_date": "The target date is in the past; pick today or later."})
    with transaction.atomic():
        for key, value in data.items():
            setattr(item, key, value)
        item.save()
    return item


def delete_item(actor: Actor, item: RoadmapItem) -> None:
    """Soft delete: promises and history stay readable; open promises are withdrawn."""
    actor.require(Role.MEMBER)
    _same_ws(actor, item, "item")
    _live(item)
    with transaction.atomic():
        item.deleted_at = timezone.now()
        item.public = False
        item.save(update_fields=["deleted_at", "public", "updated_at"])
        item.promises.filter(status=PromiseStatus.OPEN).update(status=PromiseStatus.WITHDRAWN)


def change_status(actor: Actor, item: RoadmapItem, status: str, *, source: str = "web", note: str = "") -> RoadmapItem:
    """Move an item. Customers hear about the net change once, after the workspace's delay."""
    from harken.notify.models import WebhookEvent
    from harken.notify.webhooks import emit
    from harken.roadmap import loop, promises

    actor.require(Role.MEMBER)
    _same_ws(actor, item, "item")
    _live(item)
    known = st.status_map(actor.workspace)
    if status not in known:
        raise ValidationError({"status": "Pick one of this workspace's statuses."})
    with transaction.atomic():
        item = actor.workspace.roadmap_items.select_for_update().get(pk=item.pk)
        if item.status == status:
            return item
        old = item.status
        item.status = status
        item.status_changed_at = timezone.now()
        shipped = known[status].kind == StatusKind.DONE
        if shipped and item.shipped_at is None:
            item.shipped_at = timezone.now()
        elif not shipped:
            item.shipped_at = None
        item.save(update_fields=["status", "status_changed_at", "shipped_at", "updated_at"])
        change = StatusChange.objects.create(
            workspace=actor.workspace,
            item=item,
            from_status=old,
            to_status=status,
            changed_by=actor.user,
            source=source,
            note=note[:300],
        )
        if shipped:
            promises.keep_promises(item)
        loop.schedule_announcement(item, change)
        payload = {
            "summary": f"“{item.title}” {known[old].label if old in known else old} → {known[status].label}",
            "item_id": item.pk,
            "title": item.title,
            "from_status": old,
            "to_status": status,
            "kind": known[status].kind,
            "product_line": item.product_line.slug if item.product_line else None,
        }
        emit(actor.workspace, WebhookEvent.STATUS_CHANGED, payload)
        if shipped:
            emit(actor.workspace, WebhookEvent.SHIPPED, payload)
    return item


# ---------------------------------------------------------------- evidence


def link_evidence(actor: Actor, item: RoadmapItem, obj: Any, kind: str = "", note: str = "") -> Evidence:
    """Link a Feedback, Theme or Account (or, with kind + an int id, e.g. a conversation)."""
    from harken.customers.models import Account
    from harken.feedback.models import Feedback
    from harken.insight.themes.models import Theme

    actor.require(Role.MEMBER)
    _same_ws(actor, item, "item")
    _live(item)
    fields: dict[str, Any]
    if isinstance(obj, Feedback):
        _same_ws(actor, obj, "feedback")
        fields = {"kind": EvidenceKind.FEEDBACK, "feedback": obj}
    elif isinstance(obj, Theme):
        _same_ws(actor, obj, "theme")
        fields = {"kind": EvidenceKind.THEME, "theme": obj}
    elif isinstance(obj, Account):
        _same_ws(actor, obj, "account")
        fields = {"kind": EvidenceKind.ACCOUNT, "account": obj}
    elif isinstance(obj, int) and kind in EvidenceKind.values:
        fields = {"kind": kind, "object_id": obj}
    else:
        raise ValidationError("Evidence is a feedback item, a theme or an account.")
    existing = item.evidence.filter(**{k: v for k, v in fields.items()}).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Evidence.objects.create(
                workspace=actor.workspace, item=item, linked_by=actor.user, note=(note or "")[:300], **fields
            )
    except IntegrityError:  # linked concurrently
        return item.evidence.get(**fields)


def unlink_evidence(actor: Actor, evidence: Evidence) -> None:
    actor.require(Role.MEMBER)
    _same_ws(actor, evidence, "evidence")
    evidence.delete()


# ---------------------------------------------------------------- value-proposition fit


def set_value_links(actor: Actor, item: RoadmapItem, *, goals: Any = (), jobs: Any = ()) -> RoadmapItem:
    """Name the customer goals and jobs (customers' understanding) the item serves; replaces the lists."""
    actor.require(Role.MEMBER)
    _same_ws(actor, item, "item")
    _live(item)
    goals, jobs = list(goals), list(jobs)
    for obj in goals:
        _same_ws(actor, obj, "goal")
    for obj in jobs:
        _same_ws(actor, obj, "job")
    with transaction.atomic():
        item.serves_goals.set(goals)
        item.serves_jobs.set(jobs)
    return item
