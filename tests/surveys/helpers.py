"""Survey test helpers: a survey, contacts, and the real link from the delivered email."""

from __future__ import annotations

import re

from harken.customers.models import Account, Contact
from harken.surveys import actions
from harken.surveys.models import Survey
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace


def make_survey(ws: Workspace, kind: str = "nps", **kwargs: object) -> Survey:
    return actions.create_survey(Actor.system(ws), name=f"{ws.name} {kind}", kind=kind, **kwargs)  # type: ignore[arg-type]


def make_contact(ws: Workspace, email: str, *, arr: int = 1000, segment: str = "SMB", plan: str = "Pro") -> Contact:
    domain = email.split("@")[1]
    account, _ = Account.objects.get_or_create(
        workspace=ws,
        domain=domain,
        defaults={"name": domain.split(".")[0].title(), "arr": arr, "segment": segment, "plan": plan},
    )
    return Contact.objects.create(workspace=ws, account=account, name=email.split("@")[0].title(), email=email)


LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_\-]+/")


def link_in(message: object) -> str:
    body = message.get_content()  # type: ignore[attr-defined]
    found = LINK.search(body)
    assert found, body
    return found.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]
