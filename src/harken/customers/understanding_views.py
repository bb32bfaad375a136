"""Goals, jobs and process-map forms on the account page, and the workspace "where it hurts" view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from harken.customers import understanding
from harken.customers.models import Account
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _back(actor: Actor, account: Account, anchor: str) -> HttpResponse:
    response = redirect("customers:account_detail", ws=actor.workspace.slug, pk=account.pk)
    response["Location"] += f"#{anchor}"
    return response


def _run(request: HttpRequest, action: Callable[[], Any], ok: str) -> bool:
    """Call a service; a ValidationError becomes an error message (and a 400 for htmx/API-ish callers)."""
    try:
        action()
    except ValidationError as exc:
        text = (
            "; ".join(m for msgs in exc.message_dict.values() for m in msgs)
            if hasattr(exc, "error_dict")
            else "; ".join(exc.messages)
        )
        messages.error(request, text)
        return False
    messages.success(request, ok)
    return True


@require_POST
@workspace_view(Role.MEMBER)
def goal_add(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    account = get_object_or_404(actor.workspace.accounts, pk=pk)
    _run(
        request,
        lambda: understanding.add_goal(
            actor, account, title=request.POST.get("title", ""), detail=request.POST.get("detail", "")
        ),
        "Goal added.",
    )
    return _back(actor, account, "goals-h")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "; ".join(exc.messages)


def _edit(
    request: HttpRequest, actor: Actor, account: Account, kind: str, pk: int, action: Callable[[], Any], ok: str
) -> HttpResponse:
    """Save an edit in place. From htmx: the card again (`customers/_<kind>s.html`), the edited entry
    focused and marked saved, or its form open with the error (200, so htmx swaps it). Without
    JavaScript: back to the account page at the entry, with the result as a flash message."""
    try:
        action()
    except ValidationError as exc:
        error = _error_text(exc)
        if not _is_htmx(request):
            messages.error(request, error)
    else:
        error = ""
        if not _is_htmx(request):
            messages.success(request, ok)
    if not _is_htmx(request):
        return _back(actor, account, f"{kind}-{pk}")
    template = {"goal": "customers/_goals.html", "job": "customers/_jobs.html", "step": "customers/_process.html"}
    context = {
        "account": account,
        **understanding.account_understanding(account),
        "edit_kind": kind,
        "edit_pk": pk,
        "edit_error": error,
        "saved": "" if error else ok,
    }
    return render(request, template[kind], context)


@require_POST
@workspace_view(Role.MEMBER)
def goal_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    goal = get_object_or_404(actor.workspace.customer_goals.select_related("account"), pk=pk)
    title, detail = request.POST.get("title"), request.POST.get("detail")
    return _edit(
        request, actor, goal.account, "goal", goal.pk,
        lambda: understanding.edit_goal(actor, goal, title=title, detail=detail), "Goal saved.",
    )  # fmt: skip


@require_POST
@workspace_view(Role.MEMBER)
def goal_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    goal = get_object_or_404(actor.workspace.customer_goals.select_related("account"), pk=pk)
    _run(request, lambda: understanding.delete_goal(actor, goal), "Goal removed.")
    return _back(actor, goal.account, "goals-h")


@require_POST
@workspace_view(Role.MEMBER)
def job_add(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    account = get_object_or_404(actor.workspace.accounts, pk=pk)
    _run(
        request,
        lambda: understanding.add_job(
            actor,
            account,
            situation=request.POST.get("situation", ""),
            motivation=request.POST.get("motivation", ""),
            outcome=request.POST.get("outcome", ""),
        ),
        "Job added.",
    )
    return _back(actor, account, "jobs-h")


@require_POST
@workspace_view(Role.MEMBER)
def job_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = get_object_or_404(actor.workspace.customer_jobs.select_related("account"), pk=pk)
    parts = {key: request.POST.get(key) for key in ("situation", "motivation", "outcome")}
    return _edit(
        request, actor, job.account, "job", job.pk, lambda: understanding.edit_job(actor, job, **parts), "Job saved."
    )


@require_POST
@workspace_view(Role.MEMBER)
def job_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    job = get_object_or_404(actor.workspace.customer_jobs.select_related("account"), pk=pk)
    _run(request, lambda: understanding.delete_job(actor, job), "Job removed.")
    return _back(actor, job.account, "jobs-h")


@require_POST
@workspace_view(Role.MEMBER)
def step_add(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    account = get_object_or_404(actor.workspace.accounts, pk=pk)
    parent = None
    if (parent_id := request.POST.get("parent", "")).isdigit():
        parent = get_object_or_404(actor.workspace.process_steps, pk=int(parent_id))
    _run(
        request,
        lambda: understanding.add_step(
            actor, account, title=request.POST.get("title", ""), detail=request.POST.get("detail", ""), parent=parent
        ),
        "Micro-step added." if parent else "Step added.",
    )
    return _back(actor, account, "process-h")


@require_POST
@workspace_view(Role.MEMBER)
def step_move(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    step = get_object_or_404(actor.workspace.process_steps.select_related("account"), pk=pk)
    _run(request, lambda: understanding.move_step(actor, step, request.POST.get("direction", "")), "Step moved.")
    return _back(actor, step.account, f"step-{step.pk}")


@require_POST
@workspace_view(Role.MEMBER)
def step_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    step = get_object_or_404(actor.workspace.process_steps.select_related("account"), pk=pk)
    title, detail = request.POST.get("title"), request.POST.get("detail")
    return _edit(
        request, actor, step.account, "step", step.pk,
        lambda: understanding.edit_step(actor, step, title=title, detail=detail),
        "Micro-step saved." if step.parent_id else "Step saved.",
    )  # fmt: skip


@require_POST
@workspace_view(Role.MEMBER)
def step_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    step = get_object_or_404(actor.workspace.process_steps.select_related("account"), pk=pk)
    _run(request, lambda: understanding.delete_step(actor, step), "Step removed.")
    return _back(actor, step.account, "process-h")


@require_POST
@workspace_view(Role.MEMBER)
def pain_add(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    step = get_object_or_404(actor.workspace.process_steps.select_related("account"), pk=pk)

    def action() -> Any:
        theme_ids = [int(t) for t in request.POST.getlist("themes") if t.isdigit()]
        return understanding.add_pain(
            actor,
            step,
            text=request.POST.get("text", ""),
            severity=request.POST.get("severity", "2"),
            feedback_ids=understanding.parse_ids(request.POST.get("feedback", "")),
            theme_ids=theme_ids,
        )

    _run(request, action, "Pain added.")
    return _back(actor, step.account, f"step-{step.pk}")


@require_POST
@workspace_view(Role.MEMBER)
def pain_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    pain = get_object_or_404(actor.workspace.step_pains.select_related("step__account"), pk=pk)
    _run(request, lambda: understanding.delete_pain(actor, pain), "Pain removed.")
    return _back(actor, pain.step.account, f"step-{pain.step_id}")


@workspace_view()
def process_pain(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = understanding.pain_by_step(actor.workspace)
    return render(request, "customers/process_pain.html", {"rows": rows})
