"""Demo hook: goals, jobs-to-be-done and process maps (with pains linked to feedback) for several accounts."""

from __future__ import annotations

from typing import Any

GOALS = [
    ("Close the books in three days", "Finance wants month-end reporting done by the third working day."),
    ("Give every regional manager self-serve numbers", "Fewer ad-hoc data requests to the central team."),
    ("Pass the SOC 2 audit without a scramble", ""),
]
JOBS = [
    ("the month ends", "reconcile revenue across our tools", "report to the board on day three"),
    ("a pipeline fails overnight", "know before my stakeholders do", "fix it before anyone sees a wrong number"),
    ("a new analyst joins", "show them where every metric comes from", "they are productive in their first week"),
]
# (step, micro-steps, pains as (text, severity, words to find linked feedback))
PROCESS = [
    ("Collect data", ["Connect sources", "Schedule syncs"], [("Syncs fail silently overnight", 3, "fail")]),
    (
        "Reconcile numbers",
        ["Export to spreadsheets", "Compare totals"],
        [("Everything is rebuilt by hand in Excel", 3, "export")],
    ),
    ("Build the report", ["Pick KPIs", "Format charts"], [("Charts need manual formatting every month", 2, "chart")]),
    (
        "Share with stakeholders",
        ["Send PDF", "Answer questions"],
        [("Board members need a login to see dashboards", 2, "share")],
    ),
]


def after_demo_load(workspace: Any) -> int:
    from harken.customers import understanding
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user").first()
    if owner is None:
        return 0
    actor = Actor.for_member(owner)
    for i, account in enumerate(workspace.accounts.order_by("-arr", "pk")[:6]):
        for title, detail in GOALS[: 2 + i % 2]:
            understanding.add_goal(actor, account, title=title, detail=detail)
        for situation, motivation, outcome in JOBS[: 1 + i % 3]:
            understanding.add_job(actor, account, situation=situation, motivation=motivation, outcome=outcome)
        for s, (step_title, micro, pains) in enumerate(PROCESS):
            if i % 2 and s == 3:
                continue  # not every account shares reports the same way
            step = understanding.add_step(actor, account, title=step_title)
            for m in micro:
                understanding.add_step(actor, account, title=m, parent=step)
            for text, severity, word in pains:
                ids = list(
                    account.feedback_items.filter(text__icontains=word)
                    .order_by("-received_at")
                    .values_list("pk", flat=True)[:3]
                )
                understanding.add_pain(
                    actor, step, text=text, severity=max(1, severity - (i + s) % 2), feedback_ids=ids
                )
    return 0
