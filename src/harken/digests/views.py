"""The weekly digest page, its recipients and settings, and the monthly review pack. Thin."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from harken.core.views import error_text
from harken.digests import digest, review, services
from harken.digests.models import Audience
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _week(actor: Actor, value: str) -> dt.date:
    """?week=YYYY-MM-DD (any day of it) → that Monday; default: last week."""
    today = timezone.now().astimezone(digest.zone(actor.workspace)).date()
    try:
        return digest.week_of(dt.date.fromisoformat(value))
    except ValueError:
        return digest.week_of(today) - dt.timedelta(days=7)


@workspace_view()
def digest_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    week = _week(actor, request.GET.get("week", ""))
    audience = request.GET.get("audience", Audience.TEAM)
    if audience not in Audience.values:
        audience = Audience.TEAM
    built = digest.build(actor.workspace, week)
    issue = actor.workspace.digest_issues.filter(week_start=week).first()  # type: ignore[attr-defined]
    return render(
        request,
        "digests/digest.html",
        {
            "digest": built,
            "sections": built.for_audience(audience),
            "audience": audience,
            "audiences": Audience.choices,
            "previous_week": week - dt.timedelta(days=7),
            "next_week": week + dt.timedelta(days=7),
            "issue": issue,
            "empty_text": digest.EMPTY_TEXT,
            "recipient_count": actor.workspace.digest_recipients.filter(active=True).count(),  # type: ignore[attr-defined]
        },
    )


@workspace_view()
def recipients(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "digests/recipients.html",
        {
            "recipients": actor.workspace.digest_recipients.all(),  # type: ignore[attr-defined]
            "audiences": Audience.choices,
            "settings": services.digest_settings(actor.workspace),
            "issues": actor.workspace.digest_issues.all()[:12],  # type: ignore[attr-defined]
            "members": actor.workspace.memberships.select_related("user"),
        },
    )


@require_POST
@workspace_view(Role.ADMIN)
def recipient_add(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        r = services.add_recipient(
            actor,
            email=request.POST.get("email", ""),
            name=request.POST.get("name", ""),
            audience=request.POST.get("audience", Audience.TEAM),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{r.email} gets the {r.get_audience_display().lower()} digest.")
    return redirect("digests:recipients", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.ADMIN)
def recipient_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    recipient = get_object_or_404(actor.workspace.digest_recipients, pk=pk)  # type: ignore[attr-defined]
    services.remove_recipient(actor, recipient)
    messages.success(request, f"{recipient.email} no longer gets the digest.")
    return redirect("digests:recipients", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.ADMIN)
def digest_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    services.update_settings(
        actor, enabled=bool(request.POST.get("enabled")), skip_when_empty=bool(request.POST.get("skip_when_empty"))
    )
    messages.success(request, "Digest settings saved.")
    return redirect("digests:recipients", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.ADMIN)
def send_now(request: HttpRequest, actor: Actor) -> HttpResponse:
    week = _week(actor, request.POST.get("week", ""))
    try:
        issue = services.send_now(actor, week)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Digest for the week of {week:%b %d} queued for {issue.recipients} recipients.")
    return redirect(reverse("digests:digest", kwargs={"ws": actor.workspace.slug}) + f"?week={week:%Y-%m-%d}")


def _month(actor: Actor, request: HttpRequest) -> dt.date:
    value = request.GET.get("month", "") or request.POST.get("month", "")
    return review.parse_month(value, review.local_today(actor.workspace))


@workspace_view()
def review_pack(request: HttpRequest, actor: Actor) -> HttpResponse:
    month = _month(actor, request)
    data = review.pack(actor.workspace, month)
    mine = any(s.user_id == actor.user.pk for s in data["signoffs"]) if actor.user else False
    return render(request, "digests/review.html", {**data, "signed": mine})


@workspace_view()
def review_csv(request: HttpRequest, actor: Actor) -> HttpResponse:
    month = _month(actor, request)
    response = HttpResponse(review.to_csv(review.pack(actor.workspace, month)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{actor.workspace.slug}-review-{month:%Y-%m}.csv"'
    return response


@workspace_view()
def review_print(request: HttpRequest, actor: Actor) -> HttpResponse:
    month = _month(actor, request)
    response = render(request, "digests/review_print.html", review.pack(actor.workspace, month))
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{actor.workspace.slug}-review-{month:%Y-%m}.html"'
    return response


@require_POST
@workspace_view()
def review_signoff(request: HttpRequest, actor: Actor) -> HttpResponse:
    month = _month(actor, request)
    try:
        services.sign_off(actor, month, request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Recorded: you reviewed {month:%B %Y}.")
    return redirect(reverse("digests:review", kwargs={"ws": actor.workspace.slug}) + f"?month={month:%Y-%m}")
