"""The worker's insight job hands the chunk's vectors from the embed stage to the later stages.

`tasks.understand_items` embeds a chunk once and passes every item's vector to duplicate
suggestions, category and theme assignment. These tests pin that (a) the results are exactly those
of the stages reading the vectors back from the database (the path before the hand-over), and
(b) the job's statements do not grow with the chunk and no stage re-reads the chunk's vectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import connection
from django.test.utils import CaptureQueriesContext

from harken.core.taskrun import run_pending_tasks
from harken.feedback.models import Feedback
from harken.insight import services, tasks
from harken.insight.embeddings import from_bytes
from harken.insight.models import DuplicateSuggestion, ItemEmbedding
from harken.insight.themes import classify
from harken.insight.themes import services as theme_services
from harken.insight.themes.models import AssignmentSource, ItemClassification, Theme, ThemeAssignment
from harken.workspaces.access import Actor
from tests.insight.helpers import add
from tests.insight.theme_data import seed

NEW = [
    "Export the reports to CSV and Excel please",
    "CSV export of reports times out again",
    "Dark mode for the dashboard at night please",
    "The invoice has the wrong VAT number on billing",
    "Billing invoice PDF shows the wrong VAT again",
    "Zebra giraffe xylophone quantum",
    "The export crashes with an error, it is broken",
    "!!!",
    "The app crashes every time I print a large report to PDF on Windows 11 (version 4.2.1)",
    "The app crashes each time I print a large report to PDF on Windows 11 (version 4.2.1)",
]


def _outputs(workspace: Any, ids: list[int]) -> dict[str, Any]:
    """What the job's later stages wrote for these items (everything they decide)."""
    return {
        "classifications": sorted(
            (r.feedback_id, r.category, round(r.category_score, 6), r.sentiment, round(r.sentiment_score, 6), r.model)
            for r in ItemClassification.objects.filter(feedback_id__in=ids)
        ),
        "assignments": sorted(
            (r.feedback_id, r.theme_id, round(r.score, 6), r.source)
            for r in ThemeAssignment.objects.filter(feedback_id__in=ids)
        ),
        "suggestions": sorted(
            (r.item_id, r.candidate_id, round(r.score, 6))
            for r in DuplicateSuggestion.objects.filter(workspace=workspace, item_id__in=ids)
        ),
        "sizes": sorted(Theme.objects.filter(workspace=workspace).values_list("pk", "size")),
    }


def _themed_chunk(world: Any) -> tuple[list[Feedback], dict[int, int]]:
    """A themed workspace and a chunk of new items (not yet through the insight job)."""
    ids = seed(world.alpha)
    theme_services.recluster(world.alpha)
    sizes = dict(Theme.objects.filter(workspace=world.alpha).values_list("pk", "size"))
    items = [add(world.alpha, text, title="Export" if n == 6 else "") for n, text in enumerate(NEW)]
    # An item merged away: it is classified but never placed in a theme.
    merged = add(world.alpha, "Please let me export reports to CSV and Excel, thanks")
    run_pending_tasks()
    services.merge(Actor.system(world.alpha), world.alpha.feedback_items.get(pk=ids["export"][1]), merged)
    # A person placed one item by hand: the job leaves it where it is.
    dark = Theme.objects.get(assignments__feedback_id=ids["dark"][0])
    theme_services.move_item(world.actor(world.bob), items[1], dark)
    sizes = dict(Theme.objects.filter(workspace=world.alpha).values_list("pk", "size"))
    chunk = [*items, merged]
    _undo(world.alpha, [f.pk for f in chunk], sizes)
    return chunk, sizes


def _undo(workspace: Any, ids: list[int], sizes: dict[int, int]) -> None:
    """Remove what the later stages wrote for these items (a person's placement stays)."""
    ItemClassification.objects.filter(feedback_id__in=ids, corrected_by_user=False).delete()
    ThemeAssignment.objects.filter(feedback_id__in=ids, source=AssignmentSource.AUTO).delete()
    DuplicateSuggestion.objects.filter(workspace=workspace, item_id__in=ids).delete()
    for pk, size in sizes.items():
        Theme.objects.filter(pk=pk).update(size=size)
    services._models.clear()


