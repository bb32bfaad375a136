"""Advocacy writes: ask a promoter, record the answer and consent, referrals, rewards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from harken.advocacy.models import Ask, AskKind, AskStatus, Outcome, Referral, Reward
from harken.customers.models import Contact
from harken.surveys.models import Response
from harken.workspaces.access import Actor
from harken.workspaces.models import Role


def _contact(actor: Actor, contact_id: int | None) -> Contact:
    contact = actor.workspace.contacts.filter(pk=contact_id).first() if contact_id else None
    if contact is None:
        raise ValidationError({"contact": "Unknown contact."})
    return contact


def _amount(value: object, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise ValidationError({field: "Enter an amount."}) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError({field: "Enter an amount of zero or more."})
    return amount.quantize(Decimal("0.01"))


def ask(actor: Actor, *, contact_id: int | None, kind: str, response_id: int | None = None, notes: str = "") -> Ask:
    actor.require(Role.MEMBER)
    contact = _contact(actor, contact_id)
    if kind not in AskKind.values:
        raise ValidationError({"kind": "Choose testimonial, review, reference or case study."})
    response = None
    if response_id:
        response = Response.objects.for_workspace(actor.workspace).filter(pk=response_id).first()
        if response is None:
            raise ValidationError({"response": "Unknown survey answer."})
    return Ask.objects.create(
        workspace=actor.workspace,
        contact=contact,
        kind=kind,
        response=response,
        asked_by=actor.user,
        notes=(notes or "")[:5000],
    )


def update_ask(
    actor: Actor,
    item: Ask,
    *,
    status: str,
    quote: str = "",
    consent_scope: str = "",
    consent_where: str = "",
    consent_until: dt.date | None = None,
    notes: str | None = None,
) -> Ask:
    """Record the answer. Agreeing needs the consent: what may be published and where."""
    actor.require(Role.MEMBER)
    if item.workspace_id != actor.workspace.pk:
        raise ValidationError("Unknown ask.")
    if status not in AskStatus.values:
        raise ValidationError({"status": "Unknown status."})
    consent_scope, consent_where = (consent_scope or "").strip()[:300], (consent_where or "").strip()[:300]
    if status in (AskStatus.AGREED, AskStatus.DONE) and not (consent_scope and consent_where):
        raise ValidationError({"consent_scope": "Record what may be published and where before marking it agreed."})
    if consent_until is not None and consent_until < timezone.localdate():
        raise ValidationError({"consent_until": "The consent end date is in the past."})
    item.status = status
    item.quote = (quote or "").strip()[:5000]
    item.consent_scope, item.consent_where, item.consent_until = consent_scope, consent_where, consent_until
    if status in (AskStatus.AGREED, AskStatus.DONE):
        item.consent_given_at = item.consent_given_at or timezone.now()
    else:
        item.consent_given_at = None
    if notes is not None:
        item.notes = notes[:5000]
    item.save()
    return item


def add_referral(
    actor: Actor, *, referrer_id: int | None, company: str, person: str = "", email: str = "", notes: str = ""
) -> Referral:
    actor.require(Role.MEMBER)
    referrer = _contact(actor, referrer_id)
    company = (company or "").strip()
    if not company:
        raise ValidationError({"company": "Name the referred company."})
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": "Enter a valid email address."}) from None
    return Referral.objects.create(
        workspace=actor.workspace,
        referrer=referrer,
        company=company[:200],
        person=(person or "")[:200],
        email=email,
        notes=notes[:5000],
    )


def set_referral_outcome(actor: Actor, referral: Referral, *, outcome: str, value: object = 0) -> Referral:
    actor.require(Role.MEMBER)
    if referral.workspace_id != actor.workspace.pk:
        raise ValidationError("Unknown referral.")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Unknown outcome."})
    referral.outcome = outcome
    referral.value = _amount(value, "value")
    referral.save(update_fields=["outcome", "value", "updated_at"])
    return referral


def give_reward(
    actor: Actor,
    *,
    contact_id: int | None,
    description: str,
    amount: object = 0,
    ask_id: int | None = None,
    referral_id: int | None = None,
) -> Reward:
    actor.require(Role.MEMBER)
    contact = _contact(actor, contact_id)
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": "Describe the reward."})
    ask_obj = Ask.objects.for_workspace(actor.workspace).filter(pk=ask_id).first() if ask_id else None
    referral = Referral.objects.for_workspace(actor.workspace).filter(pk=referral_id).first() if referral_id else None
    if (ask_id and ask_obj is None) or (referral_id and referral is None):
        raise ValidationError("Unknown ask or referral.")
    return Reward.objects.create(
        workspace=actor.workspace,
        contact=contact,
        description=description[:200],
        amount=_amount(amount, "amount"),
        ask=ask_obj,
        referral=referral,
        given_by=actor.user,
    )
