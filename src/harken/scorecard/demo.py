"""Demo hook: the PMs' self-assessments on the growth rubric over the past ten months (histories that
show growth) and team chat exports uploaded over six months, so the PM growth page and the
scorecard's talk index (value and trend) are populated in the demo."""

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
# Self-assessments over the year: (PM index, weeks ago, levels, note). The first PM assessed
# themselves four times, the second twice, the third once — each history shows growth.
ASSESSMENTS: list[tuple[int, int, dict[str, int], str]] = [
    (
        0,
        40,
        {"goals": 1, "talking": 2, "evaluating": 2, "committing": 1, "consolidating": 1, "advocacy": 1},
        "First assessment: I mostly hear customers through support tickets.",
    ),
    (
        0,
        24,
        {"goals": 2, "talking": 2, "evaluating": 3, "committing": 2, "consolidating": 1, "advocacy": 2},
        "Starting out: talk to customers weekly.",
    ),
    (
        0,
        10,
        {"goals": 2, "talking": 3, "evaluating": 3, "committing": 2, "consolidating": 2, "advocacy": 2},
        "Weekly calls are a habit now; next, promises.",
    ),
    (
        0,
        0,
        {"goals": 3, "talking": 4, "evaluating": 3, "committing": 3, "consolidating": 2, "advocacy": 3},
        "Next: link evidence to every roadmap item.",
    ),
    (
        1,
        20,
        {"goals": 2, "talking": 2, "evaluating": 3, "committing": 1, "consolidating": 2, "advocacy": 2},
        "Two late promises this quarter: I promise too early.",
    ),
    (
        1,
        0,
        {"goals": 2, "talking": 3, "evaluating": 4, "committing": 2, "consolidating": 3, "advocacy": 2},
        "Keep promises: fewer, later dates.",
    ),
    (
        2,
        6,
        {"goals": 3, "talking": 3, "evaluating": 2, "committing": 3, "consolidating": 2, "advocacy": 1},
        "Ask promoters for references more often.",
    ),
]
#: Chat exports uploaded over the past six months (weeks ago); each holds a slice of CHAT-like talk,
#: so the talk index has a trend whatever else the demo dates.
EXPORT_WEEKS = [22, 17, 13, 9, 5, 1]
OLDER_CHAT = [
    "Release train is delayed a day, infra is upgrading the runners",
    "Quarterly OKR draft is in the shared folder",
    "Initech's admin complained that exports time out on big tables",
    "Reminder: retro on Thursday",
    "A customer told us they print the dashboard every Monday for their exec meeting",
    "Who can review the billing refactor?",
]


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
    for who, weeks, levels, note in ASSESSMENTS:
        if who >= len(pms):
            continue
        made = SelfAssessment.objects.create(workspace=workspace, user=pms[who], levels=levels, note=note)
        if weeks:
            SelfAssessment.objects.filter(pk=made.pk).update(created_at=now - dt.timedelta(weeks=weeks))
    for n, weeks in enumerate(EXPORT_WEEKS):
        recent = n == len(EXPORT_WEEKS) - 1
        lines = CHAT if recent else [(i, OLDER_CHAT[(n + i) % len(OLDER_CHAT)]) for i in range(2 + n % 3)]
        export = ChatExport.objects.create(
            workspace=workspace,
            filename="team-chat-export.txt" if recent else f"team-chat-{n + 1}.txt",
            messages=[{"author": pms[i % len(pms)].email, "text": text} for i, text in lines],
            uploaded_by=pms[0],
        )
        ChatExport.objects.filter(pk=export.pk).update(created_at=now - dt.timedelta(weeks=weeks, days=n % 3))
    return 0