def test_handing_the_vectors_over_gives_the_same_results_as_reading_them_back(world) -> None:  # type: ignore[no-untyped-def]
    chunk, sizes = _themed_chunk(world)
    ids = [f.pk for f in chunk]

    # The path before the hand-over: each stage reads (or encodes) the chunk's vectors itself.
    items = list(Feedback.objects.select_related("workspace").filter(pk__in=ids).order_by("pk"))
    services.embed_items(items)
    services.suggest_duplicates_many(world.alpha, items)
    classify.classify_items(world.alpha, items)
    theme_services.assign_items(world.alpha, items)
    before = _outputs(world.alpha, ids)

    _undo(world.alpha, ids, sizes)
    # Half the chunk is re-embedded by the job (vectors just computed), half is still current
    # (vectors decoded from the rows `embed_items` reads anyway).
    ItemEmbedding.objects.filter(feedback_id__in=ids[::2]).update(text_hash="stale")
    tasks.understand_items.call(ids)
    after = _outputs(world.alpha, ids)

    assert after == before
    # The comparison means something: the chunk was classified, placed and got suggestions.
    assert len(after["classifications"]) == len(chunk)
    placed = {pk for pk, theme, _, _ in after["assignments"] if theme}
    assert len(placed) >= 4 and chunk[-1].pk not in placed  # the merged item is in no theme
    assert len(after["suggestions"]) >= 1
    assert after["sizes"] != sorted(sizes.items())


def test_embed_items_hands_out_exactly_the_stored_vectors(world) -> None:  # type: ignore[no-untyped-def]
    old = add(world.alpha, "Dark mode please, the white screen hurts my eyes at night")
    run_pending_tasks()
    new = add(world.alpha, "CSV export of the reports page is broken")
    stale = ItemEmbedding.objects.get(feedback=old).vector

    vectors: dict[int, np.ndarray] = {}
    assert services.embed_items([old, new], vectors_out=vectors) == 1  # `old` is still current
    assert set(vectors) == {old.pk, new.pk}
    for row in ItemEmbedding.objects.filter(feedback__in=[old, new]):
        np.testing.assert_array_equal(vectors[row.feedback_id], from_bytes(row.vector, row.dim))
        assert vectors[row.feedback_id].dtype == np.float32
    assert bytes(ItemEmbedding.objects.get(feedback=old).vector) == bytes(stale)


def _job_queries(world: Any, texts: list[str]) -> CaptureQueriesContext:
    items = [add(world.alpha, text) for text in texts]
    with CaptureQueriesContext(connection) as ctx:
        tasks.understand_items.call([f.pk for f in items])
    return ctx


def test_the_job_reads_no_vector_back_and_its_statements_do_not_grow_with_the_chunk(world) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha)
    theme_services.recluster(world.alpha)
    # Re-placing an item already in its theme re-scores it (one UPDATE for all, was one save each).
    placed = list(ThemeAssignment.objects.filter(workspace=world.alpha, source=AssignmentSource.AUTO))
    assert len(placed) >= 6
    for_items = list(Feedback.objects.filter(pk__in=[a.feedback_id for a in placed]))
    ThemeAssignment.objects.filter(pk__in=[a.pk for a in placed]).update(score=0.0)
    with CaptureQueriesContext(connection) as rescore:
        theme_services.assign_items(world.alpha, for_items)
    assert sum(1 for q in rescore.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")) == 1
    assert all(a.score > 0 for a in ThemeAssignment.objects.filter(pk__in=[a.pk for a in placed]))

    small = _job_queries(world, [f"Export reports to CSV, take {i}" for i in range(3)])
    large = _job_queries(
        world,
        [f"Export reports to CSV, round {i}" for i in range(6)] + [f"Billing invoice VAT {i}" for i in range(6)],
    )
    assert len(large.captured_queries) == len(small.captured_queries)
    # The chunk's vectors are read once, by the embed stage (the vector index catches up separately,
    # reading only rows newer than it has).
    chunk_reads = [
        q["sql"]
        for q in large.captured_queries
        if '"insight_itemembedding"."vector"' in q["sql"] and "feedback_id" in q["sql"] and " IN (" in q["sql"]
    ]
    assert len(chunk_reads) == 1, chunk_reads
