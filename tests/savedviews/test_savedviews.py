"""Saved views: create, list, open and delete, on pages and through the API; each person sees only their own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from harken.savedviews import actions, queries
from harken.savedviews.models import SavedView
from tests.base import World, api_headers, make_token

pytestmark = pytest.mark.django_db


def test_create_cleans_the_query_and_validates(world: World) -> None:
    actor = world.actor(world.vera)  # viewers keep views too
    view = actions.create_view(actor, "problems", "  Enterprise   Q4 ", "?segment=3&page=2&since=2026-10-01")
    assert (view.name, view.query, view.user, view.workspace) == (
        "Enterprise Q4",
        "segment=3&since=2026-10-01",
        world.vera,
        world.alpha,
    )
    for page, name, field in [
        ("nowhere", "x", "page"),
        ("problems", " ", "name"),
        ("problems", "Enterprise Q4", "name"),
    ]:
        with pytest.raises(ValidationError) as exc:
            actions.create_view(actor, page, name, "")
        assert field in exc.value.message_dict
    # the same name is fine for another person or another page
    actions.create_view(world.actor(world.bob), "problems", "Enterprise Q4", "")
    actions.create_view(actor, "themes", "Enterprise Q4", "")


def test_each_person_sees_only_their_own_views(world: World) -> None:
    mine = actions.create_view(world.actor(world.vera), "problems", "Mine", "plan=Pro")
    actions.create_view(world.actor(world.bob), "problems", "Bob's", "plan=Team")
    actions.create_view(world.actor(world.charlie), "problems", "Bravo's", "plan=Team")
    assert list(queries.views_for(world.actor(world.vera), "problems")) == [mine]
    assert list(queries.views_for(world.actor(world.vera), "themes")) == []
    page = world.client_for(world.vera).get("/w/alpha/insight/problems/").content.decode()
    assert "Mine" in page and "Bob&#x27;s" not in page and "Bob's" not in page and "Bravo" not in page
    assert 'href="/w/alpha/insight/problems/?plan=Pro"' in page


def test_save_open_and_delete_through_the_page(world: World) -> None:
    client = world.client_for(world.vera)
    response = client.post(
        "/w/alpha/views/",
        {"page": "problems", "name": "Starter", "query": "plan=Starter", "next": "/w/alpha/insight/problems/"},
    )
    assert response.status_code == 302 and response["Location"] == "/w/alpha/insight/problems/?plan=Starter"
    view = SavedView.objects.get(user=world.vera)
    page = client.get("/w/alpha/insight/problems/?plan=Starter").content.decode()
    assert 'aria-current="page" data-testid="saved-view">Starter' in page
    # nobody else can delete it, not even the workspace owner
    assert world.client_for(world.alice).post(f"/w/alpha/views/{view.pk}/delete/").status_code == 404
    response = client.post(f"/w/alpha/views/{view.pk}/delete/", {"next": "/w/alpha/insight/problems/"})
    assert response.status_code == 302 and not SavedView.objects.exists()


def test_an_unsafe_next_stays_on_this_site(world: World) -> None:
    response = world.client_for(world.vera).post(
        "/w/alpha/views/", {"page": "trends", "name": "x", "query": "", "next": "//evil.example/"}
    )
    assert response["Location"] == "/w/alpha/"


def test_api_crud_and_tenancy(world: World) -> None:
    vera = api_headers(make_token(world.alpha, world.vera, can_write=False))
    bob = api_headers(make_token(world.alpha, world.bob))
    charlie = api_headers(make_token(world.bravo, world.charlie))
    made = Client().post(
        "/api/savedviews/",
        {"page": "problems", "name": "Ent", "query": "segment=1"},
        content_type="application/json",
        **vera,
    )
    assert made.status_code == 201 and made.json()["query"] == "segment=1"
    view_id = made.json()["id"]
    bad = Client().post("/api/savedviews/", {"page": "nope", "name": ""}, content_type="application/json", **vera)
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"page", "name"}
    assert [v["name"] for v in Client().get("/api/savedviews/?page=problems", **vera).json()] == ["Ent"]
    assert Client().get("/api/savedviews/", **bob).json() == []
    assert Client().get("/api/savedviews/", **charlie).json() == []
    assert Client().delete(f"/api/savedviews/{view_id}", **bob).status_code == 404
    assert Client().delete(f"/api/savedviews/{view_id}", **charlie).status_code == 404
    assert Client().delete(f"/api/savedviews/{view_id}", **vera).status_code == 204
    assert not SavedView.objects.exists()


def test_the_inbox_keeps_saved_views_too(world: World) -> None:
    view = actions.create_view(world.actor(world.bob), "inbox", "Enterprise bugs", "q=export&sort=arr")
    page = world.client_for(world.bob).get("/w/alpha/feedback/?q=export&sort=arr").content.decode()
    assert 'aria-current="page" data-testid="saved-view">Enterprise bugs' in page
    assert f"/w/alpha/views/{view.pk}/delete/" in page
    assert "Enterprise bugs" not in world.client_for(world.vera).get("/w/alpha/feedback/").content.decode()
