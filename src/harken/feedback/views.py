"""Feedback pages: overview (workspace home), inbox, item page, manual capture. Thin: services do the work."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_POST

from harken.core import memo
from harken.core.forms import add_service_errors
from harken.core.registry import collect
from harken.core.respcache import cached_page
from harken.core.views import redirect_back
from harken.customers import queries as customer_queries
from harken.feedback import actions, bulk, export, queries
from harken.feedback.forms import FeedbackEditForm, FeedbackForm
from harken.feedback.models import INBOX_COLUMNS, Channel, Feedback, InboxColumns, Tag
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _panels(kind: str) -> list[str]:
    """The item page's panels other apps declare in their `panels.py` (`ITEM_SIDE_PANELS`,
    `ITEM_MAIN_PANELS`), each a template rendered with the page context (`item`, `actor`,
    `current_workspace`). A declared template that does not exist is skipped."""
    panels = []
    for name in collect("panels", kind):
        try:
            get_template(str(name))
        except TemplateDoesNotExist:
            continue
        panels.append(str(name))
    return panels


@workspace_view()
def overview(request: HttpRequest, actor: Actor) -> HttpResponse:
    from harken.insight import filters as evidence_filters

    evidence = evidence_filters.parse_lenient(actor.workspace, request.GET)
    return evidence_filters.clean_url(
        request,
        render(
            request,
            "feedback/overview.html",
            {"o": queries.overview(actor.workspace, evidence=evidence), **evidence_filters.bar_context(evidence)},
        ),
    )


def _columns(request: HttpRequest, actor: Actor) -> list[str]:
    """The optional columns shown: `?cols=` for this view, else the person's saved choice, else all."""
    if "cols" in request.GET:
        return queries.clean_columns(request.GET.get("cols", "").split(","))
    saved = InboxColumns.objects.for_workspace(actor.workspace).filter(user=actor.user).first()
    return queries.clean_columns(saved.columns) if saved is not None else list(INBOX_COLUMNS)


