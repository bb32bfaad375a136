"""Run queued background tasks in-process: used by tests, `harken demo` and one-shot CLI jobs."""

from __future__ import annotations

from django.core.management import call_command


def run_pending_tasks(queues: str = "*", max_tasks: int | None = None) -> None:
    """Drain the task queue once with django-tasks-db's own worker, then return."""
    args = ["db_worker", "--batch", "--queue-name", queues, "--no-startup-delay", "--no-reload", "--verbosity", "0"]
    if max_tasks is not None:
        args += ["--max-tasks", str(max_tasks)]
    call_command(*args)
