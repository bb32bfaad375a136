"""Conversation log, .ics import and the cadence dashboard. Thin: parse, call services, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from harken.conversations import cadence, ics, queries, services, suggestions
from harken.conversations.forms import (
    CadenceSettingsForm,
    ConversationForm,
    HighlightForm,
    IcsUploadForm,
    TimeZoneForm,
)
from harken.conversations.models import Kind
from harken.core.forms import add_service_errors
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

PAGE_SIZE = 30


def _local(actor: Actor, value: dt.datetime) -> dt.datetime:
    """A datetime typed into a form is wall-clock time in the person's own zone."""
    zone = cadence.zone_for(actor.workspace, actor.user) if actor.user else services.workspace_zone(actor.workspace)
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return naive.replace(tzinfo=zone)


@workspace_view()
def conversation_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("kind", "account", "owner", "q")}
    conversations = queries.list_conversations(actor.workspace, **params)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "conversations/list.html",
        {
            "page_obj": page,
            "conversations": page.object_list,
            "params": params,
            "kinds": Kind.choices,
            "querystring_without_page": query.urlencode(),
            "filtered_account": actor.workspace.accounts.filter(pk=int(params["account"])).first()
            if params["account"].isdigit()
            else None,
        },
    )


def _form_kwargs(form: ConversationForm, actor: Actor) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "kind": data["kind"],
        "happened_at": _local(actor, data["happened_at"]),
        "duration_minutes": data.get("duration_minutes"),
        "account": data.get("account"),
        "product_line": data.get("product_line"),
        "contacts": list(data.get("contacts") or []),
        "members": list(data.get("members") or []),
        "notes": data.get("notes", ""),
    }


