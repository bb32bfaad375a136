"""The audit log: sign-ins (and failed ones), role changes, member removals, invitations, API tokens,
exports and deletions. Services call `record(...)` explicitly, inside the transaction of the change
they record (so a rolled-back change leaves no entry); only owners read it (`events_for`)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from harken.workspaces.models import AuditAction, AuditEvent, Role, Workspace

if TYPE_CHECKING:
    from harken.workspaces.access import Actor

SIGN_IN_ACTIONS = [AuditAction.SIGNED_IN, AuditAction.SIGN_IN_FAILED]


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _actor_label(actor: Actor | None) -> str:
    if actor is None:
        return ""
    if actor.api_token is not None:
        return f"API token “{actor.api_token.name}”"
    return actor.user.email if actor.user is not None else "Harken"


def record(
    actor: Actor | None,
    action: str,
    target: str = "",
    *,
    workspace: Workspace | None = None,
    subject_email: str = "",
    ip: str = "",
    user: Any = None,
) -> AuditEvent:
    """Write one entry. `actor` is who acted in a workspace; sign-ins pass `user`/`subject_email`."""
    return AuditEvent.objects.create(
        workspace=workspace or (actor.workspace if actor else None),
        action=action,
        actor=user if user is not None else (actor.user if actor else None),
        actor_label=(_actor_label(actor) or subject_email)[:254],
        subject_email=(subject_email or "").strip().lower()[:254],
        target=target[:200],
        ip=_ip(ip),
    )


def record_sign_in(email: str, ip: str, *, user: Any = None, ok: bool) -> AuditEvent:
    return record(
        None,
        AuditAction.SIGNED_IN if ok else AuditAction.SIGN_IN_FAILED,
        "Signed in" if ok else "Wrong email or password",
        subject_email=email,
        ip=ip,
        user=user,
    )


def events_for(actor: Actor) -> QuerySet[AuditEvent]:
    """Owners only: this workspace's events, plus the sign-ins of its current members."""
    if not actor.can(Role.OWNER):
        raise PermissionDenied("Only owners can see the audit log.")
    emails = actor.workspace.memberships.values_list("user__email", flat=True)
    return (
        AuditEvent.objects.filter(
            Q(workspace=actor.workspace)
            | Q(workspace__isnull=True, action__in=SIGN_IN_ACTIONS, subject_email__in=emails)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
