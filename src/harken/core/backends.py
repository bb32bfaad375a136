"""The task backend: django-tasks-db's database backend plus queue priorities (see core/queues.py)."""

from __future__ import annotations

from typing import Any

from django_tasks_db.backend import DatabaseBackend

from harken.core.queues import with_queue_priority


class PriorityDatabaseBackend(DatabaseBackend):
    """django-tasks-db's backend, stamping each task with its queue's priority when it is enqueued."""

    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        return super()._task_to_db_task(with_queue_priority(task), args, kwargs)

    async def _atask_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        return await super()._atask_to_db_task(with_queue_priority(task), args, kwargs)
