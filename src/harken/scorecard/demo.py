"""Demo hook: two PMs' self-assessments on the growth rubric (one with history) and a small team chat
export, so the scorecard's talk index and the PM growth page are populated in the demo."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

# (author index, text): some about customers, some internal — the talk index counts them.
CHAT = [
    (0, "Acme's ops lead told us the month-end export is still painful"),
    (1, "Can someone fix the flaky CI job on main?"),
    (0, 'Their finance team said: "we rebuild the board report by hand every month"'),
    (2, "Standup moved to 9:30 tomorrow"),
    (1, "Three customers asked for read-only access for finance this week"),
    (2, "Renewal call with Globex went well, they want Slack alerts"),
    (0, "Sprint planning notes are in the wiki"),
    (1, "Who owns the staging database migration?"),
    (2, "Support ticket volume on the mobile app doubled after the release"),
    (0, "Lunch order closes at 11"),
]
# practice → level, for an assessment 10 weeks ago and one now (the first PM); the second PM: now only
LEVELS_THEN = {
    "goals": 2,
    "talking": 2,
    "evaluating": 3,
    "committing": 2,
    "consolidating": 1,
    "advocacy": 2,
}
LEVELS_NOW = {"goals": 3, "talking": 4, "evaluating": 3, "committing": 3, "consolidating": 2, "advocacy": 3}
LEVELS_OTHER = {"goals": 2, "talking": 3, "evaluating": 4, "committing": 2, "consolidating": 3, "advocacy": 2}


def after_demo_load(workspace: Any) -> int:
    from harken.conversations.cadence import pm_lines
    from harken.scorecard.models import ChatExport, SelfAssessment

    pms: list[Any] = []
    for pm, _ in pm_lines(workspace):
        if pm not in pms:
            pms.append(pm)
    if not pms:
        return 0
    now = timezone.now()
    first = SelfAssessment.objects.create(
        workspace=workspace, user=pms[0], levels=LEVELS_THEN, note="Starting out: talk to customers weekly."
    )
    SelfAssessment.objects.filter(pk=first.pk).update(created_at=now - dt.timedelta(weeks=10))
    SelfAssessment.objects.create(
        workspace=workspace, user=pms[0], levels=LEVELS_NOW, note="Next: link evidence to every roadmap item."
    )
    if len(pms) > 1:
        SelfAssessment.objects.create(
            workspace=workspace, user=pms[1], levels=LEVELS_OTHER, note="Keep promises: fewer, later dates."
        )
    ChatExport.objects.create(
        workspace=workspace,
        filename="team-chat-export.txt",
        messages=[{"author": pms[i % len(pms)].email, "text": text} for i, text in CHAT],
        uploaded_by=pms[0],
    )
    return 0
