from __future__ import annotations

from typing import Any

from harken.advocacy.models import Ask, Referral
from harken.workspaces.models import Workspace
from tests.surveys.helpers import make_contact
from tests.tenancy import ApiCase, Case


def ask(ws: Workspace) -> dict[str, Any]:
    contact = make_contact(ws, f"pat@{ws.slug}-adv.test")
    return {"pk": Ask.objects.create(workspace=ws, contact=contact, kind="testimonial").pk}


def referral(ws: Workspace) -> dict[str, Any]:
    contact = make_contact(ws, f"ref@{ws.slug}-adv.test")
    return {"pk": Referral.objects.create(workspace=ws, referrer=contact, company="Newco").pk}


def api_ask(ws: Workspace) -> dict[str, Any]:
    return {"id": ask(ws)["pk"]}


CASES = [
    Case("advocacy:queue"),
    Case("advocacy:candidates"),
    Case("advocacy:ask_create", write=True, read=False, data={"contact": "1", "kind": "testimonial"}),
    Case("advocacy:ask_detail", ask, write=True, data={"status": "declined"}),
    Case("advocacy:referrals"),
    Case("advocacy:referral_create", write=True, read=False, data={"referrer": "1", "company": "X"}),
    Case("advocacy:referral_outcome", referral, write=True, read=False, data={"outcome": "won", "value": "10"}),
    Case("advocacy:reward_create", write=True, read=False, data={"contact": "1", "description": "Gift"}),
]

API_CASES = [
    ApiCase("GET", "/advocacy/queue"),
    ApiCase("GET", "/advocacy/asks"),
    ApiCase("POST", "/advocacy/asks", write=True, json={"contact_id": 1, "kind": "testimonial"}),
    ApiCase("PATCH", "/advocacy/asks/{id}", api_ask, write=True, json={"status": "declined"}),
    ApiCase("GET", "/advocacy/referrals"),
    ApiCase("POST", "/advocacy/referrals", write=True, json={"referrer_id": 1, "company": "X"}),
    ApiCase("GET", "/advocacy/rewards"),
    ApiCase("POST", "/advocacy/rewards", write=True, json={"contact_id": 1, "description": "Gift"}),
    ApiCase("GET", "/advocacy/candidates"),
]
