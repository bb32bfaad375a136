"""Accounts, contacts and segments pages. Thin: parse, call services, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from harken.core.forms import add_service_errors
from harken.customers import actions, queries, understanding, value
from harken.customers.forms import AccountForm, ContactForm, SegmentForm
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role

PAGE_SIZE = 50

# Other apps add sections to the account page: (template, dotted path of `fn(account) -> context dict`).
# An app that is not installed (ImportError / missing template) simply contributes none.
ACCOUNT_SECTIONS = [
    ("customers/_timeline.html", "harken.customers.timeline.account_timeline"),
    ("conversations/_account_section.html", "harken.conversations.queries.account_section"),
]


def _account_sections(account: Any) -> list[dict[str, Any]]:
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.utils.module_loading import import_string

    sections = []
    for template, provider in ACCOUNT_SECTIONS:
        try:
            get_template(template)
            fn = import_string(provider)
        except (ImportError, TemplateDoesNotExist):
            continue
        sections.append({"template": template, "context": fn(account)})
    return sections


def _querystring_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    template: str,
    context: dict[str, Any],
) -> tuple[Any, HttpResponse | None]:
    """Validate a POSTed form through `save`; returns (saved object, None) or (None, re-rendered page)."""
    if request.method == "POST" and form.is_valid():
        try:
            return save(form.cleaned_data), None
        except ValidationError as exc:
            add_service_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return None, render(request, template, {"form": form, **context}, status=status)


# ------------------------------------------------------------------------------------------ accounts


@workspace_view()
def account_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    filters: dict[str, Any] = {}
    applied_segment = None
    if (segment_id := request.GET.get("segment_id", "")).isdigit():
        applied_segment = get_object_or_404(workspace.segments, pk=int(segment_id))
        filters.update(queries.segment_filters(applied_segment))
    filters.update({k: v for k in queries.FILTER_KEYS if (v := request.GET.get(k, "").strip())})
    sort = request.GET.get("sort", "name")
    result = queries.list_accounts(workspace, filters, sort)
    page = Paginator(result.page_accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "accounts": page.object_list,
        "result": result,
        "sort": sort if sort in queries.ACCOUNT_SORTS else "name",
        "columns": _sort_columns(request, sort if sort in queries.ACCOUNT_SORTS else "name"),
        "choices": queries.filter_choices(workspace),
        "chips": queries.describe_filters(result.filters),
        "applied_segment": applied_segment,
        "querystring_without_page": _querystring_without_page(request),
        "save_segment_query": _segment_query(result.filters),
        "filter_errors": [m for msgs in result.errors.values() for m in msgs],
    }
    template = (
        "customers/_accounts_results.html" if request.headers.get("HX-Request") else "customers/account_list.html"
    )
    return render(request, template, context)


SORT_COLUMNS = [
    ("name", "Account", False),
    ("arr", "ARR", True),
    ("renewal", "Renewal", False),
    ("feedback", "Feedback", True),
]


def _sort_columns(request: HttpRequest, current: str) -> dict[str, dict[str, str]]:
    """Header links that toggle direction; a new column starts with its most useful direction."""
    columns = {}
    for key, label, descending_first in SORT_COLUMNS:
        if current == key:
            target, aria = f"-{key}", "ascending"
        elif current == f"-{key}":
            target, aria = key, "descending"
        else:
            target, aria = (f"-{key}" if descending_first else key), "none"
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = target
        columns[key] = {"label": label, "query": query.urlencode(), "aria_sort": aria}
    return columns


def _segment_query(filters: dict[str, str]) -> str:
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(filters)
    return query.urlencode()


@workspace_view()
def account_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    account = get_object_or_404(actor.workspace.accounts.select_related("owner"), pk=pk)
    context = {
        "account": account,
        **queries.account_overview(account),
        **understanding.account_understanding(account),
        "sections": _account_sections(account),
        **value.account_value(account),
    }
    return render(request, "customers/account_detail.html", context)


@require_POST
@workspace_view(Role.ADMIN)
def value_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Save the CLV inputs (gross margin, annual churn); back to where the form was."""
    try:
        value.update_settings(actor, request.POST.get("gross_margin", ""), request.POST.get("annual_churn", ""))
        messages.success(request, "Lifetime value settings saved.")
    except ValidationError as e:
        for msg in e.messages:
            messages.error(request, msg)
        return render(request, "customers/value_settings_error.html", {"errors": e.messages}, status=400)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("customers:account_list", kwargs={"ws": actor.workspace.slug})
    return redirect(target)


@workspace_view(Role.MEMBER)
def account_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = AccountForm(
        request.POST or None, workspace=actor.workspace, initial={"domain": request.GET.get("domain", "")}
    )
    account, page = _form_page(
        request,
        form,
        lambda data: actions.create_account(actor, data),
        "customers/account_form.html",
        {"account": None},
    )
    if page:
        return page
    messages.success(request, f"Account '{account.name}' created.")
    return redirect("customers:account_detail", ws=actor.workspace.slug, pk=account.pk)


@workspace_view(Role.MEMBER)
def account_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    account = get_object_or_404(actor.workspace.accounts, pk=pk)
    form = AccountForm(request.POST or None, workspace=actor.workspace, initial=AccountForm.initial_for(account))
    saved, page = _form_page(
        request,
        form,
        lambda data: actions.update_account(actor, account, data),
        "customers/account_form.html",
        {"account": account},
    )
    if page:
        return page
    messages.success(request, "Account saved.")
    return redirect("customers:account_detail", ws=actor.workspace.slug, pk=saved.pk)


