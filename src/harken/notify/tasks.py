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


@task(queue_name="webhooks")
def deliver_webhook(delivery_id: int) -> str:
    from harken.notify import webhooks

    delivery = webhooks.deliver(delivery_id)
    return delivery.status if delivery else "skipped"


@task(queue_name="webhooks")
def deliver_due_webhooks() -> int:
    from harken.notify import webhooks

    return webhooks.deliver_due()
