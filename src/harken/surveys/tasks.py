from __future__ import annotations

from django_tasks import task


@task()
def send_survey_reminders() -> int:
    """Daily: one reminder per unanswered, unexpired invitation past its survey's delay."""
    from harken.surveys.actions import send_reminders

    return send_reminders()
