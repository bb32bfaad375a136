from __future__ import annotations

from typing import Any

from harken.conversations.models import CalendarImport, Conversation, Highlight
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def conversation(ws: Workspace) -> dict[str, Any]:
    return {"pk": Conversation.objects.create(workspace=ws, title=f"{ws.name} interview").pk}


def highlight(ws: Workspace) -> dict[str, Any]:
    conv = Conversation.objects.create(workspace=ws, title=f"{ws.name} call")
    return {"pk": Highlight.objects.create(workspace=ws, conversation=conv, text="secret").pk}


def calendar_import(ws: Workspace) -> dict[str, Any]:
    return {"pk": CalendarImport.objects.create(workspace=ws, raw="BEGIN:VCALENDAR").pk}


def api_conversation(ws: Workspace) -> dict[str, Any]:
    return {"id": conversation(ws)["pk"]}


CASES = [
    Case("conversations:list"),
    Case(
        "conversations:create",
        write=True,
        data={"title": "Viewer", "kind": "call", "happened_at": "2026-11-02T10:00"},
        min_role="member",
    ),
    Case("conversations:detail", conversation),
    Case(
        "conversations:edit",
        conversation,
        write=True,
        data={"title": "x", "kind": "call", "happened_at": "2026-11-02T10:00"},
        min_role="member",
    ),
    Case("conversations:delete", conversation, write=True, min_role="member"),
    Case("conversations:roadmap_link", conversation, write=True, data={"new_title": "Viewer item"}, read=False),
    Case("conversations:highlight_add", conversation, write=True, data={"text": "viewer"}, read=False),
    Case("conversations:highlight_delete", highlight, write=True, read=False),
    Case("conversations:import_ics", write=True, min_role="member"),
    Case("conversations:import_detail", calendar_import),
    Case("conversations:cadence"),
    Case("conversations:cadence_settings", write=True, data={"weekly_target": "2"}, read=False),
    Case("conversations:my_time_zone", read=False),
]

API_CASES = [
    ApiCase("GET", "/conversations/"),
    ApiCase("POST", "/conversations/", write=True, json={"title": "Token call"}),
    ApiCase("GET", "/conversations/{id}", api_conversation),
    ApiCase("PATCH", "/conversations/{id}", api_conversation, write=True, json={"title": "Renamed"}),
    ApiCase("DELETE", "/conversations/{id}", api_conversation, write=True),
    ApiCase("POST", "/conversations/{id}/highlights", api_conversation, write=True, json={"text": "token"}),
    ApiCase("GET", "/conversations/cadence"),
    ApiCase("GET", "/conversations/suggestions"),
]
