"""Widget settings pages and the public script + submit endpoints (CORS restricted to configured origins)."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from harken.channels.forms import ProductLineSettingsForm
from harken.channels.widget import services
from harken.channels.widget.models import Widget
from harken.core.forms import add_service_errors
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import ProductLine, Role


class WidgetForm(ProductLineSettingsForm):
    name = forms.CharField(max_length=120, help_text="Where the widget lives, e.g. “Web app”.")
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "placeholder": "https://app.example.com"}),
        help_text="One per line: scheme, host and port only. Submissions from any other site are refused.",
    )
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    button_label = forms.CharField(max_length=40, initial="Feedback")
    enabled = forms.BooleanField(required=False, initial=True)


def _widget(actor: Actor, pk: int) -> Widget:
    return get_object_or_404(actor.workspace.widgets, pk=pk)


def _snippet(request: HttpRequest, widget: Widget) -> str:
    src = request.build_absolute_uri(reverse("channels_public:widget_js", kwargs={"key": widget.public_key}))
    return f'<script src="{src}" async></script>'


@workspace_view()
def widget_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        actor.require(Role.ADMIN)
    form = WidgetForm(actor.workspace, request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        try:
            widget = services.create_widget(actor, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Widget created: paste the snippet into your app.")
            return redirect("channels:widget_detail", ws=actor.workspace.slug, pk=widget.pk)
    return render(request, "channels/widget_list.html", {"widgets": actor.workspace.widgets.all(), "form": form})


@workspace_view()
def widget_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    widget = _widget(actor, pk)
    if request.method == "POST":
        actor.require(Role.ADMIN)
    initial = {
        "name": widget.name,
        "allowed_origins": widget.allowed_origins,
        "product_line": widget.product_line_id,
        "button_label": widget.button_label,
        "enabled": widget.enabled,
    }
    form = WidgetForm(actor.workspace, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_widget(actor, widget, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Widget saved.")
            return redirect("channels:widget_detail", ws=actor.workspace.slug, pk=widget.pk)
    return render(
        request,
        "channels/widget_detail.html",
        {
            "widget": widget,
            "form": form,
            "snippet": _snippet(request, widget),
            "submissions": widget.submissions.select_related("feedback")[:30],
            "rate": services.rate_limit(),
            "max_mb": services.MAX_SCREENSHOT_BYTES // (1024 * 1024),
        },
    )


@workspace_view()
@require_POST
def widget_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    widget = _widget(actor, pk)
    services.delete_widget(actor, widget)
    messages.success(request, f"Deleted the widget {widget.name}; its script now answers 404.")
    return redirect("channels:widgets", ws=actor.workspace.slug)


@workspace_view()
@require_GET
def widget_screenshot(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    submission = get_object_or_404(actor.workspace.widget_submissions, pk=pk)
    if not submission.screenshot:
        raise Http404("No screenshot")
    response = FileResponse(
        submission.screenshot.open("rb"), content_type=submission.screenshot_type or "application/octet-stream"
    )
    response["Content-Disposition"] = (
        f'inline; filename="screenshot-{submission.pk}.{submission.screenshot.name.rsplit(".", 1)[-1]}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response  # type: ignore[return-value]


# --- public -------------------------------------------------------------------------------------------


def _public_widget(key: str) -> Widget:
    widget = Widget.objects.select_related("workspace", "product_line").filter(public_key=key, enabled=True).first()
    if widget is None:
        raise Http404("No such widget")
    return widget


@require_GET
def widget_js(request: HttpRequest, key: str) -> HttpResponse:
    """The script pages embed: vanilla JS, no framework, configured for this widget."""
    widget = _public_widget(key)
    config = {
        "submitUrl": request.build_absolute_uri(
            reverse("channels_public:widget_submit", kwargs={"key": widget.public_key})
        ),
        "label": widget.button_label,
        "maxBytes": services.MAX_SCREENSHOT_BYTES,
        "honeypot": services.HONEYPOT_FIELD,
    }
    config_json = json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    script = render_to_string("channels/widget_script.js", {"config_json": config_json})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # the script itself is public; submitting is what origins restrict
    return response


def client_ip(request: HttpRequest) -> str:
    """The visitor's address; behind a reverse proxy, the one the proxy appended to X-Forwarded-For.

    Only with HARKEN_TRUST_X_FORWARDED_FOR = True (a client can write anything into that header
    when nothing in front of Harken overwrites it).
    """
    if getattr(settings, "HARKEN_TRUST_X_FORWARDED_FOR", False):
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@csrf_exempt
def widget_submit(request: HttpRequest, key: str) -> HttpResponse:
    """POST /widget/<key>/submit (multipart: text, email, screenshot, page, honeypot); OPTIONS for preflight."""
    widget = _public_widget(key)
    origin = request.headers.get("Origin", "")
    allowed = services.origin_allowed(widget, origin)
    if request.method == "OPTIONS":
        if not allowed:
            return HttpResponse(status=403)
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        return _cors(response, origin)
    if request.method != "POST":
        return JsonResponse({"detail": "POST feedback here."}, status=405, headers={"Allow": "POST, OPTIONS"})
    if not allowed:
        return JsonResponse(
            {
                "detail": "This site is not allowed to send feedback to this widget. Add its origin in the widget's settings."
            },
            status=403,
        )
    if int(request.META.get("CONTENT_LENGTH") or 0) > services.MAX_SCREENSHOT_BYTES + 256 * 1024:
        return _cors(
            JsonResponse({"errors": {"screenshot": "The screenshot is larger than 2 MB."}}, status=413), origin
        )
    ip = client_ip(request)
    retry_after = services.hit(widget, ip)
    if retry_after:
        response = JsonResponse({"detail": "Too many submissions; try again in a minute."}, status=429)
        response["Retry-After"] = str(retry_after)
        return _cors(response, origin)
    screenshot = request.FILES.get("screenshot")
    outcome = services.submit(
        widget,
        request.POST.dict(),
        screenshot,
        origin=origin,
        remote_addr=ip,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return _cors(JsonResponse(outcome.body, status=outcome.status), origin)
