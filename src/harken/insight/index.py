"""Per-workspace nearest-neighbour search over item embeddings.

Backends behind one interface, chosen by size (see docs/benchmarks.md for the numbers):

- `ExactIndex`: the workspace's vectors as one float32 matrix; a query is one matrix-vector
  product. Exact, no build time, ~1 ms at 10k items and a few ms at 100k on two cores, but
  linear in size (1M items ≈ 1.5 GB and well above 20 ms per query).
- `IvfIndex` (`harken.insight.ivf`): k-means lists scanned as int8 and re-scored in float16, nprobe
  calibrated on the workspace's own vectors for recall@10 ≈ 0.97; used above
  `HARKEN_EXACT_INDEX_MAX` items (default 100,000). Persisted under `HARKEN_INDEX_DIR` (default
  `DATA_DIR/indexes/db-<database>/ws-<id>/<embedder>-<dim>/`) and updated incrementally.
- `HnswIndex`: usearch HNSW, the previous large-workspace backend; kept for comparison benchmarks.

`workspace_index()` keeps one index per (workspace, embedder) per process and brings it up to
date from the database before each search: rows changed since the last sync are added or
replaced, rows deleted are tombstoned (key by key, no rebuild). A large workspace's index is
loaded from its file on the first search of a process (and built and saved only when there is no
usable file); its changes are appended to the file.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from harken.insight.ivf import IndexFileError, IvfCore

log = logging.getLogger(__name__)

DEFAULT_EXACT_MAX = 100_000

F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    @wraps(method)
    def wrapper(self: VectorIndex, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class VectorIndex:
    """Keys are feedback ids; vectors are L2-normalised float32; scores are cosines.

    Web threads search while a sync upserts: every public method of a backend runs under
    `self.lock` (searches take microseconds to milliseconds; contention is negligible).
    """

    backend = ""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.lock = threading.RLock()

    def __len__(self) -> int:
        raise NotImplementedError

    def upsert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        raise NotImplementedError

    def remove(self, keys: np.ndarray) -> None:
        raise NotImplementedError

    def keys(self) -> np.ndarray:
        """The keys held (live ones only)."""
        raise NotImplementedError

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest keys and their cosine scores, best first."""
        raise NotImplementedError

    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def memory_bytes(self) -> int:
        raise NotImplementedError


