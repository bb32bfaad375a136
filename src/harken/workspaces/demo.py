"""Demo hook: give the demo workspace's audit log a realistic first page (owners see it under
Workspace → Audit log), written through the same `audit.record` the services use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone


def after_demo_load(workspace: Any) -> int:
    from harken.workspaces import audit
    from harken.workspaces.access import Actor
    from harken.workspaces.models import AuditAction, AuditEvent, Role

    memberships = list(workspace.memberships.select_related("user").order_by("created_at"))
    if not memberships:
        return 0
    owner = next((m for m in memberships if m.role == Role.OWNER), memberships[0])
    actor = Actor.for_member(owner)
    written = []
    for n, m in enumerate(memberships[:5]):
        written.append(audit.record_sign_in(m.user.email, f"198.51.100.{10 + n}", user=m.user, ok=True))
    written.append(audit.record_sign_in(owner.user.email, "203.0.113.77", ok=False))
    written.append(audit.record(actor, AuditAction.TOKEN_CREATED, "CRM sync (read and write)"))
    for m in memberships[1:2]:
        written.append(
            audit.record(
                actor, AuditAction.ROLE_CHANGED, f"{m.user.email}: Viewer → Member", subject_email=m.user.email
            )
        )
    # Spread them over the last days, oldest first, so the page reads like a real history.
    now = timezone.now()
    for age, event in enumerate(reversed(written)):
        AuditEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(hours=7 * age + 1))
    return 0  # nothing queued (the loader counts queued tasks)
