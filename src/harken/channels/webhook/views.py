"""Webhook endpoint pages (admins manage, members read the log) and the public receiving URL."""

from __future__ import annotations

import contextlib
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from harken.channels.forms import ProductLineSettingsForm
from harken.channels.webhook import services
from harken.channels.webhook.models import DEFAULT_MAPPING, WebhookEndpoint
from harken.core.forms import add_service_errors
from harken.feedback.models import Channel
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import ProductLine, Role

SECRET_SESSION_KEY = "harken-webhook-secret"


class EndpointForm(ProductLineSettingsForm):
    name = forms.CharField(max_length=120, help_text="The tool that posts here, e.g. “Typeform”.")
    mapping = forms.CharField(
        label="Field mapping (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Feedback field → dotted path in the posted JSON. Fields: text (required), title, external_id, "
        "author_email, author_name, received_at, tags, product_line.",
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.WEBHOOK)
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    enabled = forms.BooleanField(required=False, initial=True)


def _endpoint(actor: Actor, pk: int) -> WebhookEndpoint:
    return get_object_or_404(actor.workspace.webhook_endpoints, pk=pk)


def _public_url(request: HttpRequest, endpoint: WebhookEndpoint) -> str:
    return request.build_absolute_uri(reverse("channels_public:webhook", kwargs={"endpoint_id": endpoint.public_id}))


@workspace_view()
def webhook_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        actor.require(Role.ADMIN)
    form = EndpointForm(
        actor.workspace,
        request.POST or None,
        initial={"mapping": json.dumps(DEFAULT_MAPPING, indent=2), "enabled": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_endpoint(actor, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[SECRET_SESSION_KEY] = {"pk": endpoint.pk, "secret": endpoint.secret}
            return redirect("channels:webhook_detail", ws=actor.workspace.slug, pk=endpoint.pk)
    endpoints = actor.workspace.webhook_endpoints.all()
    return render(request, "channels/webhook_list.html", {"endpoints": endpoints, "form": form})


@workspace_view()
def webhook_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    if request.method == "POST":
        actor.require(Role.ADMIN)
    initial = {
        "name": endpoint.name,
        "mapping": json.dumps(endpoint.mapping, indent=2),
        "channel": endpoint.channel,
        "product_line": endpoint.product_line_id,
        "enabled": endpoint.enabled,
    }
    form = EndpointForm(actor.workspace, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(actor, endpoint, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("channels:webhook_detail", ws=actor.workspace.slug, pk=endpoint.pk)
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    secret = shown["secret"] if shown and shown.get("pk") == endpoint.pk and actor.can_admin else ""
    return render(
        request,
        "channels/webhook_detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "secret": secret,
            "public_url": _public_url(request, endpoint),
            "deliveries": services.deliveries(endpoint)[:50],
            "max_bytes": services.MAX_BODY_BYTES,
            "tolerance": services.TOLERANCE_SECONDS,
        },
    )


@workspace_view()
@require_POST
def webhook_rotate(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    secret = services.rotate_secret(actor, endpoint)
    request.session[SECRET_SESSION_KEY] = {"pk": endpoint.pk, "secret": secret}
    messages.success(request, "New secret created; the old one no longer verifies. Copy it now: it is shown once.")
    return redirect("channels:webhook_detail", ws=actor.workspace.slug, pk=endpoint.pk)


@workspace_view()
@require_POST
def webhook_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = _endpoint(actor, pk)
    services.delete_endpoint(actor, endpoint)
    messages.success(request, f"Deleted the endpoint {endpoint.name}; its URL now answers 404.")
    return redirect("channels:webhooks", ws=actor.workspace.slug)


@workspace_view()
@require_GET
def webhook_delivery(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    delivery = get_object_or_404(actor.workspace.webhook_deliveries.select_related("endpoint", "feedback"), pk=pk)
    body = bytes(delivery.body).decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    return render(request, "channels/webhook_delivery.html", {"delivery": delivery, "body": body})


@csrf_exempt
def receive(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """POST /hooks/<endpoint-id>/: authenticated by the HMAC signature, not by a session."""
    if request.method != "POST":
        return JsonResponse({"detail": "POST a signed JSON body here."}, status=405, headers={"Allow": "POST"})
    endpoint = WebhookEndpoint.objects.select_related("workspace", "product_line").filter(public_id=endpoint_id).first()
    if endpoint is None:
        return JsonResponse({"detail": "Unknown webhook endpoint."}, status=404)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > services.MAX_BODY_BYTES:
        return JsonResponse({"detail": f"The body is larger than {services.MAX_BODY_BYTES // 1024} KB."}, status=413)
    body = request.read(services.MAX_BODY_BYTES + 1)
    if len(body) > services.MAX_BODY_BYTES:
        return JsonResponse({"detail": f"The body is larger than {services.MAX_BODY_BYTES // 1024} KB."}, status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    outcome = services.receive(endpoint, body, headers, remote_addr=request.META.get("REMOTE_ADDR", ""))
    return JsonResponse(outcome.body, status=outcome.status)
