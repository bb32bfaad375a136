"""Theme quality and speed: Harken's theming vs BERTopic (UMAP + HDBSCAN), same MiniLM embeddings, same run.

    .venv/bin/python bench/themes.py            # both datasets
    .venv/bin/python bench/themes.py --only banking77
    .venv/bin/python bench/themes.py --sample 1000                      # a fixed-seed subsample per set
    .venv/bin/python bench/themes.py --sample 500 --sample-seed 1       # another size / draw
    .venv/bin/python bench/themes.py --scale 20000                      # CPU of clustering 20k vectors
    HARKEN_EMBEDDER=minilm-static .venv/bin/python bench/themes.py --no-bertopic --sample 1000  # the static row

Datasets: ../shared/datasets/{banking77,clinc150}/test.csv (text,label); the labels are the
ground-truth themes. Embeddings come from Harken's embedder (`HARKEN_EMBEDDER`, default minilm)
and are cached in bench/.cache/ so re-runs skip the ~10 s/1k-text encoding on this machine.

Both methods get exactly the same L2-normalised vectors and no k. Reported per method: NMI and ARI
against the labels (items left unassigned — Harken's -1, BERTopic's outlier topic -1 — count as one
more cluster, as they would in the product), the number of themes, the share of unassigned items and
the wall time of clustering + keyword labelling. BERTopic runs with its defaults
(`embedding_model=None`, precomputed embeddings); it is warmed up once on a small slice first so its
numba JIT compilation is not charged to it.

A third row, "KMeans told the true k", is an oracle, not a competitor: sklearn KMeans (n_init=10)
given the number of gold labels — what a method that knew k would reach (issue 11).

Targets (issue 5): NMI ≥ BERTopic + 5 points on both sets, in ≤ 1/3 of BERTopic's time.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATASETS, ROOT, cached_embeddings, print_table, setup_django, write_results  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SETS = ("banking77", "clinc150")


SAMPLE_SEED = 0


def load(name: str, sample: int = 0, seed: int = SAMPLE_SEED) -> tuple[list[str], list[str]]:
    """The test split; `sample` > 0: that many rows drawn without replacement (`seed`), in file order."""
    with open(DATASETS / name / "test.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if 0 < sample < len(rows):
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), sample, replace=False))
        rows = [rows[i] for i in keep]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def embeddings(name: str, texts: list[str]) -> tuple[np.ndarray, str, float | None]:
    """Cached once per dataset and sample (bench/.cache, keyed by a hash of the texts); returns
    (vectors, embedder name, None)."""
    from harken.insight.embeddings import get_embedder

    return cached_embeddings(f"{name}-test", texts), get_embedder().name, None


def scores(truth: list[str], labels: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels)
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "themes": len(set(labels[labels >= 0].tolist())),
        "unassigned": round(float((labels < 0).mean()), 4),
    }


CONTENT_STOP = {
    "my",
    "a",
    "the",
    "to",
    "of",
    "or",
    "and",
    "in",
    "on",
    "for",
    "is",
    "what",
    "how",
    "why",
    "not",
    "can",
    "i",
}


def title_check(titles: list[str], groups: np.ndarray, truth: list[str]) -> float:
    """Share of themes whose title contains a content word of the majority gold label's name
    (label names are words: "card_arrival", "freeze_account"). Crude stemming: first 4 letters."""
    from collections import Counter

    hits = 0
    for t, title in enumerate(titles):
        members = np.flatnonzero(groups == t)
        if not len(members):
            continue
        label = Counter(truth[i] for i in members).most_common(1)[0][0]
        words = {w[:4] for w in label.lower().replace("-", "_").split("_") if w not in CONTENT_STOP and len(w) > 2}
        said = {w[:4] for w in title.lower().replace("-", " ").split() if len(w) > 2}
        hits += bool(words & said)
    return round(hits / max(len(titles), 1), 4)


def run_harken(texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Both levels with k unknown, plus titles (key phrases) and the title check inputs."""
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import clustering, labeling

    start, cpu = time.perf_counter(), time.process_time()
    result = clustering.cluster(vectors)
    cluster_cpu = time.process_time() - cpu
    keywords = labeling.keywords_per_theme(texts, result.labels, result.n_themes)
    cluster_s = time.perf_counter() - start
    encode = get_embedder().encode
    phrases = labeling.key_phrases(texts, result.labels, result.n_themes, result.centroids, encode)
    sizes = np.bincount(result.labels[result.labels >= 0], minlength=result.n_themes).tolist()
    titles = (
        labeling.distinct_titles(phrases, keywords, sizes)
        if hasattr(labeling, "distinct_titles")  # the product's titles (no two alike) since issue 11's title pass
        else [labeling.title_from(p, k) for p, k in zip(phrases, keywords, strict=True)]
    )
    groups = result.groups if result.groups is not None else np.arange(result.n_themes)
    top = np.where(result.labels >= 0, groups[np.maximum(result.labels, 0)], -1)
    n_top = int(groups.max()) + 1 if len(groups) else 0
    top_centroids = clustering.centroids_of(clustering.normalise(vectors), top, n_top)
    top_phrases = labeling.key_phrases(texts, top, n_top, top_centroids, encode)
    top_sizes = np.bincount(top[top >= 0], minlength=n_top).tolist()
    top_titles = (
        labeling.distinct_titles(top_phrases, [[] for _ in top_phrases], top_sizes)
        if hasattr(labeling, "distinct_titles")
        else [labeling.title_from(p) for p in top_phrases]
    )
    seconds = time.perf_counter() - start
    return (
        result.labels,
        cluster_s,
        {
            "top": top,
            "titles": titles,
            "top_titles": top_titles,
            "seconds_with_titles": round(seconds, 2),
            "cluster_cpu_seconds": round(cluster_cpu, 2),
            "sub_resolution": result.params.chosen_resolution,
            "sub_scores": {str(g): v for g, v in getattr(result.params, "resolution_scores", {}).items()},
            "top_resolution": result.params.chosen_top_resolution,
        },
    )


