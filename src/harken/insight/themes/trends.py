"""Emerging themes: a significant rise of a theme's weekly volume (or distinct accounts) over its own past.

The test, per theme and metric: `recent` = count in the last RECENT_WEEKS complete weeks,
`baseline` = count in the BASELINE_WEEKS before them. If both are Poisson with the same weekly
rate, then given the total n = recent + baseline, `recent` is Binomial(n, p0) with
p0 = RECENT_WEEKS / (RECENT_WEEKS + BASELINE_WEEKS) — the exact conditional test for comparing
two Poisson rates. The one-sided p-value is P(X ≥ recent). Across all themes and both metrics the
p-values are adjusted with Benjamini–Hochberg (false discovery rate ALPHA). A theme is flagged when
its q-value < ALPHA, it has at least MIN_RECENT items (or accounts) in the recent window, and its
weekly rate at least doubled (MIN_RATIO). For accounts the count is "account-weeks": the sum over
weeks of the distinct accounts that spoke about the theme in that week.

Each flag is stored as a `TrendAlert` (once per theme, metric and window), sent as the
`trend_detected` signal (for webhooks and notifications) and listed by `digest_alerts()` for the
weekly digest. `detect_trends` runs daily (see harken/insight/periodic.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone
from scipy.stats import binomtest, poisson

from harken.core.charts import band, bar_chart
from harken.insight.themes.models import ThemeStatus, TrendAlert
from harken.workspaces.models import Workspace

if TYPE_CHECKING:
    from harken.insight.filters import EvidenceFilter

RECENT_WEEKS = 2
BASELINE_WEEKS = 12
ALPHA = 0.05
MIN_RECENT = 5
MIN_RATIO = 2.0

# "insight.trend_detected": kwargs alert (TrendAlert), workspace (Workspace). Sent after commit.
trend_detected = Signal()


@dataclass
class TrendTest:
    theme_id: int
    metric: str
    recent: int
    baseline: int
    ratio: float
    p_value: float
    q_value: float = 1.0

    @property
    def flagged(self) -> bool:
        return self.q_value < ALPHA and self.recent >= MIN_RECENT and self.ratio >= MIN_RATIO


def poisson_rate_test(
    recent: int, baseline: int, recent_weeks: int = RECENT_WEEKS, baseline_weeks: int = BASELINE_WEEKS
) -> tuple[float, float]:
    """(rate ratio, one-sided exact p-value) for "the recent weekly rate is higher than the baseline's"."""
    n = recent + baseline
    rate_recent = recent / recent_weeks
    # A theme with no history: compare against half an item over the whole baseline, not zero.
    rate_base = max(baseline, 0.5) / baseline_weeks
    ratio = rate_recent / rate_base
    if n == 0:
        return ratio, 1.0
    p0 = recent_weeks / (recent_weeks + baseline_weeks)
    return ratio, float(binomtest(recent, n, p0, alternative="greater").pvalue)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """BH-adjusted q-values (monotone, capped at 1), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q


