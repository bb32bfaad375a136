from __future__ import annotations

from django_tasks import task

from harken.notify import services


@task(queue_name="mail")
def deliver_email(email_id: int) -> str:
    email = services.deliver(email_id)
    return email.status if email else "skipped"


@task(queue_name="mail")
def deliver_due_emails() -> int:
    """Retry failed emails whose backoff has passed (safety net if a scheduled retry was lost)."""
    return services.deliver_due()
