"""Roadmap pages (thin: services do the work)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from harken.core.forms import add_service_errors
from harken.core.views import error_text, redirect_back
from harken.roadmap import actions, loop, promises, public, queries, trackers
from harken.roadmap import statuses as st
from harken.roadmap.forms import (
    AnnouncementForm,
    ItemForm,
    NoticeForm,
    PreviewForm,
    PromiseForm,
    SettingsForm,
    StatusForm,
)
from harken.roadmap.models import NoticeStatus, RoadmapItem, StatusKind
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

ITEM_FIELDS = [
    "title",
    "description",
    "product_line",
    "owner",
    "target_release",
    "target_date",
    "public",
    "public_description",
    "impact",
    "confidence",
    "effort",
    "value_fit",
    "value_fit_note",
]


def _item(actor: Actor, pk: int) -> RoadmapItem:
    return get_object_or_404(queries.live_items(actor.workspace), pk=pk)


def _detail_url(actor: Actor, item: RoadmapItem) -> str:
    return reverse("roadmap:detail", kwargs={"ws": actor.workspace.slug, "pk": item.pk})


@workspace_view()
def item_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    view = "board" if request.GET.get("view") == "board" else "list"
    line = request.GET.get("line", "")
    status = request.GET.get("status", "")
    context: dict[str, Any] = {
        "view": view,
        "line": line,
        "status": status,
        "lines": actor.workspace.product_lines.all(),
        "statuses": st.statuses(actor.workspace),
    }
    if view == "board":
        context["columns"] = queries.board(actor.workspace, line=line)
    else:
        context["rows"] = queries.rows(actor.workspace, line=line, status=status, sort="title")
    return render(request, "roadmap/list.html", context)


@workspace_view()
def priorities(request: HttpRequest, actor: Actor) -> HttpResponse:
    sort = request.GET.get("sort", "rice")
    if sort not in queries.SORTS:
        sort = "rice"
    line = request.GET.get("line", "")
    rows = queries.rows(actor.workspace, line=line, sort=sort, include_closed=False)
    bars = queries.rice_bars(rows, lambda item: _detail_url(actor, item))
    return render(
        request,
        "roadmap/priorities.html",
        {"rows": rows, "sort": sort, "line": line, "lines": actor.workspace.product_lines.all(), "bars": bars},
    )


@workspace_view(Role.MEMBER)
def new(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ItemForm(actor.workspace, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                item = actions.create_item(actor, status=data["status"], **{k: data[k] for k in ITEM_FIELDS})
                actions.set_value_links(actor, item, goals=data["serves_goals"], jobs=data["serves_jobs"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Roadmap item created. Link the evidence that makes it matter.")
            return redirect(_detail_url(actor, item))
    return render(request, "roadmap/form.html", {"form": form, "item": None})


@workspace_view(Role.MEMBER)
def edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = _item(actor, pk)
    initial = {k: getattr(item, k) for k in ITEM_FIELDS}
    initial["owner"] = str(item.owner_id or "")
    initial["serves_goals"] = list(item.serves_goals.all())
    initial["serves_jobs"] = list(item.serves_jobs.all())
    form = ItemForm(actor.workspace, request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                actions.update_item(actor, item, **{k: form.cleaned_data[k] for k in ITEM_FIELDS})
                actions.set_value_links(
                    actor, item, goals=form.cleaned_data["serves_goals"], jobs=form.cleaned_data["serves_jobs"]
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(_detail_url(actor, item))
    return render(request, "roadmap/form.html", {"form": form, "item": item})


@workspace_view()
def detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = get_object_or_404(
        queries.live_items(actor.workspace).select_related("product_line", "owner", "created_by"), pk=pk
    )
    reach = queries.reach_for(actor.workspace, [item])[item.pk]
    return render(
        request,
        "roadmap/detail.html",
        {
            "item": item,
            "status": st.status_of(actor.workspace, item.status),
            "statuses": st.statuses(actor.workspace),
            "reach": reach,
            "score": queries.score_of(item, reach),
            "evidence": queries.evidence_of(item),
            "promises": item.promises.select_related("account", "contact", "made_by").order_by("target_date"),
            "drafts": actor.workspace.roadmap_delay_notices.filter(promise__item=item, status=NoticeStatus.DRAFT),
            "history": item.status_changes.select_related("changed_by")[:20],
            "issues": item.issue_links.all(),
            "promise_form": PromiseForm(actor.workspace),
            "themes": _themes(actor),
            "accounts": actor.workspace.accounts.order_by("name")[:500],
            "pending": loop.pending_announcement(item),
            "notified": item.notifications.all()[:10],
            "public_html": public.render_markdown(item.public_description),
            "item_panels": _item_panels(),
            "other_evidence": queries.other_evidence(actor.workspace, item),
        },
    )


def _item_panels() -> list[str]:
    """Panels other apps add to a roadmap item's page (`ROADMAP_ITEM_PANELS` in their `panels.py`),
    rendered with the page context (`item`, `actor`, `current_workspace`); roadmap names none of them."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    from harken.core.registry import collect

    found = []
    for name in collect("panels", "ROADMAP_ITEM_PANELS"):
        try:
            get_template(str(name))
        except TemplateDoesNotExist:
            continue
        found.append(str(name))
    return found


