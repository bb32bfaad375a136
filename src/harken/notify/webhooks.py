"""Outgoing webhooks: `emit(workspace, event, payload)` stores one delivery per subscribed endpoint and
enqueues its task in the caller's transaction; the worker POSTs it, signed, with retries and backoff.

Signature: header `X-Harken-Signature: t=<unix>,v1=<hex>` where v1 = HMAC-SHA256(secret, f"{t}.{body}").
The secret is never stored: it is HMAC(SECRET_KEY, salt), shown to admins on the endpoint page.
Slack-format endpoints get `{"text": "..."}` (no signature needed by Slack, sent anyway).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from harken.core.netguard import BlockedAddress, open_url
from harken.notify.models import (
    OutgoingDelivery,
    OutgoingDeliveryStatus,
    OutgoingWebhook,
    PayloadFormat,
    WebhookEvent,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = [30, 120, 600, 1800, 7200, 21600]
TIMEOUT_SECONDS = 10.0
RETRYABLE = [OutgoingDeliveryStatus.FAILED, OutgoingDeliveryStatus.DEAD]


def _backoff(attempt: int) -> int:
    table = list(getattr(settings, "NOTIFY_WEBHOOK_BACKOFF", BACKOFF_SECONDS))
    return int(table[min(attempt - 1, len(table) - 1)])


def _timeout() -> float:
    return float(getattr(settings, "NOTIFY_WEBHOOK_TIMEOUT", TIMEOUT_SECONDS))


def secret_for(endpoint: OutgoingWebhook) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"notify.webhook:{endpoint.salt}".encode(), hashlib.sha256)
    return "hwhsec_" + digest.hexdigest()[:40]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (documented, and used by the tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


# ---------------------------------------------------------------- emit


def summary_text(event: str, payload: dict[str, Any]) -> str:
    """One line for people (Slack, the delivery log)."""
    label = WebhookEvent(event).label if event in WebhookEvent.values else event
    text = str(payload.get("summary") or payload.get("title") or "")
    url = payload.get("url")
    line = f"{label}: {text}" if text else label
    return f"{line} <{url}>" if url else line


def emit(workspace: Any, event: str, payload: dict[str, Any]) -> list[OutgoingDelivery]:
    """Queue `event` for every enabled endpoint of `workspace` that subscribed to it.

    Call inside the transaction of the change: deliveries and their tasks commit or roll back with it.
    """
    from harken.notify.tasks import deliver_webhook

    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    if event not in (workspace.webhook_events or []):
        return []  # no enabled endpoint hears it (kept by OutgoingWebhook.save/delete): no lookup
    endpoints = [e for e in workspace.outgoing_webhooks.filter(enabled=True) if event in (e.events or [])]
    if not endpoints:
        return []
    event_id = "evt_" + uuid.uuid4().hex
    body = {
        "id": event_id,
        "event": event,
        "workspace": workspace.slug,
        "created_at": timezone.now().isoformat(),
        "data": payload,
    }
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            delivery = OutgoingDelivery.objects.create(
                workspace=workspace, endpoint=endpoint, event=event, event_id=event_id, payload=body
            )
            deliver_webhook.enqueue(delivery.pk)
            deliveries.append(delivery)
    return deliveries


def body_for(delivery: OutgoingDelivery) -> bytes:
    if delivery.endpoint.payload_format == PayloadFormat.SLACK:
        return json.dumps({"text": summary_text(delivery.event, delivery.payload.get("data", {}))}).encode()
    return json.dumps(delivery.payload, sort_keys=True).encode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST through the SSRF guard (`core.netguard`): no private, loopback or metadata address, redirects included."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only, validated
    try:
        with open_url(request, timeout=_timeout()) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def deliver(delivery_id: int) -> OutgoingDelivery | None:
    """POST one delivery once; a failure (timeout, refused, non-2xx) schedules a retry with backoff."""
    with transaction.atomic():
        claimed = OutgoingDelivery.objects.filter(
            pk=delivery_id,
            status__in=[OutgoingDeliveryStatus.PENDING, OutgoingDeliveryStatus.FAILED],
        ).update(status=OutgoingDeliveryStatus.SENDING)
    if not claimed:
        return None
    delivery = OutgoingDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = body_for(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Harken-Webhooks/1",
        "X-Harken-Event": delivery.event,
        "X-Harken-Delivery": delivery.event_id,
        "X-Harken-Signature": sign(secret_for(delivery.endpoint), timestamp, body),
    }
    delivery.attempts += 1
    error = ""
    code: int | None = None
    try:
        code = _post(delivery.endpoint.url, body, headers)
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except BlockedAddress:
        error = "The address is not allowed (private, loopback or reserved network)."
    except Exception as exc:  # noqa: BLE001 - timeouts, refused connections, DNS: all mean retry
        error = f"{type(exc).__name__}: {exc}"
    delivery.response_code = code
    if not error:
        delivery.status = OutgoingDeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    else:
        log.warning("Webhook delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
        delivery.last_error = error[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = OutgoingDeliveryStatus.DEAD
        else:
            delivery.status = OutgoingDeliveryStatus.FAILED
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=_backoff(delivery.attempts))
    delivery.save(
        update_fields=["status", "attempts", "response_code", "last_error", "next_attempt_at", "delivered_at"]
    )
    if delivery.status == OutgoingDeliveryStatus.FAILED:
        from harken.notify.tasks import deliver_webhook

        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return delivery


def deliver_due(now: Any = None) -> int:
    """Safety net: retry failed deliveries whose backoff passed (a lost scheduled retry)."""
    now = now or timezone.now()
    ids = OutgoingDelivery.objects.filter(status=OutgoingDeliveryStatus.FAILED, next_attempt_at__lte=now)
    return sum(1 for pk in ids.values_list("pk", flat=True) if deliver(pk) is not None)


# ---------------------------------------------------------------- endpoints (admin actions)


def _require_admin(actor: Any) -> None:
    from harken.workspaces.models import Role

    actor.require(Role.ADMIN)


def _clean(name: str, url: str, events: list[str], payload_format: str) -> tuple[str, str, list[str], str]:
    name = (name or "").strip()
    url = (url or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the endpoint a name, e.g. “Slack #product”."
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = "Enter a full http(s) address."
    events = [e for e in dict.fromkeys(events or []) if e]
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown:
        errors["events"] = f"Unknown events: {', '.join(unknown)}."
    elif not events:
        errors["events"] = "Pick at least one event."
    if payload_format not in PayloadFormat.values:
        errors["payload_format"] = "Pick Harken JSON or Slack."
    if errors:
        raise ValidationError(errors)
    return name, url, events, payload_format


def create_endpoint(
    actor: Any, *, name: str, url: str, events: list[str], payload_format: str = PayloadFormat.HARKEN
) -> OutgoingWebhook:
    _require_admin(actor)
    name, url, events, payload_format = _clean(name, url, events, payload_format)
    return OutgoingWebhook.objects.create(
        workspace=actor.workspace,
        name=name,
        url=url,
        events=events,
        payload_format=payload_format,
        salt=secrets.token_hex(16),
        created_by=actor.user,
    )


def update_endpoint(
    actor: Any, endpoint: OutgoingWebhook, *, name: str, url: str, events: list[str], payload_format: str, enabled: bool
) -> OutgoingWebhook:
    _require_admin(actor)
    if endpoint.workspace_id != actor.workspace.pk:
        raise ValidationError("That endpoint belongs to another workspace.")
    endpoint.name, endpoint.url, endpoint.events, endpoint.payload_format = _clean(name, url, events, payload_format)
    endpoint.enabled = bool(enabled)
    endpoint.save()
    return endpoint


def rotate_secret(actor: Any, endpoint: OutgoingWebhook) -> OutgoingWebhook:
    _require_admin(actor)
    endpoint.salt = secrets.token_hex(16)
    endpoint.save(update_fields=["salt", "updated_at"])
    return endpoint


def delete_endpoint(actor: Any, endpoint: OutgoingWebhook) -> None:
    _require_admin(actor)
    if endpoint.workspace_id != actor.workspace.pk:
        raise ValidationError("That endpoint belongs to another workspace.")
    endpoint.delete()


def send_test(actor: Any, endpoint: OutgoingWebhook) -> OutgoingDelivery:
    """Queue a `ping`-like delivery of the endpoint's first event with a sample payload."""
    from harken.notify.tasks import deliver_webhook
    from harken.workspaces.models import Role

    actor.require(Role.ADMIN)
    event = (endpoint.events or [WebhookEvent.FEEDBACK_CREATED])[0]
    with transaction.atomic():
        delivery = OutgoingDelivery.objects.create(
            workspace=actor.workspace,
            endpoint=endpoint,
            event=event,
            event_id="evt_test_" + uuid.uuid4().hex[:12],
            payload={
                "id": "test",
                "event": event,
                "workspace": actor.workspace.slug,
                "created_at": timezone.now().isoformat(),
                "data": {"summary": "Test delivery from Harken", "test": True},
            },
        )
        deliver_webhook.enqueue(delivery.pk)
    return delivery


