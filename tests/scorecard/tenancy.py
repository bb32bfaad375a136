from __future__ import annotations

from typing import Any

from harken.scorecard.models import ChatExport
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def chat_export(ws: Workspace) -> dict[str, Any]:
    return {"pk": ChatExport.objects.create(workspace=ws, messages=[{"author": "", "text": "secret"}]).pk}


LEVELS = {"goals": "3", "talking": "3", "evaluating": "3", "committing": "3", "consolidating": "3", "advocacy": "3"}

CASES = [
    Case("scorecard:scorecard"),
    Case("scorecard:chat_import", write=True, read=False, data={}),
    Case("scorecard:chat_delete", chat_export, write=True, read=False),
    Case("scorecard:growth"),
    Case("scorecard:assess", write=True, read=False, data=LEVELS),
]

API_CASES = [
    ApiCase("GET", "/scorecard/"),
    ApiCase("GET", "/scorecard/scopes"),
    ApiCase("GET", "/scorecard/rubric"),
    ApiCase("GET", "/scorecard/assessments"),
    ApiCase("POST", "/scorecard/assessments", write=True, json={"levels": {k: 3 for k in LEVELS}}),
]
