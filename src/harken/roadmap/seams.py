"""What roadmap adds to other apps' pages through their provider lists (dotted paths, imported lazily).

- who to talk to next (`conversations.suggestions.REASON_PROVIDERS`): `open_promises`;
- the weekly digest (`digests.digest.SECTIONS`): `promises_due`;
- the account timeline (`customers.timeline.TIMELINE_PROVIDERS`): `promise_events`.

Reads only. Roadmap imports none of those apps at module level: each function receives the seam's
own objects and builds the seam's dataclass with a local import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from harken.roadmap.models import PromiseStatus
from harken.workspaces.models import Workspace

PROMISE_SOON_DAYS = 30  # who to talk to: an open promise due within this many days (or overdue)
PROMISE_WEIGHT = 2.0  # as heavy as an upcoming renewal: a date we gave a customer
DIGEST_AHEAD_DAYS = 14  # the digest lists open promises due up to two weeks after the week


def _open(workspace: Workspace) -> Any:
    return workspace.roadmap_promises.filter(status=PromiseStatus.OPEN, item__deleted_at__isnull=True).select_related(
        "item", "account", "contact", "contact__account"
    )


def open_promises(ctx: Any) -> list[Any]:
    """Reason provider: customers we promised something that is due soon or overdue."""
    from harken.conversations.suggestions import Reason

    today = timezone.localdate(ctx.now) if timezone.is_aware(ctx.now) else ctx.now.date()
    soon = today + dt.timedelta(days=PROMISE_SOON_DAYS)
    qs = _open(ctx.workspace).filter(target_date__lte=soon).order_by("target_date", "id")
    if ctx.product_line is not None:
        qs = qs.filter(Q(item__product_line=ctx.product_line) | Q(item__product_line__isnull=True))
    reasons = []
    for p in qs:
        when = "overdue since" if p.target_date < today else "due"
        reasons.append(
            Reason(
                code="open_promise",
                text=f"We promised “{p.item.title}”, {when} {p.target_date:%d %b}",
                weight=PROMISE_WEIGHT,
                account=p.account or (p.contact.account if p.contact else None),
                contact=p.contact,
            )
        )
    return reasons


def promises_due(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Digest section: open promises overdue or due within two weeks after the digest's week."""
    last_day = end.date() + dt.timedelta(days=DIGEST_AHEAD_DAYS)
    rows = []
    for p in _open(workspace).filter(target_date__lt=last_day).order_by("target_date", "id")[:8]:
        overdue = p.target_date < end.date()
        rows.append(
            {
                "title": f"{p.item.title} — promised to {p.who}",
                "detail": f"{'Was due' if overdue else 'Due'} {p.target_date:%a %d %b %Y}"
                + (f" · {p.note}" if p.note else ""),
                "badge": "Overdue" if overdue else "Due soon",
                "url": settings.SITE_URL + reverse("roadmap:detail", kwargs={"ws": workspace.slug, "pk": p.item_id}),
            }
        )
    return rows


def promise_events(account: Any, since: dt.datetime) -> list[Any]:
    """Timeline provider: promises made to the account or to one of its contacts."""
    from harken.customers.timeline import MAX_EVENTS, TimelineEvent

    qs = (
        account.workspace.roadmap_promises.filter(Q(account=account) | Q(contact__account=account))
        .filter(created_at__gte=since, item__deleted_at__isnull=True)
        .select_related("item", "made_by")
        .order_by("-created_at")[:MAX_EVENTS]
    )
    events = []
    for p in qs:
        label = p.get_status_display()
        if p.status == PromiseStatus.KEPT:
            label = "Kept on time" if p.kept_on_time else "Kept late"
        events.append(
            TimelineEvent(
                when=p.created_at,
                kind="promise",
                title=f"Promised “{p.item.title}” by {p.target_date:%d %b %Y}",
                url=reverse("roadmap:detail", kwargs={"ws": account.workspace.slug, "pk": p.item_id}),
                detail=(f"by {p.made_by.display_name}" if p.made_by else "") + (f" · {p.note}" if p.note else ""),
                label=label,
            )
        )
    return events
