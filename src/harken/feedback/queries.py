"""Reads of the feedback record: the inbox filters and search, the overview. Nothing here writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from harken.core.charts import bar_chart, delta, hbar_rows, sparkline
from harken.customers.models import Account, LifecycleStage, Segment
from harken.customers.queries import filter_accounts
from harken.feedback.models import Channel, Feedback
from harken.workspaces.models import Workspace

if TYPE_CHECKING:
    from harken.insight.filters import EvidenceFilter


def workspace_tz(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except Exception:  # an unknown zone name must not break the page
        return ZoneInfo("UTC")


# --- search ------------------------------------------------------------------------------------

#: Every sort ends on the id so pages are stable (no item shows twice or never while paging).
#: newest/oldest (age) walk the `feedback_open_newest` index; ARR sorts join the account (items
#: without an account or ARR come last either way).
SORTS: dict[str, tuple[Any, ...]] = {
    "newest": ("-received_at", "-id"),
    "oldest": ("received_at", "id"),
    "arr": (F("account__arr").desc(nulls_last=True), "-received_at", "-id"),
    "arr_asc": (F("account__arr").asc(nulls_last=True), "-received_at", "-id"),
}
#: The inbox column each sort orders by, and its direction (the column head's `aria-sort`).
SORTED_COLUMN = {
    "newest": ("received", "descending"),
    "oldest": ("received", "ascending"),
    "arr": ("arr", "descending"),
    "arr_asc": ("arr", "ascending"),
}
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first (age)",
    "arr": "Highest ARR first",
    "arr_asc": "Lowest ARR first",
}


@dataclass
class FeedbackFilters:
    """The inbox/API filters, parsed once; `errors` tells people which value was ignored and why."""

    q: str = ""
    channel: str = ""
    product_line: str = ""
    tag: str = ""
    account: int | None = None
    segment: str = ""
    since: date | None = None
    until: date | None = None
    has_account: bool | None = None
    sort: str = "newest"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FeedbackFilters:
        def get(key: str) -> str:
            value = params.get(key)
            return str(value).strip() if value not in (None,) else ""

        f = cls(q=get("q")[:200], tag=get("tag"), segment=get("segment"), product_line=get("product_line"))
        channel = get("channel")
        if channel:
            if channel in Channel.values:
                f.channel = channel
            else:
                f.errors.append(f"Unknown channel “{channel[:40]}” ignored.")
        account = get("account")
        if account:
            if account.isdigit():
                f.account = int(account)
            else:
                f.errors.append("Account must be an account id; ignored.")
        for key in ("since", "until"):
            value = get(key)
            if value:
                try:
                    setattr(f, key, date.fromisoformat(value[:10]))
                except ValueError:
                    f.errors.append(f"“{value[:20]}” is not a date (use YYYY-MM-DD); {key} ignored.")
        has_account = get("has_account").lower()
        if has_account in ("1", "yes", "true"):
            f.has_account = True
        elif has_account in ("0", "no", "false"):
            f.has_account = False
        sort = get("sort") or "newest"
        if sort in SORTS:
            f.sort = sort
        else:
            f.errors.append(f"Unknown sort “{sort[:20]}”; showing newest first.")
        return f

    @property
    def active(self) -> bool:
        return any(
            [self.q, self.channel, self.product_line, self.tag, self.account, self.segment, self.since, self.until]
        ) or (self.has_account is not None)


def segment_accounts(workspace: Workspace, segment: Segment) -> QuerySet[Account]:
    """Accounts in a saved segment (the customers app's filter engine)."""
    return filter_accounts(workspace, segment.filters)


def search_feedback(workspace: Workspace, params: Mapping[str, Any] | FeedbackFilters) -> QuerySet[Feedback]:
    """The workspace's feedback narrowed by the inbox filters (see FeedbackFilters)."""
    f = params if isinstance(params, FeedbackFilters) else FeedbackFilters.from_params(params)
    qs = (
        workspace.feedback_items.filter(merged_into__isnull=True)
        .select_related("account", "contact", "product_line")
        .prefetch_related("tags")
    )
    if f.q:  # words (typos forgiven) or meaning: harken.insight.search
        from harken.insight.search import text_query

        qs = text_query(workspace, qs, f.q)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.product_line:
        qs = qs.filter(
            Q(product_line__slug=f.product_line)
            | Q(product_line__name__iexact=f.product_line)
            | (Q(product_line__pk=int(f.product_line)) if f.product_line.isdigit() else Q(pk__in=[]))
        )
    if f.tag:
        # A subquery, not a join: a join repeats items and needs DISTINCT, which sorts every row.
        tagged = Feedback.tags.through.objects.filter(tag__workspace=workspace, tag__name__iexact=f.tag)
        qs = qs.filter(pk__in=tagged.values("feedback_id"))
    if f.account is not None:
        qs = qs.filter(account_id=f.account)
    if f.segment:
        segment = workspace.segments.filter(name__iexact=f.segment).first()
        if segment is None:
            f.errors.append(f"No segment “{f.segment[:60]}”; showing nothing.")
            qs = qs.none()
        else:
            try:
                qs = qs.filter(account__in=segment_accounts(workspace, segment))
            except ValidationError as exc:
                f.errors.append(
                    f"Segment “{segment.name}” has filters that no longer apply ({' '.join(exc.messages)})."
                )
                qs = qs.none()
    tz = workspace_tz(workspace)
    if f.since:
        qs = qs.filter(received_at__gte=datetime.combine(f.since, time.min, tzinfo=tz))
    if f.until:
        qs = qs.filter(received_at__lt=datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=tz))
    if f.has_account is not None:
        qs = qs.filter(account__isnull=not f.has_account)
    # No join above can repeat an item (foreign keys and subqueries only), so no DISTINCT: with it,
    # PostgreSQL sorted the whole workspace (text included) on every inbox page.
    return qs.order_by(*SORTS[f.sort])


