"""Triage reads: settings, the SLA clock, the queue and its tabs, the item panel, template rendering,
metrics. Nothing here writes.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from harken.core import memo
from harken.core.charts import bar_chart, hbar_rows
from harken.feedback.models import Feedback
from harken.triage import sla
from harken.triage.models import (
    REASON_REQUIRED,
    Decision,
    ReplyTemplate,
    Triage,
    TriageSettings,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

TABS = [
    ("new", "New"),
    ("awaiting_response", "Awaiting response"),
    ("awaiting_decision", "Awaiting decision"),
    ("overdue", "Overdue"),
    ("done", "Done"),
]
TAB_KEYS = {key for key, _ in TABS}
TEMPLATE_VARIABLES = ("name", "product", "decision", "reason")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9._-]+)")


# --- settings and the clock ----------------------------------------------------------------------


def get_settings(workspace: Workspace) -> TriageSettings:
    """The workspace's SLA settings; the defaults (unsaved) when the row was never written.

    A read: the row is created with the workspace (`triage.receivers.workspace_created`) or by the
    first `update_settings`, never here."""
    # Memoised by data version within a GET (harken/core/memo.py): every item page reads it.
    row = memo.remember("triage-settings", workspace.pk, lambda: _settings_row(workspace))
    if row is None:
        return TriageSettings(workspace=workspace)
    found = memo.build(TriageSettings, row)
    found.workspace = workspace
    return found


def _settings_row(workspace: Workspace) -> tuple[Any, ...] | None:
    found = TriageSettings.objects.filter(workspace=workspace).first()
    return memo.row_of(found) if found is not None else None


#: Items received longer ago than this when they enter Harken are history (an import of last
#: year's tickets), not requests waiting for an answer: they get no SLA clock.
HISTORY_AGE = timedelta(days=7)
#: Bulk imports of past feedback never start a clock, whatever their dates.
HISTORICAL_CHANNELS = {"csv"}


def expects_reply(feedback: Feedback, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        bool(_customer_email(feedback))
        and feedback.channel not in HISTORICAL_CHANNELS
        and feedback.received_at >= now - HISTORY_AGE
    )


def _no_clock_reason(feedback: Feedback) -> str:
    if not _customer_email(feedback):
        return "No customer email: no reply expected, no SLA clock."
    if feedback.channel in HISTORICAL_CHANNELS:
        return "Imported history: no SLA clock."
    return "Received more than 7 days before it reached Harken: no SLA clock."


def _customer_email(feedback: Feedback) -> str:
    if feedback.author_email:
        return feedback.author_email
    if feedback.contact_id and feedback.contact and feedback.contact.email:
        return feedback.contact.email
    return ""


@dataclass(frozen=True)
class Clock:
    state: str  # running, near, overdue, met, missed, none
    label: str
    badge: str  # design-system badge class

    @property
    def highlighted(self) -> bool:
        return self.state in {"near", "overdue"}


def clock(item: Triage, config: TriageSettings, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    if not item.needs_response:
        return Clock("none", "No reply needed", "badge")
    if item.first_response_at is not None:
        took = sla.format_duration(item.first_response_at - item.received_at)
        if item.due_at and item.first_response_at > item.due_at:
            return Clock("missed", f"Answered late, in {took}", "badge-warn")
        return Clock("met", f"Answered in {took}", "badge-ok")
    if item.due_at is None:
        return Clock("running", "Awaiting response", "badge-info")
    if item.due_at <= now:
        return Clock("overdue", f"Overdue by {sla.format_duration(now - item.due_at)}", "badge-bad")
    left = time_left(item, config, now)
    suffix = " of business hours left" if config.business_hours else " left"
    if left <= timedelta(hours=config.near_breach_hours):
        return Clock("near", f"{sla.format_duration(left)}{suffix}", "badge-warn")
    return Clock("running", f"{sla.format_duration(left)}{suffix}", "badge-info")


def time_left(item: Triage, config: TriageSettings, now: datetime) -> timedelta:
    """Working time left before the due time (wall-clock time without business hours), so
    "near breach" on a Friday evening means near in working hours, not in weekend hours."""
    if item.due_at is None:
        return timedelta.max
    if item.due_at <= now:
        return item.due_at - now
    return sla.business_time_between(now, item.due_at, config.schedule())


# --- the queue -------------------------------------------------------------------------------------


def queue(workspace: Workspace, tab: str, now: datetime | None = None, assignee: Any = None) -> QuerySet[Triage]:
    now = now or timezone.now()
    items = workspace.triage_items.select_related(
        "feedback", "feedback__account", "feedback__contact", "feedback__product_line", "assignee"
    )
    running = Q(needs_response=True, first_response_at__isnull=True)
    if tab == "new":
        items = items.filter(assignee__isnull=True, decision="", first_response_at__isnull=True).order_by(
            "due_at", "received_at"
        )
    elif tab == "awaiting_response":
        items = items.filter(running).order_by("due_at")
    elif tab == "awaiting_decision":
        items = items.filter(decision="").order_by("received_at")
    elif tab == "overdue":
        items = items.filter(running, due_at__lt=now).order_by("due_at")
    elif tab == "done":
        items = items.exclude(decision="").exclude(running).order_by("-decided_at", "-received_at")
    else:
        raise ValidationError(f"Unknown tab “{tab[:30]}”; use one of {', '.join(sorted(TAB_KEYS))}.")
    if assignee is not None:
        items = items.filter(assignee=assignee)
    return items


def tab_counts(workspace: Workspace, now: datetime | None = None, assignee: Any = None) -> dict[str, int]:
    return {key: queue(workspace, key, now, assignee).count() for key, _ in TABS}


def rows(items: Iterable[Triage], config: TriageSettings, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    return [{"item": item, "feedback": item.feedback, "clock": clock(item, config, now)} for item in items]


def members(workspace: Workspace, min_role: Role = Role.MEMBER) -> list[Any]:
    """The people who can be assigned (memoised by data version within a GET: every item page shows them)."""
    from harken.accounts.models import User

    allowed = [r for r in Role if Role(r).at_least(min_role)]

    def rows() -> tuple[tuple[Any, ...], ...]:
        found = workspace.memberships.select_related("user").filter(role__in=allowed).order_by("user__name")
        return tuple(memo.row_of(m.user) for m in found)

    return [memo.build(User, row) for row in memo.remember("triage-members", (workspace.pk, str(min_role)), rows)]


def _who(user: Any) -> str:
    return user.display_name if user is not None else "Nobody"


def resolve_mentions(workspace: Workspace, body: str) -> list[Any]:
    """`@bob`, `@bob@alpha.test`, `@BobMember`: members by email, email name, first or full name."""
    people = [m.user for m in workspace.memberships.select_related("user")]
    found: dict[int, Any] = {}
    for raw in _MENTION.findall(body or ""):
        token = raw.rstrip(".").lower()
        if not token:
            continue
        matches = [
            u
            for u in people
            if u.email.lower() == token
            or u.email.lower().split("@")[0] == token
            or (u.name and u.name.replace(" ", "").lower() == token)
            or (u.name and u.name.split()[0].lower() == token)
        ]
        exact = [u for u in matches if u.email.lower() == token]
        if exact:
            matches = exact
        if len(matches) > 1:
            raise ValidationError(
                {"body": f"@{raw} matches {len(matches)} members; mention them by email (@name@example.com)."}
            )
        if matches:
            found[matches[0].pk] = matches[0]
    return list(found.values())


def item_url(item: Triage) -> str:
    return settings.SITE_URL + reverse("triage:item", kwargs={"ws": item.workspace.slug, "pk": item.feedback_id})


def _quote(text: str, limit: int = 1500) -> str:
    text = text.strip()
    if len(text) > limit:
        text = text[:limit] + "…"
    return "\n".join(f"> {line}" for line in text.splitlines())


# --- reply templates ---------------------------------------------------------------------------------


def check_template_text(text: str, field: str) -> None:
    unknown = sorted({name for name in _VARIABLE.findall(text or "") if name not in TEMPLATE_VARIABLES})
    if unknown:
        allowed = ", ".join("{{" + v + "}}" for v in TEMPLATE_VARIABLES)
        raise ValidationError({field: f"Unknown variable {', '.join(unknown)}; you can use {allowed}."})


def render_template_text(text: str, context: dict[str, str]) -> str:
    """Substitute the four variables, nothing else: no template language reaches user input."""
    return _VARIABLE.sub(lambda m: context.get(m.group(1), m.group(0)), text or "")


def template_context(item: Triage) -> dict[str, str]:
    feedback = item.feedback
    name = feedback.author_name or (feedback.contact.name if feedback.contact_id and feedback.contact else "")
    first = name.split()[0] if name.strip() else "there"
    return {
        "name": first,
        "product": feedback.product_line.name
        if feedback.product_line_id and feedback.product_line
        else item.workspace.name,
        "decision": Decision(item.decision).label.lower() if item.decision else "",
        "reason": item.decision_reason,
    }


def default_subject(item: Triage) -> str:
    base = item.feedback.title or item.feedback.headline or f"Your feedback to {item.workspace.name}"
    return base if base.lower().startswith("re:") else f"Re: {base}"


def draft_from_template(item: Triage, template: ReplyTemplate) -> dict[str, str]:
    context = template_context(item)
    subject = render_template_text(template.subject, context) if template.subject else default_subject(item)
    return {"subject": " ".join(subject.split()), "body": render_template_text(template.body, context)}


def conversation(item: Triage) -> list[dict[str, Any]]:
    """Customer messages and our replies, oldest first, for the item page."""
    from harken.channels.email import services as email_services

    entries: list[dict[str, Any]] = []
    for message in email_services.followups(item.feedback):
        entries.append({"at": message.created_at, "who": "customer", "subject": message.subject, "text": message.text})
    for reply in item.replies.select_related("author", "email"):
        entries.append(
            {"at": reply.created_at, "who": "us", "reply": reply, "subject": reply.subject, "text": reply.body}
        )
    return sorted(entries, key=lambda e: e["at"])


def _reply_templates(workspace: Workspace) -> list[ReplyTemplate]:
    """The workspace's reply templates (memoised by data version within a GET: every item page lists them)."""
    rows = memo.remember(
        "reply-templates", workspace.pk, lambda: tuple(memo.row_of(t) for t in workspace.reply_templates.all())
    )
    return [memo.build(ReplyTemplate, row) for row in rows]