@workspace_view(Role.MEMBER)
def conversation_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    initial: dict[str, Any] = {}
    if (account_id := request.GET.get("account", "")).isdigit():
        initial["account"] = workspace.accounts.filter(pk=int(account_id)).first()
    lines = list(workspace.product_lines.filter(managers=actor.user)) if actor.user else []
    if len(lines) == 1:
        initial["product_line"] = lines[0]
    zone = cadence.zone_for(workspace, actor.user) if actor.user else services.workspace_zone(workspace)
    initial["happened_at"] = timezone.now().astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    form = ConversationForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.create_conversation(
                actor, **_form_kwargs(form, actor), highlights=form.highlight_lines()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            count = conversation.highlights.count()
            messages.success(
                request,
                f"Conversation logged{f' with {count} highlight' + ('s' if count != 1 else '') if count else ''}.",
            )
            return redirect("conversations:detail", ws=workspace.slug, pk=conversation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "conversations/form.html", {"form": form, "conversation": None}, status=status)


@workspace_view()
def conversation_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    conversation = get_object_or_404(
        actor.workspace.conversations.select_related("account", "product_line", "owner"), pk=pk
    )
    from harken.conversations import roadmap
    from harken.roadmap.queries import live_items

    linked = roadmap.items_for(conversation)
    choices = (
        live_items(actor.workspace).exclude(pk__in=[i.pk for i in linked]).order_by("title")[:300]
        if actor.can_write
        else []
    )
    return render(
        request,
        "conversations/detail.html",
        {
            **queries.detail(conversation),
            "highlight_form": HighlightForm(),
            "roadmap_items": linked,
            "roadmap_choices": choices,
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def roadmap_link(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Link this conversation as evidence of a roadmap item (existing, or a new one by title)."""
    from harken.conversations import roadmap
    from harken.roadmap import actions as roadmap_actions
    from harken.roadmap.queries import live_items

    conversation = get_object_or_404(actor.workspace.conversations, pk=pk)
    back = redirect("conversations:detail", ws=actor.workspace.slug, pk=conversation.pk)
    raw = str(request.POST.get("item") or "")
    title = str(request.POST.get("new_title") or "").strip()
    try:
        if title:
            item = roadmap_actions.create_item(actor, title=title)
        else:
            item = get_object_or_404(live_items(actor.workspace), pk=int(raw) if raw.isdigit() else 0)
        roadmap.link(actor, conversation, item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    messages.success(request, f"Linked to roadmap item “{item.title}”.")
    return back


@workspace_view(Role.MEMBER)
def conversation_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    conversation = get_object_or_404(actor.workspace.conversations, pk=pk)
    initial = {
        "title": conversation.title,
        "kind": conversation.kind,
        "happened_at": timezone.localtime(
            conversation.happened_at,
            cadence.zone_for(actor.workspace, actor.user) if actor.user else None,
        ).replace(tzinfo=None),
        "duration_minutes": conversation.duration_minutes,
        "account": conversation.account,
        "product_line": conversation.product_line,
        "contacts": list(conversation.contacts.all()),
        "members": list(conversation.members.all()),
        "notes": conversation.notes,
    }
    form = ConversationForm(request.POST or None, workspace=actor.workspace, initial=initial, with_highlights=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_conversation(actor, conversation, **_form_kwargs(form, actor))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Conversation saved.")
            return redirect("conversations:detail", ws=actor.workspace.slug, pk=conversation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "conversations/form.html", {"form": form, "conversation": conversation}, status=status)


@workspace_view(Role.MEMBER)
def conversation_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    conversation = get_object_or_404(actor.workspace.conversations, pk=pk)
    if request.method == "POST":
        services.delete_conversation(actor, conversation)
        messages.success(request, "Conversation deleted. Feedback from its highlights was kept.")
        return redirect("conversations:list", ws=actor.workspace.slug)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object": conversation,
            "kind": "conversation",
            "consequence": f"Its {conversation.highlights.count()} highlights are removed; the feedback made from them stays.",
            "cancel_url": reverse("conversations:detail", kwargs={"ws": actor.workspace.slug, "pk": conversation.pk}),
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def highlight_add(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    conversation = get_object_or_404(actor.workspace.conversations, pk=pk)
    form = HighlightForm(request.POST)
    if form.is_valid():
        try:
            services.add_highlight(actor, conversation, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Highlight added; it is now a feedback item.")
            return redirect("conversations:detail", ws=actor.workspace.slug, pk=conversation.pk)
    return render(
        request, "conversations/detail.html", {**queries.detail(conversation), "highlight_form": form}, status=400
    )


@require_POST
@workspace_view(Role.MEMBER)
def highlight_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    highlight = get_object_or_404(actor.workspace.conversation_highlights, pk=pk)
    services.delete_highlight(actor, highlight)
    messages.success(request, "Highlight removed; its feedback item was kept.")
    return redirect("conversations:detail", ws=actor.workspace.slug, pk=highlight.conversation_id)


@workspace_view(Role.MEMBER)
def import_ics(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = IcsUploadForm(request.POST or None, request.FILES or None, workspace=actor.workspace)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > ics.MAX_BYTES:
                raise ValidationError({"file": f"The calendar file is larger than {ics.MAX_BYTES // 1_000_000} MB."})
            record, _ = ics.import_calendar(
                actor, upload.read(), filename=upload.name, product_line=form.cleaned_data.get("product_line")
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("conversations:import_detail", ws=actor.workspace.slug, pk=record.pk)
    status = 400 if request.method == "POST" else 200
    imports = actor.workspace.calendar_imports.defer("raw")[:10]
    return render(request, "conversations/import.html", {"form": form, "imports": imports}, status=status)


@workspace_view()
def import_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    record = get_object_or_404(actor.workspace.calendar_imports.defer("raw"), pk=pk)
    return render(request, "conversations/import_detail.html", {"record": record})


@workspace_view()
def cadence_dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    data = cadence.dashboard(workspace)
    my_lines = list(workspace.product_lines.filter(managers=actor.user)) if actor.user else []
    picks = []
    for line in my_lines or [None]:
        picks.append(
            {"line": line, "rows": suggestions.as_rows(suggestions.suggest(workspace, product_line=line, limit=5))}
        )
    pref = workspace.member_preferences.filter(user=actor.user).first() if actor.user else None
    return render(
        request,
        "conversations/cadence.html",
        {
            **data,
            "picks": picks,
            "settings_form": CadenceSettingsForm(
                initial={
                    "weekly_target": data["settings"].weekly_target,
                    "reminders_enabled": data["settings"].reminders_enabled,
                }
            ),
            "tz_form": TimeZoneForm(initial={"time_zone": pref.time_zone if pref else ""}),
            "workspace_zone": workspace.timezone,
        },
    )


@require_POST
@workspace_view(Role.ADMIN)
def cadence_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = CadenceSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.update_cadence_settings(actor, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, "Cadence settings saved.")
    else:
        messages.error(request, "The weekly target is a whole number from 1 to 50.")
    return redirect("conversations:cadence", ws=actor.workspace.slug)


@require_POST
@workspace_view()
def my_time_zone(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Viewers too: it is the person's own preference, not workspace data."""
    try:
        services.set_my_time_zone(actor, request.POST.get("time_zone", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, "Time zone saved; your weeks are counted in it.")
    return redirect("conversations:cadence", ws=actor.workspace.slug)
