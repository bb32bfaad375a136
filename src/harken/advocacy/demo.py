"""Demo hook: asks of the happiest promoters (with consents, one expired), referrals with outcomes
and a small rewards ledger, spread over the past six months (each ask after the promoter's answer).
Runs after the surveys demo (app order in HARKEN_APPS)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from harken.advocacy.models import Ask, AskKind, AskStatus, Outcome, Referral, Reward
from harken.surveys.models import Kind, Response


def after_demo_load(workspace: Any) -> int:
    if workspace.advocacy_asks.exists():
        return 0
    promoters = list(
        Response.objects.for_workspace(workspace)
        .filter(current=True, survey__kind=Kind.NPS, score__gte=9, contact__isnull=False)
        .select_related("contact", "account")
        .order_by("-account__arr", "pk")
    )
    unique: list[Response] = []
    for r in promoters:
        if r.contact is not None and all(u.contact_id != r.contact_id for u in unique):
            unique.append(r)
    contacts = [r.contact for r in unique if r.contact is not None]
    if not unique:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    plans = [
        (
            AskKind.CASE_STUDY,
            AskStatus.AGREED,
            "Story with name, logo and numbers",
            "Website, sales decks",
            today + dt.timedelta(days=365),
            "We cut reporting time by 70%.",
        ),
        (
            AskKind.TESTIMONIAL,
            AskStatus.DONE,
            "Quote with name and title",
            "Website",
            None,
            "The dashboards save my team hours every week.",
        ),
        (AskKind.REVIEW, AskStatus.DONE, "Public review", "G2", None, "Easy to set up, great support."),
        (
            AskKind.REFERENCE,
            AskStatus.AGREED,
            "Reference calls, two per quarter",
            "Sales calls",
            today + dt.timedelta(days=180),
            "",
        ),
        (
            AskKind.TESTIMONIAL,
            AskStatus.DONE,
            "Quote, first name only",
            "Website",
            today - dt.timedelta(days=20),
            "Support answered within the hour.",
        ),
        (AskKind.REVIEW, AskStatus.ASKED, "", "", None, ""),
        (AskKind.REFERENCE, AskStatus.DECLINED, "", "", None, ""),
    ]
    asks = []
    for i, (r, (kind, status, scope, where, until, quote)) in enumerate(zip(unique, plans, strict=False)):
        # one ask every ~3–4 weeks over six months, never before the answer it follows up
        asked = max(now - dt.timedelta(days=170 - i * 25), r.answered_at + dt.timedelta(days=2))
        asked = min(asked, now - dt.timedelta(days=1))
        asks.append(
            Ask.objects.create(
                workspace=workspace,
                contact=contacts[i],
                response=r,
                kind=kind,
                status=status,
                asked_at=asked,
                quote=quote,
                consent_scope=scope,
                consent_where=where,
                consent_until=until,
                consent_given_at=min(asked + dt.timedelta(days=3), now)
                if status in (AskStatus.AGREED, AskStatus.DONE)
                else None,
            )
        )
    referrals = []
    for i, (company, outcome, value) in enumerate(
        [
            ("Northwind Traders", Outcome.WON, "24000"),
            ("Globex", Outcome.QUALIFIED, "0"),
            ("Initech", Outcome.LOST, "0"),
            ("Umbrella Analytics", Outcome.OPEN, "0"),
        ]
    ):
        referrer = contacts[i % len(contacts)]
        referrals.append(
            Referral.objects.create(
                workspace=workspace,
                referrer=referrer,
                company=company,
                person="",
                outcome=outcome,
                value=Decimal(value),
                referred_at=now - dt.timedelta(days=150 - i * 35),
            )
        )
    for ask in asks[:3]:
        if ask.status == AskStatus.DONE or ask.kind == AskKind.CASE_STUDY:
            Reward.objects.create(
                workspace=workspace,
                contact=ask.contact,
                description="Gift card",
                amount=Decimal("50"),
                ask=ask,
                given_at=min(ask.asked_at + dt.timedelta(days=10), now),
            )
    Reward.objects.create(
        workspace=workspace,
        contact=referrals[0].referrer,
        description="Referral bonus: one month free",
        amount=Decimal("400"),
        referral=referrals[0],
        given_at=referrals[0].referred_at + dt.timedelta(days=45),
    )
    return 0
