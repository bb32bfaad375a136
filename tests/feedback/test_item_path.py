"""The path of a new item (docs/architecture.md): create → open triage → one insight job; and the
batch path imports and channel runs use. Statement counts are exact, so a new hidden effect fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account, Contact
from harken.feedback.actions import BatchRowError, NewItem, create_feedback, create_feedback_batch
from harken.feedback.models import Feedback
from harken.insight.models import ItemEmbedding
from harken.triage.models import EventKind, Triage, TriageEvent
from tests.base import World, make_token

TASK = "harken.insight.tasks.understand_items"


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
BUMP = "UPDATE core_dataversion"  # once per committed write transaction (harken/core/dataversion.py)


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """The statements that read or write rows (transaction control and the data-version bump are not counted)."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].upper().startswith(TRANSACTION_CONTROL) and not q["sql"].startswith(BUMP)
    ]


def _bumps(ctx: CaptureQueriesContext) -> int:
    return sum(q["sql"].startswith(BUMP) for q in ctx.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_single_api_create_costs_at_most_8_statements() -> None:
    """Known sender, two existing tags, no idempotency key: the service runs 8 statements
    (contact, tags, item, tag links, SLA settings, triage row, triage event, one insight job)."""
    world = World()
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    Contact.objects.create(workspace=world.alpha, account=acme, name="Wile", email="wile@acme.com")
    token = make_token(world.alpha, world.bob)
    client = Client()

    def post(body: dict[str, Any]) -> Any:
        return client.post(
            "/api/feedback/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert post({"text": "first", "email": "wile@acme.com", "tags": ["export", "perf"]}).status_code == 201
    bob = world.actor(world.bob)
    with CaptureQueriesContext(connection) as service:
        item, created = create_feedback(bob, text="second", author_email="wile@acme.com", tags=["export", "perf"])
    assert created and item.contact.email == "wile@acme.com"
    assert len(_statements(service)) == 8, "\n".join(_statements(service))
    assert _bumps(service) == 1, "one data-version bump after the commit, however many rows were written"
    with CaptureQueriesContext(connection) as keyed:  # a source id adds its one dedupe lookup
        create_feedback(bob, text="keyed", author_email="wile@acme.com", tags=["export"], external_id="t-9")
    assert len(_statements(keyed)) == 9, "\n".join(_statements(keyed))
    with CaptureQueriesContext(connection) as request:
        response = post({"text": "third", "email": "wile@acme.com", "tags": ["export", "perf"]})
    assert response.status_code == 201 and sorted(response.json()["tags"]) == ["export", "perf"]
    # + the token lookup and the response's tag list
    assert len(_statements(request)) == 10, "\n".join(_statements(request))


def test_create_opens_triage_and_enqueues_one_insight_job(world: World) -> None:
    item, created = create_feedback(world.actor(world.bob), text="Dark mode please", author_email="pat@x.test")
    assert created
    triage = Triage.objects.get(feedback=item)
    assert triage.needs_response and triage.due_at > item.received_at
    assert list(TriageEvent.objects.filter(triage=triage).values_list("kind", flat=True)) == [EventKind.RECEIVED]
    jobs = DBTaskResult.objects.filter(task_path=TASK)
    assert jobs.count() == 1 and jobs.get().args_kwargs["args"] == [[item.pk]]
    assert DBTaskResult.objects.count() == 1  # nothing else is queued for a new item
    run_pending_tasks()
    assert ItemEmbedding.objects.filter(feedback=item).count() == 1
    assert item.classification is not None if hasattr(item, "classification") else True


def test_batch_writes_per_chunk_and_matches_the_single_path(world: World) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    wile = Contact.objects.create(workspace=world.alpha, account=acme, name="Wile", email="wile@acme.com")
    before, _ = create_feedback(world.actor(world.bob), text="old", external_id="t-1", channel="support")
    DBTaskResult.objects.all().delete()
    rows = [
        NewItem(text="one", author_email="WILE@acme.com", tags=["Export"], channel="support", external_id="t-2"),
        NewItem(text="two", author_email="kim@acme.com", tags="export, new tag", channel="support"),
        NewItem(text="known", channel="support", external_id="t-1"),  # created before the batch
        NewItem(text="three", author_email="lee@gmail.com", channel="support", external_id="t-3"),
        NewItem(text="again", channel="support", external_id="t-2"),  # repeats row 0 inside the batch
    ]
    bob = world.actor(world.bob)
    with CaptureQueriesContext(connection) as ctx:
        results = create_feedback_batch(bob, rows, chunk_size=2)
    created = [item for item, new in results if new]
    assert [new for _, new in results] == [True, True, False, True, False]
    assert results[2][0] == before and results[4][0] == results[0][0]
    assert results[0][0].contact == wile and results[1][0].account == acme and results[1][0].contact is None
    assert results[3][0].account is None  # free-mail never matches an account
    assert {t.name for t in results[1][0].tags.all()} == {"Export", "new tag"}
    assert Triage.objects.filter(feedback__in=created).count() == 3
    assert TriageEvent.objects.filter(triage__feedback__in=created, kind=EventKind.RECEIVED).count() == 3
    jobs = DBTaskResult.objects.filter(task_path=TASK)
    assert jobs.count() == 2  # one insight job per chunk of 2 rows that created items (the 3rd created none)
    assert sorted(pk for job in jobs for pk in job.args_kwargs["args"][0]) == sorted(i.pk for i in created)
    assert len(_statements(ctx)) <= 8 * 3  # at most 8 per chunk (3 chunks), whatever the chunk size
    run_pending_tasks()
    assert ItemEmbedding.objects.filter(feedback__in=created).count() == 3


def test_an_invalid_row_writes_nothing(world: World) -> None:
    rows = [NewItem(text="fine"), NewItem(text="   "), NewItem(text="also fine")]
    with pytest.raises(BatchRowError) as caught:
        create_feedback_batch(world.actor(world.bob), rows)
    assert caught.value.index == 1 and "empty" in " ".join(caught.value.messages)
    assert not Feedback.objects.exists() and not DBTaskResult.objects.exists()
