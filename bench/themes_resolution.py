"""Sweep of sub-theme resolution criteria (issue 11, themeseg2): several Leiden seeds per γ, scored.

    .venv/bin/python bench/themes_resolution.py --set banking77 --seeds 8   # dev set, 13 draws
    .venv/bin/python bench/themes_resolution.py --set clinc150 --seeds 8    # test set, reported unchanged

Draws: the bench's numpy draw (`themes.load`) at sample seeds 0–3 for 500, 1,000 and 2,000 items plus
the whole set (13 draws), rows sliced from the full set's cached vectors (as in the themeseg sweep).
For each draw the k = ⌈ln n⌉ graph is built once as `clustering.cluster` builds it; then for every γ
of SUB_RESOLUTIONS and Leiden seed 0..S-1 the product's post-processing (`_relabel`, `absorb_small`)
and silhouette are computed, plus the pairwise adjusted Rand index between the seeds' themes. Each
criterion is a rule over that table; its NMI / ARI against the gold intents are reported per size.
Raw tables go to bench/results/<name>.json so further rules can be scored without re-running Leiden.
`--gammas 32,64,128,256` runs other rungs only (the ladder's top, "ladder"); the runs are
deterministic, so their table can be joined to an earlier run's on the same draws and seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django, write_results  # noqa: E402

SIZES = (500, 1000, 2000)
DRAWS = (0, 1, 2, 3)


def runs_for(
    x: np.ndarray, seeds: int, iterations: int = -1, gammas: tuple[float, ...] | None = None
) -> dict[str, Any]:
    import igraph as ig
    from sklearn.metrics import adjusted_rand_score

    from harken.insight.themes import clustering as c

    params = c.Params()
    k = c.neighbours_for(len(x))
    idx, sims = c.knn(x, max(k, c.NEIGHBOURS))
    order = np.argsort(-sims, axis=1, kind="stable")
    idx, sims = np.take_along_axis(idx, order, axis=1)[:, :k], np.take_along_axis(sims, order, axis=1)[:, :k]
    edges, weights = c._edges(idx, sims, params.min_similarity)
    graph = ig.Graph(n=len(x), edges=edges)
    graph.es["weight"] = weights
    out: dict[str, Any] = {}
    for gamma in gammas or c.SUB_RESOLUTIONS:
        labels, sil = [], []
        for s in range(seeds):
            lab = c.sub_run(graph, x, params, gamma, s, iterations)
            labels.append(lab)
            sil.append(c.silhouette(x, lab))
        ari = np.eye(seeds)
        for i in range(seeds):
            for j in range(i + 1, seeds):
                ari[i, j] = ari[j, i] = adjusted_rand_score(labels[i], labels[j])
        out[str(gamma)] = {"labels": labels, "silhouette": sil, "ari": ari}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="banking77")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=-1, help="Leiden n_iterations (-1: until stable)")
    parser.add_argument("--name", default="")
    parser.add_argument("--gammas", default="", help="comma-separated γ to run instead of SUB_RESOLUTIONS")
    args = parser.parse_args()
    setup_django()
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    import themes as bench
    from harken.insight.themes import clustering as c

    texts, truth = bench.load(args.set)
    full = c.normalise(bench.embeddings(args.set, texts)[0])
    draws = [(n, d) for n in SIZES for d in DRAWS] + [(len(texts), 0)]
    gammas = tuple(float(g) for g in args.gammas.split(",")) if args.gammas else None
    result: dict[str, Any] = {"set": args.set, "seeds": args.seeds, "iterations": args.iterations, "draws": []}
    for n, d in draws:
        rows = np.arange(len(texts))
        if n < len(texts):
            rows = np.sort(np.random.default_rng(d).choice(len(texts), n, replace=False))
        x, gold = full[rows], [truth[i] for i in rows]
        cpu = time.process_time()
        table = runs_for(x, args.seeds, args.iterations, gammas)
        entry = {"items": n, "draw": d, "cpu_seconds": round(time.process_time() - cpu, 2), "gamma": {}}
        for g, t in table.items():
            entry["gamma"][g] = {
                "silhouette": [round(float(s), 5) for s in t["silhouette"]],
                "ari_pairs": np.round(t["ari"], 5).tolist(),
                "nmi": [round(float(normalized_mutual_info_score(gold, lab)), 5) for lab in t["labels"]],
                "ari_gold": [round(float(adjusted_rand_score(gold, lab)), 5) for lab in t["labels"]],
                "themes": [int(lab.max()) + 1 for lab in t["labels"]],
            }
        result["draws"].append(entry)
        print(n, d, entry["cpu_seconds"], flush=True)
    write_results(args.name or f"themeseg2-sweep-{args.set}", result)


if __name__ == "__main__":
    main()
