"""IVF vector index for large workspaces: k-means lists, int8 scan, float16 re-scoring, persisted.

Layout (chosen by measurement, docs/benchmarks.md "Search at 1M"):

- a *coarse quantiser*: `nlist ≈ √n` spherical k-means centroids, trained on a sample;
- the *base*: every vector as int8 codes (per-row scale) and as float16, stored list by list
  (`offsets[l]:offsets[l+1]`), so probing a list is one contiguous SIMD scan (numkong int8 dot
  products); the best max(100, 10·k) approximate candidates are re-scored with the float16 vectors
  (cosines within ~1e-3 of float32);
- *nprobe calibrated per index*: at build time, sample items' exact 10 nearest neighbours are
  found and nprobe is the smallest number of lists holding `CALIBRATION_TARGET` (0.97) of them —
  a recall target, not a fixed constant (clustered real embeddings need few lists, diffuse data many);
- the *tail*: vectors added since the base was laid out, each tagged with its nearest list and
  scanned when its list is probed; folded into the base (`compact`, a sort — no re-training) when
  it exceeds a tenth of the base. Centroids are re-trained only when the index has grown 4× since.
- *tombstones*: removed or replaced rows are marked dead, never moved, until the next compaction.

Persistence (`save`/`load`): a directory with `manifest.json` written last (atomic rename), the
base arrays written once per compaction (memory-mapped on load), the tail as append-only raw
files (a save appends only new rows) and the tombstones. Every file's size and CRC32 is in the
manifest, with a format version and the owner's identity (workspace, embedder, dimension): a file
that does not match is reported as unusable (`IndexFileError`) and the caller rebuilds.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
# Calibration: nprobe is the smallest number of lists that holds this share of the true 10 nearest
# neighbours of sample items (measured at build time on the workspace's own vectors). Chosen on
# the synthetic 100k set, reported unchanged on 1M and on real MiniLM vectors (docs/benchmarks.md).
CALIBRATION_TARGET = 0.97
CALIBRATION_QUERIES = 100
K_CALIBRATION = 10
RESCORE = 100  # approximate (int8) candidates re-scored with the float16 vectors, at least 10·k
MIN_TRAIN = 1024  # below this many vectors the index is a flat scan of the tail (no lists yet)
COMPACT_RATIO = 0.1
RETRAIN_GROWTH = 4.0
TRAIN_SAMPLE_PER_LIST = 48
KMEANS_ITERATIONS = 12
_CHUNK = 16_384

try:  # numkong (a usearch dependency): SIMD int8 dot products
    import numkong as _nk
except ImportError:  # pragma: no cover - numpy fallback
    _nk = None  # type: ignore[assignment]


class IndexFileError(Exception):
    """A persisted index that must not be trusted (missing, stale, corrupt or someone else's)."""


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes with a per-row scale: `code · code' × inv × inv'` ≈ the float dot product."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, vectors.shape[-1])
    peak = np.abs(vectors).max(axis=1)
    peak[peak == 0] = 1.0
    codes = np.round(vectors * (127.0 / peak)[:, None]).astype(np.int8)
    return codes, (peak / 127.0).astype(np.float32)


def _dots_i8(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    if len(codes) == 0:
        return np.zeros(0, dtype=np.float32)
    if _nk is not None:
        return np.asarray(_nk.cdist(query[None, :], codes, metric="dot"))[0].astype(np.float32)
    return (np.asarray(codes, dtype=np.float32) @ query.astype(np.float32)).astype(np.float32)


def nlist_for(n: int) -> int:
    return int(min(4096, max(8, round(np.sqrt(max(n, 1))))))


def nprobe_for(nlist: int) -> int:
    """Fallback before calibration (an index loaded from an older file): a quarter of the lists."""
    return int(min(nlist, max(8, nlist // 4)))


def _assign(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.int32)
    for s in range(0, len(vectors), _CHUNK):
        block = np.asarray(vectors[s : s + _CHUNK], dtype=np.float32)
        out[s : s + len(block)] = np.argmax(block @ centroids.T, axis=1)
    return out


def train_centroids(vectors: np.ndarray, nlist: int, seed: int = 0) -> np.ndarray:
    """Spherical k-means (cosine) on a sample of `TRAIN_SAMPLE_PER_LIST` vectors per list."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    take = min(n, nlist * TRAIN_SAMPLE_PER_LIST)
    sample = np.asarray(vectors[np.sort(rng.choice(n, take, replace=False))], dtype=np.float32)
    centroids = sample[rng.choice(take, nlist, replace=False)].copy()
    for _ in range(KMEANS_ITERATIONS):
        labels = _assign(sample, centroids)
        order = np.argsort(labels, kind="stable")
        counts = np.bincount(labels, minlength=nlist)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        sums = np.zeros_like(centroids)
        full = np.flatnonzero(counts > 0)
        sums[full] = np.add.reduceat(sample[order], starts[full], axis=0)
        empty = np.flatnonzero(counts == 0)
        if len(empty):  # re-seed empty lists with random sample points
            sums[empty] = sample[rng.choice(take, len(empty), replace=False)]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        centroids = (sums / norms).astype(np.float32)
    return centroids


class IvfCore:
    """The data structure (not thread-safe; `harken.insight.index.IvfIndex` wraps it with a lock)."""

    def __init__(self, dim: int, nprobe: int | None = None) -> None:
        self.dim = dim
        self.fixed_nprobe = nprobe
        self.centroids: np.ndarray | None = None
        self.trained_on = 0
        self.base_vec = np.zeros((0, dim), dtype=np.float16)
        self.base_codes = np.zeros((0, dim), dtype=np.int8)
        self.base_inv = np.zeros(0, dtype=np.float32)
        self.calibrated_nprobe = 0
        self.base_keys = np.zeros(0, dtype=np.int64)
        self.offsets = np.zeros(1, dtype=np.int64)
        self.base_dead = np.zeros(0, dtype=bool)
        self._sorted_keys = np.zeros(0, dtype=np.int64)
        self._sorted_rows = np.zeros(0, dtype=np.int64)
        self.tail_vec = np.zeros((0, dim), dtype=np.float16)
        self.tail_codes = np.zeros((0, dim), dtype=np.int8)
        self.tail_inv = np.zeros(0, dtype=np.float32)
        self.tail_keys = np.zeros(0, dtype=np.int64)
        self.tail_lists = np.zeros(0, dtype=np.int32)
        self.tail_dead = np.zeros(0, dtype=bool)
        self.tail_n = 0
        self.tail_row: dict[int, int] = {}
        self.live = 0
        # persistence bookkeeping
        self.generation = 0  # the manifest generation this object was loaded from / saved as
        self.base_id = 0  # which base files hold self.base_* (bumped by compaction)
        self.saved_tail = 0  # tail rows already on disk
        self.saved_base_id = -1
        self.meta: dict[str, Any] = {}
        self.version = 0  # bumped by every change (callers compare it to know whether to save)

    # ------------------------------------------------------------ sizes and lookups

    @property
    def nlist(self) -> int:
        return 0 if self.centroids is None else len(self.centroids)

    @property
    def nprobe(self) -> int:
        return self.fixed_nprobe or self.calibrated_nprobe or nprobe_for(self.nlist)

    def _base_rows_of(self, keys: np.ndarray) -> np.ndarray:
        """Base row of each key, or -1 (dead rows count as absent)."""
        if len(self._sorted_keys) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        pos = np.searchsorted(self._sorted_keys, keys)
        pos = np.minimum(pos, len(self._sorted_keys) - 1)
        rows = np.where(self._sorted_keys[pos] == keys, self._sorted_rows[pos], -1)
        live = rows >= 0
        live[live] = ~self.base_dead[rows[live]]
        return np.where(live, rows, -1)

    def keys(self) -> np.ndarray:
        base = self.base_keys[~self.base_dead]
        tail = self.tail_keys[: self.tail_n][~self.tail_dead[: self.tail_n]]
        return np.concatenate([base, tail])

    # ------------------------------------------------------------ writes

    def _tail_grow(self, extra: int) -> None:
        need = self.tail_n + extra
        if need <= len(self.tail_keys):
            return
        cap = max(need, int(len(self.tail_keys) * 1.5) + 1024)
        for name, shape, dtype in (
            ("tail_vec", (cap, self.dim), np.float16),
            ("tail_codes", (cap, self.dim), np.int8),
            ("tail_inv", (cap,), np.float32),
            ("tail_keys", (cap,), np.int64),
            ("tail_lists", (cap,), np.int32),
            ("tail_dead", (cap,), bool),
        ):
            new = np.zeros(shape, dtype=dtype)
            new[: self.tail_n] = getattr(self, name)[: self.tail_n]
            setattr(self, name, new)

    def remove(self, keys: np.ndarray) -> None:
        keys = np.unique(np.asarray(keys, dtype=np.int64))
        self.version += 1
        for key in keys.tolist():
            row = self.tail_row.pop(key, None)
            if row is not None:
                self.tail_dead[row] = True
                self.live -= 1
        rows = self._base_rows_of(keys)
        rows = rows[rows >= 0]
        self.base_dead[rows] = True
        self.live -= len(rows)

    def upsert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        if len(keys) == 0:
            return
        if len(np.unique(keys)) != len(keys):  # last write wins
            _, last = np.unique(keys[::-1], return_index=True)
            pick = np.sort(len(keys) - 1 - last)
            keys, vectors = keys[pick], vectors[pick]
        self.remove(keys)  # bumps version
        self._tail_grow(len(keys))
        start, end = self.tail_n, self.tail_n + len(keys)
        self.tail_vec[start:end] = vectors.astype(np.float16)
        self.tail_codes[start:end], self.tail_inv[start:end] = quantise(self.tail_vec[start:end])
        self.tail_keys[start:end] = keys
        self.tail_lists[start:end] = _assign(vectors, self.centroids) if self.centroids is not None else -1
        self.tail_dead[start:end] = False
        self.tail_row.update(zip(keys.tolist(), range(start, end), strict=True))
        self.tail_n = end
        self.live += len(keys)
        self.maintain()

    def maintain(self) -> None:
        """Train once there is enough data; re-train after 4× growth; fold a large tail into the base."""
        if self.centroids is None:
            if self.live >= MIN_TRAIN:
                self.compact(retrain=True)
        elif self.live > RETRAIN_GROWTH * self.trained_on:
            self.compact(retrain=True)
        elif self.tail_n > max(MIN_TRAIN, COMPACT_RATIO * len(self.base_keys)):
            self.compact()

    def _live_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        base_live = ~self.base_dead
        tail_live = ~self.tail_dead[: self.tail_n]
        vec = np.concatenate([np.asarray(self.base_vec)[base_live], self.tail_vec[: self.tail_n][tail_live]])
        keys = np.concatenate([self.base_keys[base_live], self.tail_keys[: self.tail_n][tail_live]])
        lists = np.concatenate([self._base_lists()[base_live], self.tail_lists[: self.tail_n][tail_live]])
        return vec, keys, lists

    def _base_lists(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int32), np.diff(self.offsets))

    def compact(self, retrain: bool = False) -> None:
        vec, keys, lists = self._live_arrays()
        if retrain:
            if len(vec) < MIN_TRAIN:
                return
            self.centroids = train_centroids(vec, nlist_for(len(vec)))
            self.trained_on = len(vec)
            lists = _assign(vec, self.centroids)
        order = np.argsort(lists, kind="stable")
        self.tail_vec = np.zeros((0, self.dim), dtype=np.float16)
        self.tail_codes = np.zeros((0, self.dim), dtype=np.int8)
        self.tail_inv = np.zeros(0, dtype=np.float32)
        self.tail_keys = np.zeros(0, dtype=np.int64)
        self.tail_lists = np.zeros(0, dtype=np.int32)
        self.tail_dead = np.zeros(0, dtype=bool)
        self.tail_n = 0
        self.tail_row = {}
        vec = vec[order]
        codes, inv = quantise(vec)
        self._set_base(vec, keys[order], np.searchsorted(lists[order], np.arange(self.nlist + 1)), codes, inv)
        if retrain:
            self.calibrate()
        self.saved_tail = 0
        self.base_id += 1
        self.version += 1

    def _set_base(
        self,
        vec: np.ndarray,
        keys: np.ndarray,
        offsets: np.ndarray,
        codes: np.ndarray,
        inv: np.ndarray,
        dead: np.ndarray | None = None,
    ) -> None:
        self.base_vec, self.base_keys = vec, np.asarray(keys, dtype=np.int64)
        self.base_codes, self.base_inv = codes, inv
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.base_dead = np.zeros(len(keys), dtype=bool) if dead is None else dead
        self._sorted_rows = np.argsort(self.base_keys, kind="stable")
        self._sorted_keys = self.base_keys[self._sorted_rows]
        self.live = int((~self.base_dead).sum()) + int((~self.tail_dead[: self.tail_n]).sum())

    # ------------------------------------------------------------ reads

    def calibrate(self, seed: int = 0) -> None:
        """Choose nprobe on this index's own vectors: sample items as queries, find their exact 10
        nearest neighbours, and take the smallest nprobe whose probed lists hold CALIBRATION_TARGET
        of them (self excluded)."""
        n = len(self.base_keys)
        if self.centroids is None or n < 2:
            return
        rng = np.random.default_rng(seed)
        rows = rng.choice(n, min(CALIBRATION_QUERIES, n), replace=False)
        queries = np.asarray(self.base_vec[rows], dtype=np.float32)
        k = min(K_CALIBRATION, n - 1)
        best = np.full((len(rows), k + 1), -np.inf, dtype=np.float32)
        ids = np.zeros((len(rows), k + 1), dtype=np.int64)
        for s in range(0, n, 65_536):
            block = np.asarray(self.base_vec[s : s + 65_536], dtype=np.float32)
            scores = queries @ block.T
            cand = np.concatenate([best, scores], axis=1)
            cand_ids = np.concatenate([ids, np.arange(s, s + len(block))[None, :].repeat(len(rows), 0)], axis=1)
            top = np.argpartition(-cand, k, axis=1)[:, : k + 1]
            best, ids = np.take_along_axis(cand, top, 1), np.take_along_axis(cand_ids, top, 1)
        lists = self._base_lists()
        ranks: list[np.ndarray] = []
        for q, row, neighbours in zip(queries, rows, ids, strict=True):
            order = np.argsort(-(self.centroids @ q))
            rank_of = np.empty(self.nlist, dtype=np.int64)
            rank_of[order] = np.arange(self.nlist)
            ranks.append(rank_of[lists[neighbours[neighbours != row][:k]]])
        needed = int(np.quantile(np.concatenate(ranks), CALIBRATION_TARGET, method="higher")) + 1
        self.calibrated_nprobe = int(min(self.nlist, max(min(8, self.nlist), needed)))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate scores from int8 codes over the probed lists, then the best
        max(RESCORE, 10·k) re-scored with the float16 vectors."""
        q32 = np.asarray(query, dtype=np.float32).reshape(self.dim)
        q8, _q_inv = quantise(q32[None, :])
        q8 = q8[0]
        base_n = len(self.base_keys)
        parts_scores: list[np.ndarray] = []
        parts_rows: list[np.ndarray] = []
        tail_sel: np.ndarray
        if self.centroids is not None and self.nlist:
            nprobe = min(self.nprobe, self.nlist)
            cscores = self.centroids @ q32
            probes = np.argpartition(-cscores, nprobe - 1)[:nprobe] if nprobe < self.nlist else np.arange(self.nlist)
            for p in probes.tolist():
                a, b = int(self.offsets[p]), int(self.offsets[p + 1])
                if a == b:
                    continue
                scores = _dots_i8(self.base_codes[a:b], q8) * self.base_inv[a:b]
                dead = self.base_dead[a:b]
                if dead.any():
                    scores = np.where(dead, -np.inf, scores)
                parts_scores.append(scores)
                parts_rows.append(np.arange(a, b))
            mask = np.zeros(self.nlist + 1, dtype=bool)
            mask[probes] = True
            tail_sel = np.flatnonzero(mask[self.tail_lists[: self.tail_n]] & ~self.tail_dead[: self.tail_n])
        else:
            tail_sel = np.flatnonzero(~self.tail_dead[: self.tail_n])
        if len(tail_sel):
            parts_scores.append(_dots_i8(self.tail_codes[tail_sel], q8) * self.tail_inv[tail_sel])
            parts_rows.append(base_n + tail_sel)
        if not parts_scores:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        approx = np.concatenate(parts_scores)
        rows = np.concatenate(parts_rows)
        live = np.isfinite(approx)
        pool = min(int(live.sum()), max(RESCORE, 10 * k))
        k = min(k, pool)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-approx, pool - 1)[:pool] if pool < len(approx) else np.flatnonzero(live)
        cand = np.sort(rows[top])
        in_base = cand < base_n
        vectors = np.concatenate([np.asarray(self.base_vec[cand[in_base]]), self.tail_vec[cand[~in_base] - base_n]])
        keys = np.concatenate([self.base_keys[cand[in_base]], self.tail_keys[cand[~in_base] - base_n]])
        exact = vectors.astype(np.float32) @ q32
        best = np.argpartition(-exact, k - 1)[:k] if k < len(exact) else np.arange(len(exact))
        best = best[np.argsort(-exact[best], kind="stable")]
        return keys[best].copy(), exact[best]

    def vectors_of(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        rows = self._base_rows_of(keys)
        for i, key in enumerate(keys.tolist()):
            tail = self.tail_row.get(key)
            if tail is not None:
                out[i] = self.tail_vec[tail]
            elif rows[i] >= 0:
                out[i] = self.base_vec[rows[i]]
            else:
                raise KeyError(key)
        return out

    def memory_bytes(self) -> int:
        arrays: list[np.ndarray] = [
            self.base_vec,
            self.base_codes,
            self.base_inv,
            self.base_keys,
            self.base_dead,
            self._sorted_keys,
            self._sorted_rows,
            self.offsets,
        ]
        arrays += [self.tail_vec, self.tail_codes, self.tail_inv, self.tail_keys, self.tail_lists, self.tail_dead]
        total = sum(int(a.nbytes) for a in arrays) + len(self.tail_row) * 100
        return total + (0 if self.centroids is None else int(self.centroids.nbytes))

    # ------------------------------------------------------------ persistence

    def save(self, directory: Path, identity: dict[str, Any], replace: bool = False) -> bool:
        """Write what changed since the last save. False (nothing written) if another process saved
        a newer generation meanwhile: its file wins, this process keeps serving from memory.
        `replace`: this index was built from scratch and supersedes whatever is on disk."""
        import fcntl

        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = _read_manifest(directory)
            on_disk = int(current["generation"]) if current else 0
            if replace:
                self.generation, self.saved_base_id, current = on_disk, -1, None
            if on_disk != self.generation:
                return False
            files: dict[str, dict[str, int]] = dict(current.get("files", {})) if current else {}
            if self.saved_base_id != self.base_id:
                files = {}
                for name, array in self._base_files().items():
                    files[name] = _write_array(directory / name, array)
                self.saved_tail = 0
            tail_names = _tail_names(self.base_id)
            if self.saved_tail == 0:
                for name in tail_names.values():
                    (directory / name).unlink(missing_ok=True)
                    files[name] = {"bytes": 0, "crc": 0}
            new = slice(self.saved_tail, self.tail_n)
            for part, name in tail_names.items():
                data = np.ascontiguousarray(getattr(self, f"tail_{part}")[new]).tobytes()
                with open(directory / name, "r+b" if (directory / name).exists() else "wb") as f:
                    f.seek(files[name]["bytes"])
                    f.write(data)
                    f.truncate()
                    f.flush()
                    os.fsync(f.fileno())
                files[name] = {"bytes": files[name]["bytes"] + len(data), "crc": zlib.crc32(data, files[name]["crc"])}
            dead_name = f"dead-{self.generation + 1}.npy"
            dead = np.concatenate(
                [np.flatnonzero(self.base_dead), len(self.base_keys) + np.flatnonzero(self.tail_dead[: self.tail_n])]
            )
            files[dead_name] = _write_array(directory / dead_name, dead.astype(np.int64))
            manifest = {
                "format": FORMAT_VERSION,
                "backend": "ivf",
                **identity,
                "dim": self.dim,
                "generation": self.generation + 1,
                "base_id": self.base_id,
                "base_rows": len(self.base_keys),
                "tail_rows": self.tail_n,
                "nlist": self.nlist,
                "trained_on": self.trained_on,
                "nprobe": self.calibrated_nprobe,
                "live": self.live,
                "meta": self.meta,
                "files": {k: v for k, v in files.items() if not k.startswith("dead-") or k == dead_name},
            }
            tmp = directory / "manifest.json.tmp"
            tmp.write_text(json.dumps(manifest, indent=1))
            os.replace(tmp, directory / "manifest.json")
            self.generation += 1
            self.saved_base_id = self.base_id
            self.saved_tail = self.tail_n
            keep = set(manifest["files"]) | {"manifest.json", ".lock"}
            for path in directory.iterdir():
                if path.name not in keep:
                    path.unlink(missing_ok=True)
            return True

    def _base_files(self) -> dict[str, np.ndarray]:
        b = self.base_id
        files: dict[str, np.ndarray] = {
            f"base-{b}-vectors.npy": np.asarray(self.base_vec, dtype=np.float16),
            f"base-{b}-codes.npy": np.asarray(self.base_codes, dtype=np.int8),
            f"base-{b}-inv.npy": np.asarray(self.base_inv, dtype=np.float32),
            f"base-{b}-keys.npy": self.base_keys,
            f"base-{b}-offsets.npy": self.offsets,
        }
        if self.centroids is not None:
            files[f"base-{b}-centroids.npy"] = self.centroids
        return files

    @classmethod
    def load(cls, directory: Path, identity: dict[str, Any], dim: int) -> IvfCore:
        manifest = _read_manifest(directory)
        if manifest is None:
            raise IndexFileError("no index file")
        expect = {"format": FORMAT_VERSION, "backend": "ivf", "dim": dim, **identity}
        wrong = {k: manifest.get(k) for k, v in expect.items() if manifest.get(k) != v}
        if wrong:
            raise IndexFileError(f"index file belongs elsewhere or is stale: {wrong}")
        files = manifest["files"]
        for name, info in files.items():
            path = directory / name
            if not path.exists() or path.stat().st_size < info["bytes"]:
                raise IndexFileError(f"{name} is missing or truncated")
            with open(path, "rb") as f:
                if _crc(f, info["bytes"]) != info["crc"]:
                    raise IndexFileError(f"{name} is corrupt (checksum)")
        core = cls(dim)
        b = manifest["base_id"]
        try:
            vec = np.load(directory / f"base-{b}-vectors.npy", mmap_mode="r")
            codes = np.load(directory / f"base-{b}-codes.npy", mmap_mode="r")
            inv = np.load(directory / f"base-{b}-inv.npy")
            keys = np.load(directory / f"base-{b}-keys.npy")
            offsets = np.load(directory / f"base-{b}-offsets.npy")
            centroids_path = directory / f"base-{b}-centroids.npy"
            core.centroids = np.load(centroids_path) if centroids_path.exists() else None
            tail_n = int(manifest["tail_rows"])
            names = _tail_names(b)
            tail = {part: _read_raw(directory / names[part], files[names[part]]["bytes"]) for part in names}
            dead_name = next(n for n in files if n.startswith("dead-"))
            dead = np.load(directory / dead_name)
        except (OSError, ValueError, KeyError, StopIteration) as exc:
            raise IndexFileError(f"unreadable index file: {exc}") from exc
        base_n = len(keys)
        if (
            vec.shape != (base_n, dim)
            or codes.shape != (base_n, dim)
            or len(inv) != base_n
            or len(offsets) != core.nlist + 1
            or int(offsets[-1]) != base_n
        ):
            raise IndexFileError("index arrays disagree")
        core._tail_grow(tail_n)
        core.tail_vec[:tail_n] = np.frombuffer(tail["vec"], dtype=np.float16).reshape(tail_n, dim)
        core.tail_keys[:tail_n] = np.frombuffer(tail["keys"], dtype=np.int64)
        core.tail_lists[:tail_n] = np.frombuffer(tail["lists"], dtype=np.int32)
        core.tail_codes[:tail_n], core.tail_inv[:tail_n] = quantise(core.tail_vec[:tail_n])
        core.tail_n = tail_n
        tail_dead = dead[dead >= base_n] - base_n
        core.tail_dead[tail_dead] = True
        base_dead = np.zeros(base_n, dtype=bool)
        base_dead[dead[dead < base_n]] = True
        core._set_base(vec, keys, offsets, codes, inv, base_dead)
        live_tail = np.flatnonzero(~core.tail_dead[:tail_n])
        core.tail_row = dict(zip(core.tail_keys[live_tail].tolist(), live_tail.tolist(), strict=True))
        core.trained_on = int(manifest["trained_on"])
        core.calibrated_nprobe = int(manifest.get("nprobe", 0))
        core.generation = int(manifest["generation"])
        core.base_id = core.saved_base_id = b
        core.saved_tail = tail_n
        core.meta = dict(manifest.get("meta", {}))
        if core.live != int(manifest["live"]):
            raise IndexFileError("index counts disagree")
        return core


def _tail_names(base_id: int) -> dict[str, str]:
    return {part: f"tail-{base_id}-{part}.bin" for part in ("vec", "keys", "lists")}


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "generation" in data else None


def _crc(f: Any, size: int) -> int:
    crc, left = 0, size
    while left > 0:
        chunk = f.read(min(left, 1 << 24))
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    return crc


def _write_array(path: Path, array: np.ndarray) -> dict[str, int]:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    with open(path, "rb") as f:
        size = path.stat().st_size
        return {"bytes": size, "crc": _crc(f, size)}


def _read_raw(path: Path, size: int) -> bytes:
    if size == 0:
        return b""
    with open(path, "rb") as f:
        return f.read(size)