# --- the inbox page ---------------------------------------------------------------------------


def clean_columns(values: Any) -> list[str]:
    """Known optional column keys from a list (a form, `?cols=`, a saved row), in display order."""
    from harken.feedback.models import INBOX_COLUMNS

    chosen = {str(v).strip() for v in (values or [])}
    return [key for key in INBOX_COLUMNS if key in chosen]


def inbox_rows(qs: QuerySet[Feedback]) -> QuerySet[Feedback]:
    """What each inbox row shows, joined in the page's one query: triage (decision, assignee) and theme.

    Both are one-to-one from the item, so the joins repeat no row and the sort stays the index's."""
    return qs.select_related("triage", "triage__assignee", "theme_assignment__theme")


def one_to_one(item: Feedback, name: str) -> Any:
    try:
        return getattr(item, name)
    except ObjectDoesNotExist:  # no triage row or theme placement yet
        return None


def with_row_details(items: list[Feedback]) -> list[Feedback]:
    """Attach `row_triage`, `row_theme` (or None) and `row_tags` to rows read with `inbox_rows`: no query."""
    for item in items:
        item.row_tags = list(item.tags.all())  # type: ignore[attr-defined]
        triage = one_to_one(item, "triage")
        assignment = one_to_one(item, "theme_assignment")
        item.row_triage = triage  # type: ignore[attr-defined]
        item.row_theme = assignment.theme if assignment is not None and assignment.theme_id else None  # type: ignore[attr-defined]
    return items


def bulk_choices(workspace: Workspace) -> dict[str, Any]:
    """The options of the inbox's bulk actions: who can be assigned, decisions, active themes."""
    from harken.insight.themes.models import Theme, ThemeStatus
    from harken.triage.models import Decision
    from harken.workspaces.models import Role

    members = [
        m.user
        for m in workspace.memberships.select_related("user").order_by("user__name", "user__email")
        if Role(m.role).at_least(Role.MEMBER)
    ]
    themes = Theme.objects.for_workspace(workspace).filter(status=ThemeStatus.ACTIVE).order_by("name")[:300]
    return {"bulk_members": members, "bulk_decisions": Decision.choices, "bulk_themes": list(themes)}


# --- overview ----------------------------------------------------------------------------------


