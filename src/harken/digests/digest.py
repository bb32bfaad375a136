"""The weekly digest: what changed last week, for the team and for stakeholders.

A digest is a list of sections. Each section is a provider — a dotted path to
`fn(workspace, start, end) -> list[dict]` — with the audiences that see it, so another app adds
one by appending to `SECTIONS` (after merge the roadmap app's "promises due":
`("promises", "Promises due", {...}, "harken.roadmap.seams.promises_due")`). A provider whose app
is not installed contributes nothing. Reads only: building a digest writes no rows.

Weeks run Monday to Monday in the workspace's time zone; the Monday digest covers the week before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils.module_loading import import_string

from harken.digests.models import Audience
from harken.workspaces.models import Workspace

ALL: set[str] = {Audience.TEAM, Audience.SALES, Audience.MARKETING, Audience.LEADERSHIP}
SECTIONS: list[tuple[str, str, set[str], str]] = [
    (
        "top_problems",
        "New top problems",
        {Audience.TEAM, Audience.SALES, Audience.LEADERSHIP},
        "harken.digests.digest.top_problems",
    ),
    (
        "emerging_themes",
        "Emerging themes",
        {Audience.TEAM, Audience.MARKETING, Audience.LEADERSHIP},
        "harken.digests.digest.emerging_themes",
    ),
    (
        "decisions",
        "Decisions made",
        {Audience.TEAM, Audience.SALES, Audience.LEADERSHIP},
        "harken.digests.digest.decisions",
    ),
    (
        "promises",
        "Promises due",
        {Audience.TEAM, Audience.SALES, Audience.LEADERSHIP},
        "harken.roadmap.seams.promises_due",
    ),
    ("quotes", "Quotes of the week", ALL, "harken.digests.digest.quotes"),
]
MAX_ROWS = 8


def zone(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def bounds(workspace: Workspace, week_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(workspace)
    start = dt.datetime.combine(week_start, dt.time(0, 0), tzinfo=tz)
    return start, start + dt.timedelta(days=7)


def _url(name: str, workspace: Workspace, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"ws": workspace.slug, **kwargs})


# --- section providers ------------------------------------------------------------------------------


def top_problems(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Top problems that gained evidence this week; "new" when the theme itself appeared this week."""
    from harken.insight.themes.problems import top_problems as ranked
    from harken.workspaces.access import Actor

    problems = ranked(Actor.system(workspace), limit=20, now=end)
    theme_ids = [p.theme.pk for p in problems]
    added = dict(
        workspace.feedback_items.filter(
            theme_assignment__theme_id__in=theme_ids, received_at__gte=start, received_at__lt=end
        )
        .values_list("theme_assignment__theme_id")
        .annotate(n=Count("pk"))
        .values_list("theme_assignment__theme_id", "n")
    )
    rows = []
    for rank, p in enumerate(problems, start=1):
        if not added.get(p.theme.pk):
            continue
        rows.append(
            {
                "title": p.theme.name,
                "detail": f"#{rank} · {p.items} items from {p.accounts} accounts · +{added[p.theme.pk]} this week",
                "badge": "new" if start <= p.theme.created_at < end else "",
                "url": _url("insight:theme", workspace, pk=p.theme.pk),
            }
        )
    return rows[:MAX_ROWS]


