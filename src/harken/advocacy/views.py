"""Advocacy pages: the promoter queue and asks, consent, referrals and rewards, case-study candidates."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from harken.advocacy import actions, queries
from harken.advocacy.models import AskKind, AskStatus, Outcome, Referral
from harken.core.views import flash_error
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@workspace_view()
def queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "advocacy/queue.html",
        {
            "promoters": queries.queue(actor.workspace),
            "asks": queries.asks(actor.workspace)[:100],
            "kinds": AskKind.choices,
            "cool_off": queries.ASK_COOL_OFF_DAYS,
        },
    )


@workspace_view()
def candidates(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "advocacy/candidates.html",
        {
            "candidates": queries.case_study_candidates(actor.workspace),
            "min_arr": queries.CASE_STUDY_MIN_ARR,
            "min_positive": queries.CASE_STUDY_MIN_POSITIVE,
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def ask_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        item = actions.ask(
            actor,
            contact_id=_int(request.POST.get("contact")),
            kind=request.POST.get("kind", ""),
            response_id=_int(request.POST.get("response")),
            notes=request.POST.get("notes", ""),
        )
    except ValidationError as exc:
        flash_error(request, exc)
        return redirect("advocacy:queue", ws=actor.workspace.slug)
    messages.success(request, f"Asked {item.contact} for a {item.get_kind_display().lower()}.")
    return redirect("advocacy:ask_detail", ws=actor.workspace.slug, pk=item.pk)


@workspace_view()
def ask_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = get_object_or_404(queries.asks(actor.workspace), pk=pk)
    status = 200
    if request.method == "POST":
        actor.require(Role.MEMBER)
        until = request.POST.get("consent_until", "").strip()
        try:
            consent_until = dt.date.fromisoformat(until) if until else None
        except ValueError:
            messages.error(request, "The consent end date must be a date (YYYY-MM-DD).")
            status = 400
        else:
            try:
                actions.update_ask(
                    actor,
                    item,
                    status=request.POST.get("status", ""),
                    quote=request.POST.get("quote", ""),
                    consent_scope=request.POST.get("consent_scope", ""),
                    consent_where=request.POST.get("consent_where", ""),
                    consent_until=consent_until,
                    notes=request.POST.get("notes", ""),
                )
            except ValidationError as exc:
                flash_error(request, exc)
                status = 400
                item = get_object_or_404(queries.asks(actor.workspace), pk=pk)
            else:
                messages.success(request, "Saved.")
                return redirect("advocacy:ask_detail", ws=actor.workspace.slug, pk=item.pk)
    return render(request, "advocacy/ask.html", {"ask": item, "statuses": AskStatus.choices}, status=status)


@workspace_view()
def referrals(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "advocacy/referrals.html",
        {
            "referrals": queries.referrals(actor.workspace)[:200],
            "rewards": queries.rewards(actor.workspace)[:200],
            "total": queries.rewards_total(actor.workspace),
            "outcomes": Outcome.choices,
            "contacts": actor.workspace.contacts.exclude(email="").order_by("name")[:500],
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def referral_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        actions.add_referral(
            actor,
            referrer_id=_int(request.POST.get("referrer")),
            company=request.POST.get("company", ""),
            person=request.POST.get("person", ""),
            email=request.POST.get("email", "").strip(),
            notes=request.POST.get("notes", ""),
        )
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, "Referral recorded.")
    return redirect("advocacy:referrals", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.MEMBER)
def referral_outcome(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral.objects.for_workspace(actor.workspace), pk=pk)
    try:
        actions.set_referral_outcome(
            actor, referral, outcome=request.POST.get("outcome", ""), value=request.POST.get("value")
        )
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, f"{referral.company}: {referral.get_outcome_display().lower()}.")
    return redirect("advocacy:referrals", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.MEMBER)
def reward_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        actions.give_reward(
            actor,
            contact_id=_int(request.POST.get("contact")),
            description=request.POST.get("description", ""),
            amount=request.POST.get("amount"),
            ask_id=_int(request.POST.get("ask")),
            referral_id=_int(request.POST.get("referral")),
        )
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, "Reward added to the ledger.")
    return redirect("advocacy:referrals", ws=actor.workspace.slug)
