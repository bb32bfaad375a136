"""Grouping item embeddings into themes: a k-nearest-neighbour graph split by Leiden communities.

Why this algorithm (measured in `bench/themes.py`, figures in docs/benchmarks.md): on banking77 and
clinc150 it beats BERTopic (UMAP → HDBSCAN) on NMI with the same MiniLM vectors, in a fraction of
its time, chooses the number of themes by itself, and leaves no item arbitrarily "noise" unless it
belongs to no group of at least `min_size` items.

Steps, on L2-normalised vectors (dot product = cosine):

1. kNN graph: each item links to its k = ⌈ln n⌉ nearest items (`neighbours_for`; 7 at 1,000 items,
   10 at 20,000) whose cosine is at least `min_similarity` (unrelated items stay unlinked — three
   unrelated items form no theme). The top level's graph of themes sums the NEIGHBOURS (15) nearest.
   Exact blocked matrix products up to `EXACT_KNN_MAX` items (O(n² d) time, O(block · n) memory),
   usearch HNSW above that (≈ O(n log n)) — only reached with a raised `sample_limit`.
2. Leiden modularity communities (leidenalg; Louvain from networkx as a fallback) on that sparse
   graph (O(E) per pass, E = n · k). The resolution γ (how fine the themes are) is chosen by the
   data: Leiden runs at γ = 1, 2, 4, 8, 16 with SUB_SEEDS seeds each; the γ whose themes have the
   highest silhouette averaged over the seeds wins, and its run that agrees most with the others
   is kept (`choose_resolution`; per γ, SUB_SEEDS Leiden runs and O(n · themes · d) scores).
3. Communities smaller than `min_size` are dissolved; their items join the nearest theme if they
   are as close to it as an item assigned outside the sample must be (`assign_threshold`), else
   they stay unassigned (-1).
4. Above `sample_limit` items the graph is built on a random sample and the rest are assigned to
   the nearest centroid (O(n · themes · d)), so 100k items cost one sample clustering plus a
   matrix product, not a 100k-node graph in pure Python.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# k of the item graph the sub-themes are cut from: ⌈ln n⌉ (the rate at which a kNN graph stays
# connected as n grows; 7 at 1,000 items, 10 at 20,000). A fixed k = 15 exceeded the size of small
# intents in small workspaces (≈ 7 items per intent for 150 intents in 1,000 items), so most of an
# item's edges left its intent and Leiden merged intents or, at finer γ, shattered them
# (docs/benchmarks.md, "themeseg"). The graph of themes the top level is cut from still sums the
# NEIGHBOURS nearest of each item: groups need the links between themes that a smaller k drops.
NEIGHBOURS = 15
MIN_NEIGHBOURS = 2
RESOLUTION = 16.0
# Louvain fallback only (no leidenalg): modularity at resolution γ cannot keep a community much
# larger than n / γ items, so γ grows with the data, between 1 and RESOLUTION.
ITEMS_PER_RESOLUTION = 200
# With leidenalg the resolution is chosen by the data. Fine level (themes): the γ of SUB_RESOLUTIONS
# whose themes have the highest silhouette, averaged over SUB_SEEDS Leiden runs (`choose_resolution`). Top level
# (groups of themes, on the graph of themes): the most *stable* γ of TOP_RESOLUTIONS — the one whose
# partitions agree best (adjusted Rand) across STABILITY_SEEDS random seeds. The ladders are octaves
# around standard modularity (γ = 1), not fitted values.
SUB_RESOLUTIONS = (1.0, 2.0, 4.0, 8.0, 16.0)
# Leiden seeds per sub-theme γ: the γ is chosen on the silhouette averaged over this many runs, and
# the run agreeing most with the others is kept (`choose_resolution`). 5 was chosen on banking77
# against 1 (the previous rule), 3 and 8 (docs/benchmarks.md, "themeseg2").
SUB_SEEDS = 5
# Leiden passes per sub-theme run: leidenalg's default 2, not "until no improvement" (-1), which cost
# ~5× the CPU (≈ 10 s a run at 20,000 items) for a modularity 0.1 % higher; five runs of 2 passes cost
# about what one run to convergence did.
SUB_ITERATIONS = 2
TOP_RESOLUTIONS = (0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0)
# The top level is for reading: a PM scans 8–25 groups, not 70. Among the resolutions whose number of
# groups falls in that range (the nearest one if none does), the most stable wins.
TOP_GROUPS = (8, 25)
STABILITY_SEEDS = 3
# A bound on how far the top-level ladder is continued past its ends to reach TOP_GROUPS (each step
# is one octave; the loop normally stops long before, when the range or the graph's limit is hit).
OCTAVES_PAST_LADDER = 16
MIN_SIMILARITY = 0.3
MIN_SIZE = 3
EXACT_KNN_MAX = 20_000
SAMPLE_LIMIT = 20_000
ASSIGN_THRESHOLD = 0.45  # cosine to a centroid needed to join a theme outside of clustering

Progress = Callable[[str, float], None]


@dataclass
class Params:
    neighbours: int | None = None  # k of the kNN graph; None: `neighbours_for(n)`
    resolution: float = RESOLUTION
    min_similarity: float = MIN_SIMILARITY
    min_size: int = MIN_SIZE
    sample_limit: int = SAMPLE_LIMIT
    assign_threshold: float = ASSIGN_THRESHOLD
    seed: int = 0
    chosen_resolution: float | None = None  # set by clustering: the sub-theme γ the silhouette picked
    chosen_top_resolution: float | None = None
    resolution_scores: dict[float, float] = field(default_factory=dict)  # mean silhouette per sub-theme γ tried
    resolution_stability: dict[float, float] = field(default_factory=dict)  # mean ARI between its seeds' runs


@dataclass
class Clustering:
    """`labels[i]` is the theme index of row i, or -1 (unassigned). Centroids are unit vectors."""

    labels: np.ndarray
    centroids: np.ndarray
    params: Params = field(default_factory=Params)
    groups: np.ndarray | None = None  # top-level group index per theme (see `group_themes`)

    @property
    def n_themes(self) -> int:
        return len(self.centroids)

    def members(self, theme: int) -> np.ndarray:
        return np.flatnonzero(self.labels == theme)


def neighbours_for(n: int) -> int:
    """k of the kNN graph for n items: ⌈ln n⌉, at least MIN_NEIGHBOURS (7 at 1,000 items, 10 at 20,000)."""
    return max(MIN_NEIGHBOURS, math.ceil(math.log(max(n, 2))))


def normalise(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True) if len(x) else np.zeros((0, 1), np.float32)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def knn(vectors: np.ndarray, k: int, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest other rows (indices, cosines), self excluded."""
    n = len(vectors)
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    if n > EXACT_KNN_MAX:
        return _knn_hnsw(vectors, k)
    idx = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        scores = vectors[start : start + block] @ vectors.T
        rows = np.arange(scores.shape[0])
        scores[rows, rows + start] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        idx[start : start + block] = top
        sims[start : start + block] = np.take_along_axis(scores, top, axis=1)
    return idx, sims


