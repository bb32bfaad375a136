"""Triage pages: the inbox, the item page with its panel, templates, SLA settings, metrics. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from harken.core.forms import add_service_errors
from harken.core.views import error_text
from harken.triage import actions, queries
from harken.triage.forms import ReplyTemplateForm, SlaSettingsForm
from harken.triage.models import Triage
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _item(actor: Actor, pk: int) -> Triage:
    return get_object_or_404(actor.workspace.triage_items.select_related("feedback"), feedback_id=pk)


def _back(request: HttpRequest, actor: Actor, item: Triage, anchor: str = "") -> HttpResponse:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    from django.urls import reverse

    target = target or reverse("triage:item", kwargs={"ws": actor.workspace.slug, "pk": item.feedback_id})
    return redirect(target + (f"#{anchor}" if anchor and "#" not in target else ""))


@workspace_view()
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    tab = request.GET.get("tab", "awaiting_response")
    if tab not in queries.TAB_KEYS:
        tab = "awaiting_response"
    mine = request.GET.get("mine") == "1" and actor.user is not None
    assignee = actor.user if mine else None
    config = queries.get_settings(actor.workspace)
    page = Paginator(queries.queue(actor.workspace, tab, assignee=assignee), 50).get_page(request.GET.get("page"))
    counts = queries.tab_counts(actor.workspace, assignee=assignee)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "triage/inbox.html",
        {
            "tab": tab,
            "mine": mine,
            "tabs": [{"key": k, "label": label, "count": counts[k], "current": k == tab} for k, label in queries.TABS],
            "rows": queries.rows(page.object_list, config),
            "page_obj": page,
            "querystring_without_page": query.urlencode(),
            "config": config,
        },
    )


@workspace_view()
def item(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    triage = _item(actor, pk)
    return render(request, "triage/item.html", {"item": triage.feedback, "triage": triage})


@require_POST
@workspace_view(Role.MEMBER)
def assign(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    triage = _item(actor, pk)
    raw = request.POST.get("assignee", "")
    user = None
    if raw == "me":
        user = actor.user
    elif raw:
        membership = (
            actor.workspace.memberships.select_related("user").filter(user_id=raw if raw.isdigit() else -1).first()
        )
        if membership is None:
            messages.error(request, "Pick a member of this workspace.")
            return _back(request, actor, triage, "assign")
        user = membership.user
    try:
        actions.assign(actor, triage, user)
        messages.success(request, f"Assigned to {user.display_name}." if user else "Unassigned.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _back(request, actor, triage, "assign")


@require_POST
@workspace_view(Role.MEMBER)
def decide(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    triage = _item(actor, pk)
    duplicate_of = None
    raw_dup = (request.POST.get("duplicate_of") or "").strip().lstrip("#")
    if raw_dup:
        duplicate_of = actor.workspace.feedback_items.filter(pk=int(raw_dup)).first() if raw_dup.isdigit() else None
        if duplicate_of is None:
            messages.error(request, f"No item #{raw_dup[:20]} in this workspace to mark as the original.")
            return _back(request, actor, triage, "decide")
    try:
        actions.decide(
            actor,
            triage,
            request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            link=request.POST.get("link", ""),
            duplicate_of=duplicate_of,
        )
        messages.success(request, "Decision recorded.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _back(request, actor, triage, "decide")


@require_POST
@workspace_view(Role.MEMBER)
def note(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    triage = _item(actor, pk)
    try:
        created = actions.add_note(actor, triage, request.POST.get("body", ""))
        mentioned = ", ".join(u.display_name for u in created.mentions.all())
        messages.success(request, "Note added." + (f" Notified {mentioned}." if mentioned else ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _back(request, actor, triage, "notes")


@require_POST
@workspace_view(Role.MEMBER)
def reply(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    triage = _item(actor, pk)
    template = None
    if request.POST.get("template"):
        template = (
            actor.workspace.reply_templates.filter(pk=request.POST["template"]).first()
            if request.POST["template"].isdigit()
            else None
        )
    try:
        sent = actions.send_reply(
            actor, triage, subject=request.POST.get("subject", ""), body=request.POST.get("body", ""), template=template
        )
        messages.success(request, f"Reply to {sent.to} queued in the outbox; it goes out within moments.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _back(request, actor, triage, "reply")


@require_POST
@workspace_view(Role.MEMBER)
def retry_reply(request: HttpRequest, actor: Actor, pk: int, reply_pk: int) -> HttpResponse:
    """The author of a reply whose email failed sends it again from the item page (not the outbox)."""
    triage = _item(actor, pk)
    reply = get_object_or_404(triage.replies.select_related("email"), pk=reply_pk)
    try:
        actions.retry_reply(actor, reply)
        messages.success(request, f"Reply to {reply.to} queued again; it goes out within moments.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _back(request, actor, triage, "reply")


@workspace_view()
def draft(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """A template rendered for this item, to prefill the reply form (JSON for the page's script)."""
    triage = _item(actor, pk)
    raw = request.GET.get("template", "")
    if not raw:
        return JsonResponse({"subject": queries.default_subject(triage), "body": ""})
    template = get_object_or_404(actor.workspace.reply_templates, pk=int(raw) if raw.isdigit() else 0)
    return JsonResponse(queries.draft_from_template(triage, template))


@workspace_view()
def templates(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ReplyTemplateForm(request.POST or None)
    if request.method == "POST":
        actor.require(Role.MEMBER)
        if form.is_valid():
            try:
                actions.create_template(actor, **form.cleaned_data)
                messages.success(request, "Template saved.")
                return redirect("triage:templates", ws=actor.workspace.slug)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(
        request,
        "triage/templates.html",
        {"templates": actor.workspace.reply_templates.all(), "form": form, "variables": queries.TEMPLATE_VARIABLES},
    )


@workspace_view()
def template_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    template = get_object_or_404(actor.workspace.reply_templates, pk=pk)
    form = ReplyTemplateForm(
        request.POST or None, initial={"name": template.name, "subject": template.subject, "body": template.body}
    )
    if request.method == "POST":
        actor.require(Role.MEMBER)
        if form.is_valid():
            try:
                actions.update_template(actor, template, **form.cleaned_data)
                messages.success(request, "Template updated.")
                return redirect("triage:templates", ws=actor.workspace.slug)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(
        request,
        "triage/template_edit.html",
        {"template": template, "form": form, "variables": queries.TEMPLATE_VARIABLES},
    )


@require_POST
@workspace_view(Role.MEMBER)
def template_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    template = get_object_or_404(actor.workspace.reply_templates, pk=pk)
    actions.delete_template(actor, template)
    messages.success(request, f"Template “{template.name}” deleted.")
    return redirect("triage:templates", ws=actor.workspace.slug)


@workspace_view()
def sla_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    config = queries.get_settings(actor.workspace)
    form = SlaSettingsForm(request.POST or None, initial=SlaSettingsForm.initial_for(config))
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                actions.update_settings(actor, **form.cleaned_data)
                messages.success(request, "Response target saved; open items were re-timed.")
                return redirect("triage:settings", ws=actor.workspace.slug)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(request, "triage/settings.html", {"form": form, "config": config, "can_edit": actor.can_admin})


@workspace_view()
def metrics(request: HttpRequest, actor: Actor) -> HttpResponse:
    weeks = request.GET.get("weeks", "12")
    weeks_n = int(weeks) if weeks.isdigit() and 1 <= int(weeks) <= 52 else 12
    config = queries.get_settings(actor.workspace)
    return render(
        request, "triage/metrics.html", {"m": queries.metrics(actor.workspace, weeks=weeks_n), "config": config}
    )
