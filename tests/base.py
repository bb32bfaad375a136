"""The shared test cast: two workspaces and people with each role (used through the `world` fixture).

Alpha: alice (owner), bob (member, "the teammate"), vera (viewer).
Bravo: charlie (owner) — the outsider: nothing of Bravo may ever be visible to Alpha's people.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from harken.accounts.models import User
from harken.workspaces.access import Actor
from harken.workspaces.models import ApiToken, Membership, ProductLine, Role, Workspace, hash_secret

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, name=name or email.split("@")[0].title())


def make_token(workspace: Workspace, user: User, can_write: bool = True) -> str:
    raw = ApiToken.generate_raw()
    ApiToken.objects.create(
        workspace=workspace,
        name="test",
        token_hash=hash_secret(raw),
        hint=raw[:8],
        can_write=can_write,
        created_by=user,
    )
    return raw


class World:
    """The shared cast, also available to pytest tests through the `world` fixture."""

    def __init__(self) -> None:
        self.alice = make_user("alice@alpha.test", "Alice Owner")
        self.bob = make_user("bob@alpha.test", "Bob Member")
        self.vera = make_user("vera@alpha.test", "Vera Viewer")
        self.charlie = make_user("charlie@bravo.test", "Charlie Outsider")
        self.alpha = Workspace.objects.create(name="Alpha", slug="alpha")
        self.bravo = Workspace.objects.create(name="Bravo", slug="bravo")
        Membership.objects.create(workspace=self.alpha, user=self.alice, role=Role.OWNER)
        Membership.objects.create(workspace=self.alpha, user=self.bob, role=Role.MEMBER)
        Membership.objects.create(workspace=self.alpha, user=self.vera, role=Role.VIEWER)
        Membership.objects.create(workspace=self.bravo, user=self.charlie, role=Role.OWNER)
        self.alpha_line = ProductLine.objects.create(workspace=self.alpha, name="Mobile", slug="mobile")
        self.bravo_line = ProductLine.objects.create(workspace=self.bravo, name="Web", slug="web")

    def actor(self, user: User, workspace: Workspace | None = None) -> Actor:
        workspace = workspace or (self.bravo if user == self.charlie else self.alpha)
        return Actor.for_member(Membership.objects.get(workspace=workspace, user=user))

    def client_for(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


def api_headers(token: str) -> dict[str, Any]:
    """Request headers that authenticate an API call with `token`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