def weekly_counts(
    workspace: Workspace, weeks: int = 52, now: datetime | None = None, items: QuerySet[Feedback] | None = None
) -> list[tuple[date, int]]:
    """Feedback per ISO week (Monday start, workspace time zone), oldest first, empty weeks included.

    `items`: count these (a restriction of the workspace's feedback) instead of all of it."""
    tz = workspace_tz(workspace)
    now = (now or timezone.now()).astimezone(tz)
    this_monday = now.date() - timedelta(days=now.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    start = datetime.combine(first, time.min, tzinfo=tz)
    rows = (
        (items if items is not None else workspace.feedback_items.all())
        .filter(received_at__gte=start)
        .annotate(week=TruncWeek("received_at", tzinfo=tz))
        .values("week")
        .annotate(n=Count("id"))
    )
    counts: dict[date, int] = {}
    for row in rows:
        week = row["week"]
        key = week.astimezone(tz).date() if isinstance(week, datetime) else week
        counts[key] = counts.get(key, 0) + row["n"]
    return [(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]


def overview(
    workspace: Workspace, now: datetime | None = None, evidence: EvidenceFilter | None = None
) -> dict[str, Any]:
    """Everything the workspace home page shows, computed here so the template only draws.

    A PM opens this every morning: each number comes with the previous period to compare against.
    `evidence` (harken.insight.filters) restricts every number to the feedback it keeps; with an
    end date the page reads as of that day ("last 30 days" end there)."""
    now = now or timezone.now()
    if evidence is not None and evidence.active:
        now = evidence.end_of_range(now)
        items = evidence.feedback()
        kept = evidence.q("feedback_items__")
    else:
        items, kept = workspace.feedback_items.all(), Q()
    week_ago, month_ago, quarter_ago = now - timedelta(days=7), now - timedelta(days=30), now - timedelta(days=90)
    heard_ids = items.filter(received_at__gte=quarter_ago, account__isnull=False).values("account_id")
    heard = workspace.accounts.filter(pk__in=heard_ids)
    # ARR still at stake: a churned account pays nothing any more, whatever its record says
    arr = heard.exclude(lifecycle_stage=LifecycleStage.CHURNED).aggregate(total=Sum("arr"))["total"] or Decimal(0)
    # the previous period of the same length, for the deltas on the stat cards
    prev_heard = workspace.accounts.filter(
        pk__in=items.filter(
            received_at__gte=quarter_ago - timedelta(days=90), received_at__lt=quarter_ago, account__isnull=False
        ).values("account_id")
    )
    prev_arr = prev_heard.exclude(lifecycle_stage=LifecycleStage.CHURNED).aggregate(total=Sum("arr"))["total"] or 0

    weekly = weekly_counts(workspace, 52, now, items)
    chart = bar_chart(
        [(week.isoformat(), n) for week, n in weekly],
        "Feedback per week, last 12 months",
        caption="Weeks start on Monday; the last bar is the current week. Hover a bar for its count.",
        width=960,
        height=220,
    )

    channel_labels = dict(Channel.choices)
    by_channel = items.values("channel").annotate(n=Count("id")).order_by("-n")
    total = items.count()
    channel_rows = hbar_rows(
        [
            {
                "label": channel_labels.get(r["channel"], r["channel"]),
                "value": r["n"],
                "channel": r["channel"],
                "share": round(100 * r["n"] / total, 1) if total else 0,
                "display": f"{r['n']} · {round(100 * r['n'] / total) if total else 0}%",
            }
            for r in by_channel
        ]
    )

    recent_q = Q(feedback_items__received_at__gte=quarter_ago) & kept
    top = (
        workspace.accounts.filter(pk__in=heard_ids)
        .annotate(n=Count("feedback_items", filter=recent_q))
        .order_by("-n", "name")[:8]
    )
    top_accounts = hbar_rows([{"label": a.name, "value": a.n, "account": a} for a in top])

    this_week = items.filter(received_at__gte=week_ago).count()
    prev_week = items.filter(received_at__gte=week_ago - timedelta(days=7), received_at__lt=week_ago).count()
    this_month = items.filter(received_at__gte=month_ago).count()
    prev_month = items.filter(received_at__gte=month_ago - timedelta(days=30), received_at__lt=month_ago).count()
    accounts_heard = heard.count()
    recent_weeks = [n for _, n in weekly[-12:]]
    stats = [
        {
            "label": "New this week",
            "value": this_week,
            "delta": delta(this_week, prev_week, higher_is_good=None),
            "compare": f"vs {prev_week} the week before",
            "sub": "last 7 days",
            "spark": sparkline(recent_weeks, title="Feedback per week, last 12 weeks"),
        },
        {
            "label": "Last 30 days",
            "value": this_month,
            "delta": delta(this_month, prev_month, higher_is_good=None),
            "compare": f"vs {prev_month} the 30 days before",
            "sub": f"{total} items in all",
        },
        {
            "label": "Accounts heard from",
            "value": accounts_heard,
            "delta": delta(accounts_heard, prev_heard.count()),
            "compare": "vs the 90 days before",
            "sub": "last 90 days",
        },
        {
            "label": "ARR represented",
            "value_money": arr,
            "delta": delta(float(arr), float(prev_arr)),
            "compare": "vs the 90 days before",
            "sub": "of the accounts heard from (churned left out)",
        },
    ]

    return {
        "total": total,
        "this_week": this_week,
        "this_month": this_month,
        "accounts_heard": accounts_heard,
        "arr_represented": arr,
        "stats": stats,
        "weekly_chart": chart,
        "weekly_total": sum(n for _, n in weekly),
        "channels": channel_rows,
        "top_accounts": top_accounts,
        "top_by_arr": _top_accounts_by_arr(workspace, quarter_ago, now, items, kept),
        "rising_tags": _rising_tags(workspace, month_ago, now, kept),
        "latest": list(items.select_related("account", "contact").prefetch_related("tags")[:8]),
    }


def _top_accounts_by_arr(
    workspace: Workspace,
    since: datetime,
    now: datetime,
    items: QuerySet[Feedback],
    kept: Q,
    limit: int = 8,
) -> list[dict[str, Any]]:
    """The biggest customers who spoke up recently, with how much they said and a 12-week trend.

    `items` is the feedback counted and `kept` the same restriction seen from Account."""
    recent = Q(feedback_items__received_at__gte=since) & kept
    accounts = list(
        workspace.accounts.filter(pk__in=items.filter(received_at__gte=since).values("account_id"))
        .annotate(n=Count("feedback_items", filter=recent))
        .order_by("-arr", "name")[:limit]
    )
    if not accounts:
        return []
    tz = workspace_tz(workspace)
    local_now = now.astimezone(tz)
    first = local_now.date() - timedelta(days=local_now.weekday()) - timedelta(weeks=11)
    start = datetime.combine(first, time.min, tzinfo=tz)
    counts: dict[tuple[int, date], int] = {}
    for row in (
        items.filter(account__in=accounts, received_at__gte=start)
        .annotate(week=TruncWeek("received_at", tzinfo=tz))
        .values("account_id", "week")
        .annotate(n=Count("id"))
    ):
        week = row["week"].astimezone(tz).date() if isinstance(row["week"], datetime) else row["week"]
        counts[(row["account_id"], week)] = counts.get((row["account_id"], week), 0) + row["n"]
    top_n = max(a.n for a in accounts) or 1
    rows = []
    for account in accounts:
        series = [counts.get((account.pk, first + timedelta(weeks=i)), 0) for i in range(12)]
        rows.append(
            {
                "account": account,
                "count": account.n,
                "pct": round(100 * account.n / top_n),
                "spark": sparkline(
                    series, width=96, height=24, title=f"{account.name}: feedback per week, last 12 weeks"
                ),
                "renewal_days": (account.renewal_date - local_now.date()).days if account.renewal_date else None,
            }
        )
    return rows


def _rising_tags(
    workspace: Workspace, since: datetime, now: datetime, kept: Q, limit: int = 10
) -> list[dict[str, Any]]:
    """Tags mentioned most since `since` (30 days), with the change vs the period of the same length before."""
    prev_since = since - (now - since)
    tags = (
        workspace.tags.annotate(
            n=Count(
                "feedback_items",
                filter=Q(feedback_items__received_at__gte=since) & kept,
                distinct=True,
            ),
            prev=Count(
                "feedback_items",
                filter=Q(feedback_items__received_at__gte=prev_since, feedback_items__received_at__lt=since) & kept,
                distinct=True,
            ),
        )
        .filter(n__gt=0)
        .order_by("-n", "name")[:limit]
    )
    return hbar_rows(
        [{"label": t.name, "value": t.n, "tag": t, "delta": delta(t.n, t.prev, higher_is_good=None)} for t in tags]
    )
