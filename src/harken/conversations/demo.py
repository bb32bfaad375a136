"""Demo hook: about nine months of conversations for each demo PM, with highlights.

The last 12 weeks follow PATTERNS (some weeks met, some missed: the cadence page's window); the
HISTORY_WEEKS before them are sparser and grow towards the present (the team picked up the habit),
so the scorecard's conversations trend has a shape."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

QUOTES = [
    "Every month-end I export everything to Excel and rebuild the report by hand.",
    "The dashboard is great, but I can't share it with the board without a login.",
    "We lost a day last week because the pipeline failed silently overnight.",
    "On the train I only have my phone, and the app logs me out every time.",
    "If alerts came to Slack, I'd notice a broken sync before my boss does.",
    "Our auditors want to see who changed a metric definition and when.",
    "I spend the first hour of every Monday reconciling numbers between two tools.",
    "Onboarding a new analyst takes two weeks because nobody knows where the data lives.",
    "The mobile charts are unreadable in dark mode.",
    "We would pay more for a scheduled PDF that goes to our regional managers.",
    "I love that I can drill down from the KPI to the raw rows.",
    "Permissions are all-or-nothing; I need read-only access for finance.",
]
# conversations per week for each PM, oldest week first; the last entry is the current week (in progress)
PATTERNS = [
    [3, 3, 4, 2, 3, 3, 1, 3, 4, 3, 3, 1],
    [2, 3, 3, 0, 3, 4, 3, 2, 3, 3, 3, 2],
    [3, 1, 2, 3, 3, 3, 3, 4, 2, 3, 3, 0],
]
HISTORY_WEEKS = 28  # before the patterned 12 weeks: 40 weeks in all
KINDS = ["interview", "call", "ride_along", "sales_call", "support_call", "co_invention", "sprint_review"]
TITLES = {
    "interview": "Interview with {name}",
    "call": "Check-in call with {name}",
    "ride_along": "Shadowing {name} at {account}",
    "sales_call": "Expansion call with {account}",
    "support_call": "Support escalation with {name}",
    "co_invention": "Design sprint session with {account}",
    "sprint_review": "Sprint review with {account}",
}


def after_demo_load(workspace: Any) -> int:
    from harken.conversations import services
    from harken.conversations.cadence import week_start, zone_for
    from harken.workspaces.access import Actor

    rng = random.Random(f"conversations-demo-{workspace.slug}")
    contacts = list(workspace.contacts.select_related("account").filter(account__isnull=False).order_by("pk"))
    if not contacts:
        return 0
    # the two largest accounts stay quiet, so "who to talk to next" has a reason to name them
    quiet = set(workspace.accounts.order_by("-arr", "pk").values_list("pk", flat=True)[:2])
    talkative = [c for c in contacts if c.account_id not in quiet]
    now = timezone.now()
    created = 0
    lines = list(workspace.product_lines.prefetch_related("managers").order_by("name"))
    for index, line in enumerate(lines):
        for pm in line.managers.all():
            membership = workspace.memberships.get(user=pm)
            actor = Actor.for_member(membership)
            zone = zone_for(workspace, pm)
            this_week = week_start(now, zone)
            recent = PATTERNS[index % len(PATTERNS)]
            # older weeks: 0–2 conversations early on, 1–3 closer to the patterned weeks
            history = [
                rng.choice([0, 1, 1, 2] if w < HISTORY_WEEKS // 2 else [1, 2, 2, 3]) for w in range(HISTORY_WEEKS)
            ]
            pattern = history + recent
            for offset, count in enumerate(pattern):
                start = this_week - dt.timedelta(weeks=len(pattern) - 1 - offset)
                old = offset < HISTORY_WEEKS
                for n in range(count):
                    day = min(n * 2 + rng.randint(0, 1), 4)
                    when = dt.datetime.combine(
                        start + dt.timedelta(days=day), dt.time(9 + rng.randint(0, 7), 0), tzinfo=zone
                    )
                    if when > now:
                        when = now - dt.timedelta(hours=1 + n)
                    contact = rng.choice(talkative or contacts)
                    kind = KINDS[rng.randrange(len(KINDS))]
                    highlights = rng.sample(QUOTES, rng.randint(0, 1) if old else rng.randint(0, 2))
                    services.create_conversation(
                        actor,
                        title=TITLES[kind].format(name=contact.name, account=contact.account.name),
                        kind=kind,
                        happened_at=when,
                        duration_minutes=rng.choice([30, 45, 60]),
                        product_line=line,
                        contacts=[contact],
                        notes=f"Talked through how {contact.account.name} uses {line.name} week to week.",
                        highlights=highlights,
                    )
                    created += 1
    _link_roadmap(workspace)
    return 0


def _link_roadmap(workspace: Any) -> None:
    """Recent conversations as evidence on the demo roadmap (roadmap's hook runs before this one)."""
    from harken.conversations import roadmap
    from harken.roadmap.queries import live_items
    from harken.workspaces.access import Actor

    items = list(live_items(workspace).order_by("pk")[:8])
    conversations = list(workspace.conversations.filter(account__isnull=False).order_by("-happened_at")[:16])
    if not items or not conversations:
        return
    actor = Actor.system(workspace)
    for n, conversation in enumerate(conversations):
        roadmap.link(actor, conversation, items[n % len(items)])
