from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Feedback
from tests.base import World, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: World) -> SimpleNamespace:
    api = SimpleNamespace()
    api.token = make_token(world.alpha, world.bob)
    api.read_only = make_token(world.alpha, world.vera, can_write=False)
    api.http = Client()
    return api


def call(
    api: SimpleNamespace,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    token: str | None = None,
    **query: Any,
) -> Any:
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query)
    return api.http.generic(
        method,
        "/api/customers" + path,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token or api.token}",
    )


def test_crud(world: World, api: SimpleNamespace) -> None:
    created = call(
        api,
        "POST",
        "/accounts",
        {
            "name": "Acme",
            "domain": "https://www.acme.com",
            "arr": "12k",
            "renewal_date": "31/03/2026",
            "owner_email": "bob@alpha.test",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["domain"], body["arr"], body["renewal_date"], body["owner_email"]) == (
        "acme.com",
        12000.0,
        "2026-03-31",
        "bob@alpha.test",
    )
    account = Account.objects.get(pk=body["id"])
    assert account.workspace == world.alpha

    patched = call(api, "PATCH", f"/accounts/{account.pk}", {"plan": "Enterprise"})
    assert patched.status_code == 200
    assert (patched.json()["plan"], patched.json()["name"], patched.json()["arr"]) == ("Enterprise", "Acme", 12000.0)

    Feedback.objects.create(workspace=world.alpha, text="hi", account=account)
    got = call(api, "GET", f"/accounts/{account.pk}")
    assert got.json()["feedback_count"] == 1

    assert call(api, "DELETE", f"/accounts/{account.pk}").status_code == 204
    assert not Account.objects.filter(pk=account.pk).exists()


def test_validation_errors_are_422_with_field_messages(world: World, api: SimpleNamespace) -> None:
    response = call(api, "POST", "/accounts", {"name": "Acme", "arr": "abc"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"arr": ["ARR must be a number, got 'abc'"]}
    assert response.json()["detail"] == "ARR must be a number, got 'abc'"
    Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    response = call(api, "POST", "/accounts", {"name": "Acme 2", "domain": "acme.com"})
    assert response.status_code == 422
    assert "already belongs" in response.json()["errors"]["domain"][0]


def test_list_filters_pagination_and_scope(world: World, api: SimpleNamespace) -> None:
    for i in range(5):
        Account.objects.create(workspace=world.alpha, name=f"Ent {i}", segment="Enterprise", arr=1000 * (i + 1))
    Account.objects.create(workspace=world.alpha, name="Small", segment="SMB", arr=10)
    Account.objects.create(workspace=world.bravo, name="Ent Bravo", segment="Enterprise")
    response = call(api, "GET", "/accounts", segment="Enterprise", page_size=2, page=3, token=api.read_only)
    body = response.json()
    assert (body["count"], body["pages"], body["page"], body["total_arr"]) == (5, 3, 3, 15000.0)
    assert [a["name"] for a in body["items"]] == ["Ent 4"]
    assert [a["name"] for a in call(api, "GET", "/accounts", q="small").json()["items"]] == ["Small"]
    saved = Segment.objects.create(workspace=world.alpha, name="Big", filters={"min_arr": "4000"})
    by_segment = call(api, "GET", "/accounts", segment_id=saved.pk, sort="-arr").json()
    assert [a["name"] for a in by_segment["items"]] == ["Ent 4", "Ent 3"]
    theirs = Segment.objects.create(workspace=world.bravo, name="Theirs")
    assert call(api, "GET", "/accounts", segment_id=theirs.pk).status_code == 404
    bad = call(api, "GET", "/accounts", min_arr="lots")
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"min_arr": ["ARR must be a number, got 'lots'"]}


def test_read_only_token_and_other_workspace(world: World, api: SimpleNamespace) -> None:
    account = Account.objects.create(workspace=world.alpha, name="Acme")
    assert call(api, "PATCH", f"/accounts/{account.pk}", {"name": "X"}, token=api.read_only).status_code == 403
    assert call(api, "GET", f"/accounts/{account.pk}", token=api.read_only).status_code == 200
    theirs = Account.objects.create(workspace=world.bravo, name="Theirs")
    assert call(api, "GET", f"/accounts/{theirs.pk}").status_code == 404
    assert call(api, "DELETE", f"/accounts/{theirs.pk}").status_code == 404
    assert Account.objects.filter(pk=theirs.pk).exists()
    assert "Theirs" not in call(api, "GET", "/accounts").content.decode()


def test_crud_and_account_links(world: World, api: SimpleNamespace) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    globex = Account.objects.create(workspace=world.alpha, name="Globex", domain="globex.com")
    created = call(api, "POST", "/contacts", {"name": "Sam", "email": "SAM@acme.com"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["email"], body["account_id"], body["account_name"]) == ("sam@acme.com", acme.pk, "Acme")

    by_domain = call(api, "POST", "/contacts", {"email": "lee@gmail.com", "account_domain": "globex.com"}).json()
    assert by_domain["account_id"] == globex.pk

    moved = call(api, "PATCH", f"/contacts/{body['id']}", {"account_id": globex.pk, "title": "CTO"}).json()
    assert (moved["account_id"], moved["title"], moved["name"]) == (globex.pk, "CTO", "Sam")
    unlinked = call(api, "PATCH", f"/contacts/{body['id']}", {"account_id": None}).json()
    assert unlinked["account_id"] is None

    listing = call(api, "GET", "/contacts", account_id=globex.pk).json()
    assert [c["email"] for c in listing["items"]] == ["lee@gmail.com"]
    assert call(api, "GET", "/contacts", q="sam").json()["count"] == 1

    dup = call(api, "POST", "/contacts", {"email": "sam@acme.com"})
    assert dup.status_code == 422
    assert "already the contact" in dup.json()["errors"]["email"][0]

    assert call(api, "DELETE", f"/contacts/{body['id']}").status_code == 204
    assert Contact.objects.filter(workspace=world.alpha).count() == 1


def test_scope_and_read_only(world: World, api: SimpleNamespace) -> None:
    theirs = Contact.objects.create(workspace=world.bravo, email="x@bravo.test")
    their_account = Account.objects.create(workspace=world.bravo, name="Theirs")
    assert call(api, "GET", f"/contacts/{theirs.pk}").status_code == 404
    response = call(api, "POST", "/contacts", {"email": "y@alpha.test", "account_id": their_account.pk})
    assert response.status_code == 422
    assert call(api, "POST", "/contacts", {"email": "z@alpha.test"}, token=api.read_only).status_code == 403
    assert not Contact.objects.filter(workspace=world.alpha).exists()


def test_list_with_counts(world: World, api: SimpleNamespace) -> None:
    Account.objects.create(workspace=world.alpha, name="A", segment="Enterprise", arr=100)
    Account.objects.create(workspace=world.alpha, name="B", segment="SMB", arr=5)
    Segment.objects.create(workspace=world.alpha, name="Ent", filters={"segment": "Enterprise"}, weight=2)
    Segment.objects.create(workspace=world.bravo, name="Hidden")
    body = call(api, "GET", "/segments", token=api.read_only).json()
    assert [(s["name"], s["account_count"], s["total_arr"], s["weight"], s["filters"]) for s in body] == [
        ("Ent", 1, 100.0, 2.0, {"segment": "Enterprise"})
    ]


def test_requires_token(world: World, api: SimpleNamespace) -> None:
    assert Client().get("/api/customers/segments").status_code == 401
