"""Promises to customers, slip detection, delay notices and the promise metrics.

A promise slips when (checked daily by `detect_slips`, see periodic.py):
- `date_passed`: its date passed and the item is not shipped;
- `item_moved`: the item's target date is now later than the promised date;
- `not_started`: the item is not in progress (kind "active") or shipped within `close_days`
  (workspace setting, default 14) of the promised date.
Each slip gets one draft `DelayNotice` (once per reason and promised date) with a revised date and
reason; the owner edits and sends it through the outbox, or the workspace sends it automatically.
Sending moves the promise to the revised date, so a later slip is a new notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from harken.roadmap import statuses as st
from harken.roadmap.audience import promise_address
from harken.roadmap.models import (
    DelayNotice,
    NoticeStatus,
    Promise,
    PromiseStatus,
    RoadmapItem,
    SlipReason,
    StatusKind,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace


def make_promise(
    actor: Actor,
    item: RoadmapItem,
    *,
    target_date: dt.date | None,
    account: Any = None,
    contact: Any = None,
    note: str = "",
) -> Promise:
    actor.require(Role.MEMBER)
    ws = actor.workspace
    if item.workspace_id != ws.pk:
        raise ValidationError("That roadmap item belongs to another workspace.")
    if item.deleted_at is not None:
        raise ValidationError("This roadmap item was deleted; promises need a live item.")
    errors: dict[str, str] = {}
    if account is None and contact is None:
        errors["account"] = "Promise it to an account or a contact."
    for obj, label in ((account, "account"), (contact, "contact")):
        if obj is not None and obj.workspace_id != ws.pk:
            errors[label] = f"That {label} belongs to another workspace."
    if target_date is None:
        errors["target_date"] = "Give the promised date."
    elif target_date < timezone.localdate():
        errors["target_date"] = "That date is in the past; a promise needs today or a later date."
    kind = st.status_of(ws, item.status).kind
    if kind in (StatusKind.DONE, StatusKind.DECLINED):
        errors["item"] = "This item is already shipped or declined; there is nothing to promise."
    if errors:
        raise ValidationError(errors)
    if account is None and contact is not None and contact.account_id:
        account = contact.account
    assert target_date is not None
    return Promise.objects.create(
        workspace=ws,
        item=item,
        account=account,
        contact=contact,
        target_date=target_date,
        original_target_date=target_date,
        item_target_date=item.target_date,
        made_by=actor.user,
        note=(note or "").strip()[:300],
    )


def withdraw_promise(actor: Actor, promise: Promise) -> Promise:
    actor.require(Role.MEMBER)
    if promise.workspace_id != actor.workspace.pk:
        raise ValidationError("That promise belongs to another workspace.")
    if promise.status != PromiseStatus.OPEN:
        raise ValidationError("Only open promises can be withdrawn.")
    promise.status = PromiseStatus.WITHDRAWN
    promise.save(update_fields=["status", "updated_at"])
    promise.notices.filter(status=NoticeStatus.DRAFT).update(status=NoticeStatus.DISMISSED)
    return promise


def keep_promises(item: RoadmapItem) -> int:
    """The item shipped: its open promises are kept (on time when shipped by the original date)."""
    today = timezone.localdate()
    count = 0
    for promise in item.promises.filter(status=PromiseStatus.OPEN):
        promise.status = PromiseStatus.KEPT
        promise.kept_at = timezone.now()
        promise.kept_on_time = today <= promise.original_target_date
        promise.save(update_fields=["status", "kept_at", "kept_on_time", "updated_at"])
        promise.notices.filter(status=NoticeStatus.DRAFT).update(status=NoticeStatus.DISMISSED)
        count += 1
    return count


# ---------------------------------------------------------------- slips


@dataclass
class Slip:
    promise: Promise
    reason: str
    revised_date: dt.date | None
    explanation: str


def find_slip(promise: Promise, today: dt.date, close_days: int, kinds: dict[str, Any]) -> Slip | None:
    item = promise.item
    kind = st.status_of(item.workspace, item.status, kinds).kind
    if kind == StatusKind.DONE:
        return None
    target = promise.target_date
    later = item.target_date if item.target_date and item.target_date > target else None
    if today > target:
        return Slip(
            promise,
            SlipReason.DATE_PASSED,
            later or today + dt.timedelta(days=close_days or 14),
            "It is taking longer than we planned.",
        )
    if later is not None:
        return Slip(promise, SlipReason.ITEM_MOVED, later, "Our plan for it moved to a later date.")
    if kind != StatusKind.ACTIVE and (target - today).days <= close_days:
        return Slip(
            promise,
            SlipReason.NOT_STARTED,
            target + dt.timedelta(days=max(close_days, 14)),
            "Work on it has not started yet, so the date we gave you is no longer realistic.",
        )
    return None


def draft_text(promise: Promise, revised: dt.date | None, explanation: str) -> tuple[str, str]:
    _, name = promise_address(promise)
    context = {
        "promise": promise,
        "item": promise.item,
        "first_name": name.split()[0] if name else "",
        "revised": revised,
        "explanation": explanation,
        "owner": promise.item.owner or promise.made_by,
        "workspace": promise.workspace,
    }
    subject = f"An update on {promise.item.title}: new date"
    return subject, render_to_string("roadmap/email/delay_notice.txt", context).strip() + "\n"


def detect_slips(workspace: Workspace, today: dt.date | None = None) -> list[DelayNotice]:
    """Draft one notice per new slip (idempotent: once per promise, reason and promised date)."""
    from harken.notify.models import WebhookEvent
    from harken.notify.webhooks import emit

    today = today or timezone.localdate()
    settings = st.settings_for(workspace)
    kinds = st.status_map(workspace)
    created: list[DelayNotice] = []
    promises = (
        workspace.roadmap_promises.filter(status=PromiseStatus.OPEN, item__deleted_at__isnull=True)
        .select_related("item", "item__owner", "account", "contact", "made_by", "workspace")
        .order_by("target_date", "id")
    )
    for promise in promises:
        if promise.notices.filter(status=NoticeStatus.DRAFT).exists():
            continue  # one draft at a time: the owner has not answered the previous one yet
        slip = find_slip(promise, today, settings.close_days, kinds)
        if slip is None:
            continue
        to_email, _ = promise_address(promise)
        subject, body = draft_text(promise, slip.revised_date, slip.explanation)
        try:
            with transaction.atomic():
                notice = DelayNotice.objects.create(
                    workspace=workspace,
                    promise=promise,
                    reason=slip.reason,
                    detected_for=promise.target_date,
                    revised_date=slip.revised_date,
                    explanation=slip.explanation,
                    to_email=to_email,
                    subject=subject,
                    body=body,
                )
                emit(
                    workspace,
                    WebhookEvent.PROMISE_SLIPPED,
                    {
                        "summary": f"Promise of “{promise.item.title}” to {promise.who} slipped: "
                        f"{SlipReason(slip.reason).label.lower()}",
                        "promise_id": promise.pk,
                        "item_id": promise.item_id,
                        "title": promise.item.title,
                        "reason": slip.reason,
                        "promised_date": promise.target_date.isoformat(),
                        "revised_date": slip.revised_date.isoformat() if slip.revised_date else None,
                    },
                )
        except IntegrityError:  # this slip already has its notice (sent or dismissed)
            continue
        created.append(notice)
        if settings.auto_send_delay_notices and notice.to_email and notice.revised_date:
            send_notice(Actor.system(workspace), notice)
    return created


def send_notice(
    actor: Actor,
    notice: DelayNotice,
    *,
    revised_date: dt.date | None = None,
    explanation: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    to_email: str | None = None,
) -> DelayNotice:
    """Send the (edited) notice through the outbox; the promise moves to the revised date."""
    from harken.notify.services import queue_email

    actor.require(Role.MEMBER)
    if notice.workspace_id != actor.workspace.pk:
        raise ValidationError("That notice belongs to another workspace.")
    revised = revised_date if revised_date is not None else notice.revised_date
    errors: dict[str, str] = {}
    if revised is None:
        errors["revised_date"] = "Give the customer a revised date."
    elif revised < timezone.localdate():
        errors["revised_date"] = "The revised date is in the past; pick today or later."
    address = (to_email if to_email is not None else notice.to_email).strip()
    try:
        validate_email(address)
    except ValidationError:
        errors["to_email"] = "Enter the customer's email address."
    subject = (subject if subject is not None else notice.subject).strip()
    if not subject:
        errors["subject"] = "The email needs a subject."
    if explanation is not None and body is None:
        _, body = draft_text(notice.promise, revised, explanation)
    if body is None and revised != notice.revised_date:
        _, body = draft_text(notice.promise, revised, notice.explanation)
    body = body if body is not None else notice.body
    if not body.strip():
        errors["body"] = "The email needs a message."
    if errors:
        raise ValidationError(errors)
    assert revised is not None
    with transaction.atomic():
        locked = DelayNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeStatus.DRAFT:
            raise ValidationError(f"This notice was already {locked.get_status_display().lower()}.")
        email = queue_email(
            to=address,
            subject=subject,
            text=body,
            workspace=actor.workspace,
            kind="roadmap_delay_notice",
            related_object=f"roadmap.delaynotice:{notice.pk}",
            reply_to=(actor.user.email if actor.user else ""),
        )
        locked.revised_date = revised
        locked.explanation = explanation if explanation is not None else locked.explanation
        locked.to_email, locked.subject, locked.body = address, subject, body
        locked.status = NoticeStatus.SENT
        locked.sent_at = timezone.now()
        locked.sent_by = actor.user
        locked.email = email
        locked.save()
        promise = locked.promise
        promise.target_date = revised
        promise.save(update_fields=["target_date", "updated_at"])
    return locked


def dismiss_notice(actor: Actor, notice: DelayNotice) -> DelayNotice:
    actor.require(Role.MEMBER)
    if notice.workspace_id != actor.workspace.pk:
        raise ValidationError("That notice belongs to another workspace.")
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError("Only drafts can be dismissed.")
    notice.status = NoticeStatus.DISMISSED
    notice.save(update_fields=["status", "updated_at"])
    return notice


# ---------------------------------------------------------------- metrics


def metrics(workspace: Workspace, today: dt.date | None = None) -> dict[str, Any]:
    """Promises kept on time (of those due), and delay notices sent before the promised date passed."""
    today = today or timezone.localdate()
    promises = workspace.roadmap_promises.exclude(status=PromiseStatus.WITHDRAWN)
    kept_on_time = promises.filter(status=PromiseStatus.KEPT, kept_on_time=True).count()
    kept_late = promises.filter(status=PromiseStatus.KEPT, kept_on_time=False).count()
    overdue = promises.filter(status=PromiseStatus.OPEN, original_target_date__lt=today).count()
    due = kept_on_time + kept_late + overdue
    sent = list(workspace.roadmap_delay_notices.filter(status=NoticeStatus.SENT).values("sent_at", "detected_for"))
    before = sum(1 for n in sent if n["sent_at"] and timezone.localtime(n["sent_at"]).date() <= n["detected_for"])
    return {
        "open": promises.filter(status=PromiseStatus.OPEN).count(),
        "kept_on_time": kept_on_time,
        "kept_late": kept_late,
        "overdue": overdue,
        "due": due,
        "kept_on_time_pct": round(100 * kept_on_time / due) if due else None,
        "notices_sent": len(sent),
        "notices_before": before,
        "notices_before_pct": round(100 * before / len(sent)) if sent else None,
        "drafts": workspace.roadmap_delay_notices.filter(status=NoticeStatus.DRAFT).count(),
    }
