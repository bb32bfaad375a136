"""Workspace API: what the token's workspace is, and its product lines."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
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


class AuditEventOut(Schema):
    id: int
    action: str
    action_label: str
    actor: str
    subject_email: str
    target: str
    ip: str | None
    created_at: datetime


class AuditPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEventOut]


@router.get("/audit", response=AuditPage, summary="The audit log (tokens created by a current owner only)")
def audit_log(request: HttpRequest, limit: int = 50, offset: int = 0) -> AuditPage:
    """Sign-ins, role changes, removals, invitations, tokens, exports and deletions, newest first."""
    from harken.workspaces import audit
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    actor = actor_of(request)
    role = Membership.objects.filter(workspace=actor.workspace, user=actor.user).values_list("role", flat=True).first()
    if role != Role.OWNER:
        raise PermissionDenied("Only a token created by a workspace owner can read the audit log.")
    events = audit.events_for(Actor(workspace=actor.workspace, user=actor.user, role=Role.OWNER))
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    rows = list(events[offset : offset + limit])
    return AuditPage(
        count=events.count(),
        limit=limit,
        offset=offset,
        items=[
            AuditEventOut(
                id=e.pk,
                action=e.action,
                action_label=e.get_action_display(),
                actor=e.actor_label,
                subject_email=e.subject_email,
                target=e.target,
                ip=e.ip,
                created_at=e.created_at,
            )
            for e in rows
        ],
    )