def _themes(actor: Actor) -> Any:
    from harken.insight.themes.models import ThemeStatus

    return actor.workspace.themes.filter(status=ThemeStatus.ACTIVE).order_by("name")


@require_POST
@workspace_view(Role.MEMBER)
def delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = _item(actor, pk)
    actions.delete_item(actor, item)
    messages.success(request, f"Deleted “{item.title}”. Its open promises were withdrawn.")
    return redirect("roadmap:list", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.MEMBER)
def change_status(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = _item(actor, pk)
    try:
        actions.change_status(actor, item, request.POST.get("status", ""), note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Status changed. Linked customers hear about it once it settles.")
    return redirect_back(request, _detail_url(actor, item))


@require_POST
@workspace_view(Role.MEMBER)
def link(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Link evidence by kind and id: feedback (#id), theme, account."""
    item = _item(actor, pk)
    kind = request.POST.get("kind", "")
    raw = request.POST.get("ref", "").strip().lstrip("#")
    sources = {
        "feedback": actor.workspace.feedback_items,
        "theme": actor.workspace.themes,
        "account": actor.workspace.accounts,
    }
    source = queries.EVIDENCE_SOURCES.get(kind)
    if (kind not in sources and source is None) or not raw.isdigit():
        messages.error(request, "Pick what to link and give its number (e.g. feedback #123).")
        return redirect_back(request, _detail_url(actor, item))
    if source is not None:  # e.g. a conversation: its app says whether the id exists in this workspace
        found = source.describe(actor.workspace, [int(raw)]).get(int(raw))
        if found is None:
            messages.error(request, f"No {source.singular.lower()} #{raw} in this workspace.")
            return redirect_back(request, _detail_url(actor, item))
        try:
            actions.link_evidence(actor, item, int(raw), kind=kind, note=request.POST.get("note", ""))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, f"Linked {source.singular.lower()} “{found[0]}”.")
        return redirect_back(request, _detail_url(actor, item))
    obj = sources[kind].filter(pk=int(raw)).first()
    if obj is None:
        messages.error(request, f"No {kind} #{raw} in this workspace.")
        return redirect_back(request, _detail_url(actor, item))
    try:
        actions.link_evidence(actor, item, obj, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Linked {kind} “{obj}”.")
    return redirect_back(request, _detail_url(actor, item))


@require_POST
@workspace_view(Role.MEMBER)
def unlink(request: HttpRequest, actor: Actor, pk: int, evidence_id: int) -> HttpResponse:
    item = _item(actor, pk)
    evidence = get_object_or_404(item.evidence, pk=evidence_id)
    actions.unlink_evidence(actor, evidence)
    messages.info(request, "Evidence removed.")
    return redirect_back(request, _detail_url(actor, item))


@require_POST
@workspace_view(Role.MEMBER)
def link_feedback(request: HttpRequest, actor: Actor, feedback_id: int) -> HttpResponse:
    """From the feedback item page's panel: link this feedback to an existing item or a new one."""
    feedback = get_object_or_404(actor.workspace.feedback_items, pk=feedback_id)
    back = reverse("feedback:detail", kwargs={"ws": actor.workspace.slug, "pk": feedback.pk})
    try:
        title = request.POST.get("new_title", "").strip()
        if title:
            item = actions.create_item(actor, title=title)
        else:
            raw = request.POST.get("item", "")
            item = get_object_or_404(queries.live_items(actor.workspace), pk=int(raw) if raw.isdigit() else 0)
        actions.link_evidence(actor, item, feedback)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Linked to roadmap item “{item.title}”.")
    return redirect_back(request, back)


@require_POST
@workspace_view(Role.MEMBER)
def issue_add(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = _item(actor, pk)
    try:
        link_ = trackers.link_issue(actor, item, request.POST.get("url", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Linked {link_.get_provider_display()} {link_.reference}.")
    return redirect(_detail_url(actor, item) + "#issues")


@require_POST
@workspace_view(Role.MEMBER)
def issue_remove(request: HttpRequest, actor: Actor, pk: int, link_id: int) -> HttpResponse:
    item = _item(actor, pk)
    trackers.unlink_issue(actor, get_object_or_404(item.issue_links, pk=link_id))
    messages.info(request, "Issue link removed.")
    return redirect(_detail_url(actor, item) + "#issues")


# ---------------------------------------------------------------- promises


@require_POST
@workspace_view(Role.MEMBER)
def promise_new(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = get_object_or_404(actor.workspace.roadmap_items, pk=pk)  # a deleted item gets a clear message, not a 404
    form = PromiseForm(actor.workspace, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{e}" for errs in form.errors.values() for e in errs))
        return redirect(_detail_url(actor, item) + "#promises")
    data = form.cleaned_data
    try:
        promises.make_promise(
            actor,
            item,
            target_date=data["target_date"],
            account=data["account"],
            contact=data["contact"],
            note=data["note"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Promise recorded. Harken watches the date and drafts a notice if it slips.")
    if item.deleted_at is not None:
        return redirect("roadmap:list", ws=actor.workspace.slug)
    return redirect(_detail_url(actor, item) + "#promises")


@require_POST
@workspace_view(Role.MEMBER)
def promise_withdraw(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    promise = get_object_or_404(actor.workspace.roadmap_promises, pk=pk)
    try:
        promises.withdraw_promise(actor, promise)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.info(request, "Promise withdrawn.")
    return redirect_back(request, reverse("roadmap:promises", kwargs={"ws": actor.workspace.slug}))


@workspace_view()
def promise_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    ws = actor.workspace
    return render(
        request,
        "roadmap/promises.html",
        {
            "metrics": promises.metrics(ws),
            "promises": ws.roadmap_promises.select_related("item", "account", "contact", "made_by").order_by(
                "status", "target_date"
            ),
            "drafts": ws.roadmap_delay_notices.filter(status=NoticeStatus.DRAFT).select_related(
                "promise", "promise__item"
            ),
            "sent": ws.roadmap_delay_notices.filter(status=NoticeStatus.SENT).select_related(
                "promise", "promise__item", "email"
            )[:50],
            "close_days": st.settings_for(ws).close_days,
        },
    )


@workspace_view()
def notice(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    notice_ = get_object_or_404(
        actor.workspace.roadmap_delay_notices.select_related("promise", "promise__item", "email"), pk=pk
    )
    form = NoticeForm(
        request.POST or None,
        initial={
            "to_email": notice_.to_email,
            "revised_date": notice_.revised_date,
            "subject": notice_.subject,
            "body": notice_.body,
        },
    )
    if request.method == "POST":
        actor.require(Role.MEMBER)
        if form.is_valid():
            data = form.cleaned_data
            try:
                edited = data["body"].replace("\r\n", "\n").strip() != notice_.body.strip()
                promises.send_notice(
                    actor,
                    notice_,
                    revised_date=data["revised_date"],
                    subject=data["subject"],
                    body=data["body"] if edited else None,  # untouched draft: re-worded with the new date
                    to_email=data["to_email"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Delay notice queued in the outbox for {data['to_email']}.")
                return redirect("roadmap:promises", ws=actor.workspace.slug)
    return render(request, "roadmap/notice.html", {"notice": notice_, "form": form})


@require_POST
@workspace_view(Role.MEMBER)
def notice_dismiss(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    notice_ = get_object_or_404(actor.workspace.roadmap_delay_notices, pk=pk)
    try:
        promises.dismiss_notice(actor, notice_)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.info(request, "Notice dismissed.")
    return redirect("roadmap:promises", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.MEMBER)
def check_slips(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Run today's slip check now (the daily job does the same)."""
    found = promises.detect_slips(actor.workspace)
    messages.info(request, f"{len(found)} new slip(s) found." if found else "No new slips.")
    return redirect("roadmap:promises", ws=actor.workspace.slug)


# ---------------------------------------------------------------- settings


@workspace_view()
def settings_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    ws = actor.workspace
    current = st.settings_for(ws)
    form = SettingsForm(
        request.POST or None,
        initial={
            "close_days": current.close_days,
            "auto_send_delay_notices": current.auto_send_delay_notices,
            "notify_delay_minutes": current.notify_delay_minutes,
            "public_roadmap": current.public_roadmap,
        },
    )
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                st.update_settings(actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Roadmap settings saved.")
                return redirect("roadmap:settings", ws=ws.slug)
    hooks = [
        {
            "hook": h,
            "secret": trackers.secret_for(h) if actor.can_admin else "",
            "url": request.build_absolute_uri(
                reverse("roadmap_public:tracker_hook", kwargs={"public_id": h.public_id})
            ),
        }
        for h in ws.roadmap_tracker_hooks.all()
    ]
    return render(
        request,
        "roadmap/settings.html",
        {
            "form": form,
            "statuses": st.statuses(ws),
            "status_form": StatusForm(),
            "kinds": StatusKind.choices,
            "hooks": hooks,
            "public_url": request.build_absolute_uri(reverse("roadmap_public:roadmap", kwargs={"ws": ws.slug})),
        },
    )


@require_POST
@workspace_view(Role.ADMIN)
def status_save(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            st.save_status(actor, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, "Status saved.")
    else:
        messages.error(request, "Check the status: a label, a colour and a kind.")
    return redirect(reverse("roadmap:settings", kwargs={"ws": actor.workspace.slug}) + "#statuses")


@require_POST
@workspace_view(Role.ADMIN)
def status_delete(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        st.delete_status(actor, request.POST.get("key", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.info(request, "Status removed.")
    return redirect(reverse("roadmap:settings", kwargs={"ws": actor.workspace.slug}) + "#statuses")


@require_POST
@workspace_view(Role.ADMIN)
def hook_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        hook = trackers.create_hook(actor, request.POST.get("provider", ""), request.POST.get("done_status", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{hook.get_provider_display()} webhook ready: copy its address and secret below.")
    return redirect(reverse("roadmap:settings", kwargs={"ws": actor.workspace.slug}) + "#trackers")


# ---------------------------------------------------------------- previews and changelog


@workspace_view()
def previews(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PreviewForm(actor.workspace, request.POST or None)
    created_url = ""
    if request.method == "POST":
        actor.require(Role.MEMBER)
        if form.is_valid():
            data = form.cleaned_data
            try:
                preview, raw = public.create_preview(
                    actor,
                    name=data["name"],
                    items=list(data["items"]),
                    accounts=list(data["accounts"]),
                    days=data["days"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                created_url = public.preview_url(raw)
                messages.success(
                    request, f"Preview “{preview.name}” created. Copy the link now: it is shown only once."
                )
                if data.get("email_contacts"):
                    try:
                        sent = public.email_preview(actor, preview, raw, data.get("note", ""))
                    except ValidationError as exc:
                        messages.error(request, f"Not emailed: {' '.join(exc.messages)}")
                    else:
                        messages.success(request, f"Emailed the link to {sent} contact{'s' if sent != 1 else ''}.")
                form = PreviewForm(actor.workspace)
    return render(
        request,
        "roadmap/previews.html",
        {
            "form": form,
            "created_url": created_url,
            "previews": actor.workspace.roadmap_previews.prefetch_related("items", "accounts"),
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def preview_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    preview = get_object_or_404(actor.workspace.roadmap_previews, pk=pk)
    public.revoke_preview(actor, preview)
    messages.info(request, f"Preview “{preview.name}” revoked; its link no longer works.")
    return redirect("roadmap:previews", ws=actor.workspace.slug)


@workspace_view()
def changelog(request: HttpRequest, actor: Actor) -> HttpResponse:
    ws = actor.workspace
    form = AnnouncementForm(ws, request.POST or None)
    if request.method == "POST":
        actor.require(Role.MEMBER)
        if form.is_valid():
            data = form.cleaned_data
            try:
                announcement = public.save_announcement(
                    actor,
                    title=data["title"],
                    body=data["body"],
                    items=list(data["items"]),
                    product_line=data["product_line"],
                )
                if request.POST.get("publish"):
                    public.publish(actor, announcement)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                published = bool(request.POST.get("publish"))
                messages.success(request, "Published and queued for subscribers." if published else "Draft saved.")
                return redirect("roadmap:changelog", ws=ws.slug)
    announcements = [
        {"a": a, "html": public.render_markdown(a.body)} for a in ws.roadmap_announcements.order_by("-created_at")[:50]
    ]
    return render(
        request,
        "roadmap/changelog.html",
        {
            "form": form,
            "announcements": announcements,
            "subscribers": ws.roadmap_subscribers.filter(
                unsubscribed_at__isnull=True, confirmed_at__isnull=False
            ).count(),
            "public_url": request.build_absolute_uri(reverse("roadmap_public:changelog", kwargs={"ws": ws.slug})),
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def publish(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    announcement = get_object_or_404(actor.workspace.roadmap_announcements, pk=pk)
    try:
        public.publish(actor, announcement)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"“{announcement.title}” published and queued for subscribers.")
    return redirect("roadmap:changelog", ws=actor.workspace.slug)


@workspace_view()
def subscribers(request: HttpRequest, actor: Actor) -> HttpResponse:
    result = None
    error = ""
    if request.method == "POST":
        actor.require(Role.MEMBER)
        try:
            result = public.add_subscribers(actor, actor.workspace, request.POST.get("emails", ""))
        except ValidationError as exc:
            error = error_text(exc)
    return render(
        request,
        "roadmap/subscribers.html",
        {
            "result": result,
            "error": error,
            "subscribers": actor.workspace.roadmap_subscribers.all()[:500],
            "emails": request.POST.get("emails", "") if error or (result and result["invalid"]) else "",
        },
        status=422 if error else 200,
    )
