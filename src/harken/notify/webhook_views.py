"""Outgoing webhook pages: endpoints (admins manage), their delivery log (members read, retry)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from harken.core.forms import add_service_errors
from harken.core.views import flash_error
from harken.notify import webhooks
from harken.notify.models import OutgoingWebhook, PayloadFormat, WebhookEvent
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. “Slack #product” or “Data warehouse”.")
    url = forms.URLField(max_length=500, label="Address (URL)", assume_scheme="https")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)
    payload_format = forms.ChoiceField(choices=PayloadFormat.choices, label="Payload")
    enabled = forms.BooleanField(required=False, initial=True)


def _endpoint(actor: Actor, pk: int) -> OutgoingWebhook:
    return get_object_or_404(actor.workspace.outgoing_webhooks, pk=pk)


@workspace_view()
def webhook_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = EndpointForm(request.POST or None, initial={"enabled": True, "payload_format": PayloadFormat.HARKEN})
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            data = form.cleaned_data
            try:
                endpoint = webhooks.create_endpoint(
                    actor,
                    name=data["name"],
                    url=data["url"],
                    events=data["events"],
                    payload_format=data["payload_format"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Endpoint added. Its signing secret is on its page.")
                return redirect("notify:webhook", ws=actor.workspace.slug, pk=endpoint.pk)
    endpoints = actor.workspace.outgoing_webhooks.all()
    return render(request, "notify/webhooks.html", {"form": form, "endpoints": endpoints})


@workspace_view()
def webhook_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    form = EndpointForm(
        request.POST or None,
        initial={
            "name": endpoint.name,
            "url": endpoint.url,
            "events": endpoint.events,
            "payload_format": endpoint.payload_format,
            "enabled": endpoint.enabled,
        },
    )
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                webhooks.update_endpoint(actor, endpoint, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect("notify:webhook", ws=actor.workspace.slug, pk=endpoint.pk)
    page = Paginator(webhooks.deliveries(actor.workspace, endpoint), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/webhook.html",
        {
            "endpoint": endpoint,
            "form": form,
            "page_obj": page,
            "secret": webhooks.secret_for(endpoint) if actor.can_admin else "",
            "retryable": webhooks.RETRYABLE,
            "querystring_without_page": "",
        },
    )


@require_POST
@workspace_view(Role.ADMIN)
def webhook_test(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    webhooks.send_test(actor, endpoint)
    messages.success(request, "Test delivery queued; it shows in the log below within moments.")
    return redirect("notify:webhook", ws=actor.workspace.slug, pk=endpoint.pk)


@require_POST
@workspace_view(Role.ADMIN)
def webhook_rotate(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    webhooks.rotate_secret(actor, endpoint)
    messages.success(request, "New secret made; update the receiving side.")
    return redirect("notify:webhook", ws=actor.workspace.slug, pk=endpoint.pk)


@require_POST
@workspace_view(Role.ADMIN)
def webhook_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    webhooks.delete_endpoint(actor, endpoint)
    messages.info(request, f"Endpoint “{endpoint.name}” deleted with its delivery log.")
    return redirect("notify:webhooks", ws=actor.workspace.slug)


@require_POST
@workspace_view(Role.MEMBER)
def delivery_retry(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    delivery = get_object_or_404(actor.workspace.outgoing_deliveries, pk=pk)
    try:
        webhooks.retry(actor, delivery)
    except ValidationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, "Delivery queued again.")
    return redirect("notify:webhook", ws=actor.workspace.slug, pk=delivery.endpoint_id)
