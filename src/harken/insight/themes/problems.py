"""Top problems: themes ranked by revenue-weighted evidence, with every part of the score shown.

For one theme, each item i gets a weight

    w_i = recency_i × severity_i
    recency_i  = 0.5 ** (age_days_i / HALF_LIFE_DAYS)
    severity_i = CATEGORY_SEVERITY[category] × SENTIMENT_SEVERITY[sentiment]

Each account a that gave feedback in the theme contributes once, through its strongest item:

    contribution_a = revenue_a × segment_a × max_i∈a w_i
    revenue_a      = 1 + log10(1 + ARR_a / 1000)          (ARR in currency units; 0 ARR → 1)
    segment_a      = the highest `Segment.weight` among saved segments that contain the account
                     (1 when none does)

Items without an account count as one anonymous voice each, at ANONYMOUS_WEIGHT:

    contribution_i = ANONYMOUS_WEIGHT × w_i

With `weight="clv"` (the "weight by CLV" option) revenue_a uses the account's customer lifetime
value instead (customers/value.py) on the same scale: revenue_a = 1 + log10(1 + CLV_a / 1000),
and an account whose CLV is unknown (no revenue data) counts like one with 0 ARR (revenue_a = 1).

score = Σ contributions. So ten accounts outrank one loud account, paying accounts outrank free
ones (but only logarithmically — a single whale cannot bury everyone else), old feedback fades,
and bugs and complaints weigh more than praise. The breakdown lists each factor and each
account's contribution; the factor columns are evidence-weighted means, the score their sum.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from harken.customers.queries import filter_accounts, segment_filters
from harken.insight.themes.models import Category, Sentiment, Theme, ThemeStatus
from harken.insight.themes.services import member_rows
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace

if TYPE_CHECKING:
    from harken.insight.filters import EvidenceFilter

log = logging.getLogger(__name__)

HALF_LIFE_DAYS = 60.0
ANONYMOUS_WEIGHT = 0.5
CATEGORY_SEVERITY: dict[str | None, float] = {
    Category.BUG: 1.5,
    Category.COMPLAINT: 1.4,
    Category.FEATURE: 1.0,
    Category.QUESTION: 0.7,
    Category.PRAISE: 0.3,
    None: 1.0,  # not classified yet
}
SENTIMENT_SEVERITY: dict[str | None, float] = {
    Sentiment.NEGATIVE: 1.2,
    Sentiment.NEUTRAL: 1.0,
    Sentiment.POSITIVE: 0.8,
    None: 1.0,
}


def recency(received: dt.datetime, now: dt.datetime) -> float:
    age = max((now - received).total_seconds() / 86400.0, 0.0)
    return 0.5 ** (age / HALF_LIFE_DAYS)


def severity(category: str | None, sentiment: str | None) -> float:
    return CATEGORY_SEVERITY.get(category, 1.0) * SENTIMENT_SEVERITY.get(sentiment, 1.0)


def revenue(arr: Decimal | float | None) -> float:
    return 1.0 + math.log10(1.0 + max(float(arr or 0), 0.0) / 1000.0)


def segment_weights(workspace: Workspace) -> dict[int, tuple[float, str]]:
    """account id → (highest segment weight, that segment's name), for accounts in any saved segment."""
    out: dict[int, tuple[float, str]] = {}
    for segment in workspace.segments.all():
        try:
            ids = list(filter_accounts(workspace, segment_filters(segment)).values_list("pk", flat=True))
        except ValidationError:  # a segment whose saved filter no longer parses counts for nobody
            log.warning("Segment %s has an unusable filter; ignored for top problems", segment.pk)
            continue
        for pk in ids:
            if pk not in out or segment.weight > out[pk][0]:
                out[pk] = (float(segment.weight), segment.name)
    return out


@dataclass
class Contribution:
    label: str
    account_id: int | None
    arr: float
    revenue: float
    segment: float
    segment_name: str
    recency: float
    severity: float
    value: float
    items: int


@dataclass
class Problem:
    theme: Theme
    score: float
    items: int
    accounts: int
    arr: float
    revenue: float  # evidence-weighted means of each factor…
    segment: float
    recency: float
    severity: float
    anonymous: int
    contributions: list[Contribution] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme_id": self.theme.pk,
            "theme": self.theme.name,
            "score": round(self.score, 4),
            "items": self.items,
            "accounts": self.accounts,
            "arr": round(self.arr, 2),
            "components": {
                "revenue": round(self.revenue, 4),
                "segment": round(self.segment, 4),
                "recency": round(self.recency, 4),
                "severity": round(self.severity, 4),
                "anonymous_items": self.anonymous,
            },
            "contributions": [
                {
                    "label": c.label,
                    "account_id": c.account_id,
                    "arr": c.arr,
                    "revenue": round(c.revenue, 4),
                    "segment": round(c.segment, 4),
                    "segment_name": c.segment_name,
                    "recency": round(c.recency, 4),
                    "severity": round(c.severity, 4),
                    "value": round(c.value, 4),
                    "items": c.items,
                }
                for c in self.contributions
            ],
        }


