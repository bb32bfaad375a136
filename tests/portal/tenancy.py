from __future__ import annotations

from typing import Any

from harken.workspaces.models import Workspace
from tests.portal.helpers import make_idea
from tests.tenancy import ApiCase, Case


def portal(ws: Workspace) -> dict[str, Any]:
    from tests.portal.helpers import portal_of

    return {"pk": portal_of(ws).pk}


def idea(ws: Workspace) -> dict[str, Any]:
    from tests.portal.helpers import make_idea

    return {"pk": make_idea(ws).pk}


def comment(ws: Workspace) -> dict[str, Any]:
    from harken.portal import actions
    from tests.portal.helpers import make_idea, visitor

    item = make_idea(ws)
    record = actions.comment(visitor(item.portal, f"sam@{ws.slug}.test"), item, "Yes please")
    assert record is not None
    return {"pk": record.pk}


def vote(ws: Workspace) -> dict[str, Any]:
    item = make_idea(ws)
    return {"pk": item.votes.first().pk}  # type: ignore[union-attr]


def user(ws: Workspace) -> dict[str, Any]:
    item = make_idea(ws)
    return {"pk": item.author_id}


def merge(ws: Workspace) -> dict[str, Any]:
    from harken.portal import actions
    from tests.portal.helpers import make_idea, owner_actor

    a, b = make_idea(ws, "Export ideas to CSV"), make_idea(ws, "CSV export of ideas", email=f"kim@{ws.slug}.test")
    record = actions.merge_ideas(owner_actor(ws), a, b)
    return {"pk": record.pk}


def idea_id(ws: Workspace) -> dict[str, Any]:
    return {"idea_id": idea(ws)["pk"]}


def portal_id(ws: Workspace) -> dict[str, Any]:
    return {"portal_id": portal(ws)["pk"]}


CASES = [
    Case(
        "portal:portals",
        write=True,
        data={"name": "X", "slug": "x-portal", "visibility": "public", "accent_color": "#112233"},
    ),
    Case("portal:edit", portal, write=True, data={"name": "Y", "visibility": "public", "accent_color": "#112233"}),
    Case("portal:invite", portal, read=False, write=True, data={"email": "new@x.test"}),
    Case("portal:ideas"),
    Case("portal:idea", idea),
    Case("portal:idea_act", idea, read=False, write=True, data={"action": "status", "status": "planned"}),
    Case("portal:moderation"),
    Case("portal:comment_act", comment, read=False, write=True, data={"action": "spam"}),
    Case("portal:vote_act", vote, read=False, write=True, data={"action": "remove"}),
    Case("portal:user_act", user, read=False, write=True, data={"action": "block"}),
    Case("portal:undo_merge", merge, read=False, write=True),
    Case("portal:audit"),
]

API_CASES = [
    ApiCase("GET", "/portal/portals"),
    ApiCase("GET", "/portal/ideas"),
    ApiCase("GET", "/portal/portals/{portal_id}/ideas", portal_id),
    ApiCase("GET", "/portal/ideas/{idea_id}", idea_id),
    ApiCase("GET", "/portal/ideas/{idea_id}/votes", idea_id),
    ApiCase("POST", "/portal/ideas/{idea_id}/status", idea_id, write=True, json={"status": "planned"}),
    ApiCase("POST", "/portal/ideas/{idea_id}/moderate", idea_id, write=True, json={"action": "spam"}),
    ApiCase("POST", "/portal/ideas/{idea_id}/reply", idea_id, write=True, json={"body": "Thanks"}),
    ApiCase("POST", "/portal/ideas/{idea_id}/votes", idea_id, write=True, json={"email": "x@y.test"}),
    ApiCase("POST", "/portal/ideas/{idea_id}/merge", idea_id, write=True, json={"into_id": 1}),
]
