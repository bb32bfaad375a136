from __future__ import annotations

from django_tasks import task

from harken.triage import actions


@task()
def send_sla_reminders() -> int:
    """Remind assignees once per item before its first-response target passes."""
    return actions.send_reminders()


@task()
def send_overdue_summaries() -> int:
    """Send each workspace owner the list of items past their first-response target."""
    return actions.send_overdue_summaries()
