"""Who to talk to next: contacts ranked by reasons, each reason from a provider.

A provider is `fn(context: SuggestionContext) -> list[Reason]`, listed by dotted path in
`REASON_PROVIDERS`; another app adds one by appending its path (the roadmap app's open promises:
"harken.roadmap.seams.open_promises"). A provider whose app is not installed is skipped.
Reasons may name a contact or only an account; an account's reason goes to its contact with the
most feedback (then the most recently added). A contact's score is the sum of its reasons'
weights; contacts someone talked to in the last `RECENT_DAYS` are left out.

Weights (chosen once, shown on the page): high ARR and quiet 3, rising negative feedback 2.5,
upcoming renewal 2, new in a growing theme 1.5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldError
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from harken.customers.models import Account, Contact
from harken.workspaces.models import Workspace

REASON_PROVIDERS = [
    "harken.conversations.suggestions.high_arr_quiet",
    "harken.conversations.suggestions.rising_negative",
    "harken.conversations.suggestions.upcoming_renewal",
    "harken.conversations.suggestions.new_in_growing_theme",
    "harken.roadmap.seams.open_promises",  # the roadmap app: promises due soon or overdue
]
QUIET_DAYS = 60
RECENT_DAYS = 14
RENEWAL_DAYS = 60
HIGH_ARR_QUANTILE = 0.75


@dataclass
class SuggestionContext:
    workspace: Workspace
    now: dt.datetime
    product_line: Any = None  # feedback-based reasons look at this line's feedback when given


@dataclass
class Reason:
    code: str
    text: str
    weight: float
    account: Account | None = None
    contact: Contact | None = None


@dataclass
class Suggestion:
    contact: Contact
    account: Account | None
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)


def _last_talked(workspace: Workspace) -> dict[int, dt.datetime]:
    rows = workspace.conversations.filter(account__isnull=False).values("account_id").annotate(last=Max("happened_at"))
    return {r["account_id"]: r["last"] for r in rows}


def _money(value: Decimal | float) -> str:
    v = float(value)
    return f"${v / 1000:,.0f}k" if v >= 1000 else f"${v:,.0f}"


def high_arr_quiet(ctx: SuggestionContext) -> list[Reason]:
    accounts = list(ctx.workspace.accounts.filter(arr__gt=0).exclude(lifecycle_stage="churned").order_by("-arr"))
    if not accounts:
        return []
    cut = accounts[max(0, int(len(accounts) * (1 - HIGH_ARR_QUANTILE)) - 1)].arr
    last = _last_talked(ctx.workspace)
    reasons = []
    for a in accounts:
        if a.arr < cut:
            break
        when = last.get(a.pk)
        if when is not None and ctx.now - when < dt.timedelta(days=QUIET_DAYS):
            continue
        quiet = f"no conversation for {(ctx.now - when).days} days" if when else "no conversation logged yet"
        reasons.append(Reason("high_arr_quiet", f"High ARR ({_money(a.arr)}) and {quiet}", 3.0, account=a))
    return reasons


def rising_negative(ctx: SuggestionContext) -> list[Reason]:
    recent_from = ctx.now - dt.timedelta(days=30)
    before_from = ctx.now - dt.timedelta(days=60)
    items = ctx.workspace.feedback_items.filter(account__isnull=False, received_at__gte=before_from)
    if ctx.product_line is not None:
        items = items.filter(product_line=ctx.product_line)
    try:
        rows = list(
            items.filter(classification__sentiment="negative")
            .values("account_id")
            .annotate(
                recent=Count("pk", filter=Q(received_at__gte=recent_from)),
                before=Count("pk", filter=Q(received_at__lt=recent_from)),
            )
        )
    except FieldError:  # insight not installed: no sentiment to read
        return []
    accounts = ctx.workspace.accounts.in_bulk([r["account_id"] for r in rows])
    return [
        Reason(
            "rising_negative",
            f"Negative feedback rising: {r['recent']} in the last 30 days vs {r['before']} before",
            2.5,
            account=accounts[r["account_id"]],
        )
        for r in rows
        if r["recent"] >= 2 and r["recent"] > r["before"] and r["account_id"] in accounts
    ]


def upcoming_renewal(ctx: SuggestionContext) -> list[Reason]:
    today = ctx.now.date()
    last = _last_talked(ctx.workspace)
    reasons = []
    for a in ctx.workspace.accounts.filter(
        renewal_date__gte=today, renewal_date__lte=today + dt.timedelta(days=RENEWAL_DAYS)
    ).order_by("renewal_date"):
        when = last.get(a.pk)
        if when is not None and ctx.now - when < dt.timedelta(days=30):
            continue
        days = (a.renewal_date - today).days  # type: ignore[operator]
        reasons.append(Reason("upcoming_renewal", f"Renews in {days} days ({a.renewal_date:%b %d})", 2.0, account=a))
    return reasons


def new_in_growing_theme(ctx: SuggestionContext) -> list[Reason]:
    since = ctx.now - dt.timedelta(days=30)
    try:
        items = ctx.workspace.feedback_items.filter(
            contact__isnull=False,
            received_at__gte=since,
            theme_assignment__theme__trend_alerts__created_at__gte=since,
        )
        if ctx.product_line is not None:
            items = items.filter(product_line=ctx.product_line)
        rows = list(items.values("contact_id", "theme_assignment__theme__name").distinct()[:200])
    except FieldError:
        return []
    first_seen = dict(
        ctx.workspace.feedback_items.filter(contact_id__in={r["contact_id"] for r in rows})
        .values("contact_id")
        .annotate(first=Min("received_at"))
        .values_list("contact_id", "first")
    )
    contacts = ctx.workspace.contacts.select_related("account").in_bulk({r["contact_id"] for r in rows})
    reasons = []
    seen: set[int] = set()
    for r in rows:
        contact = contacts.get(r["contact_id"])
        if contact is None or contact.pk in seen:
            continue
        first = first_seen.get(contact.pk)
        if first is None or first < since:
            continue  # not new: they gave feedback before this month
        seen.add(contact.pk)
        reasons.append(
            Reason(
                "new_in_growing_theme",
                f"New voice in the growing theme “{r['theme_assignment__theme__name']}”",
                1.5,
                account=contact.account,
                contact=contact,
            )
        )
    return reasons


def _best_contact(account: Account) -> Contact | None:
    return account.contacts.annotate(n=Count("feedback_items")).order_by("-n", "-created_at").first()


def suggest(
    workspace: Workspace, *, product_line: Any = None, now: dt.datetime | None = None, limit: int = 5
) -> list[Suggestion]:
    ctx = SuggestionContext(workspace=workspace, now=now or timezone.now(), product_line=product_line)
    recent = set(
        Contact.conversations.through.objects.filter(
            conversation__workspace=workspace,
            conversation__happened_at__gte=ctx.now - dt.timedelta(days=RECENT_DAYS),
        ).values_list("contact_id", flat=True)
    )
    by_contact: dict[int, Suggestion] = {}
    best: dict[int, Contact | None] = {}
    for path in REASON_PROVIDERS:
        try:
            provider = import_string(path)
        except ImportError:
            continue
        for reason in provider(ctx):
            contact = reason.contact
            if contact is None and reason.account is not None:
                if reason.account.pk not in best:
                    best[reason.account.pk] = _best_contact(reason.account)
                contact = best[reason.account.pk]
            if contact is None or contact.pk in recent:
                continue
            entry = by_contact.setdefault(
                contact.pk, Suggestion(contact=contact, account=reason.account or contact.account)
            )
            if all(r.code != reason.code for r in entry.reasons):
                entry.reasons.append(reason)
                entry.score += reason.weight
    ranked = sorted(by_contact.values(), key=lambda s: (-s.score, str(s.contact).lower()))
    for s in ranked:
        s.reasons.sort(key=lambda r: -r.weight)
    return ranked[:limit]


def as_rows(suggestions: list[Suggestion]) -> list[dict[str, Any]]:
    return [
        {
            "contact": s.contact,
            "account": s.account,
            "score": round(s.score, 1),
            "reasons": [r.text for r in s.reasons],
        }
        for s in suggestions
    ]


__all__ = ["REASON_PROVIDERS", "Reason", "Suggestion", "SuggestionContext", "suggest"]
