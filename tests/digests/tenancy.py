from __future__ import annotations

from typing import Any

from harken.digests.models import DigestRecipient
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def recipient(ws: Workspace) -> dict[str, Any]:
    return {"pk": DigestRecipient.objects.create(workspace=ws, email=f"boss@{ws.slug}.test").pk}


CASES = [
    Case("digests:digest"),
    Case("digests:recipients"),
    Case("digests:recipient_add", write=True, data={"email": "v@alpha.test", "audience": "team"}, read=False),
    Case("digests:recipient_delete", recipient, write=True, read=False),
    Case("digests:settings", write=True, data={"enabled": "on"}, read=False),
    Case("digests:send_now", write=True, read=False),
    Case("digests:review"),
    Case("digests:review_csv"),
    Case("digests:review_print"),
    Case("digests:review_signoff", read=False),
]

API_CASES = [
    ApiCase("GET", "/digests/weekly"),
    ApiCase("GET", "/digests/review"),
]
