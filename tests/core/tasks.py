"""Real django-tasks used by the core tests (the worker imports them by path)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django_tasks import task

from harken.accounts.models import User


@task()
def create_user(email: str) -> int:
    """Leaves a visible side effect so tests see that the worker really ran the task."""
    return User.objects.create_user(email=email).pk


@task(queue_name="mail")
def shout(word: str) -> str:
    return word.upper()


@task(queue_name="insight")
def remember_slot(slot: str = "") -> str:
    return slot


@task(takes_context=True)
def hold(context: Any, marker: str, release: str = "") -> str:
    """First attempt: write our pid to `marker`, then wait (for `release` to exist, else ~5 min).

    Later attempts return at once: what a reclaimed task's retry looks like.
    """
    if context.attempt > 1:
        return f"done on attempt {context.attempt}"
    Path(marker).write_text(str(os.getpid()))
    for _ in range(3000):
        if release and Path(release).exists():
            break
        time.sleep(0.1)
    return f"{User.objects.count()} users after the wait"
