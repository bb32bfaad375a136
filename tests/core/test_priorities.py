"""Defect 9 of issue 15: per-item tasks starved email on one FIFO queue.

Queues have priorities (core/queues.py); a worker takes the highest-priority ready task first.
"""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from harken.core.queues import QUEUE_PRIORITIES
from harken.core.worker import drain
from harken.notify.models import OutboundEmail
from harken.notify.services import queue_email
from tests.core.tasks import create_user, remember_slot, shout
from tests.notify.mailbox import Mailbox

pytestmark = pytest.mark.django_db


def test_an_email_queued_after_5000_analysis_tasks_is_delivered_first(mailbox: Mailbox) -> None:
    for n in range(5000):
        remember_slot.enqueue(str(n))  # per-item work on the insight queue, like an import's
    email = queue_email(to="customer@example.test", subject="Re: your feedback", text="Thanks!")

    assert drain(tick=False, max_tasks=1) == 1

    email.refresh_from_db()
    assert email.status == "sent"
    assert [m["Subject"] for m in mailbox.messages] == ["Re: your feedback"]
    assert DBTaskResult.objects.filter(status="READY", queue_name="insight").count() == 5000


def test_queues_run_in_priority_order_then_oldest_first() -> None:
    remember_slot.enqueue("insight")
    create_user.enqueue("default-1@example.test")
    remember_slot.using(queue_name="bulk").enqueue("bulk")
    shout.enqueue("mail")
    create_user.enqueue("default-2@example.test")

    priorities = dict(DBTaskResult.objects.values_list("queue_name", "priority").distinct())
    assert priorities == {q: QUEUE_PRIORITIES[q] for q in ("mail", "default", "insight", "bulk")}
    order = []
    while drain(tick=False, max_tasks=1):
        done = DBTaskResult.objects.filter(status__in=["SUCCESSFUL", "FAILED"]).order_by("-finished_at").first()
        assert done is not None
        order.append((done.queue_name, done.args_kwargs["args"][0]))
    assert order == [
        ("mail", "mail"),
        ("default", "default-1@example.test"),
        ("default", "default-2@example.test"),
        ("insight", "insight"),
        ("bulk", "bulk"),
    ]


def test_a_task_that_sets_its_own_priority_keeps_it() -> None:
    remember_slot.using(priority=90).enqueue("urgent analysis")
    assert DBTaskResult.objects.get().priority == 90


def test_outbox_delivery_is_on_the_mail_queue_with_the_highest_priority() -> None:
    queue_email(to="a@example.test", subject="s", text="t")
    result = DBTaskResult.objects.get()
    assert result.queue_name == "mail"
    assert result.priority == max(QUEUE_PRIORITIES.values())
    assert OutboundEmail.objects.count() == 1
