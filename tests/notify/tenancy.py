from __future__ import annotations

from typing import Any

from harken.notify.models import EmailStatus, OutboundEmail
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


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


# ---------------------------------------------------------------- outgoing webhooks


def endpoint(ws: Workspace) -> dict[str, Any]:
    from harken.notify.models import OutgoingWebhook

    row = OutgoingWebhook.objects.create(
        workspace=ws, name="Hook", url="http://127.0.0.1:9/x", events=["feedback.created"], salt=f"s{ws.pk}"
    )
    return {"pk": row.pk}


def failed_delivery(ws: Workspace) -> dict[str, Any]:
    from harken.notify.models import OutgoingDelivery, OutgoingWebhook

    hook = OutgoingWebhook.objects.get(pk=endpoint(ws)["pk"])
    row = OutgoingDelivery.objects.create(
        workspace=ws, endpoint=hook, event="feedback.created", event_id="evt_x", payload={}, status="failed"
    )
    return {"pk": row.pk}


def endpoint_id(ws: Workspace) -> dict[str, Any]:
    return {"endpoint_id": endpoint(ws)["pk"]}


CASES += [
    Case("notify:webhooks"),
    Case("notify:webhook", endpoint),
    Case("notify:webhook_test", endpoint, read=False, write=True),
    Case("notify:webhook_rotate", endpoint, read=False, write=True),
    Case("notify:webhook_delete", endpoint, read=False, write=True),
    Case("notify:delivery_retry", failed_delivery, read=False, write=True),
]

API_CASES = [
    ApiCase("GET", "/notify/webhooks"),
    ApiCase("GET", "/notify/webhooks/{endpoint_id}/deliveries", endpoint_id),
]
