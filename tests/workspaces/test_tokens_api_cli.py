"""API tokens (page, hashing, revocation), the workspace API and the CLI commands."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from typer.testing import CliRunner

from harken.accounts.models import User
from harken.cli import app
from harken.workspaces.models import ApiToken, Membership, ProductLine, Role, Workspace, hash_secret
from tests.base import PASSWORD, World, api_headers, make_token, make_user

pytestmark = pytest.mark.django_db

RAW = re.compile(r'<p class="secret" id="raw-token">(hk_[A-Za-z0-9_-]+)</p>')


def url(name: str, **kwargs: object) -> str:
    return reverse(f"workspaces:{name}", kwargs={"ws": "alpha", **kwargs})


def test_raw_token_is_shown_once_and_stored_hashed(world: World) -> None:
    client = world.client_for(world.alice)
    response = client.post(url("tokens"), {"name": "Zapier", "access": "read"})
    assert response["Cache-Control"] == "no-store"
    raw = RAW.search(response.content.decode()).group(1)  # type: ignore[union-attr]
    token = world.alpha.api_tokens.get(name="Zapier")
    assert token.token_hash == hash_secret(raw)
    assert token.hint == raw[:8]
    assert not token.can_write
    assert token.created_by == world.alice
    listing = client.get(url("tokens")).content.decode()
    assert raw not in listing
    assert f"{raw[:8]}…" in listing
    assert "never" in listing

    # It works, and the page shows when it was last used.
    assert client.get("/api/workspaces/current", **api_headers(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assertContains(client.get(url("tokens")), "ago")


def test_revoked_token_stops_working(world: World, client: Client) -> None:
    raw = make_token(world.alpha, world.alice)
    token = world.alpha.api_tokens.get()
    client.force_login(world.alice)
    response = client.post(url("token_revoke", pk=token.pk), follow=True)
    assertContains(response, "revoked")
    assert client.get("/api/workspaces/current", **api_headers(raw)).status_code == 401


def test_only_admins_manage_tokens(world: World) -> None:
    make_token(world.alpha, world.alice)
    token = world.alpha.api_tokens.get()
    for user in (world.bob, world.vera):
        client = world.client_for(user)
        page = client.get(url("tokens"))
        assertContains(page, "Only admins and owners manage API tokens")
        assertNotContains(page, token.hint)
        assert client.post(url("tokens"), {"name": "mine", "access": "write"}).status_code == 403
        assert client.post(url("token_revoke", pk=token.pk)).status_code == 403
    assert world.alpha.api_tokens.count() == 1
    dana = make_user("dana@alpha.test")
    Membership.objects.create(workspace=world.alpha, user=dana, role=Role.ADMIN)
    world.client_for(dana).post(url("tokens"), {"name": "admin's", "access": "write"})
    assert world.alpha.api_tokens.get(name="admin's").can_write


def test_token_needs_a_name(world: World) -> None:
    response = world.client_for(world.alice).post(url("tokens"), {"name": " ", "access": "read"})
    assert not RAW.search(response.content.decode())
    assert world.alpha.api_tokens.count() == 0


def test_another_workspaces_token_is_404(world: World) -> None:
    make_token(world.bravo, world.charlie)
    theirs = world.bravo.api_tokens.get()
    assert world.client_for(world.alice).post(url("token_revoke", pk=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_current_workspace(world: World, client: Client) -> None:
    world.alpha_line.managers.add(world.bob)
    raw = make_token(world.alpha, world.alice, can_write=False)
    data = client.get("/api/workspaces/current", **api_headers(raw)).json()
    assert (data["name"], data["slug"], data["timezone"], data["can_write"]) == ("Alpha", "alpha", "UTC", False)
    assert data["product_lines"] == [
        {
            "id": world.alpha_line.pk,
            "name": "Mobile",
            "slug": "mobile",
            "description": "",
            "managers": ["bob@alpha.test"],
        }
    ]


def test_product_lines_are_scoped_to_the_tokens_workspace(world: World, client: Client) -> None:
    ProductLine.objects.create(workspace=world.alpha, name="Billing", slug="billing")
    alpha = client.get("/api/workspaces/product-lines", **api_headers(make_token(world.alpha, world.alice))).json()
    assert [line["name"] for line in alpha] == ["Billing", "Mobile"]
    bravo = client.get("/api/workspaces/product-lines", **api_headers(make_token(world.bravo, world.charlie))).json()
    assert [line["name"] for line in bravo] == ["Web"]


def test_no_or_bad_token_is_401(world: World, client: Client) -> None:
    assert client.get("/api/workspaces/current").status_code == 401
    assert client.get("/api/workspaces/current", **api_headers("hk_nope")).status_code == 401


def test_bootstrap_is_idempotent(world: World) -> None:
    runner = CliRunner()
    args = [
        "bootstrap",
        "--email",
        "Root@Example.test",
        "--password",
        PASSWORD,
        "--name",
        "Root",
        "--workspace",
        "Acme",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "already existed" in second.output
    user = User.objects.get(email="root@example.test")
    assert user.is_superuser and user.is_staff and user.check_password(PASSWORD)
    workspace = Workspace.objects.get(name="Acme")
    assert workspace.memberships.get().user == user
    assert workspace.memberships.get().role == Role.OWNER
    assert User.objects.filter(email="root@example.test").count() == 1


def test_bootstrap_refuses_weak_password(world: World) -> None:
    result = CliRunner().invoke(
        app, ["bootstrap", "--email", "r@example.test", "--password", "123", "--workspace", "Acme"]
    )
    assert result.exit_code == 1
    assert not User.objects.filter(email="r@example.test").exists()
    assert not Workspace.objects.filter(name="Acme").exists()


def test_create_token_prints_a_working_token(world: World, client: Client) -> None:
    result = CliRunner().invoke(app, ["create-token", "--workspace", "alpha", "--name", "deploy"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    token = ApiToken.objects.get(name="deploy")
    assert (token.workspace, token.token_hash, token.can_write) == (world.alpha, hash_secret(raw), True)
    assert client.get("/api/workspaces/current", **api_headers(raw)).json()["slug"] == "alpha"


def test_create_token_for_unknown_workspace_fails(world: World) -> None:
    result = CliRunner().invoke(app, ["create-token", "--workspace", "nope", "--name", "x"])
    assert result.exit_code == 1
    assert "No workspace" in result.output
