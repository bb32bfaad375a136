"""Notify's periodic jobs (see harken.core.scheduling)."""

from harken.core.scheduling import periodic
from harken.notify.tasks import deliver_due_emails, deliver_due_webhooks

periodic("notify.deliver_due_emails", every="5m", task=deliver_due_emails)
periodic("notify.deliver_due_webhooks", every="5m", task=deliver_due_webhooks)