def _knn_hnsw(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    from usearch.index import Index

    index = Index(
        ndim=vectors.shape[1], metric="cos", dtype="f32", connectivity=16, expansion_add=128, expansion_search=64
    )
    keys = np.arange(len(vectors), dtype=np.uint64)
    index.add(keys, vectors)
    matches = index.search(vectors, k + 1)
    found = matches.keys.astype(np.int64)
    sims = (1.0 - matches.distances).astype(np.float32)
    idx = np.empty((len(vectors), k), dtype=np.int64)
    out = np.empty((len(vectors), k), dtype=np.float32)
    for i in range(len(vectors)):
        keep = [j for j in range(found.shape[1]) if found[i, j] != i and found[i, j] >= 0][:k]
        row_idx = found[i, keep]
        row_sim = sims[i, keep]
        if len(row_idx) < k:  # HNSW may return fewer; pad with self at -inf (dropped later)
            row_idx = np.concatenate([row_idx, np.full(k - len(row_idx), i)])
            row_sim = np.concatenate([row_sim, np.full(k - len(row_sim), -np.inf, dtype=np.float32)])
        idx[i], out[i] = row_idx, row_sim
    return idx, out


def _edges(idx: np.ndarray, sims: np.ndarray, min_similarity: float) -> tuple[list[tuple[int, int]], list[float]]:
    rows, cols = np.nonzero(sims >= min_similarity)
    best: dict[tuple[int, int], float] = {}
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        a, b = i, int(idx[i, j])
        if a != b:
            key = (a, b) if a < b else (b, a)
            best[key] = max(best.get(key, 0.0), float(sims[i, j]))
    return list(best), list(best.values())


def effective_resolution(n: int, cap: float) -> float:
    return float(min(cap, max(1.0, n / ITEMS_PER_RESOLUTION)))


def communities(idx: np.ndarray, sims: np.ndarray, vectors: np.ndarray, params: Params) -> np.ndarray:
    """Themes of the kNN graph: a theme index per row (0.. by decreasing size), -1 for unassigned.

    Leiden (igraph + leidenalg, C++) when installed, at the resolution of SUB_RESOLUTIONS whose
    themes have the highest silhouette (see `choose_resolution`); otherwise Louvain from networkx
    (pure Python, same objective, slower — fine up to a few tens of thousands of items) at the
    n/200 rule. Either way communities below `min_size` are dissolved and their items join the
    nearest theme they are close enough to (`absorb_small`).
    """
    n = len(vectors)
    edges, weights = _edges(idx, sims, params.min_similarity)
    if not edges:
        return np.full(n, -1, dtype=np.int64)
    try:
        import igraph as ig  # type: ignore[import-untyped]
        import leidenalg  # type: ignore[import-untyped]  # noqa: F401  (availability check)
    except ImportError:
        labels = np.full(n, -1, dtype=np.int64)
        for c, members in enumerate(_louvain(edges, weights, n, params)):
            labels[list(members)] = c
        return absorb_small(vectors, _relabel(labels, max(params.min_size, 2)), params)
    graph = ig.Graph(n=n, edges=edges)
    graph.es["weight"] = weights
    labels, gamma, table = choose_resolution(graph, vectors, params)
    params.chosen_resolution = gamma
    params.resolution_scores = table
    return labels


def choose_resolution(graph: Any, vectors: np.ndarray, params: Params) -> tuple[np.ndarray, float, dict[float, float]]:
    """Leiden at each γ of SUB_RESOLUTIONS with SUB_SEEDS seeds; the γ whose themes have the highest
    silhouette *averaged over the seeds* wins, and of its runs the one that agrees most with the
    others (mean adjusted Rand index: the consensus run) is kept.

    Each run's communities go through the product's own post-processing first (`_relabel` drops
    those below `min_size`, `absorb_small` re-homes their items), so the score is the score of the
    themes a user would see: unassigned items count with silhouette 0, which penalises a γ that
    shatters the graph. One run per γ let Leiden's randomness decide near-ties between two rungs
    (banking77, 2,000 items: γ = 8 won by 0.008 and cost 4 ARI points); the mean over seeds is the
    expected silhouette of a γ, not one draw of it (docs/benchmarks.md, "themeseg2"). No constant is
    fitted: the ladder is the previous release's, the silhouette the textbook one (cosine), the
    seeds are params.seed … params.seed + SUB_SEEDS − 1 (deterministic), each run SUB_ITERATIONS
    Leiden passes. Returns (labels, γ, mean silhouette per γ); the agreement of the runs per γ goes
    to `params.resolution_stability`."""
    from sklearn.metrics import adjusted_rand_score

    best: tuple[float, float, np.ndarray] | None = None
    table: dict[float, float] = {}
    stability: dict[float, float] = {}
    for gamma in SUB_RESOLUTIONS:
        runs = [sub_run(graph, vectors, params, gamma, params.seed + s) for s in range(SUB_SEEDS)]
        score = float(np.mean([silhouette(vectors, labels) for labels in runs]))
        agreement = np.eye(len(runs))
        for i in range(len(runs)):
            for j in range(i + 1, len(runs)):
                agreement[i, j] = agreement[j, i] = adjusted_rand_score(runs[i], runs[j])
        others = (agreement.sum(axis=1) - 1) / max(len(runs) - 1, 1)
        consensus = int(np.argmax(others))  # the first on a tie
        table[gamma] = round(score, 4)
        stability[gamma] = round(float(others.mean()), 4)
        if best is None or score > best[0] + 1e-9:
            best = (score, gamma, runs[consensus])
    assert best is not None
    params.resolution_stability = stability
    return best[2], best[1], table


def sub_run(
    graph: Any, vectors: np.ndarray, params: Params, gamma: float, seed: int, iterations: int = SUB_ITERATIONS
) -> np.ndarray:
    """One Leiden run at resolution γ, post-processed as the user would see it: communities below
    `min_size` dropped (`_relabel`; singletons are unlinked) and their items re-homed (`absorb_small`)."""
    import leidenalg as la

    membership = la.find_partition(
        graph,
        la.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=gamma,
        seed=seed,
        n_iterations=iterations,
    ).membership
    labels = _relabel(np.asarray(membership, dtype=np.int64), max(params.min_size, 2))
    return absorb_small(vectors, labels, params)


def silhouette(vectors: np.ndarray, labels: np.ndarray, block: int = 2048) -> float:
    """Mean silhouette (Rousseeuw 1987) of all rows, cosine distance on unit vectors; rows labelled
    -1 and members of one-item themes score 0 (the usual convention).

    Exact, in O(n · themes · d): the summed cosine of a row to a theme is its dot product with the
    theme's summed vector, so no n × n distance matrix is formed."""
    n = len(labels)
    themes = int(labels.max()) + 1 if n else 0
    if themes < 2:
        return 0.0
    inside = labels >= 0
    sums = np.zeros((themes, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels[inside], vectors[inside])
    sums32 = sums.astype(np.float32)
    sizes = np.bincount(labels[inside], minlength=themes).astype(np.float64)
    total = 0.0
    rows_in = np.flatnonzero(inside)
    for start in range(0, len(rows_in), block):
        rows = rows_in[start : start + block]
        own = labels[rows]
        distance = sizes[None, :] - (vectors[rows] @ sums32.T).astype(np.float64)  # Σ (1 − cos) per theme
        a = distance[np.arange(len(rows)), own] / np.maximum(sizes[own] - 1, 1)  # own theme, self excluded
        mean = distance / sizes[None, :]
        mean[np.arange(len(rows)), own] = np.inf
        b = mean.min(axis=1)
        score = (b - a) / np.maximum(np.maximum(a, b), 1e-12)
        score[sizes[own] <= 1] = 0.0
        total += float(score.sum())
    return total / n


def absorb_small(vectors: np.ndarray, labels: np.ndarray, params: Params) -> np.ndarray:
    """Items of communities below `min_size` (labelled -1 by `_relabel`) join the nearest theme's
    centroid if their cosine to it reaches `assign_threshold` — the rule that places items outside
    the clustering sample and new items on ingest; the rest stay unassigned."""
    out = labels < 0
    themes = int(labels.max()) + 1 if len(labels) else 0
    if not themes or not out.any():
        return labels
    rows = np.flatnonzero(out & (np.linalg.norm(vectors, axis=1) > 0))
    joined, _ = assign(vectors[rows], centroids_of(vectors, labels, themes), params.assign_threshold)
    labels = labels.copy()
    labels[rows] = joined
    return _relabel(labels, 1)  # renumbered by decreasing size again


def stable_partition(
    graph: Any,
    resolutions: Sequence[float],
    seed: int = 0,
    weights: str = "weight",
    count_range: tuple[int, int] | None = None,
) -> tuple[np.ndarray, float, dict[float, float]]:
    """Leiden at each resolution with STABILITY_SEEDS seeds; keep the resolution whose partitions
    agree most (mean pairwise adjusted Rand index). With `count_range`, only resolutions giving that
    many communities compete (if none does, the one nearest to the range wins).

    With `count_range`, the ladder is also continued by octaves past its ends while its end is
    outside the range — halving γ below its bottom while that gives too many communities (a large
    workspace has ~300 themes, and 1/32 still left 35 groups at 20,000 items), doubling above its top
    while too few — until the range is reached or γ can change nothing more (as many communities as
    connected components, or as nodes). Inside the range the ladder is unchanged.
    Returns (membership, γ, stability per γ)."""
    import leidenalg as la
    from sklearn.metrics import adjusted_rand_score

    def partition(gamma: float) -> tuple[float, float, np.ndarray, int]:
        runs = [
            np.asarray(
                la.find_partition(
                    graph,
                    la.RBConfigurationVertexPartition,
                    weights=weights,
                    resolution_parameter=gamma,
                    seed=seed + s,
                    n_iterations=-1,
                ).membership
            )
            for s in range(STABILITY_SEEDS)
        ]
        agreement = float(
            np.mean([adjusted_rand_score(runs[i], runs[j]) for i in range(len(runs)) for j in range(i + 1, len(runs))])
        )
        if len(set(runs[0].tolist())) in (1, len(runs[0])):
            agreement = 0.0  # one community, or all apart: trivially "stable", says nothing
        table[gamma] = round(agreement, 4)
        return agreement, gamma, runs[0], len(set(runs[0].tolist()))

    best: tuple[float, float, np.ndarray] | None = None
    table: dict[float, float] = {}
    found = [partition(gamma) for gamma in resolutions]
    if count_range is not None:
        lo, hi = count_range
        floor = len(graph.connected_components())  # the fewest communities any γ can give
        for _ in range(OCTAVES_PAST_LADDER):
            bottom = min(found, key=lambda f: f[1])
            if bottom[3] <= max(hi, floor):
                break
            found.append(partition(bottom[1] / 2))
        for _ in range(OCTAVES_PAST_LADDER):
            top = max(found, key=lambda f: f[1])
            if top[3] >= min(lo, graph.vcount()):
                break
            found.append(partition(top[1] * 2))
        distance = [max(lo - k, k - hi, 0) for *_, k in found]
        found = [f for f, d in zip(found, distance, strict=True) if d == min(distance)]
    for agreement, gamma, membership, _ in found:
        if best is None or agreement > best[0] + 1e-9:
            best = (agreement, gamma, membership)
    assert best is not None
    return best[2], best[1], table


def group_themes(
    idx: np.ndarray, sims: np.ndarray, labels: np.ndarray, n_themes: int, params: Params | None = None
) -> np.ndarray:
    """Top-level groups of themes: Leiden on the graph of themes (edge weight = the item edges
    between two themes, self-loops = those inside one), resolution chosen by stability.
    Returns a group index per theme (0..); a theme linked to no other stays a group of its own."""
    params = params or Params()
    if n_themes <= 1:
        return np.zeros(n_themes, dtype=np.int64)
    weight = np.zeros((n_themes, n_themes))
    rows, cols = np.nonzero(sims >= params.min_similarity)
    a, b = labels[rows], labels[idx[rows, cols]]
    ok = (a >= 0) & (b >= 0)
    np.add.at(weight, (a[ok], b[ok]), sims[rows, cols][ok])
    weight = (weight + weight.T) / 2
    try:
        import igraph as ig  # type: ignore[import-untyped]
    except ImportError:
        return np.arange(n_themes, dtype=np.int64)
    iu = np.triu_indices(n_themes)
    keep = weight[iu] > 0
    edges = list(zip(iu[0][keep].tolist(), iu[1][keep].tolist(), strict=True))
    if not edges:
        return np.arange(n_themes, dtype=np.int64)
    graph = ig.Graph(n=n_themes, edges=edges)
    graph.es["weight"] = weight[iu][keep].tolist()
    lo, hi = TOP_GROUPS
    wanted = (min(lo, max(1, n_themes // 3)), hi)
    membership, gamma, _table = stable_partition(graph, TOP_RESOLUTIONS, params.seed, count_range=wanted)
    params.chosen_top_resolution = gamma
    # Number groups by decreasing size in items.
    sizes = np.bincount(labels[labels >= 0], minlength=n_themes)
    group_sizes = np.bincount(membership, weights=sizes)
    order = np.argsort(-group_sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[membership].astype(np.int64)


def _louvain(edges: list[tuple[int, int]], weights: list[float], n: int, params: Params) -> list[set[int]]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in zip(edges, weights, strict=True))
    return [
        set(c)
        for c in nx.community.louvain_communities(
            graph, weight="weight", resolution=effective_resolution(n, params.resolution), seed=params.seed
        )
    ]


def centroids_of(vectors: np.ndarray, labels: np.ndarray, n_themes: int) -> np.ndarray:
    out = np.zeros((n_themes, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    for t in range(n_themes):
        members = labels == t
        if members.any():
            out[t] = vectors[members].mean(axis=0)
    return normalise(out)


def _relabel(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Drop groups below `min_size`, number the rest 0.. by decreasing size."""
    out = np.full(len(labels), -1, dtype=np.int64)
    valid = labels[labels >= 0]
    if not len(valid):
        return out
    ids, counts = np.unique(valid, return_counts=True)
    order = [int(i) for i, c in sorted(zip(ids, counts, strict=True), key=lambda p: (-p[1], p[0])) if c >= min_size]
    for new, old in enumerate(order):
        out[labels == old] = new
    return out


def assign(vectors: np.ndarray, centroids: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid per row if its cosine reaches `threshold`, else -1; also returns the cosines."""
    if len(centroids) == 0 or len(vectors) == 0:
        return np.full(len(vectors), -1, dtype=np.int64), np.zeros(len(vectors), dtype=np.float32)
    scores = vectors @ centroids.T
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(vectors)), best]
    labels = np.where(top >= threshold, best, -1).astype(np.int64)
    return labels, top.astype(np.float32)


def cluster(vectors: np.ndarray, params: Params | None = None, progress: Progress | None = None) -> Clustering:
    """Themes for a set of embeddings. Zero vectors (empty text) are never assigned."""
    params = params or Params()
    x = normalise(vectors)
    n = len(x)
    live = np.flatnonzero(np.linalg.norm(x, axis=1) > 0) if n else np.zeros(0, dtype=np.int64)
    labels = np.full(n, -1, dtype=np.int64)
    dim = x.shape[1] if x.ndim == 2 else 0
    if len(live) < params.min_size:
        return Clustering(labels, np.zeros((0, dim), dtype=np.float32), params)
    rng = np.random.default_rng(params.seed)
    sample = np.sort(rng.choice(live, params.sample_limit, replace=False)) if len(live) > params.sample_limit else live
    if progress:
        progress("neighbours", 0.1)
    k = params.neighbours if params.neighbours is not None else neighbours_for(len(sample))
    idx, sims = knn(x[sample], max(k, NEIGHBOURS))
    order = np.argsort(-sims, axis=1, kind="stable")  # nearest first, so the first k columns are the k nearest
    idx, sims = np.take_along_axis(idx, order, axis=1), np.take_along_axis(sims, order, axis=1)
    if progress:
        progress("communities", 0.4)
    local = communities(idx[:, :k], sims[:, :k], x[sample], params)
    labels[sample] = local
    n_themes = int(local.max()) + 1 if (local >= 0).any() else 0
    centroids = centroids_of(x[sample], local, n_themes)
    groups = group_themes(idx, sims, local, n_themes, params)
    if len(sample) < len(live):
        if progress:
            progress("assigning the rest", 0.8)
        rest = np.setdiff1d(live, sample, assume_unique=True)
        labels[rest], _ = assign(x[rest], centroids, params.assign_threshold)
        centroids = centroids_of(x, labels, n_themes)
    if progress:
        progress("done", 1.0)
    return Clustering(labels, centroids, params, groups)
