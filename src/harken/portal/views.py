"""Staff pages of the portal under /w/<ws>/portal/…: settings, the board with demand, moderation, audit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from harken.core.forms import add_service_errors
from harken.portal import actions, queries, roadmap_link
from harken.portal.forms import InviteForm, OnBehalfForm, PortalForm
from harken.portal.models import Comment, Idea, ModState, Portal, PortalUser, Vote
from harken.roadmap.queries import live_items
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _portal_from(actor: Actor, request: HttpRequest) -> Portal | None:
    portals = actor.workspace.portals.all()
    wanted = str(request.GET.get("portal") or "")
    if wanted.isdigit():
        found = portals.filter(pk=int(wanted)).first()
        if found is not None:
            return found
    return portals.first()


def _flash(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@workspace_view(Role.VIEWER)
def portals(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PortalForm(request.POST or None, request.FILES or None, workspace=actor.workspace)
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                portal = actions.save_portal(actor, form.cleaned_data, logo=form.cleaned_data.get("logo"))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Portal “{portal.name}” created at /p/{portal.slug}/.")
                return redirect("portal:edit", ws=actor.workspace.slug, pk=portal.pk)
    rows = list(actor.workspace.portals.select_related("product_line"))
    return render(request, "portal/staff/portals.html", {"form": form, "portals": rows, "tab": "portals"})


@workspace_view(Role.VIEWER)
def portal_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    portal = get_object_or_404(actor.workspace.portals, pk=pk)
    if request.method == "POST":
        actor.require(Role.ADMIN)
        form = PortalForm(request.POST, request.FILES, workspace=actor.workspace)
        if form.is_valid():
            try:
                actions.save_portal(actor, form.cleaned_data, portal, logo=form.cleaned_data.get("logo"))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Portal settings saved.")
                return redirect("portal:edit", ws=actor.workspace.slug, pk=portal.pk)
    else:
        form = PortalForm(initial=PortalForm.initial_for(portal), workspace=actor.workspace)
    invited = list(portal.users.filter(invited=True)[:200])
    return render(
        request,
        "portal/staff/edit.html",
        {"form": form, "portal": portal, "invite_form": InviteForm(), "invited": invited, "tab": "portals"},
    )


@require_POST
@workspace_view(Role.VIEWER)
def invite(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    portal = get_object_or_404(actor.workspace.portals, pk=pk)
    form = InviteForm(request.POST)
    actor.require(Role.MEMBER)
    if form.is_valid():
        try:
            user = actions.invite_user(actor, portal, form.cleaned_data["email"], form.cleaned_data["name"])
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, f"{user.email} may now sign in to this private portal.")
    else:
        messages.error(request, "Enter a valid email address.")
    return redirect("portal:edit", ws=actor.workspace.slug, pk=portal.pk)


@workspace_view(Role.VIEWER)
def ideas(request: HttpRequest, actor: Actor) -> HttpResponse:
    portal = _portal_from(actor, request)
    data = queries.board(portal, request.GET, staff=True, limit=200) if portal else None
    pending = portal.ideas.filter(state=ModState.PENDING).count() if portal else 0
    flagged = Vote.objects.filter(idea__portal=portal, flagged=True).count() if portal else 0
    return render(
        request,
        "portal/staff/ideas.html",
        {
            "portal": portal,
            "portals": list(actor.workspace.portals.all()),
            "board": data,
            "pending": pending,
            "flagged": flagged,
            "tab": "ideas",
        },
    )


def _idea(actor: Actor, pk: int) -> Idea:
    return get_object_or_404(
        Idea.objects.for_workspace(actor.workspace).select_related("portal", "feedback", "author"), pk=pk
    )


@workspace_view(Role.VIEWER)
def idea(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = _idea(actor, pk)
    page = queries.idea_page(item, None)
    votes = list(item.votes.select_related("voter__contact__account", "on_behalf_by").order_by("-created_at")[:200])
    others = list(
        queries.live_ideas(item.portal).exclude(pk=item.pk).filter(feedback__isnull=False).order_by("title")[:500]
    )
    merges = []
    if item.feedback_id:
        from harken.insight.services import merge_history

        merges = list(merge_history(actor, item.feedback))
    audit = list(item.audit.select_related("user")[:30])
    return render(
        request,
        "portal/staff/idea.html",
        {
            "idea": item,
            "page": page,
            "votes": votes,
            "others": others,
            "merges": merges,
            "audit": audit,
            "statuses": queries.status_choices(),
            "roadmap_items": roadmap_link.linked_items(item),
            "roadmap_choices": live_items(actor.workspace).order_by("title")[:500] if actor.can_write else [],
            "behalf_form": OnBehalfForm(),
            "tab": "ideas",
        },
    )


@require_POST
@workspace_view(Role.VIEWER)
def idea_act(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """One form target for the idea's moderation buttons; `action` picks the service call."""
    item = _idea(actor, pk)
    action = str(request.POST.get("action") or "")
    back = redirect("portal:idea", ws=actor.workspace.slug, pk=item.pk)
    actor.require(Role.MEMBER)
    try:
        if action == "status":
            actions.set_status(actor, item, str(request.POST.get("status") or ""))
            messages.success(request, "Status changed; followers are notified by email.")
        elif action in ("roadmap_link", "roadmap_unlink"):
            raw = str(request.POST.get("item") or "")
            target = live_items(actor.workspace).filter(pk=int(raw)).first() if raw.isdigit() else None
            if target is None:
                raise ValidationError("Choose a roadmap item of this workspace.")
            if action == "roadmap_link":
                roadmap_link.link_idea(actor, item, target)
                messages.success(request, f"Linked to roadmap item “{target.title}”: the portal shows its status.")
            else:
                roadmap_link.unlink_idea(actor, item, target)
                messages.success(request, f"Unlinked from roadmap item “{target.title}”.")
        elif action == "reply":
            actions.official_reply(actor, item, str(request.POST.get("body") or ""))
            messages.success(request, "Official reply posted.")
        elif action == "approve":
            actions.approve_idea(actor, item)
            messages.success(request, "Idea published; it is in the triage inbox.")
        elif action == "spam":
            actions.mark_spam(actor, item)
            messages.success(request, "Marked as spam.")
        elif action == "delete":
            actions.delete_idea(actor, item)
            messages.success(request, "Idea deleted (kept in the audit log).")
        elif action == "edit":
            actions.edit_idea(actor, item, str(request.POST.get("title") or ""), str(request.POST.get("body") or ""))
            messages.success(request, "Idea updated.")
        elif action == "behalf":
            form = OnBehalfForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Enter the customer's email address.")
            actions.vote_on_behalf(
                actor,
                item,
                form.cleaned_data["email"],
                form.cleaned_data["importance"],
                form.cleaned_data["evidence"],
                form.cleaned_data["name"],
            )
            messages.success(request, "Vote added on the customer's behalf (shown as added by the team).")
        elif action == "merge":
            into = str(request.POST.get("into") or "")
            survivor = _idea(actor, int(into)) if into.isdigit() else None
            if survivor is None:
                raise ValidationError("Choose the idea to merge into.")
            actions.merge_ideas(actor, survivor, item)
            messages.success(request, f"Merged into “{survivor.title}”. Undo from that idea's page.")
            return redirect("portal:idea", ws=actor.workspace.slug, pk=survivor.pk)
        else:
            raise ValidationError("Unknown action.")
    except ValidationError as error:
        _flash(request, error)
    return back


