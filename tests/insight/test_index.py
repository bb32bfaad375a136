from __future__ import annotations

import numpy as np
import pytest

from harken.insight import index as vindex
from harken.insight.embeddings import get_embedder
from harken.insight.index import ExactIndex, HnswIndex, IvfIndex, make_index, workspace_index
from harken.insight.models import ItemEmbedding
from tests.insight.helpers import add


def unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    m = rng.standard_normal((n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def brute(data: np.ndarray, keys: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return keys[np.argsort(-(data @ q), kind="stable")[:k]].tolist()


@pytest.mark.parametrize("cls", [ExactIndex, HnswIndex])
def test_search_matches_brute_force(cls) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    data, keys = unit(rng, 500), np.arange(10, 510, dtype=np.int64)
    idx = cls(32)
    idx.upsert(keys, data)
    assert len(idx) == 500
    hits = 0
    for q in unit(rng, 20):
        got, scores = idx.search(q, 10)
        want = brute(data, keys, q, 10)
        hits += len(set(got.tolist()) & set(want))
        assert np.all(np.diff(scores) <= 1e-6)  # best first
        assert scores[0] == pytest.approx(float(data[keys.tolist().index(got[0])] @ q), abs=1e-2)
    assert hits / 200 >= (1.0 if cls is ExactIndex else 0.95)


def test_exact_upsert_replaces_and_remove_compacts() -> None:
    idx = ExactIndex(2)
    idx.upsert(np.array([1, 2, 3]), np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32))
    idx.upsert(np.array([2]), np.array([[1, 0]], dtype=np.float32))  # item 2 was edited
    keys, scores = idx.search(np.array([1, 0], dtype=np.float32), 2)
    assert sorted(keys.tolist()) == [1, 2] and scores.tolist() == [1.0, 1.0]
    idx.remove(np.array([1, 99]))
    assert len(idx) == 2
    assert idx.search(np.array([1, 0], dtype=np.float32), 5)[0].tolist() == [2, 3]
    assert np.allclose(idx.vectors_of(np.array([3])), [[0.6, 0.8]])
    assert ExactIndex(2).search(np.array([1, 0], dtype=np.float32), 3)[0].size == 0


def test_backend_is_chosen_by_size() -> None:
    assert isinstance(make_index(8, 10, exact_max=100), ExactIndex)
    assert isinstance(make_index(8, 1000, exact_max=100), IvfIndex)


def test_workspace_index_follows_the_database(world, settings) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.services import embed_workspace

    e = get_embedder()
    a = add(world.alpha, "Export to PDF fails")
    add(world.bravo, "Bravo's private roadmap request")
    embed_workspace(world.alpha)
    embed_workspace(world.bravo)
    idx = workspace_index(world.alpha.pk, e.name, e.dim)
    assert len(idx) == 1  # Bravo's vectors are never in Alpha's index
    b = add(world.alpha, "Dark mode please")
    embed_workspace(world.alpha)
    idx = workspace_index(world.alpha.pk, e.name, e.dim)
    assert len(idx) == 2
    ItemEmbedding.objects.filter(feedback=b).delete()
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 1
    assert workspace_index(world.alpha.pk, e.name, e.dim).search(e.encode(["pdf export"])[0], 5)[0].tolist() == [a.pk]
    vindex.forget(world.alpha.pk)
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 1


def test_large_workspaces_use_ivf_through_the_same_path(world, settings) -> None:  # type: ignore[no-untyped-def]
    from harken.feedback.actions import update_feedback
    from harken.insight import services

    settings.HARKEN_EXACT_INDEX_MAX = 1
    a = add(world.alpha, "Export to PDF fails")
    b = add(world.alpha, "Dark mode please")
    services.embed_workspace(world.alpha)
    e = get_embedder()
    idx = workspace_index(world.alpha.pk, e.name, e.dim)
    assert isinstance(idx, IvfIndex) and len(idx) == 2
    update_feedback(world.actor(world.bob), b, text="PDF export fails for big files")
    services.embed_workspace(world.alpha)  # re-embedded in place
    keys, _ = workspace_index(world.alpha.pk, e.name, e.dim).search(e.encode(["PDF export fails"])[0], 2)
    assert set(keys.tolist()) == {a.pk, b.pk} and len(workspace_index(world.alpha.pk, e.name, e.dim)) == 2
    assert [s.feedback.pk for s in services.similar_items(world.actor(world.bob), a)] == [b.pk]


def test_a_search_with_no_write_since_the_last_sync_reads_no_vectors(  # type: ignore[no-untyped-def]
    transactional_db, world, settings, monkeypatch
) -> None:
    # transactional_db: the writes commit, as in production (pending writes always re-sync).  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from harken.core import dataversion
    from harken.insight.services import embed_workspace

    e = get_embedder()
    a = add(world.alpha, "Export to PDF fails")
    b = add(world.alpha, "Dark mode please")
    embed_workspace(world.alpha)
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 2
    with CaptureQueriesContext(connection) as captured:
        idx = workspace_index(world.alpha.pk, e.name, e.dim)
    assert len(idx) == 2
    assert not [q for q in captured.captured_queries if "insight_itemembedding" in q["sql"]]
    # A write in this process makes the next search sync again.
    ItemEmbedding.objects.filter(feedback=b).delete()
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 1
    # Vectors seen inside a transaction that then rolls back are dropped by the next search.
    with pytest.raises(RuntimeError), transaction.atomic():
        add(world.alpha, "Offline mode for the mobile app")
        embed_workspace(world.alpha)  # the new item, and b again
        assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 3
        raise RuntimeError
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 1
    # A write by another process is seen through the shared version: hold this process's own
    # counter still, change the rows, and the index follows only once the shared version moves.
    shared = {"v": 100}
    monkeypatch.setattr(dataversion, "current", lambda using="default": shared["v"])
    monkeypatch.setattr(dataversion, "local_version", lambda: 7)
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 1
    ItemEmbedding.objects.filter(feedback=a).delete()
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 1  # the shared version has not moved
    shared["v"] = 101
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 0
    # Unreadable shared version: every search syncs, as before.
    monkeypatch.setattr(dataversion, "current", lambda using="default": None)
    embed_workspace(world.alpha)
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 2


def test_a_new_backend_threshold_applies_without_a_write(world, settings) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.services import embed_workspace

    e = get_embedder()
    add(world.alpha, "Export to PDF fails")
    add(world.alpha, "Dark mode please")
    embed_workspace(world.alpha)
    assert isinstance(workspace_index(world.alpha.pk, e.name, e.dim), ExactIndex)
    settings.HARKEN_EXACT_INDEX_MAX = 1
    assert isinstance(workspace_index(world.alpha.pk, e.name, e.dim), IvfIndex)


def test_an_index_loaded_from_its_file_is_not_synced_again_without_a_write(  # type: ignore[no-untyped-def]
    transactional_db, world, settings
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from harken.insight.services import embed_workspace

    settings.HARKEN_EXACT_INDEX_MAX = 1
    add(world.alpha, "Export to PDF fails")
    add(world.alpha, "Dark mode please")
    embed_workspace(world.alpha)
    e = get_embedder()
    assert isinstance(workspace_index(world.alpha.pk, e.name, e.dim), IvfIndex)  # built, file saved
    vindex.forget(world.alpha.pk)
    assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 2  # loaded from the file, synced
    with CaptureQueriesContext(connection) as captured:
        assert len(workspace_index(world.alpha.pk, e.name, e.dim)) == 2
    assert not [q for q in captured.captured_queries if "insight_itemembedding" in q["sql"]]
