"""Per-workspace nearest-neighbour search over item embeddings.

Two backends behind one interface, chosen by size (see docs/benchmarks.md for the numbers):

- `ExactIndex`: the workspace's vectors as one float32 matrix; a query is one matrix-vector
  product. Exact, no build time, ~1 ms at 10k items and a few ms at 100k on two cores, but
  linear in size (1M items ≈ 1.5 GB and well above 20 ms per query).
- `HnswIndex`: usearch HNSW (cosine on normalised vectors), used above
  `HARKEN_EXACT_INDEX_MAX` items (default 100,000): sub-millisecond at 1M with recall@10 ≈ 0.99.

`workspace_index()` keeps one index per (workspace, embedder) per process and brings it up to
date from the database before each search: rows changed since the last sync are added or
replaced; a shrink in row count (deletions) triggers a rebuild. The check is one cheap query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import numpy as np

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
    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        rows = [self._row[int(k)] for k in keys]
        return self._matrix[rows]

    def memory_bytes(self) -> int:
        return int(self._matrix.nbytes + self._keys.nbytes) + len(self._row) * 100


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


def make_index(dim: int, size_hint: int, exact_max: int | None = None) -> VectorIndex:
    if exact_max is None:
        from django.conf import settings

        exact_max = int(getattr(settings, "HARKEN_EXACT_INDEX_MAX", DEFAULT_EXACT_MAX))
    return ExactIndex(dim) if size_hint <= exact_max else HnswIndex(dim)


@dataclass
class _Entry:
    index: VectorIndex
    synced_at: datetime | None = None
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[tuple[int, str], _Entry] = {}
_cache_lock = threading.Lock()


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


def workspace_index(workspace_id: int, embedder_name: str, dim: int) -> VectorIndex:
    """The up-to-date index of one workspace's vectors for one embedder."""
    from harken.insight.models import ItemEmbedding

    rows = ItemEmbedding.objects.filter(workspace_id=workspace_id, embedder=embedder_name, dim=dim)
    with _cache_lock:
        entry = _cache.get((workspace_id, embedder_name))
    count = rows.count()
    with entry.lock if entry else threading.Lock():
        if entry is None or count < entry.count:
            keys, matrix, latest = _load_rows(rows)
            index = make_index(dim, len(keys))
            if len(keys):
                index.upsert(keys, matrix)
            entry = _Entry(index=index, synced_at=latest, count=len(index))
            with _cache_lock:
                _cache[(workspace_id, embedder_name)] = entry
            return entry.index
        # ">=": rows sharing the last timestamp are re-read (cheap, usually none or one).
        newer = rows if entry.synced_at is None else rows.filter(updated_at__gte=entry.synced_at)
        keys, matrix, latest = _load_rows(newer)
        if len(keys):
            entry.index.upsert(keys, matrix)
            entry.synced_at = latest
        entry.count = len(entry.index)
        if entry.count != count:  # rows deleted and added since: start over
            forget(workspace_id)
            return workspace_index(workspace_id, embedder_name, dim)
        return entry.index


def forget(workspace_id: int | None = None) -> None:
    """Drop cached indexes (all, or one workspace's): the next search reloads from the database."""
    with _cache_lock:
        for key in [k for k in _cache if workspace_id is None or k[0] == workspace_id]:
            del _cache[key]
