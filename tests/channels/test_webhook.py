"""Signed inbound webhooks through the real URL: valid, forged, expired, replayed, duplicate, too large."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from harken.channels.webhook import services
from harken.channels.webhook.models import DeliveryStatus, WebhookEndpoint
from tests.base import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"

TYPEFORM_MAPPING = {
    "text": "form_response.answers.0.text",
    "external_id": "form_response.token",
    "author_email": "form_response.hidden.email",
    "author_name": "form_response.hidden.name",
    "received_at": "form_response.submitted_at",
    "tags": "form_response.tags",
}


def endpoint(world: World, **extra: Any) -> WebhookEndpoint:
    return services.create_endpoint(
        world.actor(world.alice), {"name": "Typeform", "mapping": TYPEFORM_MAPPING, **extra}
    )


def post(
    ep: WebhookEndpoint,
    body: bytes,
    *,
    secret: str | None = None,
    ts: int | None = None,
    delivery: str = "",
    **headers: str,
) -> Any:
    ts = int(time.time()) if ts is None else ts
    signature = services.sign(secret or ep.secret, ts, body)
    extra = {"HTTP_X_HARKEN_TIMESTAMP": str(ts), "HTTP_X_HARKEN_SIGNATURE": signature, **headers}
    if delivery:
        extra["HTTP_X_HARKEN_DELIVERY"] = delivery
    return Client().post(f"/hooks/{ep.public_id}/", data=body, content_type="application/json", **extra)


@pytest.mark.django_db
def test_signed_delivery_becomes_feedback_with_the_raw_body_kept(world: World) -> None:
    ep = endpoint(world)
    body = (FIXTURES / "webhook_typeform.json").read_bytes()
    response = post(ep, body, delivery="01HXYZ8K2J")
    assert response.status_code == 201, response.content
    item = world.alpha.feedback_items.get(pk=response.json()["feedback"])
    assert item.text == "The mobile app should remember my last filter."
    assert (item.author_email, item.author_name, item.channel) == ("lena@initech.example", "Lena", "webhook")
    assert item.external_id == "a3a12ec67a1365927098a606107fac15"
    assert {t.name for t in item.tags.all()} == {"mobile", "filters"}
    assert item.raw_payload == body.decode()
    delivery = ep.deliveries.get()
    assert delivery.status == DeliveryStatus.ACCEPTED and bytes(delivery.body) == body and delivery.feedback == item


@pytest.mark.django_db
def test_duplicate_deliveries_are_stored_once(world: World) -> None:
    ep = endpoint(world)
    body = (FIXTURES / "webhook_typeform.json").read_bytes()
    assert post(ep, body, delivery="d-1").status_code == 201
    again = post(ep, body, delivery="d-1")  # the sender retried the same delivery
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert ep.deliveries.count() == 1 and ep.deliveries.get().repeats == 1
    other = post(ep, body, delivery="d-2")  # a new delivery id, but the same form response token
    assert other.status_code == 200 and other.json()["status"] == "duplicate"
    assert world.alpha.feedback_items.count() == 1


@pytest.mark.django_db
def test_forged_expired_and_unsigned_requests_are_rejected_and_logged(world: World) -> None:
    ep = endpoint(world)
    body = b'{"form_response": {"token": "t1", "answers": [{"text": "hi"}]}}'
    forged = post(ep, body, secret="whsec_not-the-secret")
    assert forged.status_code == 401 and "signature does not match" in forged.json()["detail"]
    expired = post(ep, body, ts=int(time.time()) - 301)
    assert expired.status_code == 401 and "expired or replayed" in expired.json()["detail"]
    future = post(ep, body, ts=int(time.time()) + 3600)
    assert future.status_code == 401
    unsigned = Client().post(f"/hooks/{ep.public_id}/", data=body, content_type="application/json")
    assert unsigned.status_code == 401 and "missing" in unsigned.json()["detail"]
    # A valid signature over a different body (tampering) fails too.
    ts = int(time.time())
    tampered = Client().post(
        f"/hooks/{ep.public_id}/",
        data=body.replace(b"hi", b"HACKED"),
        content_type="application/json",
        HTTP_X_HARKEN_TIMESTAMP=str(ts),
        HTTP_X_HARKEN_SIGNATURE=services.sign(ep.secret, ts, body),
    )
    assert tampered.status_code == 401
    assert world.alpha.feedback_items.count() == 0
    rejected = list(ep.deliveries.all())
    assert len(rejected) == 5 and all(d.status == DeliveryStatus.REJECTED and d.reason for d in rejected)
    page = world.client_for(world.bob).get(reverse("channels:webhook_detail", kwargs={"ws": "alpha", "pk": ep.pk}))
    assert "signature does not match" in page.content.decode()
    # A forged request cannot squat a delivery id: the genuine delivery with that id still lands.
    post(ep, body, secret="whsec_wrong", delivery="real-1")
    assert post(ep, body, delivery="real-1").status_code == 201


@pytest.mark.django_db
def test_size_limit_bad_json_unknown_endpoint_and_rotation(world: World) -> None:
    ep = endpoint(world)
    big = b'{"text": "' + b"a" * (1024 * 1024) + b'"}'
    assert post(ep, big).status_code == 413
    bad = post(ep, b"{not json")
    assert bad.status_code == 400 and "not valid UTF-8 JSON" in bad.json()["detail"]
    assert ep.deliveries.get().status == DeliveryStatus.INVALID and bytes(ep.deliveries.get().body) == b"{not json"
    empty = post(ep, b'{"form_response": {"answers": []}}')
    assert empty.status_code == 400 and "No feedback text" in empty.json()["detail"]
    assert Client().post("/hooks/wh_nope/", data=b"{}", content_type="application/json").status_code == 404
    assert Client().get(f"/hooks/{ep.public_id}/").status_code == 405

    old_secret = ep.secret
    new_secret = services.rotate_secret(world.actor(world.alice), ep)
    body = b'{"form_response": {"token": "t9", "answers": [{"text": "after rotation"}]}}'
    assert post(ep, body, secret=old_secret).status_code == 401
    assert post(ep, body, secret=new_secret).status_code == 201


@pytest.mark.django_db
def test_default_mapping_and_pages(world: World) -> None:
    client = world.client_for(world.alice)
    response = client.post(
        reverse("channels:webhooks", kwargs={"ws": "alpha"}),
        {
            "name": "Zapier",
            "mapping": json.dumps({"text": "text", "external_id": "id"}),
            "channel": "webhook",
            "enabled": "on",
        },
    )
    ep = world.alpha.webhook_endpoints.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert ep.secret in page and "not shown again" in page
    assert ep.secret not in client.get(response["Location"]).content.decode()  # shown once
    assert post(ep, b'{"id": "z-1", "text": "From Zapier"}').status_code == 201
    delivery = ep.deliveries.get()
    view = client.get(reverse("channels:webhook_delivery", kwargs={"ws": "alpha", "pk": delivery.pk})).content.decode()
    assert "From Zapier" in view
    bad = client.post(
        reverse("channels:webhooks", kwargs={"ws": "alpha"}), {"name": "X", "mapping": "{", "channel": "webhook"}
    )
    assert "not valid JSON" in bad.content.decode()
    # Members can read the log but not manage endpoints or see secrets.
    bob = world.client_for(world.bob)
    assert bob.post(reverse("channels:webhook_rotate", kwargs={"ws": "alpha", "pk": ep.pk})).status_code == 403
    with pytest.raises(PermissionDenied):
        services.create_endpoint(world.actor(world.bob), {"name": "x"})
    client.post(reverse("channels:webhook_delete", kwargs={"ws": "alpha", "pk": ep.pk}))
    assert post(ep, b'{"id": "z-2", "text": "x"}').status_code == 404
