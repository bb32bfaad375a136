"""Tenancy cases for channels. Email's are here; other channels add theirs to the same lists."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from harken.channels.email.models import EmailAttachment, InboundEmail
from harken.workspaces.models import Workspace
from tests.tenancy import Case


def inbound(ws: Workspace) -> dict[str, Any]:
    raw = f"From: pat@{ws.slug}.test\r\nSubject: hello\r\n\r\nHi\r\n".encode()
    row = InboundEmail.objects.create(workspace=ws, raw=raw, size=len(raw), sha256=f"{ws.slug}-sha", subject="hello")
    return {"pk": row.pk}


def attachment(ws: Workspace) -> dict[str, Any]:
    email = InboundEmail.objects.get(pk=inbound(ws)["pk"])
    row = EmailAttachment(workspace=ws, email=email, filename="a.txt", content_type="text/plain", size=2)
    row.file.save("tenancy-a.txt", ContentFile(b"hi"), save=True)
    return {"pk": row.pk}


CASES = [
    Case("channels:email_log"),
    Case("channels:email_settings", write=True, data={"address": ""}, write_role="admin"),
    Case("channels:email_message", inbound),
    Case("channels:email_raw", inbound),
    Case("channels:email_attachment", attachment),
]


# --- importers, feeds, webhooks, widget (harken.channels.{importers,feeds,webhook,widget}) ------------

from harken.channels.feeds.models import Feed  # noqa: E402
from harken.channels.webhook.models import WebhookDelivery, WebhookEndpoint  # noqa: E402
from harken.channels.widget.models import Widget, WidgetSubmission  # noqa: E402
from harken.imports.models import ImportJob  # noqa: E402
from tests.tenancy import ApiCase  # noqa: E402


def channel_import(ws: Workspace) -> dict[str, Any]:
    """An export import job that was a channel import run before the pipeline was unified."""
    legacy = 9000 + ws.pk
    job = ImportJob(
        workspace=ws,
        kind="feedback",
        source="zendesk",
        original_name=f"{ws.slug}-tickets.json",
        status="done",
        options={"legacy_channel_import": legacy},
    )
    job.file.save(f"tenancy-{ws.slug}.json", ContentFile(b"[]"), save=True)
    return {"pk": legacy}


def channel_import_api(ws: Workspace) -> dict[str, Any]:
    job = ws.imports.get(options__legacy_channel_import=channel_import(ws)["pk"])
    return {"run_id": job.pk}


def feed(ws: Workspace) -> dict[str, Any]:
    return {"pk": Feed.objects.create(workspace=ws, url=f"https://{ws.slug}.example/feed.rss").pk}


def webhook_endpoint(ws: Workspace) -> dict[str, Any]:
    return {"pk": WebhookEndpoint.objects.create(workspace=ws, name=f"{ws.slug} hook").pk}


def webhook_delivery(ws: Workspace) -> dict[str, Any]:
    endpoint = WebhookEndpoint.objects.get(pk=webhook_endpoint(ws)["pk"])
    row = WebhookDelivery.objects.create(workspace=ws, endpoint=endpoint, body=b"{}", status="rejected", reason="test")
    return {"pk": row.pk}


def widget(ws: Workspace) -> dict[str, Any]:
    return {"pk": Widget.objects.create(workspace=ws, name=f"{ws.slug} widget").pk}


def widget_screenshot(ws: Workspace) -> dict[str, Any]:
    owner = Widget.objects.get(pk=widget(ws)["pk"])
    row = WidgetSubmission(workspace=ws, widget=owner, screenshot_type="image/png", screenshot_size=8)
    row.screenshot.save("shot.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    return {"pk": row.pk}


FEED_FORM = {"url": "https://example.com/feed.rss", "schedule_minutes": 60, "enabled": "on"}
HOOK_FORM = {"name": "Zapier", "channel": "webhook", "enabled": "on"}
WIDGET_FORM = {"name": "App", "button_label": "Feedback", "allowed_origins": "https://app.example.com"}

CASES += [
    Case("channels:overview"),
    Case("channels:import_new"),
    Case("channels:import_detail", channel_import),
    Case("channels:feeds", write=True, data=FEED_FORM),
    Case("channels:feed_detail", feed, write=True, data=FEED_FORM),
    Case("channels:feed_delete", feed, read=False, write=True),
    Case("channels:feed_poll", feed, read=False, write=True),
    Case("channels:webhooks", write=True, data=HOOK_FORM, write_role="admin"),
    Case("channels:webhook_detail", webhook_endpoint, write=True, data=HOOK_FORM, write_role="admin"),
    Case("channels:webhook_rotate", webhook_endpoint, read=False, write=True, write_role="admin"),
    Case("channels:webhook_delete", webhook_endpoint, read=False, write=True, write_role="admin"),
    Case("channels:webhook_delivery", webhook_delivery),
    Case("channels:widgets", write=True, data=WIDGET_FORM, write_role="admin"),
    Case("channels:widget_detail", widget, write=True, data=WIDGET_FORM, write_role="admin"),
    Case("channels:widget_delete", widget, read=False, write=True, write_role="admin"),
    Case("channels:widget_screenshot", widget_screenshot),
]

API_CASES = [
    ApiCase("GET", "/channels/imports"),
    ApiCase("POST", "/channels/imports", write=True, json={"source": "zendesk"}),
    ApiCase("GET", "/channels/imports/{run_id}", channel_import_api),
]