def run_kmeans_oracle(vectors: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    """Not a competitor: KMeans *told* the true number of intents (sklearn, n_init=10, seed 0) on the
    same unit vectors — the comparison of issue 11's held-out test. Returns (labels, wall s, CPU s)."""
    from sklearn.cluster import KMeans

    from harken.insight.themes import clustering

    start, cpu = time.perf_counter(), time.process_time()
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(clustering.normalise(vectors))
    return np.asarray(labels), time.perf_counter() - start, time.process_time() - cpu


def run_bertopic(texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, float]:
    from bertopic import BERTopic

    start = time.perf_counter()
    model = BERTopic(embedding_model=None, calculate_probabilities=False, verbose=False)
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    return np.asarray(topics), time.perf_counter() - start


def warm_up_bertopic(texts: list[str], vectors: np.ndarray) -> None:
    """UMAP/HDBSCAN compile numba code on first use; do that outside the timed runs."""
    run_bertopic(texts[:300], vectors[:300])


def classification_accuracy() -> dict[str, Any]:
    """Category and sentiment accuracy of the zero-shot classifier on the hand-labelled fixture."""
    from collections import Counter

    from harken.insight.themes import classify

    path = ROOT / "tests" / "fixtures" / "insight" / "labelled_feedback.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    start = time.perf_counter()
    guesses = classify.guess([r["text"] for r in rows])
    seconds = time.perf_counter() - start
    cat = [str(g.category) for g in guesses]
    sen = [str(g.sentiment) for g in guesses]
    per_class = {}
    for label in sorted({r["category"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["category"] == label]
        per_class[label] = round(sum(cat[i] == label for i in idx) / len(idx), 3)
    return {
        "items": len(rows),
        "category_accuracy": round(sum(c == r["category"] for c, r in zip(cat, rows, strict=True)) / len(rows), 3),
        "sentiment_accuracy": round(sum(s == r["sentiment"] for s, r in zip(sen, rows, strict=True)) / len(rows), 3),
        "category_recall": per_class,
        "category_confusions": {
            f"{a}->{b}": n
            for (a, b), n in Counter(
                (r["category"], c) for c, r in zip(cat, rows, strict=True) if c != r["category"]
            ).most_common()
        },
        "seconds": round(seconds, 2),
    }


def scale(n: int) -> dict[str, Any]:
    """CPU of `clustering.cluster` on `n` vectors: both test sets' cached vectors plus noisy copies
    of random ones (cosine ≈ 0.93 to their original) up to `n` — the sampling limit (20,000) is
    the largest graph a re-clustering builds."""
    from harken.insight.themes import clustering

    real = np.vstack([embeddings(name, load(name)[0])[0] for name in SETS]).astype(np.float32)
    rng = np.random.default_rng(0)
    extra = max(n - len(real), 0)
    copies = real[rng.choice(len(real), extra)] + rng.normal(scale=0.02, size=(extra, real.shape[1])).astype(np.float32)
    x = np.vstack([real, copies])[:n]
    start, cpu = time.perf_counter(), time.process_time()
    result = clustering.cluster(x)
    return {
        "items": len(x),
        "real_items": min(len(real), n),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "themes": result.n_themes,
        "top_level": int(result.groups.max()) + 1 if result.groups is not None and len(result.groups) else 0,
        "sub_resolution": result.params.chosen_resolution,
        "sub_scores": {str(g): v for g, v in getattr(result.params, "resolution_scores", {}).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SETS, help="run one dataset")
    parser.add_argument("--no-bertopic", action="store_true", help="skip BERTopic (Harken figures only)")
    parser.add_argument("--sample", type=int, default=0, help=f"rows per set, drawn with seed {SAMPLE_SEED} (0: all)")
    parser.add_argument("--sample-seed", type=int, default=SAMPLE_SEED, help="seed of the subsample")
    parser.add_argument("--no-kmeans", action="store_true", help="skip the KMeans-told-k oracle row")
    parser.add_argument("--no-classification", action="store_true", help="skip the classifier accuracy check")
    parser.add_argument("--scale", type=int, default=0, help="only time clustering on this many vectors (synthetic)")
    parser.add_argument("--name", default="", help="results file name (default themes[-embedder][-sSAMPLE])")
    args = parser.parse_args()
    setup_django()
    import warnings

    warnings.filterwarnings("ignore")
    from harken.insight.embeddings import get_embedder

    if args.scale:
        entry = scale(args.scale)
        print(entry)
        write_results(args.name or f"themes-scale-{args.scale}", {"embedder": get_embedder().name, "scale": entry})
        return
    results: dict[str, Any] = {
        "targets": {"nmi_margin": 0.05, "time_ratio": 1 / 3},
        "embedder": get_embedder().name,
        "sample": {"rows_per_set": args.sample, "seed": args.sample_seed} if args.sample else None,
        "datasets": {},
    }
    rows = []
    warmed = False
    for name in [args.only] if args.only else SETS:
        texts, truth = load(name, args.sample, args.sample_seed)
        vectors, embedder, _ = embeddings(name, texts)
        entry: dict[str, Any] = {"items": len(texts), "labels": len(set(truth)), "embedder": embedder}
        labels, seconds, extra = run_harken(texts, vectors)
        entry["harken"] = {**scores(truth, labels), "seconds": round(seconds, 2)}
        entry["harken_cluster_cpu_seconds"] = extra["cluster_cpu_seconds"]
        entry["harken_top"] = {**scores(truth, extra["top"]), "seconds": extra["seconds_with_titles"]}
        entry["title_check"] = {
            "sub": title_check(extra["titles"], labels, truth),
            "top": title_check(extra["top_titles"], extra["top"], truth),
        }
        entry["resolutions"] = {"sub": extra["sub_resolution"], "top": extra["top_resolution"]}
        entry["sub_silhouette_per_resolution"] = extra["sub_scores"]
        entry["example_titles"] = {"top": extra["top_titles"][:12], "sub": extra["titles"][:12]}
        entry["all_titles"] = {"top": extra["top_titles"], "sub": extra["titles"]}
        rows.append([name, "Harken sub-themes (kNN + Leiden, γ by silhouette)", *entry["harken"].values()])
        rows.append([name, "Harken top level (themes grouped)", *entry["harken_top"].values()])
        if not args.no_kmeans:
            labels, seconds, cpu = run_kmeans_oracle(vectors, entry["labels"])
            entry["kmeans_oracle"] = {
                **scores(truth, labels),
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
            }
            rows.append([name, "KMeans told the true k (oracle)", *list(entry["kmeans_oracle"].values())[:-1]])
        if not args.no_bertopic:
            try:
                import bertopic  # noqa: F401
            except ImportError:
                entry["bertopic"] = "not installed"
                print("BERTopic is not installed (pip install bertopic): skipped")
            else:
                if not warmed:
                    warm_up_bertopic(texts, vectors)
                    warmed = True
                labels, seconds = run_bertopic(texts, vectors)
                entry["bertopic"] = {**scores(truth, labels), "seconds": round(seconds, 2)}
                rows.append([name, "BERTopic (UMAP + HDBSCAN)", *entry["bertopic"].values()])
                h, b = entry["harken"], entry["bertopic"]
                entry["nmi_margin"] = round(h["nmi"] - b["nmi"], 4)
                entry["time_ratio"] = round(h["seconds"] / b["seconds"], 4) if b["seconds"] else None
                entry["meets_nmi_target"] = entry["nmi_margin"] >= 0.05
                entry["meets_time_target"] = entry["time_ratio"] is not None and entry["time_ratio"] <= 1 / 3
        print(f"{name}: title check sub {entry['title_check']['sub']:.0%}, top {entry['title_check']['top']:.0%}")
        print(f"  top-level titles: {extra['top_titles'][:12]}")
        print(f"  sub-theme titles: {extra['titles'][:12]}")
        results["datasets"][name] = entry
    print_table(
        "Themes: ground-truth labels as themes",
        ["dataset", "method", "NMI", "ARI", "themes", "unassigned", "seconds"],
        rows,
    )
    for name, entry in results["datasets"].items():
        if "nmi_margin" in entry:
            print(
                f"{name}: NMI margin {entry['nmi_margin'] * 100:+.1f} points (target ≥ +5: {'met' if entry['meets_nmi_target'] else 'MISSED'}); "
                f"time {entry['time_ratio']:.3f}× BERTopic (target ≤ 0.333: {'met' if entry['meets_time_target'] else 'MISSED'})"
            )
    if not args.no_classification:
        results["classification"] = classification_accuracy()
        c = results["classification"]
        print(
            f"classification on {c['items']} hand-labelled items: category {c['category_accuracy']:.0%}, sentiment {c['sentiment_accuracy']:.0%}"
        )
    suffix = (
        (f"-{get_embedder().name}" if get_embedder().name != "minilm-int8" else "")
        + (f"-s{args.sample}" if args.sample else "")
        + (f"-seed{args.sample_seed}" if args.sample and args.sample_seed != SAMPLE_SEED else "")
    )
    write_results(args.name or f"themes{suffix}", results)


if __name__ == "__main__":
    main()
