from __future__ import annotations

from typing import Any

from harken.workspaces.models import Workspace
from tests.surveys.helpers import make_survey
from tests.tenancy import ApiCase, Case


def survey(ws: Workspace) -> dict[str, Any]:
    return {"pk": make_survey(ws).pk}


def api_survey(ws: Workspace) -> dict[str, Any]:
    return {"id": make_survey(ws).pk}


CASES = [
    Case("surveys:list"),
    Case("surveys:create", write=True, data={"name": "Viewer survey", "kind": "nps"}, min_role="member"),
    Case("surveys:detail", survey),
    Case("surveys:send", survey, write=True, read=False),
    Case("surveys:close", survey, write=True, read=False),
    Case(
        "surveys:settings",
        write=True,
        data={"throttle_days": "30", "remind_after_days": "2", "expires_after_days": "30", "csat_satisfied_from": "5"},
        write_role="admin",
    ),
]

API_CASES = [
    ApiCase("GET", "/surveys/"),
    ApiCase("GET", "/surveys/settings"),
    ApiCase("POST", "/surveys/", write=True, json={"name": "Token survey"}),
    ApiCase("GET", "/surveys/{id}", api_survey),
    ApiCase("POST", "/surveys/{id}/send", api_survey, write=True, json={}),
    ApiCase("GET", "/surveys/{id}/results", api_survey),
    ApiCase("GET", "/surveys/{id}/answers", api_survey),
]
