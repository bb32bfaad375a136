"""Run queued background tasks in-process: used by tests, `harken demo` and one-shot CLI jobs."""

from __future__ import annotations


def run_pending_tasks(queues: str = "*", max_tasks: int | None = None) -> int:
    """Drain the ready tasks once (no scheduler tick) and return how many ran.

    Uses `harken.core.worker.drain`, which is django-tasks-db's claim-and-run loop without the
    connection recycling that would break a caller's open transaction (tests on PostgreSQL).
    """
    from harken.core.worker import drain

    return drain(queues, tick=False, max_tasks=max_tasks)