WEIGHTS = {"arr": "ARR", "clv": "Customer lifetime value"}


def top_problems(
    actor: Actor,
    limit: int = 20,
    now: dt.datetime | None = None,
    weight: str = "arr",
    evidence: EvidenceFilter | None = None,
) -> list[Problem]:
    """Active themes by score, highest first, each with its full breakdown.

    `weight`: "arr" (default) or "clv" — what an account's revenue factor is computed from.
    `evidence` (harken.insight.filters): only the items it keeps count — "top problems for
    enterprise accounts" is a segment filter; the segment weight still multiplies as before.
    """
    if weight not in WEIGHTS:
        raise ValidationError({"weight": f"Weight must be one of: {', '.join(WEIGHTS)}."})
    workspace = actor.workspace
    now = now or timezone.now()
    themes = {t.pk: t for t in workspace.themes.filter(status=ThemeStatus.ACTIVE)}
    rows = member_rows(workspace, themes, evidence)
    names = dict(
        workspace.accounts.filter(
            pk__in={r["feedback__account_id"] for r in rows if r["feedback__account_id"]}
        ).values_list("pk", "name")
    )
    segments = segment_weights(workspace) if rows else {}
    clvs: dict[int, Decimal | None] = {}
    if weight == "clv" and rows:
        from harken.customers.value import clv_by_account

        clvs = clv_by_account(workspace, {r["feedback__account_id"] for r in rows if r["feedback__account_id"]})
    by_theme: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_theme[r["theme_id"]].append(r)
    problems = []
    for theme_id, members in by_theme.items():
        per_account: dict[int, list[dict[str, Any]]] = defaultdict(list)
        contributions: list[Contribution] = []
        for r in members:
            if r["feedback__account_id"]:
                per_account[r["feedback__account_id"]].append(r)
            else:
                rec = recency(r["feedback__received_at"], now)
                sev = severity(r["feedback__classification__category"], r["feedback__classification__sentiment"])
                contributions.append(
                    Contribution(
                        f"Item #{r['feedback_id']} (no account)",
                        None,
                        0.0,
                        ANONYMOUS_WEIGHT,
                        1.0,
                        "",
                        rec,
                        sev,
                        ANONYMOUS_WEIGHT * rec * sev,
                        1,
                    )
                )
        arr_total = 0.0
        for account_id, items in per_account.items():
            best = max(
                items,
                key=lambda r: (
                    recency(r["feedback__received_at"], now)
                    * severity(r["feedback__classification__category"], r["feedback__classification__sentiment"])
                ),
            )
            rec = recency(best["feedback__received_at"], now)
            sev = severity(best["feedback__classification__category"], best["feedback__classification__sentiment"])
            arr = float(items[0]["feedback__account__arr"] or 0)
            arr_total += arr
            rev = revenue(clvs.get(account_id) or 0) if weight == "clv" else revenue(arr)
            seg, seg_name = segments.get(account_id, (1.0, ""))
            contributions.append(
                Contribution(
                    names.get(account_id, f"Account {account_id}"),
                    account_id,
                    arr,
                    rev,
                    seg,
                    seg_name,
                    rec,
                    sev,
                    rev * seg * rec * sev,
                    len(items),
                )
            )
        contributions.sort(key=lambda c: -c.value)
        score = sum(c.value for c in contributions)
        norm = score or 1.0

        def mean(attr: str, cs: list[Contribution] = contributions, w: float = norm, total: float = score) -> float:
            return sum(getattr(c, attr) * c.value for c in cs) / w if total else 0.0

        problems.append(
            Problem(
                themes[theme_id],
                score,
                len(members),
                len(per_account),
                arr_total,
                mean("revenue"),
                mean("segment"),
                mean("recency"),
                mean("severity"),
                sum(1 for c in contributions if c.account_id is None),
                contributions,
            )
        )
    problems.sort(key=lambda p: (-p.score, p.theme.pk))
    return problems[:limit]
