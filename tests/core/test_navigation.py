"""The sidebar's links are reversed once per (workspace, role) and reused; what each page shows must not
change: roles see their own links, and the current page is marked on each request's own copy."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from harken.core import navigation
from harken.workspaces.models import Role
from tests.base import World


def _links(world: World, user: object, path: str) -> list[navigation.NavLink]:
    request = RequestFactory().get(path)
    request.actor = world.actor(user)  # type: ignore[attr-defined]
    return navigation.links(world.alpha, request)


@pytest.mark.django_db
def test_reused_links_follow_the_role_and_mark_only_this_request_s_page(world: World) -> None:
    navigation._built.clear()
    inbox = "/w/alpha/feedback/"
    owner = _links(world, world.alice, inbox)
    viewer = _links(world, world.vera, inbox)
    assert world.actor(world.vera).role == Role.VIEWER
    owner_urls, viewer_urls = {link.url for link in owner}, {link.url for link in viewer}
    assert "/w/alpha/feedback/new/" in owner_urls and "/w/alpha/feedback/new/" not in viewer_urls
    assert [link.url for link in owner if link.current] == [inbox]

    elsewhere = _links(world, world.alice, "/w/alpha/feedback/new/")  # from the stored list
    assert [link.url for link in elsewhere if link.current] == ["/w/alpha/feedback/new/"]
    assert [link.url for link in _links(world, world.alice, inbox) if link.current] == [inbox]
    assert [(link.url, link.label) for link in elsewhere] == [(link.url, link.label) for link in owner]
    mine = _links(world, world.alice, inbox)
    mine[0].attrs["x"] = "changed"
    assert "x" not in _links(world, world.alice, inbox)[0].attrs
