"""Answer a survey without an account and without JavaScript: a plain HTML form.

GET never writes. A forged or unknown token is a 404 page, an expired link or a closed survey a
410 page, a score outside the scale a 400 that keeps what was typed. Answering again replaces the
answer (the page says so); the history is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from harken.portal.throttle import client_ip
from harken.surveys import actions
from harken.surveys.models import Invitation, Response, Survey

#: Answers through one survey's shareable link, per client IP, per window (seconds).
SHARED_LIMIT, SHARED_WINDOW = 10, 600

GONE = {
    "unknown": (404, "This link is not valid", "Check that you copied the whole link from your email."),
    "expired": (
        410,
        "This link has expired",
        "Thank you for your interest: this survey no longer takes answers from this link.",
    ),
    "closed": (410, "This survey is closed", "Thank you: it no longer takes answers."),
}


def _gone(request: HttpRequest, reason: str) -> HttpResponse:
    status, title, text = GONE[reason]
    return render(request, "surveys/public/gone.html", {"title": title, "text": text}, status=status)


def _context(survey: Survey, **extra: Any) -> dict[str, Any]:
    scale = survey.scale
    return {
        "survey": survey,
        "workspace": survey.workspace,
        "choices": list(range(scale[0], scale[1] + 1)) if scale else [],
        **extra,
    }


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = actions.invitation_for_token(token)
    except actions.AnswerError as exc:
        return _gone(request, exc.reason)
    survey = invitation.survey
    previous = (
        Response.objects.filter(invitation=invitation, current=True).only("score", "comment", "answered_at").first()
    )
    if request.method == "POST":
        return _submit(request, survey, invitation=invitation, previous=previous)
    selected = request.GET.get("score", "")
    return render(
        request,
        "surveys/public/answer.html",
        _context(
            survey,
            previous=previous,
            selected=selected if selected else (str(previous.score) if previous and previous.score is not None else ""),
            comment=previous.comment if previous else "",
        ),
    )


@require_http_methods(["GET", "POST"])
def shared(request: HttpRequest, key: str) -> HttpResponse:
    try:
        survey = actions.survey_for_share_key(key)
    except actions.AnswerError as exc:
        return _gone(request, exc.reason)
    if request.method == "POST":
        if request.POST.get("website"):  # honeypot: bots fill every field
            return redirect("surveys_public:thanks")
        if _too_many(request, survey):
            return render(
                request,
                "surveys/public/gone.html",
                {
                    "title": "Too many answers",
                    "text": "Too many answers from here in a short time. Please try again later.",
                },
                status=429,
            )
        return _submit(request, survey, invitation=None, previous=None)
    return render(
        request, "surveys/public/answer.html", _context(survey, shared=True, selected=request.GET.get("score", ""))
    )


def _too_many(request: HttpRequest, survey: Survey) -> bool:
    """A fixed-window count in the cache (per process with the default local-memory cache)."""
    import time

    from django.core.cache import cache

    key = f"harken.surveys.shared:{survey.pk}:{client_ip(request)}:{int(time.time() // SHARED_WINDOW)}"
    cache.add(key, 0, timeout=SHARED_WINDOW * 2)
    try:
        count = int(cache.incr(key))
    except ValueError:
        cache.set(key, 1, timeout=SHARED_WINDOW * 2)
        count = 1
    return count > SHARED_LIMIT


def _submit(
    request: HttpRequest, survey: Survey, *, invitation: Invitation | None, previous: Response | None
) -> HttpResponse:
    score = request.POST.get("score")
    comment = request.POST.get("comment", "")
    email = request.POST.get("email", "") if invitation is None else ""
    try:
        actions.record_answer(survey, score=score, comment=comment, invitation=invitation, email=email)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"form": exc.messages}
        return render(
            request,
            "surveys/public/answer.html",
            _context(
                survey,
                previous=previous,
                shared=invitation is None,
                selected=str(score or ""),
                comment=comment,
                email=email,
                errors={k: " ".join(v) for k, v in errors.items()},
            ),
            status=400,
        )
    return redirect("surveys_public:thanks")


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/public/thanks.html", {})
