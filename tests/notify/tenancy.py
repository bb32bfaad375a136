from __future__ import annotations

from typing import Any

from harken.notify.models import EmailStatus, OutboundEmail
from harken.workspaces.models import Workspace
from tests.tenancy import Case


def email(ws: Workspace, status: str = EmailStatus.SENT) -> dict[str, Any]:
    row = OutboundEmail.objects.create(
        workspace=ws,
        to=[f"pat@{ws.slug}.test"],
        subject="Re: dark mode",
        text="Thanks",
        message_id=f"<{ws.slug}-{OutboundEmail.objects.count()}@t>",
        status=status,
    )
    return {"pk": row.pk}


def failed_email(ws: Workspace) -> dict[str, Any]:
    return email(ws, EmailStatus.FAILED)


CASES = [
    Case("notify:outbox", min_role="admin"),
    Case("notify:email", email, min_role="admin"),
    Case("notify:retry", failed_email, read=False, write=True, write_role="admin"),
]
