from __future__ import annotations

from typing import Any

from harken.feedback.actions import create_feedback
from harken.triage.models import ReplyTemplate
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def item(ws: Workspace) -> dict[str, Any]:
    feedback, _ = create_feedback(
        Actor.system(ws),
        text=f"Please add dark mode ({ws.slug})",
        author_email=f"pat@{ws.slug}-customer.test",
        channel="email",
    )
    return {"pk": feedback.pk}


def template(ws: Workspace) -> dict[str, Any]:
    return {"pk": ReplyTemplate.objects.create(workspace=ws, name=f"Thanks {ws.slug}", body="Thanks {{name}}!").pk}


def failed_reply(ws: Workspace) -> dict[str, Any]:
    """A reply (no author: only admins may retry it) whose email failed."""
    from harken.notify.models import EmailStatus
    from harken.notify.services import queue_email
    from harken.triage.models import Reply, Triage

    kwargs = item(ws)
    triage = Triage.objects.get(feedback_id=kwargs["pk"])
    email = queue_email(to=f"pat@{ws.slug}-customer.test", subject="Re: dark mode", text="Soon!", workspace=ws)
    type(email).objects.filter(pk=email.pk).update(status=EmailStatus.FAILED)
    reply = Reply.objects.create(
        workspace=ws, triage=triage, to=email.to[0], subject="Re: dark mode", body="Soon!", email=email
    )
    return {**kwargs, "reply_pk": reply.pk}


def api_item(ws: Workspace) -> dict[str, Any]:
    return {"id": item(ws)["pk"]}


SLA = {"target_hours": "24", "near_breach_hours": "4", "timezone_name": "", "day_start": "09:00", "day_end": "17:00"}

CASES = [
    Case("triage:inbox"),
    Case("triage:metrics"),
    Case("triage:settings", write=True, data=SLA, write_role="admin"),
    Case("triage:templates", write=True, data={"name": "Viewer's", "body": "Hi {{name}}"}),
    Case("triage:template_edit", template, write=True, data={"name": "Renamed", "body": "Hello"}),
    Case("triage:template_delete", template, read=False, write=True),
    Case("triage:item", item),
    Case("triage:draft", item),
    Case("triage:assign", item, read=False, write=True, data={"assignee": ""}),
    Case("triage:decide", item, read=False, write=True, data={"decision": "planned"}),
    Case("triage:note", item, read=False, write=True, data={"body": "Looks like #12"}),
    Case("triage:reply", item, read=False, write=True, data={"body": "Thanks for writing!"}),
    Case("triage:retry_reply", failed_reply, read=False, write=True, write_role="admin"),
]

API_CASES = [
    ApiCase("GET", "/triage/queue"),
    ApiCase("GET", "/triage/items/{id}", api_item),
    ApiCase("POST", "/triage/items/{id}/decide", api_item, write=True, json={"decision": "planned"}),
    ApiCase("POST", "/triage/items/{id}/assign", api_item, write=True, json={"assignee_email": None}),
    ApiCase("POST", "/triage/items/{id}/reply", api_item, write=True, json={"body": "Thanks!"}),
]
