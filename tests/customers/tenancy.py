from __future__ import annotations

from typing import Any

from harken.customers.models import Account, Contact, ProcessStep, Segment
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
    Case(
        "customers:value_settings",
        write=True,
        read=False,
        write_role="admin",
        data={"gross_margin": "70", "annual_churn": "20"},
    ),
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


def _step(ws: Workspace) -> ProcessStep:
    from harken.customers.models import ProcessStep

    acc = Account.objects.create(workspace=ws, name=f"{ws.name} Mapped", domain=f"{ws.slug}-mapped.test")
    return ProcessStep.objects.create(workspace=ws, account=acc, title="Collect invoices", position=1)


def goal(ws: Workspace) -> dict[str, Any]:
    from harken.customers.models import CustomerGoal

    acc = Account.objects.create(workspace=ws, name=f"{ws.name} Goals", domain=f"{ws.slug}-goals.test")
    return {"pk": CustomerGoal.objects.create(workspace=ws, account=acc, title="Grow").pk}


def job(ws: Workspace) -> dict[str, Any]:
    from harken.customers.models import CustomerJob

    acc = Account.objects.create(workspace=ws, name=f"{ws.name} Jobs", domain=f"{ws.slug}-jobs.test")
    return {"pk": CustomerJob.objects.create(workspace=ws, account=acc, situation="a", motivation="b", outcome="c").pk}


def step(ws: Workspace) -> dict[str, Any]:
    return {"pk": _step(ws).pk}


def pain(ws: Workspace) -> dict[str, Any]:
    from harken.customers.models import StepPain

    return {"pk": StepPain.objects.create(workspace=ws, step=_step(ws), text="Paper").pk}


CASES += [
    Case("customers:goal_add", account, write=True, data={"title": "Viewer goal"}, read=False),
    Case("customers:goal_edit", goal, write=True, data={"title": "Viewer goal"}, read=False),
    Case("customers:goal_delete", goal, write=True, read=False),
    Case(
        "customers:job_add", account, write=True, data={"situation": "a", "motivation": "b", "outcome": "c"}, read=False
    ),
    Case("customers:job_edit", job, write=True, data={"situation": "x", "motivation": "y", "outcome": "z"}, read=False),
    Case("customers:job_delete", job, write=True, read=False),
    Case("customers:step_add", account, write=True, data={"title": "Viewer step"}, read=False),
    Case("customers:step_edit", step, write=True, data={"title": "Viewer step"}, read=False),
    Case("customers:step_move", step, write=True, data={"direction": "up"}, read=False),
    Case("customers:step_delete", step, write=True, read=False),
    Case("customers:pain_add", step, write=True, data={"text": "Viewer pain"}, read=False),
    Case("customers:pain_delete", pain, write=True, read=False),
    Case("customers:process_pain"),
]


def api_step(ws: Workspace) -> dict[str, Any]:
    return {"id": _step(ws).pk}


API_CASES += [
    ApiCase("GET", "/customers/accounts/{id}/understanding", api_account),
    ApiCase("POST", "/customers/accounts/{id}/goals", api_account, write=True, json={"title": "Grow"}),
    ApiCase(
        "POST",
        "/customers/accounts/{id}/jobs",
        api_account,
        write=True,
        json={"situation": "a", "motivation": "b", "outcome": "c"},
    ),
    ApiCase("POST", "/customers/accounts/{id}/steps", api_account, write=True, json={"title": "Collect"}),
    ApiCase("POST", "/customers/steps/{id}/pains", api_step, write=True, json={"text": "Paper"}),
    ApiCase("GET", "/customers/process-pain"),
]


def _api(maker):  # type: ignore[no-untyped-def]
    return lambda ws: {"id": maker(ws)["pk"]}


API_CASES += [
    ApiCase("PATCH", "/customers/goals/{id}", _api(goal), write=True, json={"title": "Renamed"}),
    ApiCase("PATCH", "/customers/jobs/{id}", _api(job), write=True, json={"outcome": "ship"}),
    ApiCase("PATCH", "/customers/steps/{id}", api_step, write=True, json={"detail": "By hand"}),
    ApiCase("DELETE", "/customers/goals/{id}", _api(goal), write=True),
    ApiCase("DELETE", "/customers/jobs/{id}", _api(job), write=True),
    ApiCase("DELETE", "/customers/steps/{id}", api_step, write=True),
    ApiCase("DELETE", "/customers/pains/{id}", _api(pain), write=True),
]
