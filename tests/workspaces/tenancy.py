from __future__ import annotations

from typing import Any

from harken.workspaces.models import ApiToken, Invitation, Membership, ProductLine, Role, Workspace, hash_secret
from tests.base import make_user
from tests.tenancy import ApiCase, Case


def _member(ws: Workspace) -> dict[str, Any]:
    user = make_user(f"extra-{ws.slug}@example.test")
    return {"pk": Membership.objects.create(workspace=ws, user=user, role=Role.MEMBER).pk}


def _invitation(ws: Workspace) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    inv = Invitation.objects.create(
        workspace=ws,
        email=f"new-{ws.slug}@example.test",
        role=Role.MEMBER,
        token_hash=hash_secret(f"raw-{ws.slug}"),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {"pk": inv.pk}


def _line(ws: Workspace) -> dict[str, Any]:
    return {"pk": ProductLine.objects.create(workspace=ws, name="Tenancy line", slug="tenancy-line").pk}


def _token(ws: Workspace) -> dict[str, Any]:
    raw = ApiToken.generate_raw()
    return {"pk": ApiToken.objects.create(workspace=ws, name="t", token_hash=hash_secret(raw), hint=raw[:8]).pk}


CASES = [
    Case("workspaces:settings", write=True, data={"name": "Renamed", "time_zone": "Europe/Berlin"}, write_role="admin"),
    Case("workspaces:settings_hub"),
    Case("workspaces:members"),
    Case("workspaces:member_role", _member, read=False, write=True, data={"role": "viewer"}, write_role="admin"),
    Case("workspaces:member_remove", _member, read=False, write=True, write_role="admin"),
    Case(
        "workspaces:invite",
        read=False,
        write=True,
        data={"email": "someone@example.test", "role": "member"},
        write_role="admin",
    ),
    Case("workspaces:invitation_resend", _invitation, read=False, write=True, write_role="admin"),
    Case("workspaces:invitation_revoke", _invitation, read=False, write=True, write_role="admin"),
    Case("workspaces:product_lines"),
    Case("workspaces:product_line_create", write=True, data={"name": "New line"}, write_role="admin"),
    Case("workspaces:product_line_edit", _line, write=True, data={"name": "Edited"}, write_role="admin"),
    Case("workspaces:product_line_delete", _line, read=False, write=True, write_role="admin"),
    Case("workspaces:tokens", write=True, data={"name": "ci", "access": "read"}, write_role="admin"),
    Case("workspaces:audit", min_role="owner"),
    Case("workspaces:token_revoke", _token, read=False, write=True, write_role="admin"),
]

API_CASES = [
    ApiCase("GET", "/workspaces/current"),
    ApiCase("GET", "/workspaces/product-lines"),
    ApiCase("GET", "/workspaces/audit"),
]