def panel(actor: Actor, item: Triage, now: datetime | None = None) -> dict[str, Any]:
    """Everything the item's triage panel shows (templates never compute)."""
    config = get_settings(item.workspace)
    return {
        "triage": item,
        "clock": clock(item, config, now),
        "events": list(item.events.select_related("actor")),
        "notes": list(item.notes.select_related("author").prefetch_related("mentions")),
        "conversation": conversation(item),
        "assignable": members(item.workspace),
        "decisions": Decision.choices,
        "reason_required": sorted(REASON_REQUIRED),
        "reply_templates": _reply_templates(item.workspace),
        "customer_email": _customer_email(item.feedback),
        "default_subject": default_subject(item),
        "can_write": actor.can_write,
        "template_variables": TEMPLATE_VARIABLES,
    }


# --- metrics -----------------------------------------------------------------------------------------


def _median_hours(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _within_target(item: Triage) -> bool:
    if item.first_response_at is None:
        return False
    return item.due_at is None or item.first_response_at <= item.due_at


def metrics(workspace: Workspace, now: datetime | None = None, weeks: int = 12) -> dict[str, Any]:
    """Median first-response time and share answered within target: overall, per member,
    per product line, and per week of arrival."""
    now = now or timezone.now()
    since = now - timedelta(weeks=weeks)
    answered = list(
        workspace.triage_items.filter(needs_response=True, first_response_at__isnull=False, received_at__gte=since)
        .select_related("first_response_by", "feedback__product_line")
        .order_by("received_at")
    )

    def summarise(items: list[Triage]) -> dict[str, Any]:
        hours = [(t.first_response_at - t.received_at).total_seconds() / 3600 for t in items]  # type: ignore[operator]
        within = sum(1 for t in items if _within_target(t))
        return {
            "count": len(items),
            "median_hours": _median_hours(hours),
            "within_pct": round(100 * within / len(items)) if items else None,
        }

    by_member: dict[Any, list[Triage]] = defaultdict(list)
    by_line: dict[Any, list[Triage]] = defaultdict(list)
    for t in answered:
        by_member[t.first_response_by].append(t)
        by_line[t.feedback.product_line].append(t)

    def table(groups: dict[Any, list[Triage]], none_label: str) -> list[dict[str, Any]]:
        out = [
            {"label": (str(getattr(k, "display_name", k)) if k else none_label), **summarise(v)}
            for k, v in groups.items()
        ]
        out.sort(key=lambda r: (-r["count"], r["label"]))
        for row in out:
            row["value"] = row["within_pct"] or 0
            row["display"] = f"{row['within_pct']}% · median {row['median_hours']} h"
        return hbar_rows(out)

    week_start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [week_start - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    per_week: dict[datetime, list[Triage]] = {s: [] for s in starts}
    for t in answered:
        for s in reversed(starts):
            if t.received_at >= s:
                per_week[s].append(t)
                break
    weekly_median = []
    weekly_within = []
    for s in starts:
        summary = summarise(per_week[s])
        weekly_median.append((s.date().isoformat(), summary["median_hours"] or 0))
        weekly_within.append((s.date().isoformat(), summary["within_pct"] or 0))
    open_items = workspace.triage_items.filter(needs_response=True, first_response_at__isnull=True)
    return {
        "overall": summarise(answered),
        "weeks": weeks,
        "open": open_items.count(),
        "overdue": open_items.filter(due_at__lt=now).count(),
        "by_member": table(by_member, "Unknown"),
        "by_line": table(by_line, "No product line"),
        "median_chart": bar_chart(
            weekly_median,
            "Median first-response time per week (hours)",
            caption="By week of arrival; weeks start on Monday.",
        ),
        "within_chart": bar_chart(
            weekly_within,
            "Share answered within target per week (%)",
            caption="By week of arrival; weeks with no answered items show 0.",
        ),
    }
