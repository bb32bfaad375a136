"""Feed pages: list and add, detail and edit (with the last error and recent polls), delete, poll now."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from harken.channels.feeds import services
from harken.channels.feeds.models import Feed
from harken.channels.forms import ProductLineSettingsForm
from harken.core.forms import add_service_errors
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import ProductLine, Role


class FeedForm(ProductLineSettingsForm):
    url = forms.URLField(
        label="Feed address",
        max_length=1000,
        assume_scheme="https",
        help_text="RSS or Atom, e.g. a Discourse category's /latest.rss",
    )
    name = forms.CharField(max_length=120, required=False, help_text="Leave empty to use the feed's own title.")
    schedule_minutes = forms.IntegerField(
        label="Check every (minutes)", initial=60, min_value=services.MIN_SCHEDULE, max_value=services.MAX_SCHEDULE
    )
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    tags = forms.CharField(max_length=300, required=False, help_text="Added to every item, comma-separated.")
    enabled = forms.BooleanField(required=False, initial=True, help_text="Paused feeds are not polled.")


def _feed(actor: Actor, pk: int) -> Feed:
    return get_object_or_404(actor.workspace.feeds, pk=pk)


@workspace_view()
def feed_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        actor.require(Role.MEMBER)
    form = FeedForm(actor.workspace, request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        try:
            feed = services.create_feed(actor, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            services.request_poll(actor, feed)
            messages.success(request, "Feed added; the first poll is queued.")
            return redirect("channels:feed_detail", ws=actor.workspace.slug, pk=feed.pk)
    return render(request, "channels/feeds_list.html", {"feeds": services.feeds_page(actor), "form": form})


@workspace_view()
def feed_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    feed = _feed(actor, pk)
    if request.method == "POST":
        actor.require(Role.MEMBER)
    initial = {
        "url": feed.url,
        "name": feed.name,
        "schedule_minutes": feed.schedule_minutes,
        "product_line": feed.product_line_id,
        "tags": feed.tags,
        "enabled": feed.enabled,
    }
    form = FeedForm(actor.workspace, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_feed(actor, feed, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Feed saved.")
            return redirect("channels:feed_detail", ws=actor.workspace.slug, pk=feed.pk)
    items = actor.workspace.feedback_items.filter(source_kind="feed", source_ref=str(feed.pk))[:10]
    return render(
        request,
        "channels/feeds_detail.html",
        {"feed": feed, "form": form, "polls": feed.polls.all()[:20], "items": items},
    )


@workspace_view()
@require_POST
def feed_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    feed = _feed(actor, pk)
    services.delete_feed(actor, feed)
    messages.success(request, f"Stopped following {feed}. Items already collected stay.")
    return redirect("channels:feeds", ws=actor.workspace.slug)


@workspace_view()
@require_POST
def feed_poll(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    feed = _feed(actor, pk)
    services.request_poll(actor, feed)
    messages.success(request, "Poll queued: refresh this page in a moment.")
    return redirect("channels:feed_detail", ws=actor.workspace.slug, pk=feed.pk)