@workspace_view(Role.MEMBER)
def account_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    account = get_object_or_404(actor.workspace.accounts, pk=pk)
    if request.method == "POST":
        name = account.name
        actions.delete_account(actor, account)
        messages.success(request, f"Account '{name}' deleted. Its contacts and feedback were kept.")
        return redirect("customers:account_list", ws=actor.workspace.slug)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object": account,
            "kind": "account",
            "consequence": f"Its {account.contacts.count()} contacts and {account.feedback_items.count()} feedback items are kept, unlinked.",
            "cancel_url": reverse("customers:account_detail", kwargs={"ws": actor.workspace.slug, "pk": account.pk}),
        },
    )


# ------------------------------------------------------------------------------------------ contacts


@workspace_view()
def contact_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    q = request.GET.get("q", "").strip()
    account_filter = request.GET.get("account", "").strip()
    contacts = queries.filter_contacts(workspace, q, account_filter)
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered_account = workspace.accounts.filter(pk=int(account_filter)).first() if account_filter.isdigit() else None
    context = {
        "page_obj": page,
        "contacts": page.object_list,
        "q": q,
        "account_filter": account_filter,
        "filtered_account": filtered_account,
        "accounts": workspace.accounts.only("pk", "name"),
        "querystring_without_page": _querystring_without_page(request),
    }
    template = (
        "customers/_contacts_results.html" if request.headers.get("HX-Request") else "customers/contact_list.html"
    )
    return render(request, template, context)


@workspace_view()
def contact_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    contact = get_object_or_404(actor.workspace.contacts.select_related("account"), pk=pk)
    return render(request, "customers/contact_detail.html", {"contact": contact, **queries.contact_overview(contact)})


@workspace_view(Role.MEMBER)
def contact_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    initial = {"account": request.GET.get("account", "")}
    form = ContactForm(request.POST or None, workspace=actor.workspace, initial=initial)
    contact, page = _form_page(
        request,
        form,
        lambda data: actions.create_contact(actor, data),
        "customers/contact_form.html",
        {"contact": None},
    )
    if page:
        return page
    messages.success(request, f"Contact '{contact}' created.")
    return redirect("customers:contact_detail", ws=actor.workspace.slug, pk=contact.pk)


@workspace_view(Role.MEMBER)
def contact_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    contact = get_object_or_404(actor.workspace.contacts, pk=pk)
    form = ContactForm(request.POST or None, workspace=actor.workspace, initial=ContactForm.initial_for(contact))
    saved, page = _form_page(
        request,
        form,
        lambda data: actions.update_contact(actor, contact, data),
        "customers/contact_form.html",
        {"contact": contact},
    )
    if page:
        return page
    messages.success(request, "Contact saved.")
    return redirect("customers:contact_detail", ws=actor.workspace.slug, pk=saved.pk)


@workspace_view(Role.MEMBER)
def contact_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    contact = get_object_or_404(actor.workspace.contacts, pk=pk)
    if request.method == "POST":
        label = str(contact)
        actions.delete_contact(actor, contact)
        messages.success(request, f"Contact '{label}' deleted. Their feedback was kept.")
        return redirect("customers:contact_list", ws=actor.workspace.slug)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object": contact,
            "kind": "contact",
            "consequence": f"Their {contact.feedback_items.count()} feedback items are kept.",
            "cancel_url": reverse("customers:contact_detail", kwargs={"ws": actor.workspace.slug, "pk": contact.pk}),
        },
    )


# ------------------------------------------------------------------------------------------ segments


@workspace_view()
def segment_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = queries.segment_rows(actor.workspace)
    for row in rows:
        row["chips"] = queries.describe_filters(row["filters"])
    return render(request, "customers/segment_list.html", {"rows": rows})


@workspace_view(Role.MEMBER)
def segment_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Prefilled from the query string, so "Save as segment" on the accounts list lands here."""
    initial = {k: v for k in queries.FILTER_KEYS if (v := request.GET.get(k, ""))}
    form = SegmentForm(request.POST or None, workspace=actor.workspace, initial=initial)
    segment, page = _form_page(
        request,
        form,
        lambda data: actions.create_segment(actor, data),
        "customers/segment_form.html",
        {"segment": None},
    )
    if page:
        return page
    messages.success(request, f"Segment '{segment.name}' saved.")
    return redirect(
        reverse("customers:account_list", kwargs={"ws": actor.workspace.slug}) + f"?segment_id={segment.pk}"
    )


@workspace_view(Role.MEMBER)
def segment_edit(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    segment = get_object_or_404(actor.workspace.segments, pk=pk)
    form = SegmentForm(request.POST or None, workspace=actor.workspace, initial=SegmentForm.initial_for(segment))
    saved, page = _form_page(
        request,
        form,
        lambda data: actions.update_segment(actor, segment, data),
        "customers/segment_form.html",
        {"segment": segment},
    )
    if page:
        return page
    messages.success(request, f"Segment '{saved.name}' saved.")
    return redirect("customers:segment_list", ws=actor.workspace.slug)


@workspace_view(Role.MEMBER)
def segment_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    segment = get_object_or_404(actor.workspace.segments, pk=pk)
    if request.method == "POST":
        name = segment.name
        actions.delete_segment(actor, segment)
        messages.success(request, f"Segment '{name}' deleted. No accounts were changed.")
        return redirect("customers:segment_list", ws=actor.workspace.slug)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object": segment,
            "kind": "segment",
            "consequence": "Only the saved filter goes; no account is changed.",
            "cancel_url": reverse("customers:segment_list", kwargs={"ws": actor.workspace.slug}),
        },
    )
