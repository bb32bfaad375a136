"""Survey reads: lists, the results (score ± interval, trend, breakdowns) and recent answers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from harken.core.charts import line_chart
from harken.surveys import stats
from harken.surveys.models import Response, Survey
from harken.workspaces.models import Workspace

BREAKDOWNS = {
    "segment": ("Segment", "account__segment"),
    "plan": ("Plan", "account__plan"),
    "product_line": ("Product line", "product_line__name"),
}


def surveys(workspace: Workspace) -> QuerySet[Survey]:
    return (
        Survey.objects.for_workspace(workspace)
        .select_related("product_line")
        .annotate(
            answers=Count("responses", filter=Q(responses__current=True), distinct=True),
            invited=Count("invitations", distinct=True),
        )
    )


def current_answers(survey: Survey) -> QuerySet[Response]:
    return Response.objects.filter(workspace=survey.workspace, survey=survey, current=True)


def _period_start(when: dt.datetime, period: str) -> dt.date:
    day = timezone.localtime(when).date()
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def results(survey: Survey, *, period: str = "month", min_sample: int = stats.MIN_SAMPLE) -> dict[str, Any]:
    """Score with its interval, a trend per week/month, and breakdowns by segment, plan, product line."""
    period = "week" if period == "week" else "month"
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in current_answers(survey)
        .exclude(score__isnull=True)
        .values("score", "answered_at", "account__segment", "account__plan", "product_line__name")
    ]
    overall = stats.score_for(
        survey.kind, [r["score"] for r in rows], min_sample=min_sample, satisfied_from=survey.csat_satisfied_from
    )
    by_period: dict[dt.date, list[int]] = defaultdict(list)
    for r in rows:
        by_period[_period_start(r["answered_at"], period)].append(r["score"])
    trend: list[dict[str, Any]] = []
    for start in sorted(by_period):
        s = stats.score_for(
            survey.kind, by_period[start], min_sample=min_sample, satisfied_from=survey.csat_satisfied_from
        )
        trend.append({"start": start, "score": s})
    plotted = [(t["start"].isoformat(), round(t["score"].value, 1)) for t in trend if t["score"].enough]
    unit = "" if survey.kind == "nps" else "%"
    chart = line_chart(plotted, f"{survey.get_kind_display()} per {period}", unit=unit) if len(plotted) >= 2 else None
    breakdowns: list[dict[str, Any]] = []
    for key, (label, field) in BREAKDOWNS.items():
        groups: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            groups[r[field] or "—"].append(r["score"])
        if len(groups) <= 1 and "—" in groups:
            continue
        breakdowns.append(
            {
                "key": key,
                "label": label,
                "rows": sorted(
                    (
                        {
                            "name": name,
                            "score": stats.score_for(
                                survey.kind, scores, min_sample=min_sample, satisfied_from=survey.csat_satisfied_from
                            ),
                        }
                        for name, scores in groups.items()
                    ),
                    key=lambda g: -g["score"].n,
                ),
            }
        )
    return {
        "score": overall,
        "period": period,
        "trend": trend,
        "chart": chart,
        "breakdowns": breakdowns,
        "min_sample": min_sample,
        "free_answers": current_answers(survey).filter(score__isnull=True).count() if survey.kind == "free" else 0,
    }


def recent_answers(survey: Survey, limit: int = 50) -> QuerySet[Response]:
    return current_answers(survey).select_related("contact", "account", "feedback").order_by("-answered_at")[:limit]
