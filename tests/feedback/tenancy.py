"""Tenancy cases for the feedback app: every page and API operation, checked by tests/test_tenancy.py."""

from __future__ import annotations

from typing import Any

from harken.feedback.models import Feedback, Tag
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def an_item(workspace: Workspace) -> dict[str, Any]:
    item = Feedback.objects.create(workspace=workspace, text=f"Export is slow ({workspace.slug})")
    return {"pk": item.pk}


def an_item_with_tag(workspace: Workspace) -> dict[str, Any]:
    kwargs = an_item(workspace)
    tag = Tag.objects.create(workspace=workspace, name=f"tag-{workspace.slug}")
    Feedback.objects.for_workspace(workspace).get(pk=kwargs["pk"]).tags.add(tag)
    return kwargs


def an_api_item(workspace: Workspace) -> dict[str, Any]:
    return {"id": an_item(workspace)["pk"]}


CASES = [
    Case("feedback:overview"),
    Case("feedback:inbox"),
    Case("feedback:match_sender"),
    Case(
        "feedback:new",
        write=True,
        data={"text": "Viewer tries to write", "idempotency_token": "8c3e0f4e-3f7f-4a4e-9d3e-2f1f6a9b7c11"},
        min_role="member",
    ),
    Case("feedback:detail", make=an_item),
    Case("feedback:edit", make=an_item, write=True, data={"text": "changed"}, min_role="member"),
    Case("feedback:delete", make=an_item, write=True, min_role="member"),
    Case("feedback:tags", make=an_item_with_tag, read=False, write=True, data={"add": "urgent"}),
    Case("feedback:columns", read=False, data={"columns": ["arr"]}),
    Case("feedback:bulk", read=False, write=True, data={"action": "tag", "tag": "urgent", "ids": ["1"]}),
    Case("feedback:export", read=False, data={"format": "csv"}),
]

API_CASES = [
    ApiCase("POST", "/feedback/", write=True, json={"text": "From the API"}),
    ApiCase("GET", "/feedback/"),
    ApiCase("GET", "/feedback/{id}", make=an_api_item),
    ApiCase("PATCH", "/feedback/{id}", make=an_api_item, write=True, json={"title": "Renamed"}),
    ApiCase("DELETE", "/feedback/{id}", make=an_api_item, write=True),
    ApiCase("POST", "/feedback/bulk", write=True, json={"action": "tag", "ids": [1], "tag": "urgent"}),
    ApiCase("POST", "/feedback/export"),
]