def window(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(baseline start, recent start, end exclusive) in whole weeks ending before this week."""
    this_week = today - dt.timedelta(days=today.weekday())
    recent_start = this_week - dt.timedelta(weeks=RECENT_WEEKS)
    baseline_start = recent_start - dt.timedelta(weeks=BASELINE_WEEKS)
    return baseline_start, recent_start, this_week


def rate_tests(
    workspace: Workspace, today: dt.date | None = None, evidence: EvidenceFilter | None = None
) -> list[TrendTest]:
    """Run the rate test for every active theme (volume and account-weeks), BH-adjusted.

    `evidence` (harken.insight.filters) restricts the items counted (the Trends page's filters);
    stored alerts are always detected on all feedback."""
    today = today or timezone.localdate()
    start, recent_start, end = window(today)
    qs = workspace.theme_assignments.filter(
        theme__status=ThemeStatus.ACTIVE,
        feedback__received_at__date__gte=start,
        feedback__received_at__date__lt=end,
    )
    if evidence is not None:
        qs = evidence.restrict(qs, "feedback__")
    rows = qs.values_list("theme_id", "feedback__received_at", "feedback__account_id")
    volume: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    account_weeks: dict[int, set[tuple[int, dt.date]]] = defaultdict(set)
    recent_accounts: dict[int, set[tuple[int, dt.date]]] = defaultdict(set)
    for theme_id, received, account_id in rows:
        day = timezone.localdate(received)
        is_recent = day >= recent_start
        volume[theme_id][0 if is_recent else 1] += 1
        if account_id:
            week = day - dt.timedelta(days=day.weekday())
            (recent_accounts if is_recent else account_weeks)[theme_id].add((account_id, week))
    tests: list[TrendTest] = []
    for theme_id in workspace.themes.filter(status=ThemeStatus.ACTIVE).values_list("pk", flat=True):
        r, b = volume.get(theme_id, [0, 0])
        ratio, p = poisson_rate_test(r, b)
        tests.append(TrendTest(theme_id, "volume", r, b, ratio, p))
        ra, ba = len(recent_accounts.get(theme_id, ())), len(account_weeks.get(theme_id, ()))
        ratio, p = poisson_rate_test(ra, ba)
        tests.append(TrendTest(theme_id, "accounts", ra, ba, ratio, p))
    for t, q in zip(tests, benjamini_hochberg([t.p_value for t in tests]), strict=True):
        t.q_value = q
    return tests


def detect_trends(workspace: Workspace, today: dt.date | None = None) -> list[TrendAlert]:
    """Store an alert for each flagged theme (once per window) and announce it."""
    today = today or timezone.localdate()
    _, recent_start, end = window(today)
    created = []
    for t in rate_tests(workspace, today):
        if not t.flagged:
            continue
        try:
            with transaction.atomic():
                alert = TrendAlert.objects.create(
                    workspace=workspace,
                    theme_id=t.theme_id,
                    metric=t.metric,
                    window_start=recent_start,
                    window_end=end - dt.timedelta(days=1),
                    recent=t.recent,
                    baseline=t.baseline,
                    recent_weeks=RECENT_WEEKS,
                    baseline_weeks=BASELINE_WEEKS,
                    ratio=round(t.ratio, 3),
                    p_value=t.p_value,
                    q_value=t.q_value,
                )
        except IntegrityError:  # already raised for this window
            continue
        created.append(alert)
    for alert in created:
        transaction.on_commit(partial(trend_detected.send, sender=TrendAlert, alert=alert, workspace=workspace))
    return created


def digest_alerts(workspace: Workspace, since: dt.datetime) -> QuerySet[TrendAlert]:
    """Alerts raised since `since`, for the weekly digest."""
    return workspace.trend_alerts.filter(created_at__gte=since).select_related("theme").order_by("q_value")


# --- the Trends page: a chart and a sentence per alert -------------------------------------------


@dataclass
class AlertView:
    """One alert as the page shows it: the theme's weekly volume with its baseline band, in words."""

    alert: TrendAlert
    weekly: list[tuple[dt.date, int]]
    recent: int
    baseline: int
    ratio: float
    accounts: int
    usual_low: int
    usual_high: int
    sentence: str
    chart: dict[str, Any]


def _day_month(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def describe(ratio: float, baseline: int, recent: int, accounts: int, since: dt.date) -> str:
    """'3.4× its usual weekly volume, from 12 accounts, since 4 Nov' (no history: 'New: …')."""
    who = f"from {accounts} account{'s' if accounts != 1 else ''}" if accounts else "from no known account"
    if baseline == 0:
        return (
            f"New: {recent} item{'s' if recent != 1 else ''} with no earlier history, {who}, since {_day_month(since)}"
        )
    return f"{ratio:.1f}× its usual weekly volume, {who}, since {_day_month(since)}"


def alert_views(
    workspace: Workspace, alerts: Sequence[TrendAlert], evidence: EvidenceFilter | None = None
) -> list[AlertView]:
    """For each alert: the theme's weekly item count over the alert's baseline and recent weeks, the
    baseline's usual range (the central 95% of a Poisson count at the baseline's mean weekly rate),
    and one sentence. Counts use the items `evidence` keeps (all items when None)."""
    if not alerts:
        return []
    starts = {a.pk: a.window_start - dt.timedelta(weeks=a.baseline_weeks) for a in alerts}
    first = min(starts.values())
    last = max(a.window_end for a in alerts) + dt.timedelta(days=1)
    qs = workspace.theme_assignments.filter(
        theme_id__in={a.theme_id for a in alerts},
        feedback__received_at__date__gte=first,
        feedback__received_at__date__lt=last,
    )
    if evidence is not None:
        qs = evidence.restrict(qs, "feedback__")
    by_theme: dict[int, list[tuple[dt.date, int | None]]] = defaultdict(list)
    for theme_id, received, account_id in qs.values_list("theme_id", "feedback__received_at", "feedback__account_id"):
        by_theme[theme_id].append((timezone.localdate(received), account_id))
    out = []
    for a in alerts:
        start, weeks = starts[a.pk], a.baseline_weeks + a.recent_weeks
        counts = [0] * weeks
        accounts: set[int] = set()
        for day, account_id in by_theme.get(a.theme_id, []):
            i = (day - start).days // 7
            if 0 <= i < weeks and day <= a.window_end:
                counts[i] += 1
                if i >= a.baseline_weeks and account_id:
                    accounts.add(account_id)
        baseline, recent = sum(counts[: a.baseline_weeks]), sum(counts[a.baseline_weeks :])
        ratio, _ = poisson_rate_test(recent, baseline, a.recent_weeks, a.baseline_weeks)
        mean = baseline / a.baseline_weeks
        low, high = (int(poisson.ppf(0.025, mean)), int(poisson.ppf(0.975, mean))) if mean else (0, 0)
        weekly = [(start + dt.timedelta(weeks=i), n) for i, n in enumerate(counts)]
        sentence = describe(ratio, baseline, recent, len(accounts), a.window_start)
        chart = bar_chart(
            [(week.isoformat(), n) for week, n in weekly],
            f"{a.theme.name}: items per week",
            caption=f"Shaded: its usual range ({low}–{high} a week over the {a.baseline_weeks} weeks before); "
            f"the last {a.recent_weeks} bars are the alert's window.",
            width=560,
            height=160,
            min_top=high,
        )
        for i, bar in enumerate(chart["bars"]):
            bar["recent"] = i >= a.baseline_weeks
        chart["band"] = band(chart, low, high, mean)
        chart["summary"] = f"{sentence}. {chart['summary']}"
        out.append(AlertView(a, weekly, recent, baseline, ratio, len(accounts), low, high, sentence, chart))
    return out
