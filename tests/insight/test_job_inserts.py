"""The insight job writes its rows without Django's per-value INSERT compiler (`core.bulkinsert`).

Embeddings, duplicate suggestions, classifications and theme assignments of a chunk go through
`bulkinsert.insert` (PostgreSQL: one `INSERT … SELECT * FROM UNNEST(arrays)` per table, as
bulk_create builds it; SQLite: multi-row VALUES). What they store is what bulk_create stores
(tests/core/test_bulkinsert.py); here: the job compiles no INSERT at all, whatever the chunk size.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.sql.compiler import SQLInsertCompiler

from harken.insight import tasks
from harken.insight.models import DuplicateSuggestion, ItemEmbedding
from harken.insight.themes import services as theme_services
from harken.insight.themes.models import ItemClassification, ThemeAssignment
from tests.insight.helpers import add
from tests.insight.theme_data import seed


def test_the_insight_job_compiles_no_insert(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(world.alpha)
    theme_services.recluster(world.alpha)
    items = [add(world.alpha, f"Export the reports to CSV and Excel please, take {i}") for i in range(6)]
    items += [
        add(world.alpha, f"The app crashes {w} time I print a large report to PDF on Windows 11 (version 4.2.1)")
        for w in ("every", "each")
    ]
    ids = [f.pk for f in items]
    compiled: list[str] = []
    original = SQLInsertCompiler.as_sql

    def counted(compiler: SQLInsertCompiler, *args: Any, **kwargs: Any) -> Any:
        compiled.append(compiler.query.model.__name__)
        return original(compiler, *args, **kwargs)

    monkeypatch.setattr(SQLInsertCompiler, "as_sql", counted)
    tasks.understand_items.call(ids)
    assert compiled == []
    # …and the job did write every kind of row (so the check covers them).
    assert ItemEmbedding.objects.filter(feedback_id__in=ids).count() == len(ids)
    assert ItemClassification.objects.filter(feedback_id__in=ids).count() == len(ids)
    assert ThemeAssignment.objects.filter(feedback_id__in=ids).exists()
    assert DuplicateSuggestion.objects.filter(item_id__in=ids).exists()
