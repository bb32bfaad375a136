"""The IVF index: recall against exact search, incremental changes, the persisted file (changes
appended, corrupt or foreign files refused) and the per-workspace file used across restarts."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from harken.insight import index as vindex
from harken.insight import ivf
from harken.insight.embeddings import get_embedder
from harken.insight.index import ExactIndex, IvfIndex, index_dir, workspace_index
from harken.insight.ivf import IndexFileError, IvfCore
from harken.insight.models import ItemEmbedding
from tests.insight.helpers import add

IDENT = {"workspace_id": 1, "workspace_created": "2026-01-01T00:00:00+00:00", "embedder": "test"}


def clustered(n: int, dim: int = 32, seed: int = 0, clusters: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    data = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def recall(idx: IvfIndex | IvfCore, data: np.ndarray, keys: np.ndarray, queries: np.ndarray) -> float:
    hits = 0
    for q in queries:
        want = set(keys[np.argsort(-(data @ q))[:10]].tolist())
        hits += len(want & set(idx.search(q, 10)[0].tolist()))
    return hits / (10 * len(queries))


@pytest.fixture
def small_train(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ivf, "MIN_TRAIN", 200)


def test_recall_against_exact_search(small_train) -> None:  # type: ignore[no-untyped-def]
    data, keys = clustered(3000), np.arange(1, 3001, dtype=np.int64)
    idx = IvfIndex(32)
    idx.upsert(keys, data)
    core = idx.core
    assert core.nlist > 1 and 1 <= core.calibrated_nprobe <= core.nlist
    assert recall(idx, data, keys, clustered(50, seed=9)) >= 0.95
    # Fewer lists probed than calibration chose: recall drops (the calibration is doing the work).
    core.fixed_nprobe = 1
    assert recall(idx, data, keys, clustered(50, seed=9)) < 0.95


def test_incremental_add_replace_remove(small_train) -> None:  # type: ignore[no-untyped-def]
    data, keys = clustered(1000), np.arange(1, 1001, dtype=np.int64)
    idx = IvfIndex(32)
    idx.upsert(keys, data)
    base_rows = len(idx.core.base_keys)
    new = clustered(20, seed=5)
    idx.upsert(np.arange(2001, 2021), new)  # appended to the tail, not a rebuild
    assert len(idx.core.base_keys) == base_rows and idx.core.tail_n == 20 and len(idx) == 1020
    assert idx.search(new[3], 1)[0].tolist() == [2004]
    idx.upsert(np.array([5]), new[3:4])  # item 5 re-embedded: its old row is tombstoned
    assert set(idx.search(new[3], 2)[0].tolist()) == {5, 2004} and len(idx) == 1020
    idx.remove(np.array([2004, 7, 424242]))
    assert len(idx) == 1018
    got = idx.search(data[6], 5)[0].tolist()
    assert 7 not in got and 2004 not in idx.search(new[3], 5)[0].tolist()
    assert np.allclose(idx.vectors_of(np.array([5])), new[3:4], atol=1e-3)
    assert sorted(idx.keys().tolist()) == sorted(set(range(1, 1001)) - {7} | set(range(2001, 2021)) - {2004})
    # A tail past a tenth of the base is folded in (no re-training: same centroids).
    centroids = idx.core.centroids
    idx.upsert(np.arange(3001, 3301), clustered(300, seed=6))
    assert idx.core.tail_n == 0 and idx.core.centroids is centroids and len(idx) == 1318


def test_saves_append_only_the_changes(tmp_path, small_train) -> None:  # type: ignore[no-untyped-def]
    data, keys = clustered(1000), np.arange(1, 1001, dtype=np.int64)
    idx = IvfIndex(32)
    idx.upsert(keys, data)
    assert idx.save(tmp_path, IDENT)
    base_file = next(tmp_path.glob("base-*-vectors.npy"))
    written = base_file.stat().st_mtime_ns
    idx.upsert(np.arange(2001, 2011), clustered(10, seed=3))
    idx.remove(np.array([1, 2, 3]))
    assert idx.save(tmp_path, IDENT)
    assert base_file.stat().st_mtime_ns == written  # the base was not rewritten
    loaded = IvfIndex.load(tmp_path, IDENT, 32)
    assert len(loaded) == len(idx) == 1007
    assert sorted(loaded.keys().tolist()) == sorted(idx.keys().tolist())
    q = clustered(1, seed=3)[0]
    assert loaded.search(q, 5)[0].tolist() == idx.search(q, 5)[0].tolist()
    assert loaded.core.calibrated_nprobe == idx.core.calibrated_nprobe
    # Another process saved meanwhile: this one's older view does not overwrite it.
    loaded.upsert(np.array([4001]), clustered(1, seed=4))
    assert loaded.save(tmp_path, IDENT)
    idx.upsert(np.array([5001]), clustered(1, seed=8))
    assert not idx.save(tmp_path, IDENT)
    assert 4001 in IvfIndex.load(tmp_path, IDENT, 32).keys().tolist()


def test_corrupt_truncated_stale_or_foreign_files_are_refused(tmp_path, small_train) -> None:  # type: ignore[no-untyped-def]
    idx = IvfIndex(32)
    idx.upsert(np.arange(1, 501), clustered(500))
    idx.save(tmp_path, IDENT)
    IvfIndex.load(tmp_path, IDENT, 32)  # sound
    with pytest.raises(IndexFileError):
        IvfIndex.load(tmp_path, {**IDENT, "workspace_id": 2}, 32)
    with pytest.raises(IndexFileError):
        IvfIndex.load(tmp_path, {**IDENT, "embedder": "other"}, 32)
    with pytest.raises(IndexFileError):
        IvfIndex.load(tmp_path, IDENT, 64)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "format": 0}))
    with pytest.raises(IndexFileError):
        IvfIndex.load(tmp_path, IDENT, 32)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    codes = next(tmp_path.glob("base-*-codes.npy"))
    raw = bytearray(codes.read_bytes())
    raw[-7] ^= 0x55
    codes.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError, match="corrupt"):
        IvfIndex.load(tmp_path, IDENT, 32)
    codes.write_bytes(bytes(raw[:-100]))
    with pytest.raises(IndexFileError, match="truncated"):
        IvfIndex.load(tmp_path, IDENT, 32)


# ---------------------------------------------------------------- through workspace_index


def _embed(workspace, texts):  # type: ignore[no-untyped-def]
    from harken.insight.services import embed_workspace

    items = [add(workspace, t) for t in texts]
    embed_workspace(workspace)
    return items


TEXTS = [
    f"{w} {v} issue number {i}"
    for i, (w, v) in enumerate(
        (w, v)
        for w in ("export", "login", "billing", "dashboard", "search")
        for v in ("slow", "broken", "missing", "wrong")
    )
]


def test_a_restart_loads_the_file_instead_of_rebuilding(world, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_EXACT_INDEX_MAX = 5
    e = get_embedder()
    items = _embed(world.alpha, TEXTS)
    first = workspace_index(world.alpha.pk, e.name, e.dim)
    assert isinstance(first, IvfIndex) and len(first) == len(TEXTS)
    directory = index_dir(world.alpha.pk, e.name, e.dim)
    assert (directory / "manifest.json").exists()

    vindex.forget()  # a new process: nothing in memory

    def no_rebuild(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("rebuilt from the database instead of loading the file")

    monkeypatch.setattr(vindex, "make_index", no_rebuild)
    loaded = workspace_index(world.alpha.pk, e.name, e.dim)
    assert loaded is not first and len(loaded) == len(TEXTS)
    q = e.encode([TEXTS[3]])[0]
    assert loaded.search(q, 1)[0].tolist() == [items[3].pk]

    # Changes since the file was written are applied incrementally and saved (appended).
    new = _embed(world.alpha, ["pdf export crashes on big reports"])[0]
    ItemEmbedding.objects.filter(feedback=items[0]).delete()
    synced = workspace_index(world.alpha.pk, e.name, e.dim)
    assert synced is loaded and len(synced) == len(TEXTS)
    assert new.pk in synced.keys().tolist() and items[0].pk not in synced.keys().tolist()
    vindex.forget()
    again = workspace_index(world.alpha.pk, e.name, e.dim)
    assert sorted(again.keys().tolist()) == sorted([i.pk for i in items[1:]] + [new.pk])


def test_a_corrupt_or_stale_file_is_rebuilt_not_trusted(world, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_EXACT_INDEX_MAX = 5
    e = get_embedder()
    items = _embed(world.alpha, TEXTS)
    workspace_index(world.alpha.pk, e.name, e.dim)
    directory = index_dir(world.alpha.pk, e.name, e.dim)
    vectors = next(directory.glob("base-*-vectors.npy")) if list(directory.glob("base-*")) else None
    target = vectors or next(directory.glob("tail-*-vec.bin"))
    raw = bytearray(target.read_bytes())
    raw[-3] ^= 0xFF
    target.write_bytes(bytes(raw))
    vindex.forget()
    rebuilt = workspace_index(world.alpha.pk, e.name, e.dim)
    assert "Rebuilding the vector index" in caplog.text
    assert len(rebuilt) == len(TEXTS)
    assert rebuilt.search(e.encode([TEXTS[7]])[0], 1)[0].tolist() == [items[7].pk]
    vindex.forget()
    caplog.clear()
    workspace_index(world.alpha.pk, e.name, e.dim)  # the rebuilt file was saved and is sound
    assert "Rebuilding" not in caplog.text


def test_an_index_file_never_serves_another_workspace(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_EXACT_INDEX_MAX = 5
    e = get_embedder()
    _embed(world.alpha, TEXTS)
    bravo = _embed(world.bravo, [f"bravo private {t}" for t in TEXTS[:8]])
    workspace_index(world.alpha.pk, e.name, e.dim)
    alpha_dir = index_dir(world.alpha.pk, e.name, e.dim)
    bravo_dir = index_dir(world.bravo.pk, e.name, e.dim)
    assert alpha_dir != bravo_dir
    shutil.rmtree(bravo_dir, ignore_errors=True)
    shutil.copytree(alpha_dir, bravo_dir)  # Alpha's file planted where Bravo's belongs
    vindex.forget()
    idx = workspace_index(world.bravo.pk, e.name, e.dim)
    assert sorted(idx.keys().tolist()) == sorted(i.pk for i in bravo)
    manifest = json.loads((bravo_dir / "manifest.json").read_text())
    assert manifest["workspace_id"] == world.bravo.pk  # replaced by Bravo's own


def test_small_workspaces_stay_exact_and_write_no_file(world, settings) -> None:  # type: ignore[no-untyped-def]
    e = get_embedder()
    _embed(world.alpha, TEXTS[:3])
    assert isinstance(workspace_index(world.alpha.pk, e.name, e.dim), ExactIndex)
    assert not index_dir(world.alpha.pk, e.name, e.dim).exists()


def test_inbox_semantic_search_uses_the_persisted_index(world, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.search import semantic_ids

    settings.HARKEN_EXACT_INDEX_MAX = 5
    items = _embed(world.alpha, TEXTS)
    assert semantic_ids(world.alpha, TEXTS[10])[0] == items[10].pk
    vindex.forget()
    loads: list[tuple[object, ...]] = []
    real_load = IvfIndex.load.__func__  # type: ignore[attr-defined]

    def counted(cls, *args):  # type: ignore[no-untyped-def]
        loads.append(args)
        return real_load(cls, *args)

    monkeypatch.setattr(IvfIndex, "load", classmethod(counted))
    assert semantic_ids(world.alpha, TEXTS[10])[0] == items[10].pk
    assert len(loads) == 1


def test_the_backfill_task_writes_the_index_file(world, settings) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.tasks import embed_workspace

    settings.HARKEN_EXACT_INDEX_MAX = 5
    for t in TEXTS:
        add(world.alpha, t)
    e = get_embedder()
    embed_workspace.call(world.alpha.pk)
    assert (index_dir(world.alpha.pk, e.name, e.dim) / "manifest.json").exists()
