"""Pages and API: what a PM sees and does, bad input as clear 4xx, the feedback item panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from harken.roadmap import actions, promises
from harken.roadmap.models import Evidence, Promise
from tests.base import World, make_token
from tests.roadmap.helpers import account, feedback, item

pytestmark = pytest.mark.django_db


def test_pages_render_with_data(world: World) -> None:
    ws = world.alpha
    acme = account(ws, "Acme", arr=50_000, domain="acme.test")
    fb = feedback(ws, "Offline mode please", email="pat@acme.test")
    it = item(ws, status="planned", product_line=world.alpha_line)
    actions.link_evidence(world.actor(world.bob), it, fb)
    promises.make_promise(
        world.actor(world.bob), it, target_date=timezone.localdate() + dt.timedelta(days=5), account=acme
    )
    promises.detect_slips(ws)
    client = world.client_for(world.vera)
    for url in [
        "/w/alpha/roadmap/",
        "/w/alpha/roadmap/?view=board",
        "/w/alpha/roadmap/priorities/?sort=arr",
        "/w/alpha/roadmap/promises/",
        "/w/alpha/roadmap/settings/",
        "/w/alpha/roadmap/changelog/",
        "/w/alpha/roadmap/previews/",
        "/w/alpha/roadmap/subscribers/",
        f"/w/alpha/roadmap/{it.pk}/",
        "/w/alpha/webhooks/outgoing/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(f"/w/alpha/roadmap/{it.pk}/").content.decode()
    assert "$50k" in detail and "Offline mode please" in detail and "RICE = reach 1" in detail
    assert "Record promise" not in detail  # viewers see no write forms
    board = client.get("/w/alpha/roadmap/?view=board").content.decode()
    assert 'data-column="planned"' in board and "Offline mode" in board
    promises_page = client.get("/w/alpha/roadmap/promises/").content.decode()
    assert "Not in progress close to the date" in promises_page


def test_link_feedback_from_the_feedback_item_page(world: World) -> None:
    fb = feedback(world.alpha, "We need offline mode", email="pat@acme.test")
    it = item(world.alpha, title="Offline mode")
    client = world.client_for(world.bob)
    page = client.get(f"/w/alpha/feedback/{fb.pk}/").content.decode()
    assert 'id="roadmap-panel"' in page and "Link to roadmap" in page
    response = client.post(f"/w/alpha/roadmap/link-feedback/{fb.pk}/", {"item": str(it.pk)})
    assert response.status_code == 302
    assert Evidence.objects.filter(item=it, feedback=fb).exists()
    page = client.get(f"/w/alpha/feedback/{fb.pk}/").content.decode()
    assert f"/w/alpha/roadmap/{it.pk}/" in page
    client.post(f"/w/alpha/roadmap/link-feedback/{fb.pk}/", {"new_title": "Sync across devices"})
    assert world.alpha.roadmap_items.get(title="Sync across devices").evidence.get().feedback == fb
    other = item(world.bravo)
    assert client.post(f"/w/alpha/roadmap/link-feedback/{fb.pk}/", {"item": str(other.pk)}).status_code == 404


def test_bad_input_is_a_clear_message_never_a_500(world: World) -> None:
    it = item(world.alpha)
    client = world.client_for(world.bob)
    past = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    r = client.post(f"/w/alpha/roadmap/{it.pk}/promises/", {"target_date": past, "account": ""}, follow=True)
    assert r.status_code == 200 and "in the past" in r.content.decode()
    assert not Promise.objects.exists()
    r = client.post(
        "/w/alpha/roadmap/new/",
        {
            "title": "Time travel",
            "status": "idea",
            "target_date": past,
            "impact": "1",
            "confidence": "80",
            "effort": "1",
            "value_fit": "0",
        },
    )
    assert r.status_code == 200 and "in the past" in r.content.decode()
    r = client.post(f"/w/alpha/roadmap/{it.pk}/status/", {"status": "no-such"}, follow=True)
    assert "Pick one of" in r.content.decode()
    r = client.post(f"/w/alpha/roadmap/{it.pk}/evidence/", {"kind": "feedback", "ref": "abc"}, follow=True)
    assert "give its number" in r.content.decode()
    r = client.post(f"/w/alpha/roadmap/{it.pk}/issues/", {"url": "javascript:alert(1)"}, follow=True)
    assert "Paste a GitHub" in r.content.decode()
    r = client.post("/w/alpha/roadmap/subscribers/", {"emails": ""})
    assert r.status_code == 422
    r = client.post("/w/alpha/roadmap/subscribers/", {"emails": "ok@x.test, nope"})
    assert r.status_code == 200 and "nope" in r.content.decode()
    actions.delete_item(world.actor(world.bob), it)
    r = client.post(
        f"/w/alpha/roadmap/{it.pk}/promises/",
        {"target_date": "2099-01-01", "account": str(account(world.alpha, "A").pk)},
        follow=True,
    )
    assert r.status_code == 200 and "deleted" in r.content.decode()
    assert client.get(f"/w/alpha/roadmap/{it.pk}/").status_code == 404


def test_api_items_reach_status_and_promises(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    acme = account(world.alpha, "Acme", arr=10_000, domain="acme.test")
    fb = feedback(world.alpha, "Offline please", email="pat@acme.test")
    r = api.post(
        "/api/roadmap/items",
        {"title": "Offline mode", "status": "planned", "effort": 2, "impact": 2},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    item_id = r.json()["id"]
    r = api.post(
        f"/api/roadmap/items/{item_id}/evidence", {"kind": "feedback", "id": fb.pk}, content_type="application/json"
    )
    assert r.status_code == 201
    data = api.get(f"/api/roadmap/items/{item_id}").json()
    assert data["reach"] == 1 and data["arr_at_stake"] == "10000.00" and data["rice"] == 0.8
    r = api.post(
        f"/api/roadmap/items/{item_id}/promises",
        {"target_date": "2001-01-01", "account_id": acme.pk},
        content_type="application/json",
    )
    assert r.status_code == 422 and "past" in r.json()["detail"]
    r = api.post(f"/api/roadmap/items/{item_id}/status", {"status": "bogus"}, content_type="application/json")
    assert r.status_code == 422
    r = api.post(f"/api/roadmap/items/{item_id}/status", {"status": "shipped"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status_kind"] == "done"
    r = api.patch(f"/api/roadmap/items/{item_id}", {"confidence": 5}, content_type="application/json")
    assert r.status_code == 422
    assert [i["id"] for i in api.get("/api/roadmap/items").json()] == [item_id]
    item(world.bravo)
    assert len(api.get("/api/roadmap/items").json()) == 1  # Bravo's items never listed


def test_cli_lists_items_and_checks_slips(world: World) -> None:
    from typer.testing import CliRunner

    from harken.cli import app

    it = item(world.alpha, title="Offline mode", status="planned")
    promises.make_promise(
        world.actor(world.bob),
        it,
        target_date=timezone.localdate() + dt.timedelta(days=3),
        account=account(world.alpha, "Acme"),
    )
    runner = CliRunner()
    result = runner.invoke(app, ["roadmap", "items", "-w", "alpha"])
    assert result.exit_code == 0, result.output
    assert "Offline mode" in result.output
    result = runner.invoke(app, ["roadmap", "check-slips", "-w", "alpha"])
    assert result.exit_code == 0 and "1 new slip" in result.output
    assert runner.invoke(app, ["roadmap", "items", "-w", "nope"]).exit_code == 1
    assert runner.invoke(app, ["roadmap", "items", "-w", "alpha", "--sort", "bogus"]).exit_code == 2
    result = runner.invoke(app, ["roadmap", "promises", "-w", "alpha"])
    assert result.exit_code == 0 and "drafts to review: 1" in result.output


def test_admin_edits_a_status_and_the_board_follows(world: World) -> None:
    client = world.client_for(world.alice)
    r = client.post(
        "/w/alpha/roadmap/settings/statuses/",
        {"key": "planned", "label": "Next up", "colour": "#0f766e", "kind": "open", "on_roadmap": "on"},
    )
    assert r.status_code == 302
    page = client.get("/w/alpha/roadmap/?view=board").content.decode()
    assert "Next up" in page and "Planned" not in page
    assert world.alpha.roadmap_statuses.count() == 6  # defaults became rows, one edited
    r = client.post(
        "/w/alpha/roadmap/settings/statuses/",
        {"key": "planned", "label": "X", "colour": "blue", "kind": "open"},
        follow=True,
    )
    assert "hex colour" in r.content.decode()
    item(world.alpha, status="planned")
    r = client.post("/w/alpha/roadmap/settings/statuses/delete/", {"key": "planned"}, follow=True)
    assert "still have the status" in r.content.decode()
    assert world.client_for(world.bob).post("/w/alpha/roadmap/settings/statuses/", {"label": "Y"}).status_code == 403
