"""Portal test helpers: a portal for a workspace, a signed-in visitor through the real magic link."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from harken.notify.models import OutboundEmail
from harken.notify.secrets import reveal
from harken.portal import actions
from harken.portal.models import Idea, Portal, PortalUser
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, Role, Workspace


def owner_actor(ws: Workspace) -> Actor:
    membership = Membership.objects.filter(workspace=ws, role=Role.OWNER).first()
    return Actor.for_member(membership) if membership else Actor(workspace=ws, user=None, role=Role.OWNER)


def make_portal(ws: Workspace, **data: Any) -> Portal:
    values = {"name": f"{ws.name} ideas", "slug": f"{ws.slug}-ideas", "allow_staff_sign_in": True, **data}
    return actions.save_portal(owner_actor(ws), values)


def portal_of(ws: Workspace) -> Portal:
    return ws.portals.first() or make_portal(ws)


def visitor(portal: Portal, email: str, ip: str = "10.0.0.1") -> actions.Visitor:
    user = actions._ensure_user(portal, email)
    return actions.Visitor(portal, user, ip)


def make_idea(ws: Workspace, title: str = "Dark mode for the dashboard", email: str = "") -> Idea:
    portal = portal_of(ws)
    idea = actions.submit_idea(visitor(portal, email or f"pat@{ws.slug}-customer.test"), title, "Please **add** it")
    assert idea is not None
    return idea


def last_link(email: str) -> str:
    sent = OutboundEmail.objects.filter(kind="portal.magic_link").order_by("-id")
    message = next((m for m in sent if email in m.to), None)
    assert message is not None, f"no magic link sent to {email}"
    assert "/signin/" not in message.text  # the outbox stores a placeholder, never the link
    text, _html = reveal(message.text, message.html, message.secrets)  # what delivery sends
    found = re.search(r"https?://\S+/signin/\S+/", text)
    assert found
    return found.group(0)


def sign_in(client: Client, portal: Portal, email: str, name: str = "") -> PortalUser:
    response = client.post(f"/p/{portal.slug}/signin/", {"email": email})
    assert response.status_code == 200, response.status_code
    path = "/" + last_link(email).split("/", 3)[3]
    assert client.get(path).status_code == 200
    response = client.post(path, {"name": name})
    assert response.status_code == 302, response.status_code
    return portal.users.get(email=email)
