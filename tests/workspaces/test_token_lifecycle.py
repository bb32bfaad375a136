"""Defect 6 of issue 15: API tokens die with their creator's membership and follow role changes."""

from __future__ import annotations

from django.test import Client

from harken.workspaces import services
from harken.workspaces.models import ApiToken, Membership, Role
from tests.base import World, make_token


def _call(token: str, method: str = "GET", path: str = "/api/workspaces/current", body: str = "{}") -> int:
    return (
        Client()
        .generic(method, path, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        .status_code
    )


def _promote_bob_to_admin(world: World) -> Membership:
    membership = Membership.objects.get(workspace=world.alpha, user=world.bob)
    return services.change_role(world.actor(world.alice), membership.pk, Role.ADMIN)


NEW_FEEDBACK = '{"text": "Token test", "channel": "api"}'


def test_removed_admins_token_stops_reading_and_writing(world: World) -> None:
    membership = _promote_bob_to_admin(world)
    token = make_token(world.alpha, world.bob)
    assert _call(token) == 200
    assert _call(token, "POST", "/api/feedback/", NEW_FEEDBACK) == 201
    services.remove_member(world.actor(world.alice), membership.pk)
    assert _call(token) == 401
    assert _call(token, "POST", "/api/feedback/", NEW_FEEDBACK) == 401
    assert ApiToken.objects.get(created_by=world.bob).revoked_at is not None


def test_leaving_revokes_own_tokens(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    services.remove_member(world.actor(world.bob), Membership.objects.get(workspace=world.alpha, user=world.bob).pk)
    assert _call(token) == 401


def test_a_token_is_not_resurrected_by_rejoining(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    membership = Membership.objects.get(workspace=world.alpha, user=world.bob)
    services.remove_member(world.actor(world.alice), membership.pk)
    Membership.objects.create(workspace=world.alpha, user=world.bob, role=Role.MEMBER)
    assert _call(token) == 401


def test_downgrade_to_viewer_makes_the_token_read_only(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    assert _call(token, "POST", "/api/feedback/", NEW_FEEDBACK) == 201
    membership = Membership.objects.get(workspace=world.alpha, user=world.bob)
    services.change_role(world.actor(world.alice), membership.pk, Role.VIEWER)
    assert _call(token) == 200
    assert _call(token, "POST", "/api/feedback/", NEW_FEEDBACK) == 403
    services.change_role(world.actor(world.alice), membership.pk, Role.MEMBER)
    assert _call(token, "POST", "/api/feedback/", NEW_FEEDBACK) == 201


def test_removing_from_the_members_page_revokes_too(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    membership = Membership.objects.get(workspace=world.alpha, user=world.bob)
    world.client_for(world.alice).post(f"/w/alpha/members/{membership.pk}/remove/")
    assert _call(token) == 401