@workspace_view(Role.VIEWER)
def moderation(request: HttpRequest, actor: Actor) -> HttpResponse:
    portal = _portal_from(actor, request)
    return render(
        request,
        "portal/staff/moderation.html",
        {
            "portal": portal,
            "portals": list(actor.workspace.portals.all()),
            "queues": queries.queues(portal) if portal else None,
            "tab": "moderation",
        },
    )


def _back(request: HttpRequest, actor: Actor) -> HttpResponse:
    return redirect("portal:moderation", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.VIEWER)
def comment_act(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    record = get_object_or_404(Comment.objects.for_workspace(actor.workspace).select_related("idea__portal"), pk=pk)
    state = {"publish": ModState.PUBLISHED, "spam": ModState.SPAM, "delete": ModState.DELETED}.get(
        str(request.POST.get("action") or "")
    )
    actor.require(Role.MEMBER)
    if state is None:
        messages.error(request, "Unknown action.")
    else:
        actions.moderate_comment(actor, record, state)
        messages.success(request, "Comment updated.")
    if request.POST.get("back") == "idea":
        return redirect("portal:idea", ws=actor.workspace.slug, pk=record.idea_id)
    return _back(request, actor)


@require_POST
@workspace_view(Role.VIEWER)
def vote_act(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    record = get_object_or_404(Vote.objects.for_workspace(actor.workspace).select_related("idea__portal"), pk=pk)
    actor.require(Role.MEMBER)
    actions.clear_vote_flag(actor, record, keep=request.POST.get("action") == "keep")
    messages.success(request, "Vote kept." if request.POST.get("action") == "keep" else "Vote removed.")
    return _back(request, actor)


@require_POST
@workspace_view(Role.VIEWER)
def user_act(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    user = get_object_or_404(PortalUser.objects.for_workspace(actor.workspace).select_related("portal"), pk=pk)
    actor.require(Role.MEMBER)
    blocked = request.POST.get("action") != "unblock"
    actions.set_blocked(actor, user, blocked)
    messages.success(request, f"{user.email} {'blocked' if blocked else 'unblocked'}.")
    return _back(request, actor)


@require_POST
@workspace_view(Role.VIEWER)
def undo_merge(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    record = get_object_or_404(actor.workspace.feedback_merges, pk=pk)
    actor.require(Role.MEMBER)
    try:
        actions.undo_idea_merge(actor, record.pk)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, "Merge undone; both ideas are back with their own votes.")
    idea_row = Idea.objects.for_workspace(actor.workspace).filter(feedback_id=record.survivor_id).first()
    if idea_row is not None:
        return redirect("portal:idea", ws=actor.workspace.slug, pk=idea_row.pk)
    return redirect("portal:ideas", ws=actor.workspace.slug)


@workspace_view(Role.VIEWER)
def audit(request: HttpRequest, actor: Actor) -> HttpResponse:
    entries = actor.workspace.portal_audit.select_related("user", "idea", "portal")
    page_obj = Paginator(entries, 50).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"page_obj": page_obj, "tab": "audit"}
    return render(request, "portal/staff/audit.html", context)
