"""Advocacy reads: the promoter queue and the case-study candidates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from harken.advocacy.models import Ask, Referral, Reward
from harken.surveys.models import Kind, Response
from harken.workspaces.models import Workspace

#: A promoter asked within this many days is not shown in the queue again.
ASK_COOL_OFF_DAYS = 90
#: Case-study candidates: promoters of accounts with at least this ARR and this many positive items.
CASE_STUDY_MIN_ARR = Decimal("50000")
CASE_STUDY_MIN_POSITIVE = 2


def queue(workspace: Workspace) -> list[Response]:
    """Promoters (current NPS answer 9–10, with a contact) not asked in the last ASK_COOL_OFF_DAYS days.

    One row per contact: their newest promoter answer."""
    since = timezone.now() - dt.timedelta(days=ASK_COOL_OFF_DAYS)
    asked = Ask.objects.for_workspace(workspace).filter(asked_at__gte=since).values("contact_id")
    rows = (
        Response.objects.for_workspace(workspace)
        .filter(current=True, survey__kind=Kind.NPS, score__gte=9, contact__isnull=False)
        .exclude(contact_id__in=asked)
        .select_related("contact", "account", "survey", "feedback")
        .order_by("-answered_at", "-pk")
    )
    seen: set[int] = set()
    out = []
    for r in rows:
        if r.contact_id in seen:
            continue
        seen.add(r.contact_id)
        out.append(r)
    return out


def asks(workspace: Workspace) -> QuerySet[Ask]:
    return Ask.objects.for_workspace(workspace).select_related("contact", "contact__account")


def referrals(workspace: Workspace) -> QuerySet[Referral]:
    return Referral.objects.for_workspace(workspace).select_related("referrer", "referrer__account")


def rewards(workspace: Workspace) -> QuerySet[Reward]:
    return Reward.objects.for_workspace(workspace).select_related("contact", "ask", "referral")


def rewards_total(workspace: Workspace) -> Decimal:
    return Reward.objects.for_workspace(workspace).aggregate(total=Sum("amount"))["total"] or Decimal("0")


def case_study_candidates(
    workspace: Workspace, *, min_arr: Decimal = CASE_STUDY_MIN_ARR, min_positive: int = CASE_STUDY_MIN_POSITIVE
) -> list[dict[str, Any]]:
    """Accounts with a current promoter, ARR ≥ min_arr and ≥ min_positive positive items.

    Positive items: current promoter (NPS 9–10) or satisfied (CSAT 4–5) answers of the account's
    people, plus its feedback items classified positive. Highest ARR first."""
    promoter_q = Q(current=True, survey__kind=Kind.NPS, score__gte=9)
    satisfied_q = Q(current=True, survey__kind=Kind.CSAT, score__gte=4)
    accounts = (
        workspace.accounts.filter(arr__gte=min_arr)
        .annotate(
            promoters=Count(
                "survey_responses", filter=Q(survey_responses__in=Response.objects.filter(promoter_q)), distinct=True
            ),
            satisfied=Count(
                "survey_responses", filter=Q(survey_responses__in=Response.objects.filter(satisfied_q)), distinct=True
            ),
            positive_feedback=Count(
                "feedback_items", filter=Q(feedback_items__classification__sentiment="positive"), distinct=True
            ),
        )
        .filter(promoters__gte=1)
        .order_by("-arr", "name")
    )
    out = []
    for a in accounts:
        positive = a.promoters + a.satisfied + a.positive_feedback
        if positive >= min_positive:
            out.append(
                {
                    "account": a,
                    "positive": positive,
                    "promoters": a.promoters,
                    "satisfied": a.satisfied,
                    "positive_feedback": a.positive_feedback,
                }
            )
    return out
