"""The customer-focus scorecard: each metric for the team, a product line or a PM, with its trend.

Every metric is a function `fn(scope, start, end, now) -> Reading` over a half-open period
[start, end). The card's value covers the last WINDOW_DAYS (12 weeks) plus the current week so
far; its trend is the same function over TREND_PERIODS periods of PERIOD_DAYS (4 weeks) each, the
last one also running to now. A trend needs at least two periods with data, otherwise the card
says "Not enough data" (new workspaces).

Weeks run Monday 00:00 to Sunday 24:00 in the scope's time zone: a PM's own (their conversations
`MemberPreference`, else the workspace's), the workspace's for the team and a product line. So
the window and every period start on a Monday at midnight, local: a call on Sunday 23:30 in Tokyo
counts in the Tokyo PM's week and period it happened in, though it was already Monday in UTC.

Definitions (docs/scorecard.md has the same, in words):

- conversations: conversations in the period on a (PM, product line) pair of the scope — the PM
  owns or attended it and it is about that line — divided by (pairs × weeks in the period),
  against the cadence's weekly target. Pairs: members who manage a product line (conversations
  cadence). Weeks are calendar weeks in the scope's time zone (see above).
- sla: of requests received in the period that need a reply, the share answered (first response)
  by their due time. Requests still waiting and not yet due are left out; overdue ones count as
  missed.
- decided: of requests received in the period, the share with a triage decision.
- time_to_decision: median days from receipt to decision, over requests received in the period
  and decided.
- promises_kept: of promises (not withdrawn) whose original date fell in the period and has
  passed, the share kept on time.
- notices_in_time: of promises due in the period that slipped (kept late, still open after their
  date, or with a delay notice), the share whose customer got a delay notice sent on or before
  the promised date.
- evidence: of roadmap items that existed at the end of the period, the share with at least one
  piece of customer evidence linked by then.
- survey: NPS (or CSAT when a scope has no NPS answer) from a survey provider (`survey_providers`,
  the surveys app's `surveys/scorecard.py`); "No survey data yet" without answers.
- talk: the customer-vs-internal talk index (scorecard/talk.py) over texts written in the period.

Scopes: the team (whole workspace); a product line (requests of that line, its roadmap items,
its pairs); a PM (requests assigned to them, promises they made, items they own, texts they wrote,
their pairs). Reads only.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from harken.core.charts import line_chart
from harken.core.registry import collect
from harken.scorecard.models import ChatExport
from harken.workspaces.models import ProductLine, Workspace

WINDOW_DAYS = 84
PERIOD_DAYS = 28
TREND_PERIODS = 6
MIN_TREND_POINTS = 2


@dataclass
class Scope:
    workspace: Workspace
    kind: str = "team"  # team | line | pm
    line: ProductLine | None = None
    user: Any = None

    @property
    def key(self) -> str:
        if self.kind == "line" and self.line is not None:
            return f"line:{self.line.slug}"
        if self.kind == "pm" and self.user is not None:
            return f"pm:{self.user.pk}"
        return "team"

    @property
    def label(self) -> str:
        if self.kind == "line" and self.line is not None:
            return f"Product line: {self.line.name}"
        if self.kind == "pm" and self.user is not None:
            return f"PM: {self.user.display_name}"
        return "Whole team"


@dataclass
class Reading:
    value: float | None  # None: nothing to measure in the period
    numerator: float = 0
    denominator: float = 0
    note: str = ""  # shown as the card's detail when set (a provider's own wording)
    display: str = ""  # the value as shown, when the metric's unit does not say it (e.g. "NPS +23")
    action: str = ""  # a suggested action computed from the data, instead of the metric's fixed one
    target: tuple[float, float, str] | None = None  # (good, watch, label) instead of the metric's


def scope_zone(scope: Scope) -> ZoneInfo:
    """The time zone of the scope's weeks: the PM's own for a PM, else the workspace's."""
    from harken.conversations.cadence import zone_for
    from harken.conversations.services import workspace_zone

    if scope.kind == "pm" and scope.user is not None:
        return zone_for(scope.workspace, scope.user)
    return workspace_zone(scope.workspace)


def _local_date(moment: dt.datetime, like: dt.datetime) -> dt.date:
    """`moment`'s date in the time zone of `like` (a period bound, aware in the scope's zone)."""
    return moment.astimezone(like.tzinfo).date() if like.tzinfo is not None else moment.date()


