"""The weekly digest and the monthly review pack over HTTP (read-only), scoped to the token's workspace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from harken.digests import digest, review
from harken.digests.models import Audience
from harken.workspaces.api_auth import actor_of, token_auth

router = Router(auth=token_auth, tags=["digests"])


class DigestRow(Schema):
    title: str
    detail: str = ""
    badge: str = ""
    url: str = ""


class DigestSection(Schema):
    key: str
    title: str
    rows: list[DigestRow]


class DigestOut(Schema):
    week_start: dt.date
    audience: str
    new_feedback: int
    conversations: int
    empty: bool
    sections: list[DigestSection]


class CountRow(Schema):
    label: str
    value: int
    previous: int
    change: int


class Verbatim(Schema):
    feedback_id: int
    theme: str
    segment: str
    received_at: dt.datetime
    account: str | None
    channel: str
    text: str


class ReviewOut(Schema):
    month: dt.date
    total: int
    previous_total: int
    themes: list[CountRow]
    segments: list[CountRow]
    verbatims: list[Verbatim]
    reviewed_by: list[str]


@router.get("/weekly", response=DigestOut)
def weekly(request: HttpRequest, week: dt.date | None = None, audience: str = Audience.TEAM) -> Any:
    """The digest of the week containing `week` (default: last week); `audience` filters the sections."""
    workspace = actor_of(request).workspace
    if audience not in Audience.values:
        audience = Audience.TEAM
    today = timezone.now().astimezone(digest.zone(workspace)).date()
    start = digest.week_of(week) if week else digest.week_of(today) - dt.timedelta(days=7)
    built = digest.build(workspace, start)
    sections = built.for_audience(audience)
    return {
        "week_start": start,
        "audience": audience,
        "new_feedback": built.new_feedback,
        "conversations": built.conversations,
        "empty": not any(s["rows"] for s in sections),
        "sections": sections,
    }


@router.get("/review", response=ReviewOut)
def review_pack(request: HttpRequest, month: str = "") -> Any:
    """The raw-data review pack of `month` (YYYY-MM, default: last month)."""
    workspace = actor_of(request).workspace
    data = review.pack(workspace, review.parse_month(month, review.local_today(workspace)))
    return {
        "month": data["month"],
        "total": data["total"],
        "previous_total": data["previous_total"],
        "themes": data["themes"],
        "segments": data["segments"],
        "verbatims": [
            {
                "feedback_id": item["pk"],
                "theme": t["theme"],
                "segment": g["segment"],
                "received_at": item["received_at"],
                "account": item.get("account__name"),
                "channel": item["channel"],
                "text": item["text"],
            }
            for t in data["samples"]
            for g in t["groups"]
            for item in g["items"]
        ],
        "reviewed_by": [s.user.email for s in data["signoffs"]],
    }
