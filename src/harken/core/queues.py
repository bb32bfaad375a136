"""The task queues and their priorities, in one place (no Django imports: settings reads it).

Every django-tasks task names a queue (`@task(queue_name="mail")`; no name means `default`).
A worker always takes the ready task with the highest priority first, so a reply email queued
behind 40,000 per-item analysis tasks is still the next thing sent. A task that sets its own
`priority=` keeps it; every other task gets its queue's priority when it is enqueued
(`harken.core.backends.PriorityDatabaseBackend`), so a new app's tasks are ordered without extra code.

| queue     | priority | what runs there                                                   |
| --------- | -------- | ----------------------------------------------------------------- |
| `mail`    | 50       | outbox delivery (`notify.deliver_email`): people are waiting      |
| `webhooks`| 20       | outgoing webhook deliveries (`notify.deliver_webhook`)             |
| `default` | 0        | user-facing work: import previews and runs, triage, feeds, digests |
| `insight` | -20      | embeddings, duplicate suggestions, themes                          |
| `bulk`    | -50      | backfills and per-chunk work of large ingests                      |

Operators can also dedicate workers: `harken worker --queues mail` only sends email.
"""

from __future__ import annotations

from typing import Any

MAIL = "mail"
WEBHOOKS = "webhooks"
DEFAULT = "default"
INSIGHT = "insight"
BULK = "bulk"

QUEUE_PRIORITIES: dict[str, int] = {MAIL: 50, WEBHOOKS: 20, DEFAULT: 0, INSIGHT: -20, BULK: -50}
QUEUE_NAMES: list[str] = list(QUEUE_PRIORITIES)
DEFAULT_PRIORITY = 0  # django-tasks' DEFAULT_TASK_PRIORITY


def with_queue_priority(task: Any) -> Any:
    """The task with its queue's priority, unless it chose a priority of its own."""
    if task.priority != DEFAULT_PRIORITY:
        return task
    priority = QUEUE_PRIORITIES.get(task.queue_name, DEFAULT_PRIORITY)
    return task if priority == DEFAULT_PRIORITY else task.using(priority=priority)
