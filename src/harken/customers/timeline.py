"""One stream of everything that happened with an account: feedback, conversations, decisions, …

Each source is a provider: a dotted path to `fn(account, since) -> list[TimelineEvent]`. Apps add
theirs to `TIMELINE_PROVIDERS` (roadmap promises and surveys plug in the same way); a provider
whose app is not installed is skipped. Customers imports none of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from harken.customers.models import Account

TIMELINE_PROVIDERS = [
    "harken.customers.timeline.feedback_events",
    "harken.conversations.queries.timeline_events",
    "harken.triage.timeline.decision_events",
    "harken.roadmap.seams.promise_events",
]
DEFAULT_DAYS = 365
MAX_EVENTS = 60


@dataclass(frozen=True)
class TimelineEvent:
    when: dt.datetime
    kind: str  # feedback, conversation, decision, promise, survey …
    title: str
    url: str = ""
    detail: str = ""
    label: str = ""  # the badge text, e.g. "Interview" or "Planned"


def feedback_events(account: Account, since: dt.datetime) -> list[TimelineEvent]:
    items = account.feedback_items.filter(received_at__gte=since, merged_into__isnull=True).order_by("-received_at")
    slug = account.workspace.slug
    return [
        TimelineEvent(
            when=f.received_at,
            kind="feedback",
            title=f.headline,
            url=reverse("feedback:detail", kwargs={"ws": slug, "pk": f.pk}),
            detail=f.author_name or f.author_email,
            label=f.get_channel_display(),
        )
        for f in items[:MAX_EVENTS]
    ]


def timeline(account: Account, *, days: int = DEFAULT_DAYS, limit: int = MAX_EVENTS) -> list[TimelineEvent]:
    since = timezone.now() - dt.timedelta(days=days)
    events: list[TimelineEvent] = []
    for path in TIMELINE_PROVIDERS:
        try:
            provider = import_string(path)
        except ImportError:
            continue
        events.extend(provider(account, since))
    events.sort(key=lambda e: e.when, reverse=True)
    return events[:limit]


def account_timeline(account: Account) -> dict[str, Any]:
    events = timeline(account)
    return {"events": events, "kinds": sorted({e.kind for e in events})}
