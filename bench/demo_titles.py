"""The demo's stored themes re-titled by two versions of `labeling.py` (before/after), with candidates.

    HARKEN_DATA_DIR=/tmp/demo .venv/bin/python bench/demo_titles.py             # main vs working tree
    HARKEN_DATA_DIR=/tmp/demo .venv/bin/python bench/demo_titles.py --explain Missing --explain Agent

Reads a data dir where `harken demo` and `harken worker --once` ran, takes the active top-level
groups and sub-themes with their members as stored (the clustering varies run to run; titles are
compared on one membership), and titles them as `services.plan_reclustering` / `_plan_groups` do:
the same texts, sampled labels, centroids, embedder and `distinct_titles`. `--explain WORD` prints
the ranked candidate phrases (cosine to the centroid; −2 outside a top-level core) of every theme
whose before- or after-title contains WORD.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django, write_results  # noqa: E402


def retitle(
    module: ModuleType, data: Any, labels: np.ndarray, n: int, parts: np.ndarray | None, explain: bool, single: bool
) -> Any:
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import clustering, services

    sampled = services.label_sample(labels, n)
    centroids = clustering.centroids_of(data.matrix, labels, n)
    extra: dict[str, Any] = {"parts": parts} if parts is not None else {}
    why: list[list[tuple[str, float]]] = []
    if explain and "explain" in module.key_phrases.__code__.co_varnames:
        extra["explain"] = why
    batched = get_embedder().encode

    def one_by_one(phrases: list[str]) -> np.ndarray:
        return np.vstack([batched([p]) for p in phrases]) if phrases else batched([])

    # --single: each candidate encoded alone (int8 quantises per batch: see bench/theme_titles.py).
    phrases = module.key_phrases(data.texts, sampled, n, centroids, one_by_one if single else batched, **extra)
    keywords = module.keywords_per_theme(data.texts, sampled, n)
    sizes = np.bincount(labels[labels >= 0], minlength=n).tolist()
    return module.distinct_titles(phrases, keywords, sizes), phrases, why, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git revision of the 'before' labeling.py")
    parser.add_argument("--explain", action="append", default=[], help="print candidates of titles with this word")
    parser.add_argument("--single", action="store_true", help="encode candidate phrases one at a time (both sides)")
    parser.add_argument("--name", default="", help="results file (bench/results/NAME.json)")
    args = parser.parse_args()
    setup_django()
    import warnings

    warnings.filterwarnings("ignore")
    from harken.insight.themes import labeling, services
    from harken.insight.themes.models import ThemeStatus
    from harken.workspaces.models import Workspace
    from theme_titles import labeling_at

    ws = max(Workspace.objects.all(), key=lambda w: w.feedback_items.count())
    data = services.workspace_vectors(ws)
    row_of = {int(k): i for i, k in enumerate(data.ids)}
    themes = list(ws.themes.filter(status=ThemeStatus.ACTIVE).order_by("pk"))
    groups = list(ws.theme_groups.filter(status=ThemeStatus.ACTIVE).order_by("pk"))
    group_index = {g.pk: k for k, g in enumerate(groups)}
    sub = np.full(len(data), -1, dtype=np.int64)
    top = np.full(len(data), -1, dtype=np.int64)
    members: dict[int, list[int]] = defaultdict(list)
    for f, t in ws.theme_assignments.filter(theme__in=themes).values_list("feedback_id", "theme_id"):
        members[t].append(f)
    for k, theme in enumerate(themes):
        for f in members[theme.pk]:
            if f in row_of:
                sub[row_of[f]] = k
                if theme.parent_id in group_index:
                    top[row_of[f]] = group_index[theme.parent_id]
    before = labeling_at(args.before)
    cpu0 = time.process_time()
    out: dict[str, Any] = {"workspace_items": len(data), "before": args.before}
    rows: list[tuple[str, str, str, int]] = []
    for level, labels, n, parts in (("top", top, len(groups), sub), ("sub", sub, len(themes), None)):
        old, _, _, sizes = retitle(before, data, labels, n, parts, False, args.single)
        new, _, why, _ = retitle(labeling, data, labels, n, parts, True, args.single)
        out[level] = [{"items": s, "before": o, "after": a} for o, a, s in zip(old, new, sizes, strict=True)]
        parent = {k: group_index.get(t.parent_id or -1, -1) for k, t in enumerate(themes)}
        for k in np.argsort([-s for s in sizes], kind="stable"):
            o, a = old[k], new[k]
            where = "" if level == "top" else str(parent[int(k)])
            rows.append((level if level == "top" else f"sub of {where}", o, a, sizes[k]))
            if any(w.lower() in (o + " " + a).lower().split() for w in args.explain):
                print(f"\n== {level} {k} ({sizes[k]} items) {o!r} -> {a!r}")
                for phrase, score in why[k][:15] if why else []:
                    print(f"   {score:+.3f}  {phrase}")
    out["cpu_seconds"] = round(time.process_time() - cpu0, 1)
    import os

    out["load_average"] = os.getloadavg()
    print()
    for level, o, a, s in rows:
        print(f"{level:10} {s:5}  {o:40} {'=' if o == a else '->'} {a}")
    if args.name:
        write_results(args.name, out)


if __name__ == "__main__":
    main()
