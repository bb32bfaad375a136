"""The sub-theme ladder's top rung (issue 11, "ladder"): score the rule "past γ = 16 by octaves while
the mean silhouette rises" over stored sweeps, without re-running Leiden.

    .venv/bin/python bench/themes_resolution.py --set banking77 --seeds 5 --iterations 2 \\
        --gammas 32,64,128,256 --name ladder-sweep-banking77-top
    .venv/bin/python bench/themes_ladder.py --set banking77

`--oracle` also runs the bench's KMeans told the true k (`themes.run_kmeans_oracle`) on the same draws
and stores it in `ladder-oracle-<set>.json` (later runs read it from there).

Joins `themeseg2-sweep-<set>-it2.json` (γ 1…16) with `ladder-sweep-<set>-top.json` (γ 32…256): same
draws, seeds 0–4 and 2 Leiden passes, and the runs are deterministic. Per draw and rule: the γ
chosen and its consensus run's NMI / ARI / themes (the run with the highest mean ARI to the others).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def consensus(entry: dict[str, Any]) -> tuple[float, float, int]:
    pairs = np.asarray(entry["ari_pairs"])
    i = int(np.argmax((pairs.sum(axis=1) - 1) / max(len(pairs) - 1, 1)))
    return entry["nmi"][i], entry["ari_gold"][i], entry["themes"][i]


def stability(entry: dict[str, Any]) -> float:
    pairs = np.asarray(entry["ari_pairs"])
    return float((pairs.sum() - len(pairs)) / (len(pairs) * (len(pairs) - 1)))


def choose(gammas: dict[str, Any], rule: str) -> float:
    """before: the ladder 1…16; after: past its top by octaves while the mean silhouette rises;
    stable: the same, but also only while the seeds' runs agree no less (mean pairwise ARI)."""
    mean = {float(g): float(np.mean(v["silhouette"])) for g, v in gammas.items()}
    agree = {float(g): stability(v) for g, v in gammas.items()}
    ladder = sorted(g for g in mean if g <= 16)
    best = max(ladder, key=lambda g: (mean[g], -g))
    if rule != "before" and best == ladder[-1]:
        gamma = best
        while gamma * 2 in mean and mean[gamma * 2] > mean[best] + 1e-9:
            if rule == "stable" and agree[gamma * 2] < agree[best]:
                break
            gamma *= 2
            best = gamma
    return best


def oracle(name: str, draws: list[dict[str, Any]]) -> list[tuple[float, float, int, float]]:
    """KMeans told the true k on the sweep's draws (rows as in `themes_resolution.main`)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import setup_django, write_results

    setup_django()
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    import themes as bench
    from harken.insight.themes import clustering as c

    texts, truth = bench.load(name)
    full = c.normalise(bench.embeddings(name, texts)[0])
    out, stored = [], []
    for d in draws:
        rows = np.arange(len(texts))
        if d["items"] < len(texts):
            rows = np.sort(np.random.default_rng(d["draw"]).choice(len(texts), d["items"], replace=False))
        gold = [truth[i] for i in rows]
        labels, _, cpu = bench.run_kmeans_oracle(full[rows], len(set(gold)))
        nmi, ari = normalized_mutual_info_score(gold, labels), adjusted_rand_score(gold, labels)
        out.append((float(nmi), float(ari), len(set(gold)), 0.0))
        stored.append({"items": d["items"], "draw": d["draw"], "k": len(set(gold)), "nmi": nmi, "ari": ari, "cpu": cpu})
    write_results(f"ladder-oracle-{name}", {"set": name, "draws": stored, "at": time.time()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="banking77")
    parser.add_argument("--oracle", action="store_true", help="run KMeans told k on the draws (else read it)")
    args = parser.parse_args()
    base = json.loads((RESULTS / f"themeseg2-sweep-{args.set}-it2.json").read_text())
    top = json.loads((RESULTS / f"ladder-sweep-{args.set}-top.json").read_text())
    rows: dict[str, list[tuple[float, float, int, float]]] = {"before": [], "after": [], "stable": []}
    for a, b in zip(base["draws"], top["draws"], strict=True):
        assert (a["items"], a["draw"]) == (b["items"], b["draw"])
        gammas = {**a["gamma"], **b["gamma"]}
        line = [f"{a['items']:>5} draw {a['draw']}"]
        line.append(" ".join(f"{float(g):g}:{np.mean(v['silhouette']):.4f}" for g, v in gammas.items()))
        for rule in rows:
            g = choose(gammas, rule)
            nmi, ari, themes = consensus(gammas[str(g)])
            rows[rule].append((nmi, ari, themes, g))
            line.append(f"{rule} γ={g:g} {nmi:.3f}/{ari:.3f}/{themes}")
        print(" | ".join(line))
    stored = RESULTS / f"ladder-oracle-{args.set}.json"
    if args.oracle:
        rows["KMeans told k"] = oracle(args.set, base["draws"])
    elif stored.exists():
        rows["KMeans told k"] = [(d["nmi"], d["ari"], d["k"], 0.0) for d in json.loads(stored.read_text())["draws"]]
    sizes = sorted({d["items"] for d in base["draws"]})
    for rule, values in rows.items():
        moved = sum(v[3] > 16 for v in values)
        cells = [f"γ > 16 in {moved} of {len(values)}"]
        for n in sizes:
            sel = [v for v, d in zip(values, base["draws"], strict=True) if d["items"] == n]
            cells.append("{:.3f} / {:.3f} / {:.0f}".format(*np.mean([v[:3] for v in sel], axis=0)))
        nmi, ari = np.mean([v[:2] for v in values], axis=0)
        print(f"| {rule} | " + " | ".join(cells) + f" | {nmi:.4f} / {ari:.4f} |")


if __name__ == "__main__":
    main()
