"""Demo hook: the owner's saved views on the decision pages (enterprise problems, renewals, last quarter)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode


def after_demo_load(workspace: Any) -> int:
    from django.utils import timezone

    from harken.savedviews.actions import create_view
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user").first()
    if owner is None:
        return 0
    actor = Actor.for_member(owner)
    segments = dict(workspace.segments.values_list("name", "pk"))
    quarter = (timezone.localdate() - dt.timedelta(days=90)).isoformat()
    wanted: list[tuple[str, str, dict[str, Any]]] = [
        ("problems", "Enterprise", {"segment": segments.get("Enterprise")}),
        ("problems", "Renewing soon", {"segment": segments.get("Renewing in 90 days")}),
        ("problems", "At-risk accounts", {"stage": "at_risk"}),
        ("themes", "Enterprise, last 90 days", {"segment": segments.get("Enterprise"), "since": quarter}),
        ("trends", "Enterprise", {"segment": segments.get("Enterprise")}),
        ("overview", "Last 90 days", {"since": quarter}),
        ("overview", "Enterprise", {"segment": segments.get("Enterprise")}),
    ]
    made = 0
    for page, name, params in wanted:
        if any(v is None for v in params.values()):
            continue
        create_view(actor, page, name, urlencode(params))
        made += 1
    return made
