"""Defect 7 (and the inbound-email part of 11) of issue 15: hostile input gets a clear 4xx, never a 500.

Choice: NUL bytes and lone surrogates are *rejected* (422 on the API, 400 on pages) rather than
silently stripped, so nothing a client sent is changed behind its back; the one exception is
inbound email, where the sender cannot be asked again, so NULs are stripped and the mail kept.
Every API error uses the one shape `{"detail": str, "errors": {field: [str]}}`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from harken.channels.webhook import services as webhook_services
from tests.base import World, make_token

FEEDBACK = "/api/feedback/"


def api(world: World) -> tuple[Client, dict[str, str]]:
    return Client(raise_request_exception=False), {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}


def assert_error_shape(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    assert all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v)
        for k, v in body["errors"].items()
    )
    return body


@pytest.mark.parametrize(
    "field,value",
    [
        ("text", "hello\x00world"),
        ("author_name", "Eve\x00"),
        ("author_email", "eve\x00@example.test"),
        ("tags", ["ok", "bad\x00tag"]),
        ("title", "\x00"),
    ],
)
def test_nul_in_json_body_is_422(world: World, field: str, value: Any) -> None:
    client, auth = api(world)
    payload = {"text": "base text", field: value}
    body = assert_error_shape(client.post(FEEDBACK, json.dumps(payload), content_type="application/json", **auth))
    assert "NUL" in body["detail"] or "null character" in body["detail"].lower()
    assert not world.alpha.feedback_items.exists()


@pytest.mark.parametrize("query", ["q=%00", "tag=a%00b", "channel=%00", "segment=x%00"])
def test_nul_in_api_filters_is_422(world: World, query: str) -> None:
    client, auth = api(world)
    assert_error_shape(client.get(f"{FEEDBACK}?{query}", **auth))


def test_lone_surrogate_in_json_is_422(world: World) -> None:
    client, auth = api(world)
    raw = b'{"text": "broken \\ud800 pair"}'
    assert_error_shape(client.post(FEEDBACK, raw, content_type="application/json", **auth))
    raw = b'{"text": "ok", "tags": ["\\udfff"]}'
    assert_error_shape(client.post(FEEDBACK, raw, content_type="application/json", **auth))
    assert not world.alpha.feedback_items.exists()


def test_a_proper_surrogate_pair_is_fine(world: World) -> None:
    client, auth = api(world)
    raw = b'{"text": "emoji \\ud83d\\ude00 ok"}'
    response = client.post(FEEDBACK, raw, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    assert world.alpha.feedback_items.get().text == "emoji \U0001f600 ok"


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-05:00"])
def test_received_at_far_outside_the_calendar_is_422(world: World, when: str) -> None:
    client, auth = api(world)
    response = client.post(
        FEEDBACK, json.dumps({"text": "x", "received_at": when}), content_type="application/json", **auth
    )
    body = assert_error_shape(response)
    assert "received_at" in body["errors"]


@pytest.mark.parametrize(
    "path",
    [
        FEEDBACK + "?offset=9223372036854775808",
        FEEDBACK + "?offset=9223372036854775807",
        FEEDBACK + "?limit=99999999999999999999999",
        FEEDBACK + "?account=9223372036854775808",
        "/api/customers/accounts?page=9223372036854775808",
        "/api/customers/contacts?page_size=-9223372036854775809",
        "/api/customers/accounts?segment_id=9223372036854775808",
        "/api/triage/queue?page=9223372036854775808",
    ],
)
def test_huge_integers_in_queries_are_4xx(world: World, path: str) -> None:
    client, auth = api(world)
    response = client.get(path, **auth)
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code >= 400:
        assert_error_shape(response, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/api/feedback/9223372036854775808",
        "/api/customers/accounts/9223372036854775808",
        "/api/insight/themes/99999999999999999999",
    ],
)
def test_huge_integers_in_paths_are_4xx(world: World, path: str) -> None:
    client, auth = api(world)
    assert client.get(path, **auth).status_code in (404, 422)


def test_huge_integer_in_json_body_is_422(world: World) -> None:
    client, auth = api(world)
    response = client.post(
        FEEDBACK, json.dumps({"text": "x", "account_id": 2**63}), content_type="application/json", **auth
    )
    assert_error_shape(response)


def test_author_email_longer_than_254_is_422(world: World) -> None:
    client, auth = api(world)
    email = "a" * 250 + "@example.test"
    body = assert_error_shape(
        client.post(FEEDBACK, json.dumps({"text": "x", "author_email": email}), content_type="application/json", **auth)
    )
    assert "author_email" in body["errors"]


def test_body_over_the_limit_is_a_json_413(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client, auth = api(world)
    response = client.post(FEEDBACK, json.dumps({"text": "x" * 20_000}), content_type="application/json", **auth)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "limit" in response.json()["detail"]


def test_ninja_request_validation_uses_the_one_shape(world: World) -> None:
    client, auth = api(world)
    body = assert_error_shape(
        client.post(FEEDBACK, json.dumps({"title": "no text"}), content_type="application/json", **auth)
    )
    assert "text" in body["errors"]
    body = assert_error_shape(client.get(FEEDBACK + "?limit=abc", **auth))
    assert "limit" in body["errors"]
    assert_error_shape(client.post(FEEDBACK, b"{not json", content_type="application/json", **auth))


# --- pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["q=%00", "tag=%00", "account=%00", "since=%00"])
def test_nul_in_page_filters_is_400(world: World, query: str) -> None:
    response = world.client_for(world.bob).get(f"/w/alpha/feedback/?{query}")
    assert response.status_code == 400


def test_nul_in_a_form_post_is_a_form_error_not_a_500(world: World) -> None:
    client = world.client_for(world.bob)
    client.raise_request_exception = False
    response = client.post("/w/alpha/feedback/new/", {"text": "bad\x00text", "channel": "manual"})
    assert response.status_code in (200, 400)
    assert not world.alpha.feedback_items.exists()


# --- channels -----------------------------------------------------------------------------


def test_webhook_json_nested_1000_deep_is_4xx(world: World) -> None:
    ep = webhook_services.create_endpoint(world.actor(world.alice), {"name": "Deep", "mapping": {"text": "text"}})
    body = ("[" * 1000 + "]" * 1000).encode()
    body = b'{"text": "deep", "x": ' + body + b"}"
    ts = int(time.time())
    response = Client(raise_request_exception=False).post(
        f"/hooks/{ep.public_id}/",
        data=body,
        content_type="application/json",
        HTTP_X_HARKEN_TIMESTAMP=str(ts),
        HTTP_X_HARKEN_SIGNATURE=webhook_services.sign(ep.secret, ts, body),
    )
    assert 400 <= response.status_code < 500, response.status_code


def test_webhook_with_nul_in_the_text_is_4xx(world: World) -> None:
    ep = webhook_services.create_endpoint(world.actor(world.alice), {"name": "Nul", "mapping": {"text": "text"}})
    body = b'{"text": "bad \\u0000 text"}'
    ts = int(time.time())
    response = Client(raise_request_exception=False).post(
        f"/hooks/{ep.public_id}/",
        data=body,
        content_type="application/json",
        HTTP_X_HARKEN_TIMESTAMP=str(ts),
        HTTP_X_HARKEN_SIGNATURE=webhook_services.sign(ep.secret, ts, body),
    )
    assert response.status_code < 500


def test_inbound_email_with_a_nul_byte_still_becomes_feedback(world: World, settings: Any, tmp_path: Path) -> None:
    from harken.channels.email import services as email_services

    settings.MEDIA_ROOT = tmp_path
    raw = (
        b"From: Pat <pat@acme.test>\r\nTo: in@harken.test\r\nSubject: Export \x00broken\r\n"
        b"Message-ID: <nul-1@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"The export\x00 button does nothing.\r\n"
    )
    result = email_services.ingest(raw, world.alpha)
    assert result.feedback is not None, result
    item = result.feedback
    assert "\x00" not in item.text and "\x00" not in item.title
    assert "export" in item.text.lower()


def test_nul_in_a_tag_or_a_widget_post_is_400(world: World) -> None:
    from harken.channels.widget import services as widget_services
    from harken.feedback.models import Feedback

    item = Feedback.objects.create(workspace=world.alpha, text="x")
    client = world.client_for(world.bob)
    assert client.post(f"/w/alpha/feedback/{item.pk}/tags/", {"add": "bad\x00tag"}).status_code == 400
    assert not item.tags.exists()
    widget = widget_services.create_widget(
        world.actor(world.alice), {"name": "Web", "allowed_origins": "https://app.test"}
    )
    response = Client().post(
        f"/widget/{widget.public_key}/submit", {"text": "bad\x00text"}, HTTP_ORIGIN="https://app.test"
    )
    assert response.status_code == 400
    assert world.alpha.feedback_items.count() == 1


def test_a_long_number_is_a_fine_search(world: World) -> None:
    client, auth = api(world)
    assert client.get(FEEDBACK + "?q=123456789012345678901234", **auth).status_code == 200
    assert world.client_for(world.bob).get("/w/alpha/feedback/?q=123456789012345678901234").status_code == 200
