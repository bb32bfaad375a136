"""Real django-tasks used by the core tests (the worker imports them by path)."""

from __future__ import annotations

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
