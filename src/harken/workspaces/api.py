"""Workspace API: what the token's workspace is, and its product lines."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from harken.workspaces.api_auth import actor_of, token_auth
from harken.workspaces.models import ProductLine, Workspace

router = Router(auth=token_auth, tags=["workspaces"])


class ProductLineOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    managers: list[str]

    @staticmethod
    def from_line(line: ProductLine) -> ProductLineOut:
        return ProductLineOut(
            id=line.pk,
            name=line.name,
            slug=line.slug,
            description=line.description,
            managers=[u.email for u in line.managers.all()],
        )


class WorkspaceOut(Schema):
    name: str
    slug: str
    timezone: str
    can_write: bool
    product_lines: list[ProductLineOut]


def _lines(workspace: Workspace) -> list[ProductLineOut]:
    return [
        ProductLineOut.from_line(line) for line in workspace.product_lines.prefetch_related("managers").order_by("name")
    ]


@router.get("/current", response=WorkspaceOut, summary="The token's workspace")
def current(request: HttpRequest) -> WorkspaceOut:
    actor = actor_of(request)
    ws = actor.workspace
    return WorkspaceOut(
        name=ws.name, slug=ws.slug, timezone=ws.timezone, can_write=actor.can_write, product_lines=_lines(ws)
    )


@router.get("/product-lines", response=list[ProductLineOut], summary="Product lines of the token's workspace")
def product_lines(request: HttpRequest) -> list[ProductLineOut]:
    return _lines(actor_of(request).workspace)