@dataclass
class Card:
    key: str
    label: str
    unit: str  # "%", "days", "/week", ""
    value: float | None
    display: str
    target: str
    status: str  # good | watch | bad | none
    action: str
    detail: str
    trend: list[tuple[str, float | None]] = field(default_factory=list)
    enough_for_trend: bool = False
    chart: dict[str, Any] | None = None
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "value": None if self.value is None else round(self.value, 4),
            "display": self.display,
            "target": self.target,
            "status": self.status,
            "action": self.action,
            "detail": self.detail,
            "enough_data_for_trend": self.enough_for_trend,
            "trend": [{"period_start": p, "value": None if v is None else round(v, 4)} for p, v in self.trend],
        }


# ---- the metrics ---------------------------------------------------------------------------


def _pairs(scope: Scope) -> list[tuple[Any, Any]]:
    from harken.conversations.cadence import pm_lines

    pairs = pm_lines(scope.workspace, scope.user if scope.kind == "pm" else None)
    if scope.kind == "line" and scope.line is not None:
        pairs = [p for p in pairs if p[1].pk == scope.line.pk]
    return pairs


def conversations(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    from harken.conversations.models import Conversation

    pairs = _pairs(scope)
    if not pairs:
        return Reading(None, note="No PM manages a product line here.")
    weeks = (end - start).total_seconds() / (7 * 86400)
    if not Conversation.objects.for_workspace(scope.workspace).filter(happened_at__lt=end).exists():
        return Reading(None, note="No conversations logged yet.")  # too new: not a week of zeros
    convs = list(
        Conversation.objects.for_workspace(scope.workspace)
        .filter(happened_at__gte=start, happened_at__lt=end, product_line_id__in={line.pk for _, line in pairs})
        .values("pk", "owner_id", "product_line_id")
    )
    attended: dict[int, set[int]] = {}
    for conv_id, user_id in Conversation.members.through.objects.filter(
        conversation_id__in=[c["pk"] for c in convs]
    ).values_list("conversation_id", "user_id"):
        attended.setdefault(conv_id, set()).add(user_id)
    count = 0
    for pm, line in pairs:
        count += sum(
            1
            for c in convs
            if c["product_line_id"] == line.pk and (c["owner_id"] == pm.pk or pm.pk in attended.get(c["pk"], set()))
        )
    return Reading(count / (len(pairs) * weeks), count, len(pairs) * weeks)


def _triage(scope: Scope) -> Any:
    from harken.triage.models import Triage

    rows = Triage.objects.for_workspace(scope.workspace)
    if scope.kind == "line" and scope.line is not None:
        rows = rows.filter(feedback__product_line=scope.line)
    elif scope.kind == "pm":
        rows = rows.filter(assignee=scope.user)
    return rows


def sla(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    rows = (
        _triage(scope)
        .filter(received_at__gte=start, received_at__lt=end, needs_response=True, due_at__isnull=False)
        .exclude(first_response_at__isnull=True, due_at__gt=now)
    )
    total = rows.count()
    if not total:
        return Reading(None)
    on_time = rows.filter(first_response_at__isnull=False, first_response_at__lte=F("due_at")).count()
    return Reading(on_time / total, on_time, total)


def decided(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    rows = _triage(scope).filter(received_at__gte=start, received_at__lt=end)
    total = rows.count()
    if not total:
        return Reading(None)
    done = rows.exclude(decision="").count()
    return Reading(done / total, done, total)


def time_to_decision(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    pairs = (
        _triage(scope)
        .filter(received_at__gte=start, received_at__lt=end, decided_at__isnull=False)
        .exclude(decision="")
        .values_list("received_at", "decided_at")
    )
    days = [max((d - r).total_seconds(), 0) / 86400 for r, d in pairs]
    if not days:
        return Reading(None)
    return Reading(statistics.median(days), len(days), len(days))


def _promises(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Any:
    from harken.roadmap.models import Promise, PromiseStatus

    rows = (
        Promise.objects.for_workspace(scope.workspace)
        .exclude(status=PromiseStatus.WITHDRAWN)
        .filter(original_target_date__gte=start.date(), original_target_date__lt=end.date())
        .filter(original_target_date__lt=_local_date(now, start))
    )
    if scope.kind == "line" and scope.line is not None:
        rows = rows.filter(item__product_line=scope.line)
    elif scope.kind == "pm":
        rows = rows.filter(made_by=scope.user)
    return rows


def promises_kept(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    from harken.roadmap.models import PromiseStatus

    rows = _promises(scope, start, end, now)
    total = rows.count()
    if not total:
        return Reading(None)
    kept = rows.filter(status=PromiseStatus.KEPT, kept_on_time=True).count()
    return Reading(kept / total, kept, total)


def notices_in_time(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    from harken.roadmap.models import DelayNotice, NoticeStatus, PromiseStatus

    any_notice = DelayNotice.objects.filter(promise=OuterRef("pk"))
    # Slipped: anything but "kept on time without a notice" (open ones are past their date, see _promises).
    rows = (
        _promises(scope, start, end, now)
        .annotate(noticed=Exists(any_notice))
        .exclude(status=PromiseStatus.KEPT, kept_on_time=True, noticed=False)
    )
    slipped = list(rows.values_list("pk", "original_target_date"))
    if not slipped:
        return Reading(None)
    sent = DelayNotice.objects.filter(
        promise_id__in=[pk for pk, _ in slipped], status=NoticeStatus.SENT, sent_at__isnull=False
    ).values_list("promise_id", "sent_at")
    first_sent: dict[int, dt.datetime] = {}
    for pk, at in sent:
        if pk not in first_sent or at < first_sent[pk]:
            first_sent[pk] = at
    warned = sum(1 for pk, date in slipped if pk in first_sent and _local_date(first_sent[pk], start) <= date)
    return Reading(warned / len(slipped), warned, len(slipped))


def evidence(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    from harken.roadmap.models import RoadmapItem

    rows = (
        RoadmapItem.objects.for_workspace(scope.workspace)
        .filter(created_at__lt=end)
        .filter(Q(deleted_at__isnull=True) | Q(deleted_at__gte=end))
    )
    if scope.kind == "line" and scope.line is not None:
        rows = rows.filter(product_line=scope.line)
    elif scope.kind == "pm":
        rows = rows.filter(owner=scope.user)
    counts = rows.aggregate(
        total=Count("pk", distinct=True),
        backed=Count("pk", distinct=True, filter=Q(evidence__created_at__lt=end)),
    )
    if not counts["total"]:
        return Reading(None)
    return Reading(counts["backed"] / counts["total"], counts["backed"], counts["total"])


#: The NPS/CSAT seam. A survey app exposes `SCORECARD_SURVEYS` in `harken.<app>.scorecard`: a list
#: of callables `(scope, start, end, now) -> Reading | None` (value: NPS from -100 to 100). The first
#: one that returns a Reading with a value is shown; with none, the card says "No survey data yet".
def survey_providers() -> list[Callable[..., Reading | None]]:
    return [p for p in collect("scorecard", "SCORECARD_SURVEYS") if callable(p)]  # type: ignore[misc]


def survey(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    for provider in survey_providers():
        reading = provider(scope, start, end, now)
        if reading is not None and reading.value is not None:
            return reading
    return Reading(None, note="No survey data yet")


def talk_texts(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str]]:
    """(source, text) written by the scope in the period: triage notes, decision reasons, roadmap
    item descriptions and imported chat messages (an export counts at its upload time)."""
    from harken.roadmap.models import RoadmapItem
    from harken.triage.models import Note

    ws = scope.workspace
    notes = Note.objects.for_workspace(ws).filter(created_at__gte=start, created_at__lt=end)
    reasons = _triage(scope).filter(decided_at__gte=start, decided_at__lt=end).exclude(decision_reason="")
    items = (
        RoadmapItem.objects.for_workspace(ws)
        .filter(created_at__gte=start, created_at__lt=end, deleted_at__isnull=True)
        .exclude(description="")
    )
    if scope.kind == "line" and scope.line is not None:
        notes = notes.filter(triage__feedback__product_line=scope.line)
        items = items.filter(product_line=scope.line)
    elif scope.kind == "pm":
        notes = notes.filter(author=scope.user)
        reasons = (
            _triage(Scope(ws))
            .filter(decided_at__gte=start, decided_at__lt=end, decided_by=scope.user)
            .exclude(decision_reason="")
        )
        items = items.filter(owner=scope.user)
    texts = [("triage note", t) for t in notes.values_list("body", flat=True)]
    texts += [("decision reason", t) for t in reasons.values_list("decision_reason", flat=True)]
    texts += [("roadmap description", t) for t in items.values_list("description", flat=True)]
    if scope.kind != "line":
        who = {scope.user.email.lower(), scope.user.display_name.lower()} if scope.kind == "pm" else None
        for export in ChatExport.objects.filter(workspace=ws, created_at__gte=start, created_at__lt=end):
            for m in export.messages:
                if who is None or str(m.get("author", "")).strip().lower() in who:
                    texts.append(("chat message", str(m.get("text", ""))))
    return [(s, t) for s, t in texts if t.strip()]


def talk(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Reading:
    from harken.scorecard.talk import name_pattern, why_customer

    texts = talk_texts(scope, start, end)
    if not texts:
        return Reading(None)
    ws = scope.workspace
    names = name_pattern(
        list(ws.accounts.values_list("name", flat=True)) + list(ws.contacts.values_list("name", flat=True))
    )
    hits = sum(1 for _, t in texts if why_customer(t, names))
    return Reading(hits / len(texts), hits, len(texts))


# ---- cards ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    fn: Callable[[Scope, dt.datetime, dt.datetime, dt.datetime], Reading]
    higher_is_good: bool
    good: float  # at or beyond: good; a step short: watch; else bad
    watch: float
    action: str
    source: str


METRICS: list[Metric] = [
    Metric(
        "conversations",
        "Conversations per PM per product line per week",
        "/week",
        conversations,
        True,
        1.0,  # × the cadence target (see _target)
        0.5,
        "Book customer conversations: open Cadence for who to talk to next.",
        "conversations:cadence",
    ),
    Metric(
        "sla",
        "Requests answered within the SLA",
        "%",
        sla,
        True,
        0.9,
        0.7,
        "Work the triage queue's overdue and due-soon tabs first.",
        "triage:inbox",
    ),
    Metric(
        "decided",
        "Requests with a decision",
        "%",
        decided,
        True,
        0.8,
        0.5,
        "Decide the oldest undecided requests — a 'not now' with a reason beats silence.",
        "triage:inbox",
    ),
    Metric(
        "time_to_decision",
        "Median time to decision",
        "days",
        time_to_decision,
        False,
        7.0,
        14.0,
        "Hold a weekly triage slot so requests are decided within a week.",
        "triage:inbox",
    ),
    Metric(
        "promises_kept",
        "Promises kept on time",
        "%",
        promises_kept,
        True,
        0.9,
        0.7,
        "Promise fewer, later dates; check open promises against the items' target dates.",
        "roadmap:promises",
    ),
    Metric(
        "notices_in_time",
        "Delay notices sent before the date passed",
        "%",
        notices_in_time,
        True,
        0.9,
        0.6,
        "When a date slips, send the delay notice the roadmap drafts — before the promised day.",
        "roadmap:promises",
    ),
    Metric(
        "evidence",
        "Roadmap items backed by customer evidence",
        "%",
        evidence,
        True,
        0.8,
        0.5,
        "Link feedback, themes or accounts to the items that have none — or question them.",
        "roadmap:list",
    ),
    Metric(
        "survey",
        "NPS / CSAT",
        "",
        survey,
        True,
        30.0,
        0.0,
        "Send a survey to hear how customers feel, not just what they ask for.",
        "surveys:list",
    ),
    Metric(
        "talk",
        "Customer-vs-internal talk index",
        "%",
        talk,
        True,
        0.5,
        0.3,
        "Bring customers into the conversation: quote them, name the account, state their problem.",
        "",
    ),
]


def _target(metric: Metric, workspace: Workspace) -> tuple[float, float, str]:
    if metric.key == "conversations":
        from harken.conversations.services import cadence_settings

        goal = float(cadence_settings(workspace).weekly_target)
        return goal, goal * metric.watch, f"target {goal:g} a week"
    if metric.unit == "%":
        return metric.good, metric.watch, f"target ≥ {metric.good * 100:.0f} %"
    if metric.key == "time_to_decision":
        return metric.good, metric.watch, f"target ≤ {metric.good:g} days"
    return metric.good, metric.watch, f"target ≥ {metric.good:g}"


def _display(metric: Metric, value: float | None) -> str:
    if value is None:
        return "No data"
    if metric.unit == "%":
        return f"{value * 100:.0f} %"
    if metric.unit == "days":
        return f"{value:.1f} days"
    if metric.unit == "/week":
        return f"{value:.2f} a week"
    return f"{value:g}"


def _status(metric: Metric, value: float | None, good: float, watch: float) -> str:
    if value is None:
        return "none"
    if metric.higher_is_good:
        return "good" if value >= good else "watch" if value >= watch else "bad"
    return "good" if value <= good else "watch" if value <= watch else "bad"


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)


def window(now: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The card's window: from Monday 00:00 (local) twelve weeks before the current week, to now."""
    from harken.conversations.cadence import week_start

    return _midnight(week_start(now, zone) - dt.timedelta(days=WINDOW_DAYS), zone), now


def periods(now: dt.datetime, zone: ZoneInfo | None = None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The trend's 4-week periods, oldest first, each starting on a Monday 00:00 in `zone` (UTC by
    default); the last one runs from four weeks before the current week to now."""
    from harken.conversations.cadence import week_start

    zone = zone or ZoneInfo("UTC")
    this_week = week_start(now, zone)
    bounds = [_midnight(this_week - dt.timedelta(days=PERIOD_DAYS * i), zone) for i in range(TREND_PERIODS, 0, -1)]
    return list(zip(bounds, [*bounds[1:], now], strict=True))


def card(metric: Metric, scope: Scope, now: dt.datetime, zone: ZoneInfo | None = None) -> Card:
    zone = zone or scope_zone(scope)
    start, end = window(now, zone)
    reading = metric.fn(scope, start, end, now)
    good, watch, target = reading.target or _target(metric, scope.workspace)
    trend = [(s.date().isoformat(), metric.fn(scope, s, e, now).value) for s, e in periods(now, zone)]
    points = [(label, v) for label, v in trend if v is not None]
    enough = len(points) >= MIN_TREND_POINTS
    scale = 100.0 if metric.unit == "%" else 1.0
    chart = (
        line_chart([(label, round(v * scale, 2)) for label, v in points], metric.label, unit=" %" if scale > 1 else "")
        if enough
        else None
    )
    status = _status(metric, reading.value, good, watch)
    if reading.value is not None and reading.note:
        detail = reading.note
    elif reading.value is None:
        detail = reading.note or "Nothing to measure in the last 12 weeks."
    elif metric.key == "conversations":
        detail = f"{reading.numerator:g} conversations over {reading.denominator / (WINDOW_DAYS / 7):g} PM × line pairs in 12 weeks"
    elif metric.unit == "%":
        detail = f"{reading.numerator:g} of {reading.denominator:g} in the last 12 weeks"
    else:
        detail = f"over {reading.denominator:g} in the last 12 weeks"
    if metric.key == "survey" and reading.value is None:
        detail = "No survey data yet"
    return Card(
        metric.key,
        metric.label,
        metric.unit,
        reading.value,
        reading.display or _display(metric, reading.value),
        target,
        status,
        reading.action or (metric.action if status in {"watch", "bad", "none"} else "Keep it up."),
        detail,
        trend,
        enough,
        chart,
        metric.source,
    )


def scorecard(scope: Scope, now: dt.datetime | None = None) -> list[Card]:
    now = now or timezone.now()
    zone = scope_zone(scope)
    return [card(m, scope, now, zone) for m in METRICS]


def scopes(workspace: Workspace) -> list[Scope]:
    """Every scope of the workspace: the team, each product line, each PM (a product line manager)."""
    from harken.conversations.cadence import pm_lines

    out = [Scope(workspace)]
    out += [Scope(workspace, "line", line=line) for line in workspace.product_lines.order_by("name")]
    seen: set[int] = set()
    for pm, _ in pm_lines(workspace):
        if pm.pk not in seen:
            seen.add(pm.pk)
            out.append(Scope(workspace, "pm", user=pm))
    return out


def scope_for(workspace: Workspace, key: str) -> Scope:
    """The scope named `key` ("team", "line:<slug>", "pm:<user id>"); unknown keys raise LookupError."""
    for scope in scopes(workspace):
        if scope.key == key:
            return scope
    raise LookupError(key)
