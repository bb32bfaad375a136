from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from harken.customers.models import Account, Contact
from harken.feedback import actions
from tests.base import World, api_headers, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: World) -> SimpleNamespace:
    api = SimpleNamespace()
    api.acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com", arr=Decimal("50000"))
    api.initech = Account.objects.create(workspace=world.alpha, name="Initech", domain="initech.com")
    api.wile = Contact.objects.create(workspace=world.alpha, account=api.acme, name="Wile", email="wile@acme.com")
    api.token = make_token(world.alpha, world.bob)
    api.read_token = make_token(world.alpha, world.vera, can_write=False)
    api.bravo_token = make_token(world.bravo, world.charlie)
    return api


def call(
    client: Client,
    api: SimpleNamespace,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    **headers: Any,
) -> HttpResponse:
    extra = api_headers(token or api.token)
    extra.update(headers)
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, "/api/feedback" + path, data=data, content_type="application/json", **extra)


def test_create_matches_and_returns_201(world: World, client: Client, api: SimpleNamespace) -> None:
    body = {
        "text": "Exports time out",
        "title": "Exports",
        "email": "wile@acme.com",
        "product_line": "Mobile",
        "tags": ["export", "perf"],
        "received_at": "2026-11-01T09:30:00Z",
    }
    response = call(client, api, "POST", "/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["contact"]["email"] == "wile@acme.com" and data["account"]["name"] == "Acme"
    assert data["account"]["arr"] == 50000 and data["product_line"]["slug"] == "mobile"
    assert sorted(data["tags"]) == ["export", "perf"] and data["channel"] == "api"
    assert data["received_at"].startswith("2026-11-01T09:30")
    assert data["url"].endswith(f"/w/alpha/feedback/{data['id']}/")
    item = world.alpha.feedback_items.get(pk=data["id"])
    assert json.loads(item.raw_payload) == body and item.raw_content_type == "application/json"


def test_account_domain_and_channel(world: World, client: Client, api: SimpleNamespace) -> None:
    response = call(
        client,
        api,
        "POST",
        "/",
        {"text": "x", "author_email": "p@gmail.com", "account_domain": "initech.com", "channel": "support"},
    )
    assert response.status_code == 201
    assert response.json()["account"]["name"] == "Initech" and response.json()["channel"] == "support"
    response = call(client, api, "POST", "/", {"text": "x", "account_domain": "nowhere.example"})
    assert response.status_code == 422 and "No account with domain" in response.json()["detail"]


def test_idempotency_by_external_id_and_header(world: World, client: Client, api: SimpleNamespace) -> None:
    first = call(client, api, "POST", "/", {"text": "a", "external_id": "T-1"})
    again = call(client, api, "POST", "/", {"text": "a changed", "external_id": "T-1"})
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    a = call(client, api, "POST", "/", {"text": "b"}, HTTP_IDEMPOTENCY_KEY="req-42")
    b = call(client, api, "POST", "/", {"text": "b"}, HTTP_IDEMPOTENCY_KEY="req-42")
    c = call(client, api, "POST", "/", {"text": "b"}, HTTP_IDEMPOTENCY_KEY="req-43")
    assert (a.status_code, b.status_code, c.status_code) == (201, 200, 201)
    assert a.json()["id"] == b.json()["id"] != c.json()["id"]
    assert world.alpha.feedback_items.get(pk=a.json()["id"]).dedupe_key == "api:req-42"
    # Another workspace's identical key is its own item.
    other = call(client, api, "POST", "/", {"text": "b"}, token=api.bravo_token, HTTP_IDEMPOTENCY_KEY="req-42")
    assert other.status_code == 201 and other.json()["id"] != a.json()["id"]


def test_validation_and_size_limits(world: World, client: Client, api: SimpleNamespace) -> None:
    assert call(client, api, "POST", "/", {"title": "no text"}).status_code == 422
    response = call(client, api, "POST", "/", {"text": "  "})
    assert response.status_code == 422 and "empty" in response.json()["errors"]["text"][0]
    response = call(client, api, "POST", "/", {"text": "x" * 1_100_000})
    assert response.status_code == 413 and "limit is 1 MB" in response.json()["detail"]
    response = call(client, api, "POST", "/", {"text": "ok", "product_line": "nope"})
    assert response.status_code == 422 and "No product line" in response.json()["detail"]
    response = call(client, api, "POST", "/", {"text": "ok", "channel": "fax"})
    assert response.status_code == 422 and "Unknown channel" in response.json()["detail"]
    assert not world.alpha.feedback_items.exists()


def test_list_filters_and_pagination(world: World, client: Client, api: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    for i in range(5):
        actions.create_feedback(
            actor, text=f"item {i}", tags=["even"] if i % 2 == 0 else [], author_email="w@acme.com" if i < 2 else ""
        )
    actions.create_feedback(world.actor(world.charlie), text="bravo item")
    data = call(client, api, "GET", "/?limit=2&offset=1", token=api.read_token).json()
    assert data["count"] == 5 and data["limit"] == 2 and data["offset"] == 1 and len(data["items"]) == 2
    assert all("bravo" not in i["text"] for i in call(client, api, "GET", "/?limit=200").json()["items"])
    assert call(client, api, "GET", "/?tag=even").json()["count"] == 3
    assert call(client, api, "GET", f"/?account={api.acme.pk}").json()["count"] == 2
    assert call(client, api, "GET", "/?has_account=no&q=item").json()["count"] == 3
    assert [i["text"] for i in call(client, api, "GET", "/?sort=oldest&limit=1").json()["items"]] == ["item 0"]
    assert call(client, api, "GET", "/?limit=100000").json()["limit"] == 200


def test_get_update_delete(world: World, client: Client, api: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="original", tags=["a"])
    assert call(client, api, "GET", f"/{item.pk}", token=api.read_token).json()["text"] == "original"
    response = call(
        client,
        api,
        "PATCH",
        f"/{item.pk}",
        {"title": "New", "tags": ["b", "c"], "product_line": "mobile", "contact_email": "wile@acme.com"},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["title"] == "New" and data["text"] == "original" and sorted(data["tags"]) == ["b", "c"]
    assert data["product_line"]["slug"] == "mobile" and data["account"]["name"] == "Acme"
    data = call(client, api, "PATCH", f"/{item.pk}", {"account_id": None, "product_line": None}).json()
    assert data["account"] is None and data["product_line"] is None and data["contact"]["email"] == "wile@acme.com"
    assert call(client, api, "PATCH", f"/{item.pk}", {"text": ""}).status_code == 422
    assert call(client, api, "PATCH", f"/{item.pk}", {"contact_email": "ghost@acme.com"}).status_code == 422
    assert call(client, api, "PATCH", f"/{item.pk}", {"text": "y" * 1_000_001}).status_code == 413
    assert call(client, api, "DELETE", f"/{item.pk}").status_code == 204
    assert call(client, api, "GET", f"/{item.pk}").status_code == 404


def test_auth_and_permissions(world: World, client: Client, api: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="mine")
    bravo_item, _ = actions.create_feedback(world.actor(world.charlie), text="theirs")
    no_token = client.get("/api/feedback/")
    assert no_token.status_code == 401
    assert call(client, api, "GET", "/", token="hk_not-a-real-token").status_code == 401
    response = call(client, api, "POST", "/", {"text": "nope"}, token=api.read_token)
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert call(client, api, "PATCH", f"/{item.pk}", {"title": "x"}, token=api.read_token).status_code == 403
    assert call(client, api, "DELETE", f"/{item.pk}", token=api.read_token).status_code == 403
    for method, body in (("GET", None), ("PATCH", {"title": "hijack"}), ("DELETE", None)):
        assert call(client, api, method, f"/{bravo_item.pk}", body).status_code == 404
    bravo_item.refresh_from_db()
    assert bravo_item.title == "" and world.alpha.feedback_items.filter(pk=item.pk).exists()