def retry(actor: Any, delivery: OutgoingDelivery) -> OutgoingDelivery:
    from harken.notify.tasks import deliver_webhook
    from harken.workspaces.models import Role

    actor.require(Role.MEMBER)
    if delivery.workspace_id != actor.workspace.pk:
        raise ValidationError("That delivery belongs to another workspace.")
    with transaction.atomic():
        updated = OutgoingDelivery.objects.filter(pk=delivery.pk, status__in=RETRYABLE).update(
            status=OutgoingDeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        if not updated:
            raise ValidationError("Only failed deliveries can be retried.")
        deliver_webhook.enqueue(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def deliveries(workspace: Any, endpoint: OutgoingWebhook | None = None) -> QuerySet[OutgoingDelivery]:
    qs = OutgoingDelivery.objects.filter(workspace=workspace).select_related("endpoint")
    if endpoint is not None:
        qs = qs.filter(endpoint=endpoint)
    return qs.order_by("-created_at", "-id")


# ---------------------------------------------------------------- connections to other apps


def on_trend_detected(sender: Any, alert: Any, workspace: Any, **kwargs: Any) -> None:
    """insight's `trend_detected` (sent after commit): one event per alert."""
    theme = getattr(alert, "theme", None)
    emit(
        workspace,
        WebhookEvent.TREND_DETECTED,
        {
            "summary": f"Emerging theme “{theme.name if theme else alert.theme_id}” ({alert.metric}: {alert.recent} "
            f"vs {alert.baseline} before, ×{alert.ratio})",
            "theme_id": alert.theme_id,
            "theme": theme.name if theme else "",
            "metric": alert.metric,
            "recent": alert.recent,
            "baseline": alert.baseline,
            "ratio": alert.ratio,
            "q_value": alert.q_value,
        },
    )
