from __future__ import annotations

from typing import Any

from harken.workspaces.models import Membership, Role, Workspace
from tests.tenancy import ApiCase, Case


def view(ws: Workspace) -> dict[str, Any]:
    from harken.savedviews.models import SavedView

    owner = Membership.objects.filter(workspace=ws, role=Role.OWNER).first()
    assert owner is not None
    v = SavedView.objects.create(workspace=ws, user=owner.user, page="problems", name=f"v{ws.slug}", query="plan=x")
    return {"pk": v.pk}


def view_id(ws: Workspace) -> dict[str, Any]:
    return {"view_id": view(ws)["pk"]}


# Saved views are each person's own: viewers keep theirs too, so these are not "write" cases.
CASES = [
    Case("savedviews:create", read=False, data={"page": "problems", "name": "Mine", "query": "plan=x"}),
    Case("savedviews:delete", view, read=False),
]
API_CASES = [
    ApiCase("GET", "/savedviews/"),
    ApiCase("POST", "/savedviews/", json={"page": "problems", "name": "Mine", "query": ""}),
    ApiCase("DELETE", "/savedviews/{view_id}", view_id),
]
