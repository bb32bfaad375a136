"""Search at 1M: the IVF index (harken.insight.ivf) against exact search, on synthetic and real vectors.

Usage:
    .venv/bin/python bench/search_1m.py                     # 1M synthetic + real MiniLM dev vectors
    .venv/bin/python bench/search_1m.py --sizes 100000      # smaller synthetic run

Real: MiniLM int8 embeddings of every dev set's texts (bench/search_real.py, ~42k); 500 random
items are held out as queries. The nprobe rule (`ivf.nprobe_for`, 2·√nlist) was chosen on these real vectors
(smallest rule with recall@10 ≥ 0.95) and is reported unchanged on the synthetic sets.

Synthetic: bench/scale.py's clustered unit vectors (dim 384, 5,000 clusters), 200 held-out queries.

For each: build time (k-means + layout, 2 BLAS threads), save and load (with checksum) time,
index memory, recall@10 against exact float32, p50/p95 latency of single queries on one
thread, incremental add/remove of 1% and its save time. Run under `nice -n 10` on the shared
machine; the load average is recorded.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile, print_table, setup_django, write_results  # noqa: E402

K = 10
SWEEP = [8, 16, 32, 64, 96, 128]


def exact_topk(data: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    out = np.empty((len(queries), k), dtype=np.int64)
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for s in range(0, len(data), 200_000):
        scores = queries @ data[s : s + 200_000].T
        cand = np.concatenate([best, scores], axis=1)
        ids = np.concatenate([out, np.arange(s, s + scores.shape[1])[None, :].repeat(len(queries), 0)], axis=1)
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        best, out = np.take_along_axis(cand, top, 1), np.take_along_axis(ids, top, 1)
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_queries(index, queries: np.ndarray, truth: np.ndarray, keys: np.ndarray) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        for q in queries[:10]:
            index.search(q, K)
        times, cpu, hits = [], [], 0
        for q, want in zip(queries, truth, strict=True):
            t, c = time.perf_counter(), time.thread_time()
            got, _ = index.search(q, K)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            hits += len(set(keys[want].tolist()) & set(got.tolist()))
    return {
        "recall_at_10": hits / (K * len(queries)),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "cpu_p50_ms": percentile(cpu, 50),
        "cpu_p95_ms": percentile(cpu, 95),
    }


def run(name: str, data: np.ndarray, queries: np.ndarray, sweep: list[int]) -> list[dict[str, object]]:
    from harken.insight.index import IvfIndex

    n, dim = data.shape
    keys = np.arange(1, n + 1, dtype=np.int64)
    t = time.perf_counter()
    truth = exact_topk(data, queries)
    truth_s = time.perf_counter() - t
    load0 = os.getloadavg()[0]
    rss0 = rss_mb()
    index = IvfIndex(dim)
    t, c = time.perf_counter(), time.process_time()
    index.upsert(keys, data)
    build_s, build_cpu_s = time.perf_counter() - t, time.process_time() - c
    core = index.core
    rows: list[dict[str, object]] = []
    base = {
        "dataset": name,
        "items": n,
        "dim": dim,
        "nlist": core.nlist,
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "nprobe_calibrated": core.calibrated_nprobe,
        "memory_mb": index.memory_bytes() / 2**20,
        "max_rss_growth_mb": rss_mb() - rss0,
        "exact_truth_s": truth_s,
        "load_average_at_start": load0,
    }
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        ident = {"workspace_id": 1, "workspace_created": "", "embedder": "bench"}
        t = time.perf_counter()
        index.save(Path(tmp), ident)
        base["save_s"] = time.perf_counter() - t
        base["file_mb"] = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        del index, core
        gc.collect()
        t = time.perf_counter()
        index = IvfIndex.load(Path(tmp), ident, dim)
        base["load_s"] = time.perf_counter() - t
        core = index.core
        for nprobe in [0, *sweep]:
            core.fixed_nprobe = nprobe or None
            got = measure_queries(index, queries, truth, keys)
            rows.append(
                {**base, "nprobe": core.nprobe, "default": nprobe == 0, **got, "load_average": os.getloadavg()[0]}
            )
            print(rows[-1], flush=True)
        core.fixed_nprobe = None
        # Incremental: 1% new vectors appended, 1% removed, then saved (only the changes are written).
        extra = max(1, n // 100)
        rng = np.random.default_rng(3)
        new = data[rng.choice(n, extra, replace=False)] + rng.standard_normal((extra, dim), dtype=np.float32) * 0.01
        new /= np.linalg.norm(new, axis=1, keepdims=True)
        t = time.perf_counter()
        index.upsert(np.arange(n + 1, n + extra + 1), new)
        add_s = time.perf_counter() - t
        gone = rng.choice(keys, extra, replace=False)
        t = time.perf_counter()
        index.remove(gone)
        remove_s = time.perf_counter() - t
        t = time.perf_counter()
        index.save(Path(tmp), ident)
        inc_save_s = time.perf_counter() - t
        all_keys = np.concatenate([keys, np.arange(n + 1, n + extra + 1)])
        all_data = np.concatenate([data, new])
        alive = ~np.isin(all_keys, gone)
        truth2 = exact_topk(all_data[alive], queries)
        after = measure_queries(index, queries, truth2, all_keys[alive])
        for r in rows:
            r.update(
                {
                    "incremental_items": extra,
                    "incremental_add_s": add_s,
                    "incremental_remove_s": remove_s,
                    "incremental_save_s": inc_save_s,
                    "recall_after_increment": after["recall_at_10"],
                    "p95_after_increment_ms": after["p95_ms"],
                }
            )
    return rows


def int8_scan(data: np.ndarray, queries: np.ndarray) -> dict[str, object]:
    """Baseline: an exact int8 scan of every vector (numkong SIMD), to show why 1M needs lists."""
    import numkong as nk

    scale = 127 / np.abs(data).max(axis=1, keepdims=True)
    codes = np.round(data * scale).astype(np.int8)
    times, cpu = [], []
    for q in queries[:50]:
        qc = np.round(q * 127 / np.abs(q).max()).astype(np.int8)
        t, c = time.perf_counter(), time.thread_time()
        scores = np.asarray(nk.cdist(qc[None, :], codes, metric="dot"))[0] / scale[:, 0]
        np.argpartition(-scores, K)[:K]
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return {
        "dataset": "int8 exact scan (numkong, one thread)",
        "items": len(data),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "cpu_p50_ms": percentile(cpu, 50),
        "cpu_p95_ms": percentile(cpu, 95),
        "memory_mb": codes.nbytes / 2**20,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--name", default="search-1m")
    args = parser.parse_args()
    setup_django()
    from scale import synthetic

    rows: list[dict[str, object]] = []
    baselines: list[dict[str, object]] = []
    if not args.skip_real:
        from search_real import real_vectors

        real = real_vectors()
        real = real[np.linalg.norm(real, axis=1) > 0]
        rng = np.random.default_rng(11)
        held = rng.choice(len(real), 500, replace=False)
        mask = np.ones(len(real), dtype=bool)
        mask[held] = False
        rows += run(f"real MiniLM dev sets ({mask.sum():,})", real[mask], real[held], [4, 8, 16, 24, 32, 48, 64])
    dim = 384
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((5000, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    basis = rng.standard_normal((48, dim), dtype=np.float32) / np.sqrt(48)
    queries = synthetic(200, dim, rng, centres, basis)
    for n in [int(s) for s in args.sizes.split(",") if s]:
        data = synthetic(n, dim, rng, centres, basis)
        rows += run(f"synthetic clustered ({n:,})", data, queries, SWEEP)
        baselines.append(int8_scan(data, queries))
        print(baselines[-1], flush=True)
        del data
        gc.collect()
    print_table(
        "Search: IVF (f16 lists) vs exact float32, k=10, one thread per query",
        ["dataset", "nlist", "nprobe", "build s", "load s", "MB", "recall@10", "p50 ms", "p95 ms", "CPU p95", "load"],
        [
            [
                r["dataset"],
                r["nlist"],
                f"{r['nprobe']}{' *' if r['default'] else ''}",
                r["build_s"],
                r["load_s"],
                r["memory_mb"],
                r["recall_at_10"],
                r["p50_ms"],
                r["p95_ms"],
                r["cpu_p95_ms"],
                r["load_average"],
            ]
            for r in rows
        ],
    )
    write_results(
        args.name,
        {
            "targets": {"recall_at_10": 0.95, "p95_ms_at_1M": 20.0, "build_s_per_M": 300},
            "ivf": rows,
            "baselines": baselines,
        },
    )


if __name__ == "__main__":
    main()
