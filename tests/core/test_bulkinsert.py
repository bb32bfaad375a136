"""`core.bulkinsert.insert` stores exactly what `bulk_create` stores, in fewer statements."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext

from harken.core import bulkinsert
from harken.feedback.models import Feedback
from harken.imports.models import ImportedRow, ImportJob
from tests.base import World

FIELDS = ("title", "text", "channel", "author_email", "received_at", "external_id", "dedupe_key", "created_by_id")


def _items(world: World, prefix: str, count: int) -> list[Feedback]:
    paris = ZoneInfo("Europe/Paris")
    return [
        Feedback(
            workspace=world.alpha,
            title=f"Title {i}",
            text=f"{prefix} text {i} — ünïcode",
            channel="support",
            author_email=f"a{i}@x.test",
            received_at=datetime(2026, 3, 1, 10, tzinfo=paris) + timedelta(minutes=i),
            external_id=f"{prefix}-{i}",
            dedupe_key=f"{prefix}:{i}" if i % 2 else None,
            created_by=world.bob,
        )
        for i in range(count)
    ]


def test_insert_stores_what_bulk_create_stores(world: World) -> None:
    ours = _items(world, "ours", 1200)
    with CaptureQueriesContext(connection) as ctx:
        bulkinsert.insert(Feedback, ours)
    theirs = Feedback.objects.bulk_create(_items(world, "theirs", 1200))
    assert all(item.pk for item in ours) and len({item.pk for item in ours}) == 1200
    assert len(ctx.captured_queries) <= 2  # 1,000 rows per statement (Django's SQLite batches: 45 rows)
    for i in (0, 1, 2, 3, 1199):
        a, b = ours[i], theirs[i]
        stored_a = Feedback.objects.filter(pk=a.pk).values(*FIELDS, "created_at").get()
        stored_b = Feedback.objects.filter(pk=b.pk).values(*FIELDS).get()
        created_at = stored_a.pop("created_at")
        assert stored_a == {
            **stored_b,
            "text": stored_b["text"].replace("theirs", "ours"),
            "external_id": stored_b["external_id"].replace("theirs", "ours"),
            "dedupe_key": stored_b["dedupe_key"].replace("theirs", "ours") if stored_b["dedupe_key"] else None,
        }
        assert created_at is not None and stored_a["received_at"] == a.received_at
        assert stored_a["external_id"] == f"ours-{i}"


def test_insert_without_returning_and_json_values(world: World) -> None:
    job = ImportJob.objects.create(workspace=world.alpha, kind="feedback", created_by=world.bob)
    rows = [ImportedRow(job=job, model="feedback", object_id=i, previous={"n": i} if i % 2 else None) for i in range(5)]
    bulkinsert.insert(ImportedRow, rows, returning=False)
    stored = list(job.ledger.order_by("object_id").values_list("object_id", "previous"))
    assert stored == [(0, None), (1, {"n": 1}), (2, None), (3, {"n": 3}), (4, None)]