class ExactIndex(VectorIndex):
    backend = "exact"

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._keys = np.zeros(0, dtype=np.int64)
        self._size = 0
        self._row: dict[int, int] = {}

    def __len__(self) -> int:
        return self._size

    def _grow(self, extra: int) -> None:
        need = self._size + extra
        if need <= len(self._matrix):
            return
        capacity = max(need, int(len(self._matrix) * 1.5) + 1024)
        matrix = np.zeros((capacity, self.dim), dtype=np.float32)
        keys = np.zeros(capacity, dtype=np.int64)
        matrix[: self._size] = self._matrix[: self._size]
        keys[: self._size] = self._keys[: self._size]
        self._matrix, self._keys = matrix, keys

    @_locked
    def upsert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        self._grow(len(keys))
        for key, vector in zip(keys.tolist(), vectors, strict=True):
            row = self._row.get(key)
            if row is None:
                row = self._size
                self._row[key] = row
                self._keys[row] = key
                self._size += 1
            self._matrix[row] = vector

    @_locked
    def keys(self) -> np.ndarray:
        return self._keys[: self._size].copy()

    @_locked
    def remove(self, keys: np.ndarray) -> None:
        for key in np.asarray(keys, dtype=np.int64).tolist():
            row = self._row.pop(key, None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:  # move the last row into the hole
                moved = int(self._keys[last])
                self._matrix[row] = self._matrix[last]
                self._keys[row] = moved
                self._row[moved] = row
            self._size -= 1

    @_locked
    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._matrix[: self._size] @ np.asarray(vector, dtype=np.float32)
        k = min(k, self._size)
        top = np.argpartition(-scores, k - 1)[:k] if k < self._size else np.arange(self._size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return self._keys[top].copy(), scores[top]

    @_locked
    def search_many(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch form (one matrix product), used for neighbourhood statistics."""
        if self._size == 0 or k <= 0:
            n = len(vectors)
            return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
        scores = np.asarray(vectors, dtype=np.float32) @ self._matrix[: self._size].T
        k = min(k, self._size)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-part, axis=1, kind="stable")
        return self._keys[np.take_along_axis(top, order, axis=1)], np.take_along_axis(part, order, axis=1)

    @_locked
    def top_scores(self, vectors: np.ndarray, k: int) -> np.ndarray:
        """The scores of `search_many(vectors, k)` without the keys (neighbourhood statistics).

        The same values in the same (descending) order: the same matrix product, then a partition
        of the values in place instead of an argpartition and gathers (scores that tie are equal).
        """
        if self._size == 0 or k <= 0:
            return np.zeros((len(vectors), 0), dtype=np.float32)
        scores = np.asarray(vectors, dtype=np.float32) @ self._matrix[: self._size].T
        k = min(k, self._size)
        return top_values(scores, k)

    @_locked
    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        rows = [self._row[int(k)] for k in keys]
        return self._matrix[rows]

    def memory_bytes(self) -> int:
        return int(self._matrix.nbytes + self._keys.nbytes) + len(self._row) * 100


TOP_BLOCK = 16  # columns per block in `top_values`' screening


def top_values(scores: np.ndarray, k: int) -> np.ndarray:
    """The k largest values of each row of `scores`, descending (the array is overwritten).

    The row's columns are dealt into blocks of `TOP_BLOCK` (block b: columns b, b + m, b + 2m, … for
    m blocks; the last n mod `TOP_BLOCK` columns always stay in). The k largest values lie in the k
    blocks with the largest maxima — a value in another block would have k blocks above it, each with a
    value at least as large — so only those blocks are partitioned. The values are the row's own k
    largest, exactly (equal values are interchangeable: only values are returned). Rows too short for
    blocks to pay are partitioned whole.
    """
    rows, n = scores.shape
    blocks = n // TOP_BLOCK
    if k >= n or blocks < 4 * k:
        np.negative(scores, out=scores)
        if k < n:
            scores.partition(k - 1, axis=1)
        top = scores[:, :k]
        top.sort(axis=1)
        return -top
    dealt = blocks * TOP_BLOCK
    maxima = scores[:, :dealt].reshape(rows, TOP_BLOCK, blocks).max(axis=1)
    chosen = np.argpartition(-maxima, k - 1, axis=1)[:, :k]
    cols = (chosen[:, :, None] + blocks * np.arange(TOP_BLOCK)).reshape(rows, k * TOP_BLOCK)
    values = np.take_along_axis(scores, cols, axis=1)
    if n > dealt:
        values = np.concatenate([values, scores[:, dealt:]], axis=1)
    np.negative(values, out=values)
    values.partition(k - 1, axis=1)
    top = values[:, :k]
    top.sort(axis=1)
    return -top


class HnswIndex(VectorIndex):
    """usearch HNSW over cosine. Vectors are also kept in f16 for re-scoring and neighbourhoods."""

    backend = "hnsw"

    def __init__(
        self,
        dim: int,
        connectivity: int = 16,
        expansion_add: int = 64,
        expansion_search: int = 512,
        dtype: str = "f16",
    ) -> None:
        super().__init__(dim)
        from usearch.index import Index

        self._index = Index(
            ndim=dim,
            metric="cos",
            dtype=dtype,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )

    def __len__(self) -> int:
        return len(self._index)

    @_locked
    def upsert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.uint64)
        present = [k for k in keys.tolist() if k in self._index]
        if present:
            self._index.remove(np.asarray(present, dtype=np.uint64))
        self._index.add(keys, np.asarray(vectors, dtype=np.float32), copy=True)

    @_locked
    def remove(self, keys: np.ndarray) -> None:
        present = [k for k in np.asarray(keys, dtype=np.uint64).tolist() if k in self._index]
        if present:
            self._index.remove(np.asarray(present, dtype=np.uint64))

    @_locked
    def keys(self) -> np.ndarray:
        return np.asarray(self._index.keys, dtype=np.int64)

    @_locked
    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self._index) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        matches = self._index.search(np.asarray(vector, dtype=np.float32), min(k, len(self._index)))
        return matches.keys.astype(np.int64), (1.0 - matches.distances).astype(np.float32)

    @_locked
    def search_many(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        matches = self._index.search(np.asarray(vectors, dtype=np.float32), min(k, len(self._index)))
        return matches.keys.astype(np.int64), (1.0 - matches.distances).astype(np.float32)

    @_locked
    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        got = self._index.get(np.asarray(keys, dtype=np.uint64), dtype="f32")
        return np.asarray(got, dtype=np.float32).reshape(len(keys), self.dim)

    def memory_bytes(self) -> int:
        return int(self._index.memory_usage)


class IvfIndex(VectorIndex):
    """IVF lists over float16 vectors (`harken.insight.ivf`): the large-workspace backend, persisted on disk."""

    backend = "ivf"

    def __init__(self, dim: int, nprobe: int | None = None, core: IvfCore | None = None) -> None:
        super().__init__(dim)
        self.core = core or IvfCore(dim, nprobe)

    def __len__(self) -> int:
        return self.core.live

    @_locked
    def upsert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self.core.upsert(keys, vectors)

    @_locked
    def remove(self, keys: np.ndarray) -> None:
        self.core.remove(keys)

    def keys(self) -> np.ndarray:
        with self.lock:
            return self.core.keys()

    @_locked
    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0 or self.core.live == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self.core.search(vector, k)

    @_locked
    def search_many(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, self.core.live)
        keys = np.full((len(vectors), k), -1, dtype=np.int64)
        scores = np.full((len(vectors), k), -np.inf, dtype=np.float32)
        for i, v in enumerate(vectors):
            got, sc = self.core.search(v, k)
            keys[i, : len(got)], scores[i, : len(got)] = got, sc
        return keys, scores

    @_locked
    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        return self.core.vectors_of(keys)

    def memory_bytes(self) -> int:
        return self.core.memory_bytes()

    @_locked
    def save(self, directory: Path, identity: dict[str, Any], replace: bool = False) -> bool:
        return self.core.save(directory, identity, replace=replace)

    @classmethod
    def load(cls, directory: Path, identity: dict[str, Any], dim: int) -> IvfIndex:
        return cls(dim, core=IvfCore.load(directory, identity, dim))


def make_index(dim: int, size_hint: int, exact_max: int | None = None) -> VectorIndex:
    """Exact up to `HARKEN_EXACT_INDEX_MAX` items, IVF above (docs/benchmarks.md, "Search at 1M")."""
    if exact_max is None:
        exact_max = exact_index_max()
    return ExactIndex(dim) if size_hint <= exact_max else IvfIndex(dim)


def exact_index_max() -> int:
    from django.conf import settings

    return int(getattr(settings, "HARKEN_EXACT_INDEX_MAX", DEFAULT_EXACT_MAX))


# ---------------------------------------------------------------- per-workspace cache and files


@dataclass
class _Entry:
    index: VectorIndex
    synced_at: datetime | None = None
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The data version (and backend threshold) this entry was last synced at: while it is unchanged
    # nothing was written anywhere, so a search skips the sync's queries (see `_sync_stamp`).
    stamp: tuple[int, int, int] | None = None


_cache: dict[tuple[int, str], _Entry] = {}
_cache_lock = threading.Lock()
# Rows changed since the last save before a search writes the index file again (the worker's
# `refresh_index` after each embedding batch always saves).
SAVE_AFTER_CHANGES = 1


def _load_rows(queryset: Any) -> tuple[np.ndarray, np.ndarray, datetime | None]:
    keys: list[int] = []
    blobs: list[bytes] = []
    latest: datetime | None = None
    for feedback_id, vector, updated_at in queryset.values_list("feedback_id", "vector", "updated_at").iterator(
        chunk_size=5000
    ):
        keys.append(feedback_id)
        blobs.append(bytes(vector))
        latest = updated_at if latest is None or updated_at > latest else latest
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), latest
    matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(keys), -1)
    return np.asarray(keys, dtype=np.int64), matrix, latest


def index_root() -> Path:
    """Where index files live: `HARKEN_INDEX_DIR`, default `DATA_DIR/indexes`, one folder per database."""
    from django.conf import settings
    from django.db import connection

    root = Path(getattr(settings, "HARKEN_INDEX_DIR", "") or Path(settings.DATA_DIR) / "indexes")
    db = connection.settings_dict
    tag = hashlib.sha256(f"{connection.vendor}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}".encode())
    return root / f"db-{tag.hexdigest()[:12]}"


def index_dir(workspace_id: int, embedder_name: str, dim: int) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in embedder_name)
    return index_root() / f"ws-{workspace_id}" / f"{safe}-{dim}"


def _identity(workspace_id: int, embedder_name: str) -> dict[str, Any]:
    """What a file must match to serve this workspace: its id and creation time (ids can be reused
    by a recreated database), and the embedder."""
    from harken.workspaces.models import Workspace

    created = Workspace.objects.filter(pk=workspace_id).values_list("created_at", flat=True).first()
    return {
        "workspace_id": workspace_id,
        "workspace_created": created.isoformat() if created else "",
        "embedder": embedder_name,
    }


def _load_file(workspace_id: int, embedder_name: str, dim: int) -> IvfIndex | None:
    directory = index_dir(workspace_id, embedder_name, dim)
    if not (directory / "manifest.json").exists():
        return None
    try:
        return IvfIndex.load(directory, _identity(workspace_id, embedder_name), dim)
    except IndexFileError as exc:
        log.warning("Rebuilding the vector index of workspace %s: %s", workspace_id, exc)
        return None


def _save(
    index: VectorIndex,
    workspace_id: int,
    embedder_name: str,
    dim: int,
    synced_at: datetime | None,
    replace: bool = False,
) -> None:
    if not isinstance(index, IvfIndex):
        return
    index.core.meta["synced_at"] = synced_at.isoformat() if synced_at else None
    try:
        index.save(index_dir(workspace_id, embedder_name, dim), _identity(workspace_id, embedder_name), replace=replace)
    except OSError as exc:  # a read-only or full disk must not break search: serve from memory
        log.warning("Could not save the vector index of workspace %s: %s", workspace_id, exc)


def _reconcile(index: VectorIndex, rows: Any) -> None:
    """Make the index hold exactly the database's keys: tombstone the deleted, add the missing."""
    db_keys = np.fromiter(rows.values_list("feedback_id", flat=True).iterator(chunk_size=20_000), dtype=np.int64)
    have = index.keys()  # type: ignore[attr-defined]
    gone = np.setdiff1d(have, db_keys, assume_unique=True)
    if len(gone):
        index.remove(gone)
    missing = np.setdiff1d(db_keys, have, assume_unique=True)
    for s in range(0, len(missing), 5000):
        keys, matrix, _ = _load_rows(rows.filter(feedback_id__in=missing[s : s + 5000].tolist()))
        if len(keys):
            index.upsert(keys, matrix)


def workspace_index(workspace_id: int, embedder_name: str, dim: int) -> VectorIndex:
    """The up-to-date index of one workspace's vectors for one embedder.

    Small workspaces: an exact in-memory matrix, loaded from the database once per process.
    Above `HARKEN_EXACT_INDEX_MAX`: the IVF index, loaded from its file (or built and saved if
    there is none, or it is stale or corrupt). Either way, rows changed since the last sync are
    then applied incrementally (new and re-embedded vectors added, deleted ones tombstoned), and
    an IVF index that changed is saved again (only the changes are written).
    """
    from harken.insight.models import ItemEmbedding

    rows = ItemEmbedding.objects.filter(workspace_id=workspace_id, embedder=embedder_name, dim=dim)
    exact_max = exact_index_max()
    version = _sync_stamp(exact_max)  # read before the sync's queries: a later write moves it on
    with _cache_lock:
        entry = _cache.get((workspace_id, embedder_name))
    if entry is not None and version is not None and entry.stamp == version:
        return entry.index  # no write since the last sync: nothing to count or read
    count = rows.count()
    with entry.lock if entry else threading.Lock():
        is_ivf = entry is not None and isinstance(entry.index, IvfIndex)
        # Hysteresis: an IVF index stays until the workspace halves, so a size hovering around the
        # threshold does not flip between backends on every sync.
        large = count > (exact_max // 2 if is_ivf else exact_max)
        if entry is None or is_ivf != large:
            loaded = _load_file(workspace_id, embedder_name, dim) if large else None
            if loaded is None:
                keys, matrix, latest = _load_rows(rows)
                index = make_index(dim, len(keys), exact_max)
                if len(keys):
                    index.upsert(keys, matrix)
                entry = _Entry(index=index, synced_at=latest, count=len(index), stamp=version)
                _save(index, workspace_id, embedder_name, dim, latest, replace=True)
                with _cache_lock:
                    _cache[(workspace_id, embedder_name)] = entry
                return entry.index
            stamp = loaded.core.meta.get("synced_at")
            entry = _Entry(index=loaded, synced_at=datetime.fromisoformat(stamp) if stamp else None, count=len(loaded))
            with _cache_lock:
                _cache[(workspace_id, embedder_name)] = entry
        index = entry.index
        before = _changes(index)
        # ">=": rows sharing the last timestamp are re-read (cheap, usually none or one).
        newer = rows if entry.synced_at is None else rows.filter(updated_at__gte=entry.synced_at)
        keys, matrix, latest = _load_rows(newer)
        if len(keys):
            index.upsert(keys, matrix)
            entry.synced_at = latest
        if len(index) != count:  # rows deleted (or added with older timestamps): fix key by key
            _reconcile(index, rows)
        entry.count = len(index)
        if _changes(index) != before:
            _save(index, workspace_id, embedder_name, dim, entry.synced_at)
        entry.stamp = version
        return index


def _sync_stamp(exact_max: int) -> tuple[int, int, int] | None:
    """What must be unchanged for a cached index to be current without asking the database:
    the shared data version (bumped after every committed write, by any process), this process's
    own (bumped at each write, before the commit) and the backend threshold. None when the shared
    version cannot be read, or when this process has uncommitted writes (a rollback would move
    neither version): then the search syncs, as before.

    The sync counted the workspace's vectors on every search (a scan of the embedding rows: 80 ms
    at 200,000 vectors, more as it grows) even when nothing had changed."""
    from harken.core import dataversion, memo

    if dataversion.uncommitted_writes():  # what the sync reads may yet be rolled back: no reuse
        return None
    # In a web request, the version this request already read (read once per request); elsewhere, read now.
    # An older reading than the data only makes a later search sync again, never skip a sync it needs.
    shared = memo.request_version()
    return None if shared is None else (shared, dataversion.local_version(), exact_max)


def refresh_index(workspace_id: int, embedder_name: str, dim: int) -> None:
    """After a backfill (worker): bring a large workspace's index file up to date, so the first
    search does not pay for it. Small workspaces have no file; nothing to do."""
    from harken.insight.models import ItemEmbedding

    rows = ItemEmbedding.objects.filter(workspace_id=workspace_id, embedder=embedder_name, dim=dim)
    if rows.count() > exact_index_max():
        workspace_index(workspace_id, embedder_name, dim)


def _changes(index: VectorIndex) -> int:
    return index.core.version if isinstance(index, IvfIndex) else 0


def forget(workspace_id: int | None = None) -> None:
    """Drop cached indexes (all, or one workspace's): the next search reloads (from file or database)."""
    with _cache_lock:
        for key in [k for k in _cache if workspace_id is None or k[0] == workspace_id]:
            del _cache[key]
