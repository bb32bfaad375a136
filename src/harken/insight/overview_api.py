"""GET /api/insight/overview: the Overview page's numbers, with the decision pages' filters."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from harken.core.apierrors import ErrorOut as Error
from harken.feedback.queries import overview
from harken.insight.filters import EvidenceQuery
from harken.workspaces.api_auth import actor_of, token_auth

router = Router(auth=token_auth, tags=["insight"])


class OverviewWeekOut(Schema):
    week: date
    count: int


class OverviewChannelOut(Schema):
    channel: str
    count: int


class OverviewOut(Schema):
    filters: dict[str, str]
    total: int
    this_week: int
    this_month: int
    accounts_heard: int
    arr_represented: float
    weekly: list[OverviewWeekOut]
    channels: list[OverviewChannelOut]


@router.get("/overview", response={200: OverviewOut, 422: Error})
def overview_numbers(request: HttpRequest, filters: Query[EvidenceQuery]) -> OverviewOut:
    """Items in all, last 7 and 30 days, accounts heard from and their ARR (90 days), and 52 weeks of volume.

    With filters every number counts only matching items; with `until` the periods end on that day."""
    actor = actor_of(request)
    evidence = filters.evidence(actor.workspace)
    o = overview(actor.workspace, evidence=evidence)
    return OverviewOut(
        filters=evidence.params(),
        total=o["total"],
        this_week=o["this_week"],
        this_month=o["this_month"],
        accounts_heard=o["accounts_heard"],
        arr_represented=float(o["arr_represented"]),
        weekly=[
            OverviewWeekOut(week=date.fromisoformat(b["label"]), count=b["value"]) for b in o["weekly_chart"]["bars"]
        ],
        channels=[OverviewChannelOut(channel=r["channel"], count=r["value"]) for r in o["channels"]],
    )
