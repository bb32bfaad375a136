from __future__ import annotations

from typing import Any

from harken.customers.models import Account, Contact, Segment
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def account(ws: Workspace) -> dict[str, Any]:
    return {"pk": Account.objects.create(workspace=ws, name=f"{ws.name} Corp", domain=f"{ws.slug}-corp.test").pk}


def contact(ws: Workspace) -> dict[str, Any]:
    return {"pk": Contact.objects.create(workspace=ws, name="Pat", email=f"pat@{ws.slug}-corp.test").pk}


def segment(ws: Workspace) -> dict[str, Any]:
    return {"pk": Segment.objects.create(workspace=ws, name="Enterprise", filters={"segment": "Enterprise"}).pk}


def api_account(ws: Workspace) -> dict[str, Any]:
    return {"id": account(ws)["pk"]}


def api_contact(ws: Workspace) -> dict[str, Any]:
    return {"id": contact(ws)["pk"]}


CASES = [
    Case("customers:account_list"),
    Case(
        "customers:account_create",
        write=True,
        data={"name": "Viewer Corp", "lifecycle_stage": "active"},
        min_role="member",
    ),
    Case("customers:account_detail", account),
    Case(
        "customers:account_edit",
        account,
        write=True,
        data={"name": "Renamed", "lifecycle_stage": "active"},
        min_role="member",
    ),
    Case("customers:account_delete", account, write=True, min_role="member"),
    Case("customers:contact_list"),
    Case("customers:contact_create", write=True, data={"name": "Viewer", "email": "v@example.test"}, min_role="member"),
    Case("customers:contact_detail", contact),
    Case(
        "customers:contact_edit",
        contact,
        write=True,
        data={"name": "Renamed", "email": "r@example.test"},
        min_role="member",
    ),
    Case("customers:contact_delete", contact, write=True, min_role="member"),
    Case("customers:segment_list"),
    Case("customers:segment_create", write=True, data={"name": "Viewers", "weight": "1"}, min_role="member"),
    Case("customers:segment_edit", segment, write=True, data={"name": "Renamed", "weight": "1"}, min_role="member"),
    Case("customers:segment_delete", segment, write=True, min_role="member"),
]

API_CASES = [
    ApiCase("GET", "/customers/accounts"),
    ApiCase("GET", "/customers/accounts/{id}", api_account),
    ApiCase("POST", "/customers/accounts", write=True, json={"name": "Token Corp"}),
    ApiCase("PATCH", "/customers/accounts/{id}", api_account, write=True, json={"plan": "Pro"}),
    ApiCase("DELETE", "/customers/accounts/{id}", api_account, write=True),
    ApiCase("GET", "/customers/contacts"),
    ApiCase("GET", "/customers/contacts/{id}", api_contact),
    ApiCase("POST", "/customers/contacts", write=True, json={"email": "token@example.test"}),
    ApiCase("PATCH", "/customers/contacts/{id}", api_contact, write=True, json={"title": "CTO"}),
    ApiCase("DELETE", "/customers/contacts/{id}", api_contact, write=True),
    ApiCase("GET", "/customers/segments"),
]
