from __future__ import annotations

from typing import Any

from django_tasks import task

from harken.core.queues import MAIL, WEBHOOKS
from harken.notify import services


@task(queue_name=MAIL, takes_context=True)
def deliver_email(context: Any, email_id: int) -> str:
    """Send one outbox email. On the mail queue, which workers take before all others.

    A later attempt (the first worker died mid-send and its lease expired, see core/leases.py)
    also takes an email left "sending", so it is not stuck for ever.
    """
    email = services.deliver(email_id, retry_interrupted=context.attempt > 1)
    return email.status if email else "skipped"


@task(queue_name=MAIL)
def deliver_due_emails() -> int:
    """Retry failed emails whose backoff has passed (safety net if a scheduled retry was lost)."""
    return services.deliver_due()


@task(queue_name=WEBHOOKS)
def deliver_webhook(delivery_id: int) -> str:
    from harken.notify import webhooks

    delivery = webhooks.deliver(delivery_id)
    return delivery.status if delivery else "skipped"


@task(queue_name=WEBHOOKS)
def deliver_due_webhooks() -> int:
    from harken.notify import webhooks

    return webhooks.deliver_due()
