from __future__ import annotations

from django_tasks import task

from harken.triage import services


@task()
def send_sla_reminders() -> int:
    """Remind assignees once per item before its first-response target passes."""
    return services.send_reminders()


@task()
def send_overdue_summaries() -> int:
    """Send each workspace owner the list of items past their first-response target."""
    return services.send_overdue_summaries()
