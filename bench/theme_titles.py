"""Theme titles only, before/after: the same clustering, titled by two versions of `labeling.py`.

    .venv/bin/python bench/theme_titles.py                    # both sets, full test split
    .venv/bin/python bench/theme_titles.py --sample 1000      # bench/themes.py's fixed-seed subsample
    .venv/bin/python bench/theme_titles.py --before main      # the git revision to compare with

Titles do not change the clustering, so the clustering (Harken's `clustering.cluster`, both levels)
is computed once per set and cached in bench/.cache (keyed by the vectors and clustering.py's
source); then both labelings title the same themes with the same embedder. Reported per set and
level: bench/themes.py's "title check" (a content word of the majority gold label's name in the
title) before and after, how many titles changed, and every changed title. NMI/ARI are not
reported: they depend on the clustering alone (see bench/themes.py).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CACHE, ROOT, cached_embeddings, print_table, setup_django, write_results  # noqa: E402

SETS = ("banking77", "clinc150")


def labeling_at(rev: str) -> ModuleType:
    """`harken.insight.themes.labeling` as it is at git revision `rev`, loaded under another name."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:src/harken/insight/themes/labeling.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="theme-titles-"))
    path = folder / "labeling_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("labeling_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["labeling_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def clustered(key: str, vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Sub-theme labels, their centroids and the top-level labels; cached."""
    from harken.insight.themes import clustering

    code = Path(clustering.__file__).read_bytes()
    digest = hashlib.sha256(code + vectors.tobytes()).hexdigest()[:12]
    path = CACHE / f"clusters-{key}-{digest}.npz"
    if path.exists():
        with np.load(path) as data:
            return dict(data)
    result = clustering.cluster(vectors)
    groups = result.groups if result.groups is not None else np.arange(result.n_themes)
    top = np.where(result.labels >= 0, groups[np.maximum(result.labels, 0)], -1)
    n_top = int(groups.max()) + 1 if len(groups) else 0
    out = {
        "labels": result.labels,
        "centroids": result.centroids,
        "top": top,
        "top_centroids": clustering.centroids_of(clustering.normalise(vectors), top, n_top),
    }
    partial = path.with_name(f"{path.stem}.partial.npz")
    np.savez(partial, **out)
    partial.replace(path)
    return out


def titles(
    module: ModuleType, texts: list[str], c: dict[str, np.ndarray], single: bool = False
) -> tuple[list[str], list[str]]:
    from harken.insight.embeddings import get_embedder

    batched = get_embedder().encode

    def one_by_one(phrases: list[str]) -> np.ndarray:
        return np.vstack([batched([p]) for p in phrases]) if phrases else batched([])

    # --single: each candidate phrase encoded alone, so its vector does not depend on which other
    # candidates share its mini-batch (int8 quantises activations per batch).
    encode = one_by_one if single else batched
    out = []
    # A top-level theme is titled knowing its sub-themes (`parts`), where that labeling.py reads them.
    takes_parts = "parts" in inspect.signature(module.key_phrases).parameters
    for labels, centroids, with_keywords, parts in (
        (c["labels"], c["centroids"], True, None),
        (c["top"], c["top_centroids"], False, c["labels"]),
    ):
        n = len(centroids)
        extra = {"parts": parts} if takes_parts and parts is not None else {}
        phrases = module.key_phrases(texts, labels, n, centroids, encode, **extra)
        keywords = module.keywords_per_theme(texts, labels, n) if with_keywords else [[] for _ in range(n)]
        sizes = np.bincount(labels[labels >= 0], minlength=n).tolist()
        out.append(module.distinct_titles(phrases, keywords, sizes))
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SETS)
    parser.add_argument("--sample", type=int, default=0, help="rows per set, as bench/themes.py --sample")
    parser.add_argument("--before", default="main", help="git revision of the 'before' labeling.py")
    parser.add_argument("--name", default="")
    parser.add_argument("--single", action="store_true", help="encode candidate phrases one at a time (both sides)")
    args = parser.parse_args()
    setup_django()
    import warnings

    warnings.filterwarnings("ignore")
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import labeling
    from themes import load, title_check

    before = labeling_at(args.before)
    results: dict[str, Any] = {
        "embedder": get_embedder().name,
        "before": args.before,
        "sample": args.sample,
        "single": args.single,
    }
    rows = []
    cpu0 = time.process_time()
    for name in [args.only] if args.only else SETS:
        texts, truth = load(name, args.sample)
        vectors = cached_embeddings(f"{name if not args.sample else f'{name}-s{args.sample}'}-test", texts)
        c = clustered(f"{name}-s{args.sample}", vectors)
        old_sub, old_top = titles(before, texts, c, args.single)
        new_sub, new_top = titles(labeling, texts, c, args.single)
        entry: dict[str, Any] = {}
        for level, labels, old, new in (("sub", c["labels"], old_sub, new_sub), ("top", c["top"], old_top, new_top)):
            changed = [
                (
                    o,
                    n,
                    title_check([o], (labels == t).astype(int) - 1, truth),
                    title_check([n], (labels == t).astype(int) - 1, truth),
                )
                for t, (o, n) in enumerate(zip(old, new, strict=True))
                if o != n
            ]
            entry[level] = {
                "themes": len(old),
                "title_check_before": title_check(old, labels, truth),
                "title_check_after": title_check(new, labels, truth),
                "changed": len(changed),
                "distinct_before": len({t.lower() for t in old}),
                "distinct_after": len({t.lower() for t in new}),
                "changes": changed,
                "titles_after": new,
            }
            e = entry[level]
            rows.append(
                [
                    name,
                    level,
                    e["themes"],
                    f"{e['title_check_before']:.1%}",
                    f"{e['title_check_after']:.1%}",
                    e["changed"],
                ]
            )
            for o, n, hit_o, hit_n in changed:
                print(
                    f"  {name} {level}: {o!r} -> {n!r}"
                    + ("" if hit_o == hit_n else f"  (title check {hit_o:.0f} -> {hit_n:.0f})")
                )
        results[name] = entry
    results["cpu_seconds"] = round(time.process_time() - cpu0, 1)
    import os

    results["load_average"] = os.getloadavg()
    print_table(
        f"Theme titles: {args.before} vs working tree",
        ["set", "level", "themes", "title check before", "after", "changed"],
        rows,
    )
    write_results(args.name or f"theme-titles{f'-s{args.sample}' if args.sample else ''}", results)


if __name__ == "__main__":
    main()
