"""The PM growth rubric: six practices of customer focus, five levels each, and the evidence a PM's
own data gives for each practice. Reads only; writes are in scorecard/actions.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from harken.scorecard.models import SelfAssessment
from harken.workspaces.models import Workspace

LEVELS = [
    (1, "Novice"),
    (2, "Advanced beginner"),
    (3, "Competent"),
    (4, "Proficient"),
    (5, "Master"),
]
LEVEL_NAMES = dict(LEVELS)

#: (key, practice, what level 5 looks like)
PRACTICES = [
    (
        "goals",
        "Understanding goals and processes",
        "Knows each key account's goals, jobs and process steps, and where they hurt.",
    ),
    (
        "talking",
        "Talking to customers",
        "Talks to customers every week, on every product line, and shares what was heard.",
    ),
    (
        "evaluating",
        "Evaluating requests",
        "Every request is answered within the SLA and gets a reasoned decision within a week.",
    ),
    (
        "committing",
        "Committing and communicating",
        "Promises few dates, keeps them, and warns customers before a date slips.",
    ),
    (
        "consolidating",
        "Consolidating insight",
        "Every roadmap item rests on linked customer evidence; highlights feed themes.",
    ),
    ("advocacy", "Advocacy", "Speaks for customers inside the company: the team's notes quote and name them."),
]
PRACTICE_KEYS = [k for k, _, _ in PRACTICES]
EVIDENCE_DAYS = 84


def evidence(workspace: Workspace, user: Any, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """practice key → facts from the PM's own data over the last 12 weeks (never a level: the PM judges)."""
    from harken.conversations.models import Conversation, Highlight
    from harken.customers.models import CustomerGoal, CustomerJob
    from harken.roadmap.models import Evidence, Promise, PromiseStatus, RoadmapItem
    from harken.scorecard.metrics import Scope, notices_in_time, talk
    from harken.triage.models import Triage

    now = now or timezone.now()
    since = now - dt.timedelta(days=EVIDENCE_DAYS)
    scope = Scope(workspace, "pm", user=user)
    convs = Conversation.objects.for_workspace(workspace).filter(
        Q(owner=user) | Q(members=user), happened_at__gte=since, happened_at__lt=now
    )
    n_convs = convs.distinct().count()
    accounts = convs.exclude(account=None).values("account").distinct().count()
    goals = CustomerGoal.objects.for_workspace(workspace).filter(created_by=user).count()
    jobs = CustomerJob.objects.for_workspace(workspace).filter(created_by=user).count()
    decided = Triage.objects.for_workspace(workspace).filter(decided_by=user, decided_at__gte=since)
    answered = Triage.objects.for_workspace(workspace).filter(first_response_by=user, first_response_at__gte=since)
    promises = (
        Promise.objects.for_workspace(workspace)
        .filter(made_by=user, original_target_date__lt=now.date())  # due ones: the others cannot be late yet
        .exclude(status=PromiseStatus.WITHDRAWN)
    )
    kept = promises.filter(status=PromiseStatus.KEPT, kept_on_time=True).count()
    notices = notices_in_time(scope, since, now, now)
    owned = RoadmapItem.objects.for_workspace(workspace).filter(owner=user, deleted_at__isnull=True)
    backed = owned.filter(evidence__isnull=False).distinct().count()
    linked = Evidence.objects.for_workspace(workspace).filter(linked_by=user, created_at__gte=since).count()
    highlights = Highlight.objects.for_workspace(workspace).filter(conversation__in=convs.values("pk")).count()
    talk_reading = talk(scope, since, now, now)
    weeks = EVIDENCE_DAYS // 7
    return {
        "goals": [f"{goals} customer goal{'s' * (goals != 1)} and {jobs} job{'s' * (jobs != 1)} recorded"],
        "talking": [
            f"{n_convs} conversation{'s' * (n_convs != 1)} in the last {weeks} weeks "
            f"({n_convs / weeks:.1f} a week) with {accounts} account{'s' * (accounts != 1)}"
        ],
        "evaluating": [
            f"{decided.count()} request{'s' * (decided.count() != 1)} decided and {answered.count()} answered "
            f"in the last {weeks} weeks"
        ],
        "committing": [
            f"{kept} of {promises.count()} due promise{'s' * (promises.count() != 1)} kept on time",
            "delay notices in time: "
            + ("no slipped promises" if notices.value is None else f"{notices.numerator:g} of {notices.denominator:g}"),
        ],
        "consolidating": [
            f"{backed} of {owned.count()} owned roadmap item{'s' * (owned.count() != 1)} backed by evidence",
            f"{linked} piece{'s' * (linked != 1)} of evidence linked and {highlights} highlight{'s' * (highlights != 1)} "
            f"taken in the last {weeks} weeks",
        ],
        "advocacy": [
            "talk index: "
            + (
                "nothing written yet"
                if talk_reading.value is None
                else f"{talk_reading.numerator:g} of {talk_reading.denominator:g} texts refer to customers"
            )
        ],
    }


def history(workspace: Workspace, user: Any) -> list[dict[str, Any]]:
    """The PM's self-assessments, newest first, with each practice's level and its change."""
    rows = list(SelfAssessment.objects.filter(workspace=workspace, user=user).order_by("-created_at", "-id"))
    out = []
    for i, row in enumerate(rows):
        before = rows[i + 1].levels if i + 1 < len(rows) else {}
        out.append(
            {
                "assessment": row,
                "levels": [
                    {
                        "key": k,
                        "level": row.levels.get(k),
                        "name": LEVEL_NAMES.get(row.levels.get(k, 0), "—"),
                        "change": (row.levels.get(k, 0) - before[k]) if k in before and k in row.levels else None,
                    }
                    for k in PRACTICE_KEYS
                ],
            }
        )
    return out


def team(workspace: Workspace) -> list[dict[str, Any]]:
    """Each member's latest self-assessment (members without one are left out)."""
    latest: dict[int, Any] = {}
    for row in SelfAssessment.objects.filter(workspace=workspace).select_related("user").order_by("-created_at", "-id"):
        latest.setdefault(row.user_id, row)
    return [
        {"user": row.user, "assessment": row, "levels": [row.levels.get(k) for k in PRACTICE_KEYS]}
        for row in sorted(latest.values(), key=lambda r: r.user.display_name.lower())
    ]
