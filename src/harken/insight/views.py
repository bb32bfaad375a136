from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from harken.core.views import error_text, redirect_back
from harken.feedback.models import Feedback
from harken.insight import services
from harken.insight.models import SuggestionStatus
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


@workspace_view()
def similar(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """The "Similar feedback" panel body, loaded by htmx from the item page."""
    item = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    return _similar_fragment(request, actor, item)


def _similar_fragment(request: HttpRequest, actor: Actor, item: Feedback, notice: str = "") -> HttpResponse:
    context = {
        "notice": notice,
        "item": item,
        "similar": services.similar_items(actor, item),
        "merged_into": services.merged_into(item),
        "merged_items": services.merged_items(item),
        "requesters": services.requesters(item),
        "merges": services.merge_history(actor, item).filter(undone_at__isnull=True)[:10],
    }
    return render(request, "insight/_similar_results.html", context)


@workspace_view()
def duplicates(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Review page: open suggestions side by side, Merge / Not a duplicate."""
    page = Paginator(services.open_suggestions(actor), 20).get_page(request.GET.get("page"))
    decided = actor.workspace.duplicate_suggestions.exclude(status=SuggestionStatus.OPEN).count()
    model = services.duplicate_model(actor.workspace)
    return render(
        request,
        "insight/duplicates.html",
        {"page_obj": page, "decided": decided, "model": model, "target_pct": round(model.target * 100)},
    )


@require_POST
@workspace_view(Role.MEMBER)
def merge_suggestion(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(actor.workspace.duplicate_suggestions, pk=pk)
    keep = request.POST.get("keep", "candidate")
    survivor, merged = (
        (suggestion.candidate, suggestion.item) if keep != "item" else (suggestion.item, suggestion.candidate)
    )
    try:
        record = services.merge(actor, survivor, merged, suggestion=suggestion)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, f"Merged #{record.merged_id} into #{record.survivor_id}. You can undo this under Merges."
        )
    return redirect_back(request, reverse("insight:duplicates", kwargs={"ws": actor.workspace.slug}))


@require_POST
@workspace_view(Role.MEMBER)
def dismiss(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(actor.workspace.duplicate_suggestions, pk=pk)
    try:
        services.dismiss_suggestion(actor, suggestion)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.info(request, "Marked as not a duplicate; this pair will not be suggested again.")
    return redirect_back(request, reverse("insight:duplicates", kwargs={"ws": actor.workspace.slug}))


@require_POST
@workspace_view(Role.MEMBER)
def merge_item(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Merge item `pk` into the item given as `into` (from the similar panel or the API-less form)."""
    merged = get_object_or_404(actor.workspace.feedback_items, pk=pk)
    try:
        into = int(request.POST.get("into", ""))
    except ValueError:
        messages.error(request, "Say which item to merge into.")
        return redirect_back(request, reverse("insight:merges", kwargs={"ws": actor.workspace.slug}))
    survivor = get_object_or_404(actor.workspace.feedback_items, pk=into)
    try:
        record = services.merge(actor, survivor, merged)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect_back(request, reverse("insight:merges", kwargs={"ws": actor.workspace.slug}))
    messages.success(request, f"Merged #{record.merged_id} into #{record.survivor_id}.")
    return redirect(reverse("feedback:detail", kwargs={"ws": actor.workspace.slug, "pk": survivor.pk}))


@workspace_view()
def merges(request: HttpRequest, actor: Actor) -> HttpResponse:
    page = Paginator(services.merge_history(actor), 30).get_page(request.GET.get("page"))
    return render(request, "insight/merges.html", {"page_obj": page})


@require_POST
@workspace_view(Role.MEMBER)
def undo_merge(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Undo a merge. From the item page's panel over htmx: the refreshed panel with the confirmation in it;
    a plain form post (no JavaScript, or the merge history): back to the form's page with a message."""
    record = get_object_or_404(actor.workspace.feedback_merges, pk=pk)
    try:
        services.undo_merge(actor, record)
    except ValidationError as exc:
        notice, ok = error_text(exc), False
    else:
        notice, ok = f"Undone: #{record.merged_id} is a separate item again.", True
    if request.headers.get("HX-Request") == "true":
        return _similar_fragment(request, actor, record.survivor, notice=notice)
    (messages.success if ok else messages.error)(request, notice)
    return redirect_back(request, reverse("insight:merges", kwargs={"ws": actor.workspace.slug}))
