"""Verifying and ingesting signed webhook deliveries.

A sender signs `"<timestamp>.<raw body>"` with the endpoint's secret (HMAC-SHA256) and sends
`X-Harken-Timestamp: <unix seconds>` and `X-Harken-Signature: sha256=<hex>`. Deliveries older (or
newer) than five minutes are refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from harken.channels.importers.sources import clean_mapping
from harken.channels.ingest import Record, as_tags, as_text, dig, ingest_records, parse_when
from harken.channels.webhook.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, new_secret
from harken.core import safeinput
from harken.feedback.models import Channel
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
TOLERANCE_SECONDS = 300
REJECTED_BODY_KEPT = 16 * 1024  # enough to investigate a forged request, not enough to fill the disk


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The signature header value a sender computes (documented; used by tests and the settings page)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# --- endpoints ---------------------------------------------------------------------------------------


def _clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    from harken.feedback.actions import resolve_product_line

    errors: dict[str, str] = {}
    name = " ".join(str(data.get("name") or "").split())[:120]
    if not name:
        errors["name"] = "Name the endpoint after the tool that will post to it, e.g. “Typeform”."
    mapping: Any = data.get("mapping")
    if isinstance(mapping, str):
        try:
            mapping = json.loads(mapping) if mapping.strip() else {}
        except json.JSONDecodeError as exc:
            errors["mapping"] = f"The mapping is not valid JSON ({exc.msg})."
            mapping = {}
    try:
        mapping = clean_mapping(mapping) if mapping else {}
        if mapping and "text" not in mapping:
            errors["mapping"] = "The mapping needs a path for “text”."
    except ValidationError as exc:
        errors["mapping"] = " ".join(exc.messages)
    channel = str(data.get("channel") or Channel.WEBHOOK)
    if channel not in Channel.values:
        errors["channel"] = f"Unknown channel; use one of {', '.join(Channel.values)}."
    line = None
    try:
        line = resolve_product_line(actor.workspace, data.get("product_line") or None)
    except ValidationError as exc:
        errors["product_line"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {
        "name": name,
        "channel": channel,
        "product_line": line,
        "enabled": bool(data.get("enabled", True)),
    }
    if mapping:
        values["mapping"] = mapping
    return values


def create_endpoint(actor: Actor, data: dict[str, Any]) -> WebhookEndpoint:
    actor.require(Role.ADMIN)
    return WebhookEndpoint.objects.create(workspace=actor.workspace, **_clean(actor, data))


def update_endpoint(actor: Actor, endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
    actor.require(Role.ADMIN)
    _own(actor, endpoint)
    for key, value in _clean(actor, data).items():
        setattr(endpoint, key, value)
    endpoint.save()
    return endpoint


def rotate_secret(actor: Actor, endpoint: WebhookEndpoint) -> str:
    actor.require(Role.ADMIN)
    _own(actor, endpoint)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


def delete_endpoint(actor: Actor, endpoint: WebhookEndpoint) -> None:
    actor.require(Role.ADMIN)
    _own(actor, endpoint)
    endpoint.delete()


def _own(actor: Actor, endpoint: WebhookEndpoint) -> None:
    if endpoint.workspace_id != actor.workspace.pk:
        raise ValidationError("That endpoint belongs to another workspace.")


def deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.defer("body")


# --- receiving ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]


def verify(endpoint: WebhookEndpoint, body: bytes, timestamp: str, signature: str, now: float | None = None) -> str:
    """'' when the delivery is authentic and fresh, else the reason it is not."""
    if not timestamp or not signature:
        return "missing X-Harken-Timestamp or X-Harken-Signature header"
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return "X-Harken-Timestamp is not a unix time in seconds"
    now = time.time() if now is None else now
    if abs(now - sent) > TOLERANCE_SECONDS:
        return f"timestamp is {int(abs(now - sent))} s away from now (more than {TOLERANCE_SECONDS} s): expired or replayed"
    expected = sign(endpoint.secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return "signature does not match (wrong secret, or the body was changed)"
    return ""


def receive(
    endpoint: WebhookEndpoint,
    body: bytes,
    headers: dict[str, str],
    remote_addr: str = "",
    now: float | None = None,
) -> Outcome:
    """Verify, store the raw body, then map and ingest. Duplicate deliveries are stored once."""
    delivery_id = (headers.get("x-harken-delivery") or headers.get("x-request-id") or "").strip()[:200]
    common = {
        "workspace": endpoint.workspace,
        "endpoint": endpoint,
        "size": len(body),
        "content_type": headers.get("content-type", "")[:100],
        "remote_addr": remote_addr[:64],
    }
    if not endpoint.enabled:
        return Outcome(404, {"detail": "Unknown webhook endpoint."})
    reason = verify(endpoint, body, headers.get("x-harken-timestamp", ""), headers.get("x-harken-signature", ""), now)
    if reason:
        WebhookDelivery.objects.create(
            status=DeliveryStatus.REJECTED,
            reason=reason,
            delivery_id=delivery_id,
            body=body[:REJECTED_BODY_KEPT],
            **common,
        )
        log.warning("Rejected webhook delivery to endpoint %s from %s: %s", endpoint.pk, remote_addr, reason)
        return Outcome(401, {"detail": f"Rejected: {reason}."})

    if delivery_id:
        seen = _repeat(endpoint, delivery_id)
        if seen is not None:
            return Outcome(200, {"status": "duplicate", "delivery": delivery_id, "feedback": seen.feedback_id})
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                status=DeliveryStatus.RECEIVED, delivery_id=delivery_id, body=body, signature_valid=True, **common
            )
    except IntegrityError:  # the same delivery arrived concurrently
        seen = _repeat(endpoint, delivery_id)
        return Outcome(
            200, {"status": "duplicate", "delivery": delivery_id, "feedback": seen.feedback_id if seen else None}
        )
    return _ingest(endpoint, delivery, body)


def _repeat(endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery | None:
    seen = endpoint.deliveries.filter(delivery_id=delivery_id, signature_valid=True).first()
    if seen is not None:
        WebhookDelivery.objects.filter(pk=seen.pk).update(repeats=seen.repeats + 1)
    return seen


def _ingest(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: bytes) -> Outcome:
    def invalid(reason: str) -> Outcome:
        delivery.status = DeliveryStatus.INVALID
        delivery.reason = reason
        delivery.save(update_fields=["status", "reason", "updated_at"])
        return Outcome(400, {"detail": reason, "delivery": delivery.pk})

    try:
        payload = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return invalid(f"The body is not valid UTF-8 JSON ({getattr(exc, 'msg', exc)}).")
    except RecursionError:
        return invalid(f"The JSON is nested more than {safeinput.MAX_DEPTH} levels deep.")
    field, problem = safeinput.json_problem(payload)
    if problem:
        return invalid(f"{problem} (at “{field[:100]}”)")
    if not isinstance(payload, dict):
        return invalid("The body must be a JSON object.")
    mapping = endpoint.mapping or {}

    def get(field: str) -> Any:
        path = mapping.get(field, "")
        return dig(payload, path) if path else None

    text = as_text(get("text"))
    if not text:
        return invalid(f"No feedback text at “{mapping.get('text', '')}” in the body.")
    try:
        received_at = parse_when(get("received_at"))
    except ValueError as exc:
        return invalid(str(exc))
    record = Record(
        number=1,
        external_id=as_text(get("external_id")) or delivery.delivery_id,
        text=text,
        title=as_text(get("title")),
        author_email=as_text(get("author_email")),
        author_name=as_text(get("author_name")),
        received_at=received_at,
        channel=endpoint.channel,
        tags=as_tags(get("tags")),
        product_hint=as_text(get("product_line")),
        raw=body.decode("utf-8-sig"),
    )
    actor = Actor.system(endpoint.workspace)
    result = ingest_records(actor, f"webhook:{endpoint.pk}", [record], product_line=endpoint.product_line)
    if result.error_count:
        return invalid(result.errors[0]["reason"])
    feedback = endpoint.workspace.feedback_items.filter(pk__in=result.seen_ids[:1]).first()
    delivery.status = DeliveryStatus.ACCEPTED
    delivery.feedback = feedback
    delivery.reason = "" if result.created else "Same external id as an earlier delivery: stored once."
    delivery.save(update_fields=["status", "feedback", "reason", "updated_at"])
    status = "created" if result.created else "duplicate"
    return Outcome(201 if result.created else 200, {"status": status, "feedback": feedback.pk if feedback else None})
