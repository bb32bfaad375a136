"""Triage decisions as events on the account timeline (customers.timeline provider)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse


def decision_events(account: Any, since: dt.datetime) -> list[Any]:
    from harken.customers.timeline import MAX_EVENTS, TimelineEvent
    from harken.triage.models import Triage

    rows = (
        Triage.objects.for_workspace(account.workspace)
        .filter(feedback__account=account, decided_at__gte=since)
        .exclude(decision="")
        .select_related("feedback", "decided_by")
        .order_by("-decided_at")[:MAX_EVENTS]
    )
    return [
        TimelineEvent(
            when=t.decided_at,
            kind="decision",
            title=t.feedback.headline,
            url=reverse("feedback:detail", kwargs={"ws": account.workspace.slug, "pk": t.feedback_id}),
            detail=(t.decision_reason or "")[:200] + (f" — {t.decided_by.display_name}" if t.decided_by else ""),
            label=t.get_decision_display(),
        )
        for t in rows
    ]
