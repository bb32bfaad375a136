"""Workspace administration pages: thin, every change goes through `services` with the Actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from harken.core.views import flash_error
from harken.workspaces import services
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.forms import (
    ApiTokenForm,
    InviteForm,
    ProductLineForm,
    WorkspaceForm,
    WorkspaceSettingsForm,
    role_choices,
)
from harken.workspaces.models import Role


def _try(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    try:
        action()
    except ValidationError as error:
        flash_error(request, error)
        return False
    messages.success(request, success)
    return True


# --- Hub: outside any workspace ------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(request.user.memberships.select_related("workspace").order_by("workspace__name"))  # type: ignore[union-attr]
    if len(memberships) == 1 and not request.GET.get("all"):
        return redirect("feedback:overview", ws=memberships[0].workspace.slug)
    counts = {m.workspace_id: m.workspace.memberships.count() for m in memberships}
    rows = [{"membership": m, "workspace": m.workspace, "people": counts[m.workspace_id]} for m in memberships]
    return render(request, "workspaces/home.html", {"rows": rows})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.create_workspace(owner=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error("name", error)
        else:
            messages.success(request, f"{workspace.name} is ready. Invite your team from Workspace → Members.")
            return redirect("feedback:overview", ws=workspace.slug)
    return render(request, "workspaces/create.html", {"form": form})


# --- Settings ------------------------------------------------------------------------------


@workspace_view(Role.VIEWER)
def settings_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = WorkspaceSettingsForm.for_workspace(actor.workspace, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                services.update_workspace(
                    actor, name=form.cleaned_data["name"], time_zone=form.cleaned_data["time_zone"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Workspace settings saved.")
                return redirect("workspaces:settings", ws=actor.workspace.slug)
    stats = {
        "members": actor.workspace.memberships.count(),
        "product_lines": actor.workspace.product_lines.count(),
        "tokens": actor.workspace.api_tokens.filter(revoked_at__isnull=True).count(),
    }
    return render(request, "workspaces/settings.html", {"form": form, "stats": stats, "tab": "settings"})


# --- Members and invitations ---------------------------------------------------------------


def _members_context(actor: Actor, invite_form: InviteForm | None = None) -> dict[str, Any]:
    memberships = list(actor.workspace.memberships.select_related("user").order_by("user__name", "user__email"))
    owners = sum(1 for m in memberships if m.role == Role.OWNER)
    is_owner = actor.can(Role.OWNER)
    rows = []
    for m in memberships:
        touches_owner = m.role == Role.OWNER
        manageable = actor.can_admin and (is_owner or not touches_owner)
        last_owner = touches_owner and owners <= 1
        rows.append(
            {
                "membership": m,
                "is_me": actor.user is not None and m.user_id == actor.user.pk,
                "can_change": manageable and not last_owner,
                "can_remove": (manageable or (actor.user is not None and m.user_id == actor.user.pk))
                and not last_owner,
                "last_owner": last_owner,
            }
        )
    return {
        "rows": rows,
        "roles": role_choices(is_owner),
        "invitations": services.open_invitations(actor.workspace) if actor.can_admin else [],
        "invite_form": invite_form or InviteForm(can_grant_owner=is_owner),
        "tab": "members",
    }


@workspace_view(Role.VIEWER)
def members(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "workspaces/members.html", _members_context(actor))


@workspace_view(Role.ADMIN)
@require_POST
def member_role(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    membership = get_object_or_404(actor.workspace.memberships.select_related("user"), pk=pk)
    role = request.POST.get("role", "")
    label = dict(Role.choices).get(role, role)
    _try(
        request,
        lambda: services.change_role(actor, membership.pk, role),
        f"{membership.user.display_name} is now {'an' if label[:1] in 'AO' else 'a'} {str(label).lower()}.",
    )
    return redirect("workspaces:members", ws=actor.workspace.slug)


@workspace_view(Role.VIEWER)
@require_POST
def member_remove(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    membership = get_object_or_404(actor.workspace.memberships.select_related("user"), pk=pk)
    leaving = actor.user is not None and membership.user_id == actor.user.pk
    done = _try(
        request,
        lambda: services.remove_member(actor, membership.pk),
        f"You left {actor.workspace.name}."
        if leaving
        else f"{membership.user.display_name} was removed from the workspace.",
    )
    if done and leaving:
        return redirect("hub:home")
    return redirect("workspaces:members", ws=actor.workspace.slug)


@workspace_view(Role.ADMIN)
@require_POST
def invite(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InviteForm(request.POST, can_grant_owner=actor.can(Role.OWNER))
    if form.is_valid():
        try:
            invitation, _raw = services.invite(actor, email=form.cleaned_data["email"], role=form.cleaned_data["role"])
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("workspaces:members", ws=actor.workspace.slug)
    return render(request, "workspaces/members.html", _members_context(actor, form), status=400)


@workspace_view(Role.ADMIN)
@require_POST
def invitation_resend(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    invitation = get_object_or_404(actor.workspace.invitations, pk=pk)
    _try(
        request,
        lambda: services.resend_invitation(actor, invitation.pk),
        f"Invitation sent again to {invitation.email}.",
    )
    return redirect("workspaces:members", ws=actor.workspace.slug)


@workspace_view(Role.ADMIN)
@require_POST
def invitation_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    invitation = get_object_or_404(actor.workspace.invitations, pk=pk)
    _try(
        request, lambda: services.revoke_invitation(actor, invitation.pk), f"Invitation for {invitation.email} revoked."
    )
    return redirect("workspaces:members", ws=actor.workspace.slug)


# --- Product lines -------------------------------------------------------------------------


@workspace_view(Role.VIEWER)
def product_lines(request: HttpRequest, actor: Actor) -> HttpResponse:
    lines = actor.workspace.product_lines.prefetch_related("managers").order_by("name")
    return render(request, "workspaces/product_lines.html", {"lines": lines, "tab": "product_lines"})


def _line_form_page(request: HttpRequest, actor: Actor, pk: int | None) -> HttpResponse:
    line = get_object_or_404(actor.workspace.product_lines, pk=pk) if pk else None
    if request.method != "POST" and not actor.can_admin:
        messages.info(request, "Only admins and owners can add or edit product lines.")
        return redirect("workspaces:product_lines", ws=actor.workspace.slug)
    initial = (
        {"name": line.name, "description": line.description, "managers": [str(u.pk) for u in line.managers.all()]}
        if line
        else {}
    )
    form = ProductLineForm(
        request.POST if request.method == "POST" else None, initial=initial, workspace=actor.workspace
    )
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in ("name", "description")}
            managers = [int(x) for x in form.cleaned_data["managers"]]
            try:
                if line:
                    services.update_product_line(actor, line.pk, managers=managers, **data)
                else:
                    services.create_product_line(actor, managers=managers, **data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Product line “{data['name'].strip()}” saved.")
                return redirect("workspaces:product_lines", ws=actor.workspace.slug)
    return render(request, "workspaces/product_line_form.html", {"form": form, "line": line, "tab": "product_lines"})


@workspace_view(Role.VIEWER)
def product_line_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _line_form_page(request, actor, None)


@workspace_view(Role.VIEWER)
def product_line_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    return _line_form_page(request, actor, pk)


@workspace_view(Role.ADMIN)
@require_POST
def product_line_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    line = get_object_or_404(actor.workspace.product_lines, pk=pk)
    _try(request, lambda: services.delete_product_line(actor, line.pk), f"Product line “{line.name}” deleted.")
    return redirect("workspaces:product_lines", ws=actor.workspace.slug)


# --- API tokens ----------------------------------------------------------------------------


@workspace_view(Role.VIEWER)
def tokens(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The raw key is rendered in the POST response itself and never stored, so it shows exactly once."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    new_token = raw = None
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                new_token, raw = services.create_api_token(
                    actor, name=form.cleaned_data["name"], can_write=form.cleaned_data["access"] == "write"
                )
            except ValidationError as error:
                form.add_error("name", error)
            else:
                form = ApiTokenForm()
    rows = (
        actor.workspace.api_tokens.select_related("created_by").order_by("revoked_at", "-created_at")
        if actor.can_admin
        else []
    )
    response = render(
        request,
        "workspaces/tokens.html",
        {"form": form, "tokens": rows, "new_token": new_token, "raw": raw, "tab": "tokens"},
    )
    if raw:
        response["Cache-Control"] = "no-store"
    return response


@workspace_view(Role.ADMIN)
@require_POST
def token_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    token = get_object_or_404(actor.workspace.api_tokens, pk=pk)
    _try(
        request,
        lambda: services.revoke_api_token(actor, token.pk),
        f"Token “{token.name}” revoked; it stops working now.",
    )
    return redirect("workspaces:tokens", ws=actor.workspace.slug)


# --- The Settings page: every app's settings pages, from their nav.py ------------------------


@workspace_view()
def settings_hub(request: HttpRequest, actor: Actor) -> HttpResponse:
    from harken.core.navigation import settings_links

    return render(request, "workspaces/settings_hub.html", {"links": settings_links(actor.workspace, request)})


# --- Audit log -----------------------------------------------------------------------------


@workspace_view(Role.OWNER)
def audit_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.core.paginator import Paginator

    from harken.workspaces import audit

    page = Paginator(audit.events_for(actor), 50).get_page(request.GET.get("page"))
    return render(request, "workspaces/audit.html", {"page_obj": page, "tab": "audit"})