def emerging_themes(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    alerts = (
        workspace.trend_alerts.filter(created_at__gte=start, created_at__lt=end)  # type: ignore[attr-defined]
        .select_related("theme")
        .order_by("q_value")
    )
    rows, seen = [], set()
    for a in alerts:
        if a.theme_id in seen:
            continue
        seen.add(a.theme_id)
        rows.append(
            {
                "title": a.theme.name,
                "detail": f"{a.recent} items in {a.recent_weeks} weeks, {a.ratio:.1f}× the usual rate ({a.metric})",
                "badge": "rising",
                "url": _url("insight:theme", workspace, pk=a.theme_id),
            }
        )
    return rows[:MAX_ROWS]


def decisions(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    rows = (
        workspace.triage_items.filter(decided_at__gte=start, decided_at__lt=end)  # type: ignore[attr-defined]
        .exclude(decision="")
        .select_related("feedback", "decided_by")
        .order_by("-decided_at")[:MAX_ROWS]
    )
    return [
        {
            "title": t.feedback.headline,
            "detail": f"{t.get_decision_display()}"
            + (f": {t.decision_reason[:160]}" if t.decision_reason else "")
            + (f" — {t.decided_by.display_name}" if t.decided_by else ""),
            "badge": t.get_decision_display(),
            "url": _url("feedback:detail", workspace, pk=t.feedback_id),
        }
        for t in rows
    ]


def quotes(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Highlights from this week's conversations first, then feedback from the highest-ARR accounts."""
    items = list(
        workspace.feedback_items.filter(received_at__gte=start, received_at__lt=end, merged_into__isnull=True)
        .select_related("account", "contact")
        .order_by("-account__arr", "-received_at")[:200]
    )
    items.sort(key=lambda f: (f.channel != "conversation", -(float(f.account.arr) if f.account else 0)))
    rows = []
    for f in items:
        text = " ".join(f.text.split())
        if len(text) < 20:
            continue
        who = f.author_name or (str(f.contact) if f.contact else "") or "A customer"
        rows.append(
            {
                "title": f"“{text[:280]}{'…' if len(text) > 280 else ''}”",
                "detail": f"{who}{' · ' + f.account.name if f.account else ''} · {f.get_channel_display()}",
                "badge": "",
                "url": _url("feedback:detail", workspace, pk=f.pk),
            }
        )
        if len(rows) >= 5:
            break
    return rows


# --- the digest --------------------------------------------------------------------------------------


@dataclass
class Digest:
    workspace: Workspace
    week_start: dt.date
    start: dt.datetime
    end: dt.datetime
    sections: list[dict[str, Any]] = field(default_factory=list)
    new_feedback: int = 0
    conversations: int = 0

    @property
    def empty(self) -> bool:
        return not any(s["rows"] for s in self.sections)

    def for_audience(self, audience: str) -> list[dict[str, Any]]:
        return [s for s in self.sections if audience in s["audiences"]]


def build(workspace: Workspace, week_start: dt.date) -> Digest:
    start, end = bounds(workspace, week_start)
    digest = Digest(workspace=workspace, week_start=week_start, start=start, end=end)
    for key, title, audiences, path in SECTIONS:
        try:
            provider = import_string(path)
            rows = provider(workspace, start, end)
        except (ImportError, AttributeError, LookupError):
            continue  # the app behind this section is not installed
        digest.sections.append({"key": key, "title": title, "audiences": audiences, "rows": rows})
    digest.new_feedback = workspace.feedback_items.filter(received_at__gte=start, received_at__lt=end).count()
    conversations = getattr(workspace, "conversations", None)
    if conversations is not None:
        digest.conversations = conversations.filter(happened_at__gte=start, happened_at__lt=end).count()
    return digest


EMPTY_TEXT = (
    "A quiet week: no new top problems, emerging themes, decisions or quotes. "
    "That is a good week to talk to a customer or two."
)


def render_text(digest: Digest, audience: str) -> str:
    ws = digest.workspace
    lines = [
        f"Harken weekly digest for {ws.name}, week of {digest.week_start:%B %d, %Y}",
        f"{digest.new_feedback} new feedback items, {digest.conversations} customer conversations.",
        "",
    ]
    sections = digest.for_audience(audience)
    if not any(s["rows"] for s in sections):
        lines.append(EMPTY_TEXT)
    for s in sections:
        if not s["rows"]:
            continue
        lines.append(s["title"].upper())
        for row in s["rows"]:
            badge = f"[{row['badge']}] " if row.get("badge") else ""
            lines.append(f"- {badge}{row['title']}")
            if row.get("detail"):
                lines.append(f"  {row['detail']}")
            if row.get("url"):
                lines.append(f"  {row['url']}")
        lines.append("")
    lines.append(f"The whole digest: {_url('digests:digest', ws)}?week={digest.week_start:%Y-%m-%d}")
    return "\n".join(lines) + "\n"
