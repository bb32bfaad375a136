from __future__ import annotations

from django_tasks import task


@task()
def send_cadence_reminders() -> int:
    """Monday reminders: each PM's gap this week and who to talk to next."""
    from harken.conversations.reminders import send_cadence_reminders as send

    return send()
