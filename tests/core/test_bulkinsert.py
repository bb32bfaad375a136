"""`core.bulkinsert.insert` stores exactly what `bulk_create` stores, in fewer statements."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLInsertCompiler
from django.test.utils import CaptureQueriesContext

from harken.core import bulkinsert
from harken.feedback.models import Feedback
from harken.imports.models import ImportedRow, ImportJob
from harken.insight.embeddings import to_bytes
from harken.insight.models import DuplicateSuggestion, ItemEmbedding
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


class _CompilerCalls:
    """Counts Django's INSERT compilations (what `insert` exists to avoid), on either backend."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = SQLInsertCompiler.as_sql

        def counted(compiler: SQLInsertCompiler, *args: object, **kwargs: object) -> object:
            self.calls += 1
            return original(compiler, *args, **kwargs)

        monkeypatch.setattr(SQLInsertCompiler, "as_sql", counted)


def test_insert_bypasses_the_insert_compiler_on_every_backend(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL too: the same `INSERT … SELECT * FROM UNNEST(arrays)` bulk_create builds there, one
    statement for the rows, without compiling each value (was: delegated to bulk_create)."""
    compiled = _CompilerCalls(monkeypatch)
    items = _items(world, "many", 300)
    with CaptureQueriesContext(connection) as ctx:
        bulkinsert.insert(Feedback, items)
    assert compiled.calls == 0
    assert len(ctx.captured_queries) == 1
    if connection.vendor == "postgresql":
        assert "UNNEST(" in ctx.captured_queries[0]["sql"]
    assert [f.external_id for f in Feedback.objects.filter(pk__in=[f.pk for f in items]).order_by("pk")] == [
        f"many-{i}" for i in range(300)
    ]
    one = _items(world, "one", 1)
    bulkinsert.insert(Feedback, one)  # a single row: a plain VALUES insert
    assert compiled.calls == 0 and Feedback.objects.get(pk=one[0].pk).external_id == "one-0"


def _worker_rows(world: World, n: int) -> dict[str, list[Any]]:
    items = [Feedback.objects.create(workspace=world.alpha, text=f"worker row {i}") for i in range(2)]
    vector = np.arange(8, dtype=np.float32) / 7
    return {
        "embeddings": [
            ItemEmbedding(
                workspace=world.alpha,
                feedback=items[i % 2] if n == 1 else Feedback.objects.create(workspace=world.alpha, text=f"e{i}"),
                embedder="hashing",
                dim=8,
                vector=to_bytes(vector * (i + 1)),
                text_hash=f"h{i}",
            )
            for i in range(n)
        ],
        "suggestions": [
            DuplicateSuggestion(
                workspace=world.alpha,
                item=items[0],
                candidate=Feedback.objects.create(workspace=world.alpha, text=f"c{i}"),
                score=0.5 + i / 10,
                signals={"cosine": 0.9, "lexical": i / 3, "nested": [1, None, "ü"]},
            )
            for i in range(n)
        ],
    }


@pytest.mark.parametrize("n", [1, 3])
def test_worker_rows_store_what_bulk_create_stores(world: World, n: int) -> None:
    """The insight job's rows (bytes, JSON, floats) through `insert` equal bulk_create's."""
    ours, theirs = _worker_rows(world, n), _worker_rows(world, n)
    bulkinsert.insert(ItemEmbedding, ours["embeddings"])
    ItemEmbedding.objects.bulk_create(theirs["embeddings"])
    bulkinsert.insert(DuplicateSuggestion, ours["suggestions"])
    DuplicateSuggestion.objects.bulk_create(theirs["suggestions"])
    for a, b in zip(ours["embeddings"], theirs["embeddings"], strict=True):
        sa = ItemEmbedding.objects.filter(pk=a.pk).values("embedder", "dim", "vector", "text_hash").get()
        sb = ItemEmbedding.objects.filter(pk=b.pk).values("embedder", "dim", "vector", "text_hash").get()
        assert bytes(sa.pop("vector")) == bytes(sb.pop("vector")) == a.vector
        assert sa == sb
    for a, b in zip(ours["suggestions"], theirs["suggestions"], strict=True):
        sa = DuplicateSuggestion.objects.filter(pk=a.pk).values("score", "signals", "status").get()
        assert sa == DuplicateSuggestion.objects.filter(pk=b.pk).values("score", "signals", "status").get()
        assert sa["signals"] == a.signals and a.pk and not a._state.adding
