"""Workspace writes: create, product lines. Each validates and authorises before it runs."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from harken.accounts.models import User
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, ProductLine, Role, Workspace


def unique_workspace_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_workspace(*, owner: User, name: str, product_lines: list[str] | None = None) -> Workspace:
    """Anyone signed in may create a workspace; they become its owner."""
    name = name.strip()
    if not name:
        raise ValueError("A workspace needs a name.")
    workspace = Workspace.objects.create(name=name, slug=unique_workspace_slug(name))
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    for line in product_lines or []:
        create_product_line(Actor(workspace=workspace, user=owner, role=Role.OWNER), name=line)
    return workspace


def create_product_line(actor: Actor, *, name: str, description: str = "") -> ProductLine:
    actor.require(Role.ADMIN)
    base = slugify(name)[:50] or "line"
    slug, n = base, 2
    while actor.workspace.product_lines.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return ProductLine.objects.create(workspace=actor.workspace, name=name.strip(), slug=slug, description=description)
