"""The workspace outbox: every email Harken sent or will send, failures first-class, with retry.

Owners and admins only: the outbox holds invitation emails and replies to customers. Links that
grant access are never in the stored body (see `harken.notify.secrets`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from harken.core.views import flash_error
from harken.notify import services
from harken.notify.models import OutboundEmail
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

FILTERS = [("", "All"), ("problems", "Failed"), ("queued", "Waiting"), ("sent", "Sent")]


@workspace_view(Role.ADMIN)
def outbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in {key for key, _ in FILTERS}:
        status = ""
    counts = services.outbox_counts(actor.workspace)
    page = Paginator(services.outbox(actor.workspace, status), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notify/outbox.html",
        {
            "page_obj": page,
            "status": status,
            "filters": [
                {"key": k, "label": label, "count": counts[k or "all"], "current": k == status} for k, label in FILTERS
            ],
            "querystring_without_page": query.urlencode(),
            "retryable": services.RETRYABLE,
        },
    )


@workspace_view(Role.ADMIN)
def email_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail.objects.filter(workspace=actor.workspace), pk=pk)
    return render(request, "notify/email.html", {"email": email, "retryable": email.status in services.RETRYABLE})


@require_POST
@workspace_view(Role.ADMIN)
def retry(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail.objects.filter(workspace=actor.workspace), pk=pk)
    try:
        services.retry(actor, email)
        messages.success(request, f"“{email.subject}” queued again; it goes out within moments.")
    except ValidationError as exc:
        flash_error(request, exc)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notify:outbox", ws=actor.workspace.slug)
    return redirect(target)
