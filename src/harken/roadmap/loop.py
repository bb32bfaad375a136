"""Close the loop: one personalised email per net status change to everyone linked, exactly once.

A status change enqueues `announce_change` to run after the workspace's delay (default 10 min).
When it runs it announces only if its change is still the item's latest and the item's status
differs from the last announced one; flip-flops within the delay therefore send one email (the net
change) or none (back where it was). The `Notification` row (unique per change) plus the row lock
on the item make a second run send nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from harken.roadmap import audience
from harken.roadmap import statuses as st
from harken.roadmap.models import Notification, RoadmapItem, StatusChange, StatusKind, Unsubscribe
from harken.workspaces.models import Workspace

UNSUBSCRIBE_SALT = "harken.roadmap.unsubscribe"


def schedule_announcement(item: RoadmapItem, change: StatusChange) -> None:
    from harken.roadmap.tasks import announce_change

    delay = st.settings_for(item.workspace).notify_delay_minutes
    run_after = timezone.now() + dt.timedelta(minutes=delay)
    announce_change.using(run_after=run_after).enqueue(change.pk)


def unsubscribe_token(workspace: Workspace, email: str) -> str:
    return signing.dumps({"w": workspace.pk, "e": email.lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or "w" not in data or "e" not in data:
        return None
    return int(data["w"]), str(data["e"])


def unsubscribe_url(workspace: Workspace, email: str) -> str:
    path = reverse("roadmap_public:unsubscribe", kwargs={"token": unsubscribe_token(workspace, email)})
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe(token: str) -> tuple[Workspace, str] | None:
    """Apply a signed unsubscribe link: roadmap updates and changelog emails stop for that address."""
    parsed = read_unsubscribe_token(token)
    if parsed is None:
        return None
    ws = Workspace.objects.filter(pk=parsed[0]).first()
    if ws is None:
        return None
    email = parsed[1]
    with transaction.atomic():
        try:
            with transaction.atomic():
                Unsubscribe.objects.create(workspace=ws, email=email)
        except IntegrityError:
            pass
        ws.roadmap_subscribers.filter(email__iexact=email, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    return ws, email


def _message(item: RoadmapItem, old: st.StatusDef, new: st.StatusDef, r: audience.Recipient) -> tuple[str, str]:
    ws = item.workspace
    if new.kind == StatusKind.DONE:
        subject = f"Shipped: {item.title}"
    elif new.kind == StatusKind.DECLINED:
        subject = f"Update: we decided not to build “{item.title}”"
    else:
        subject = f"{item.title} is now {new.label.lower()}"
    context = {
        "item": item,
        "workspace": ws,
        "old": old,
        "new": new,
        "recipient": r,
        "first_name": (r.name or "").split()[0] if r.name else "",
        "unsubscribe_url": unsubscribe_url(ws, r.email),
        "kind": new.kind,
    }
    return subject, render_to_string("roadmap/email/status_change.txt", context)


def announce(change_id: int) -> Notification | None:
    """Send the net change for `change_id`'s item if it is still the latest; None when nothing to say."""
    from harken.notify.services import queue_email

    change = StatusChange.objects.select_related("item", "workspace").filter(pk=change_id).first()
    if change is None:
        return None
    with transaction.atomic():
        item = RoadmapItem.objects.select_for_update().select_related("workspace").get(pk=change.item_id)
        latest = item.status_changes.order_by("-created_at", "-id").first()
        if latest is None or latest.pk != change.pk or item.deleted_at is not None:
            return None  # a later change's task speaks for this one
        if item.status == item.announced_status:
            return None  # flip-flopped back: nothing changed for customers
        if Notification.objects.filter(change=change).exists():
            return None
        known = st.status_map(item.workspace)
        old = st.status_of(item.workspace, item.announced_status or change.from_status, known)
        new = st.status_of(item.workspace, item.status, known)
        people = audience.recipients(item)
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    workspace=item.workspace,
                    item=item,
                    change=change,
                    from_status=old.key,
                    to_status=new.key,
                    recipients=[r.email for r in people],
                )
        except IntegrityError:
            return None
        for r in people:
            subject, text = _message(item, old, new, r)
            queue_email(
                to=r.email,
                subject=subject,
                text=text,
                workspace=item.workspace,
                kind="roadmap_update",
                related_object=f"roadmap.item:{item.pk}",
                headers={"List-Unsubscribe": f"<{unsubscribe_url(item.workspace, r.email)}>"},
            )
        item.announced_status = item.status
        item.save(update_fields=["announced_status"])
    return notification


def pending_announcement(item: RoadmapItem) -> dict[str, Any] | None:
    """For the item page: a change customers have not heard about yet."""
    if item.status == item.announced_status:
        return None
    latest = item.status_changes.order_by("-created_at", "-id").first()
    if latest is None:
        return None
    delay = st.settings_for(item.workspace).notify_delay_minutes
    return {"change": latest, "at": latest.created_at + dt.timedelta(minutes=delay)}