@workspace_view()
@cached_page
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    filters = queries.FeedbackFilters.from_params(request.GET)
    results = queries.inbox_rows(queries.search_feedback(workspace, filters))
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    items = queries.with_row_details(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    columns = _columns(request, actor)
    context = {
        "filters": filters,
        "page_obj": page,
        "items": items,
        "match_count": page.paginator.count,
        "querystring_without_page": query.urlencode(),
        "current_path": request.get_full_path(),
        "export_params": export.filter_params(filters),
        "columns": columns,
        "column_heads": [(key, INBOX_COLUMNS[key]) for key in columns],
        "show": {key: True for key in columns},
        "sorted_by": queries.SORTED_COLUMN[filters.sort],
        # Item links are `<inbox path><id>/` (the detail route): one reverse per page, not per row.
        "inbox_path": reverse("feedback:inbox", kwargs={"ws": workspace.slug}),
        "column_choices": INBOX_COLUMNS,
        "sorts": queries.SORT_LABELS,
        "channels": Channel.choices,
        "product_lines": workspace.product_lines.all(),
        "tags": workspace.tags.all(),
        "segments": workspace.segments.all(),
        "filter_account": workspace.accounts.filter(pk=filters.account).first() if filters.account else None,
        # Only asked when the page is empty ("nothing matches" vs "the inbox is empty"): no full count.
        "total": workspace.feedback_items.exists,
    }
    if actor.can_write and items:
        context.update(queries.bulk_choices(workspace))
    # The partial carries the flash messages (a bulk action's result): the full page shows them in the layout.
    context["is_htmx"] = _is_htmx(request)
    template = "feedback/_inbox_results.html" if context["is_htmx"] else "feedback/inbox.html"
    return render(request, template, context)


@require_POST
@workspace_view()
def columns(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Save which optional inbox columns this person shows (viewers too: it is their own view)."""
    chosen = queries.clean_columns(request.POST.getlist("columns"))
    InboxColumns.objects.update_or_create(workspace=actor.workspace, user=actor.user, defaults={"columns": chosen})
    messages.success(request, "Columns saved.")
    return redirect_back(request, reverse("feedback:inbox", kwargs={"ws": actor.workspace.slug}))


@require_POST
@workspace_view(Role.MEMBER)
def bulk_action(request: HttpRequest, actor: Actor) -> HttpResponse:
    """One bulk write on the selected items (`ids`), through the per-item actions (feedback.bulk).

    Then back to the inbox view it came from (`next`), with the result as a flash message. From htmx
    the redirect is followed by the browser with the htmx headers kept, so the inbox answers with its
    list partial (flash included) and only the list is swapped; without JavaScript the whole page reloads."""
    fallback = reverse("feedback:inbox", kwargs={"ws": actor.workspace.slug})
    keys = ("assignee", "tag", "decision", "reason", "link", "duplicate_of", "into", "theme")
    params = {k: request.POST.get(k, "") for k in keys}
    try:
        result = bulk.run(actor, request.POST.get("action", ""), request.POST.getlist("ids"), **params)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, result.message)
    return redirect_back(request, fallback)


@require_POST
@workspace_view()
def export_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Download the current view (the same filters and sort) as CSV or JSON. A POST: it is audited."""
    fmt = request.POST.get("format", "csv")
    if fmt not in export.FORMATS:
        return HttpResponseBadRequest("Export as csv or json.")
    filters = queries.FeedbackFilters.from_params(request.POST)
    streamed = export.response(actor, filters, fmt, request.build_absolute_uri("/").rstrip("/"))
    return cast(HttpResponse, streamed)  # a StreamingHttpResponse: workspace_view's type says HttpResponse


def _workspace_tags(workspace: Any) -> list[Tag]:
    """The workspace's tags (the tag field's suggestions), memoised by data version (harken/core/memo.py)."""
    rows = memo.remember("tags", workspace.pk, lambda: tuple(memo.row_of(t) for t in workspace.tags.all()))
    return [memo.build(Tag, row) for row in rows]


def _other_account_items(item: Feedback) -> int:
    """How many other items the item's account has: the account's count (memoised by data version, as
    every item of the account shows it) less this item."""
    if not (item.account_id and item.account):
        return 0
    account = item.account
    total = memo.remember("account-items", account.pk, lambda: account.feedback_items.count())
    return max(int(total) - 1, 0)


@workspace_view()
@cached_page
def detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    # Other apps' panels name the one-to-one relations they show (`ITEM_SELECT_RELATED` in their panels.py):
    # one query for the item and them, instead of one per panel (most items have none of them).
    related = [str(name) for name in collect("panels", "ITEM_SELECT_RELATED")]
    item = get_object_or_404(
        actor.workspace.feedback_items.select_related("account", "contact", "product_line", "created_by", *related),
        pk=pk,
    )
    return render(
        request,
        "feedback/detail.html",
        {
            "item": item,
            "tags": list(item.tags.all()),
            "all_tags": _workspace_tags(actor.workspace),
            "side_panels": _panels("ITEM_SIDE_PANELS"),
            "main_panels": _panels("ITEM_MAIN_PANELS"),
            "account_items": _other_account_items(item),
        },
    )


@workspace_view(Role.MEMBER)
def new(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    form = FeedbackForm(workspace, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item, created = actions.create_feedback(
                actor,
                text=data["text"],
                title=data["title"],
                channel=Channel.MANUAL,
                author_email=data["author_email"],
                author_name=data["author_name"],
                account=data["account"],
                product_line=data["product_line"],
                tags=data["tags"],
                received_at=data["received_at"],
                dedupe_key=f"form:{data['idempotency_token']}",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(request, "Feedback saved.")
            else:
                messages.info(request, "This feedback was already saved; showing it.")
            if request.POST.get("then") == "another":
                return redirect("feedback:new", ws=workspace.slug)
            return redirect("feedback:detail", ws=workspace.slug, pk=item.pk)
    return render(request, "feedback/new.html", {"form": form, "all_tags": workspace.tags.all()})


@workspace_view()
def match_sender(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The manual form asks, as people type an email, who it will be filed under."""
    email = request.GET.get("author_email", "").strip()
    contact, account = customer_queries.match_sender(actor.workspace, email) if "@" in email else (None, None)
    return render(request, "feedback/_match.html", {"email": email, "contact": contact, "account": account})


@workspace_view(Role.MEMBER)
def edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    form = FeedbackEditForm(actor.workspace, item, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {
            "title": data["title"],
            "text": data["text"],
            "product_line": data["product_line"],
            "tags": data["tags"],
        }
        # Only pass what people changed, so a new contact can bring its own account along.
        for name in ("account", "contact"):
            if name in form.changed_data:
                changes[name] = data[name]
        try:
            actions.update_feedback(actor, item, **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Feedback updated.")
            return redirect("feedback:detail", ws=actor.workspace.slug, pk=item.pk)
    return render(request, "feedback/edit.html", {"form": form, "item": item, "all_tags": actor.workspace.tags.all()})


@workspace_view(Role.MEMBER)
def delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    item = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    if request.method == "POST":
        actions.delete_feedback(actor, item)
        messages.success(request, "Feedback deleted.")
        return redirect("feedback:inbox", ws=actor.workspace.slug)
    return render(request, "feedback/delete.html", {"item": item})


@require_POST
@workspace_view(Role.MEMBER)
def tags(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """htmx: add (`add=name`) or remove (`remove=<tag id>`) a tag; returns the tag editor."""
    item: Feedback = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    error = ""
    try:
        remove = request.POST.get("remove", "")
        if remove:
            tag = get_object_or_404(actor.workspace.tags, pk=int(remove) if remove.isdigit() else 0)
            actions.remove_tag(actor, item, tag)
        else:
            actions.add_tag(actor, item, request.POST.get("add", ""))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    context = {"item": item, "tags": list(item.tags.all()), "all_tags": actor.workspace.tags.all(), "tag_error": error}
    if _is_htmx(request):
        return render(request, "feedback/_tags.html", context)  # htmx swaps only 2xx: the error shows inline
    if error:
        messages.error(request, error)
    return redirect("feedback:detail", ws=actor.workspace.slug, pk=item.pk)
