"""Duplicate-detection benchmark: tuned on one tracker, tested on another.

Usage:
    .venv/bin/python bench/dedup.py                      # seamonkey (dev) + eclipse (test), MiniLM, cached vectors
    .venv/bin/python bench/dedup.py --fit-cold-start     # print the cold-start calibration fitted on the dev set
    .venv/bin/python bench/dedup.py --only seamonkey-blurred --seeds 20   # one set, more learning-curve seeds

Datasets (see their PROVENANCE.md): `duplicates_seamonkey` (1,076 reports, 75 queries) is the
development set — the only one anything is chosen on; `duplicates_eclipse` (1,744 reports, 1,744
queries) is reported with the same code and settings, unchanged. `seamonkey-blurred` is the dev set with
noise added to its vectors (a workspace where words carry more than meaning), for the learning curve.

Protocol: for each query, rank its candidates (its duplicates + 10 lexically similar + 10 random
non-duplicates) and report MAP / MRR / R@1 / R@5. Every query's signals are normalised against its
product pool — its 50 nearest items of the whole set, as the product does in a workspace — and BM25
statistics and the hubness neighbourhoods come from all items of the set.

Also: precision / recall of the suggestion rule (precision target 0.8: cold-start threshold) on pairs.csv, cold start and
after learning; and the learning curve — MAP and the suggestion rule's precision / recall after
0/10/25/50/100 simulated team decisions (merge / dismiss of the top-ranked suggestions of half of the
queries, scored on the other half, 5 seeds; see `learning_curve`), for each way merges can teach the
ranking (`VARIANTS`; the shipped one was chosen on seamonkey), including a lexical weight learned per
workspace from the merges (`learn_lexical_weight`: tried, not shipped).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, cached_embeddings, print_table, read_csv, setup_django, write_results  # noqa: E402

DEV = "seamonkey"
SETS = ("seamonkey", "seamonkey-blurred", "eclipse")
DECISIONS = (0, 10, 25, 50, 100)
SEEDS = 5
# The dev set once more with blurred vectors (Gaussian noise of norm ~BLUR added to each unit vector):
# a workspace where words carry more than meaning (cosine 0.50, BM25 0.74 MAP), as on trackers where BM25
# alone beats the fusion. Learning-curve only; derived from the dev set, so choices may be made on it.
BLUR = 2.0
BLUR_SEED = 123


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    order = np.argsort(-scores, kind="stable")
    rel = relevant[order]
    if not rel.any():
        return 0.0
    hits = np.cumsum(rel)
    return float(np.sum(hits[rel] / (np.nonzero(rel)[0] + 1)) / rel.sum())


def metrics(ranked: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    aps, rrs, r1, r5 = [], [], [], []
    for scores, rel in ranked:
        order = np.argsort(-scores, kind="stable")
        r = rel[order]
        aps.append(average_precision(scores, rel))
        first = np.nonzero(r)[0]
        rrs.append(1.0 / (first[0] + 1) if len(first) else 0.0)
        r1.append(r[:1].sum() / rel.sum())
        r5.append(r[:5].sum() / rel.sum())
    return {k: round(float(np.mean(v)), 4) for k, v in (("MAP", aps), ("MRR", rrs), ("R@1", r1), ("R@5", r5))}


def rrf(columns: list[np.ndarray], k: float = 60.0) -> np.ndarray:
    """Reciprocal rank fusion of several score columns over the same candidates."""
    out = np.zeros(len(columns[0]))
    for col in columns:
        ranks = np.empty(len(col))
        ranks[np.argsort(-col, kind="stable")] = np.arange(1, len(col) + 1)
        out += 1.0 / (k + ranks)
    return out


class Prepared:
    """A dataset with vectors, BM25 statistics, hubness and each item's pool statistics."""

    def __init__(self, name: str, embedder: str | None = None, blur: float = 0.0) -> None:
        from harken.insight import duplicates, lexical
        from harken.insight.index import ExactIndex

        base = DATASETS / f"duplicates_{name}"
        self.name = name
        self.items = read_csv(base / "items.csv")
        self.queries = [
            (r["query_id"], r["candidate_ids"].split(), set(r["positive_ids"].split()))
            for r in read_csv(base / "queries.csv")
        ]
        self.pairs = [(r["a_id"], r["b_id"], r["is_duplicate"] == "1") for r in read_csv(base / "pairs.csv")]
        self.ids = [r["id"] for r in self.items]
        self.pos = {item_id: n for n, item_id in enumerate(self.ids)}
        texts = [r["text"] for r in self.items]
        self.vectors = cached_embeddings(name, texts, embedder)
        if blur:  # a workspace whose embedder understands it badly: meaning weaker, words as strong
            noise = np.random.default_rng(BLUR_SEED).normal(size=self.vectors.shape) / np.sqrt(self.vectors.shape[1])
            blurred = self.vectors + blur * noise
            self.vectors = (blurred / np.linalg.norm(blurred, axis=1, keepdims=True)).astype(np.float32)
        self.index = ExactIndex(self.vectors.shape[1])
        self.index.upsert(np.arange(len(texts), dtype=np.int64), self.vectors)
        _, top = self.index.search_many(self.vectors, duplicates.NEIGHBOURS + 1)
        self.hubs = np.array([duplicates.neighbourhood(s) for s in top])
        self.tokens = [lexical.tokens(t) for t in texts]
        self.stats = lexical.CorpusStats.from_texts(texts)
        self._pool: dict[int, Any] = {}
        self._signals: dict[tuple[int, int], Any] = {}

    def signals(self, a: int, b: int) -> Any:
        from harken.insight import duplicates

        if (a, b) not in self._signals:
            cosine = float(self.vectors[a] @ self.vectors[b])
            self._signals[(a, b)] = duplicates.signals(
                cosine, self.hubs[a], self.hubs[b], self.tokens[a], self.tokens[b], self.stats
            )
        return self._signals[(a, b)]

    def pool_stats(self, a: int) -> Any:
        from harken.insight import duplicates

        if a not in self._pool:
            keys, _ = self.index.search(self.vectors[a], duplicates.POOL + 1)
            pool = [self.signals(a, int(k)) for k in keys if int(k) != a][: duplicates.POOL]
            self._pool[a] = duplicates.PoolStats.of(pool)
        return self._pool[a]


def evaluate(data: Prepared, model_of: Any = None) -> dict[str, Any]:
    from harken.insight import duplicates

    per_query = []
    for query, candidates, positives in data.queries:
        a = data.pos[query]
        stats = data.pool_stats(a)
        sig = [data.signals(a, data.pos[c]) for c in candidates]
        rel = np.array([c in positives for c in candidates])
        per_query.append((a, stats, sig, rel))

    def ranked(fn: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(np.array([fn(s, st) for s in sig]), rel) for _, st, sig, rel in per_query]

    old = {"hub": 1.0, "identifiers": 0.25}
    rows = {
        "embedding cosine": metrics(ranked(lambda s, st: s.cosine)),
        "BM25": metrics(ranked(lambda s, st: s.lexical)),
        "cosine + BM25 averaged": metrics(ranked(lambda s, st: (s.cosine + s.lexical) / 2)),
        "hubness-corrected cosine": metrics(ranked(lambda s, st: s.hub)),
        "previous release (weights grid-searched on seamonkey)": metrics(
            ranked(lambda s, st: sum(w * getattr(s, k) for k, w in old.items()) / 1.25)
        ),
        "reciprocal rank fusion (hub, BM25)": metrics(
            [
                (rrf([np.array([s.hub for s in sig]), np.array([s.lexical for s in sig])]), rel)
                for _, _, sig, rel in per_query
            ]
        ),
        # Candidate forms compared on the development set (z = per-query pool z-score, ids = identifier
        # overlap, every form with the version veto). The shipped one is chosen there.
        "z mean: (z_sem + z_lex) / 2 + ids (previous release)": metrics(
            ranked(lambda s, st: veto(s, (st.z(s, "hub") + st.z(s, "lexical")) / 2 + s.identifiers))
        ),
        "z_sem + ids (meaning only)": metrics(ranked(lambda s, st: veto(s, st.z(s, "hub") + s.identifiers))),
        "max(z_sem, z_lex) + ids": metrics(
            ranked(lambda s, st: veto(s, max(st.z(s, "hub"), st.z(s, "lexical")) + s.identifiers))
        ),
        "(z_sem + max(z_lex, 0)) / 2 + ids": metrics(
            ranked(lambda s, st: veto(s, (st.z(s, "hub") + max(st.z(s, "lexical"), 0)) / 2 + s.identifiers))
        ),
        "0.8 z_sem + 0.2 z_lex + ids (weight grid-searched here: a fitted weight)": metrics(
            ranked(lambda s, st: veto(s, 0.8 * st.z(s, "hub") + 0.2 * st.z(s, "lexical") + s.identifiers))
        ),
        "**Harken: z_sem + max(z_lex, 0) / 2 + ids (shipped)**": metrics(ranked(duplicates.fuse)),
    }
    return {"rows": rows, "per_query": per_query}


def veto(sig: Any, score: float) -> float:
    return -10.0 if sig.conflict else score


def pair_table(data: Prepared) -> tuple[np.ndarray, list[Any], np.ndarray]:
    from harken.insight import duplicates

    x, sigs, y = [], [], []
    for a_id, b_id, dup in data.pairs:
        a, b = data.pos[a_id], data.pos[b_id]
        sig = data.signals(a, b)
        stats = data.pool_stats(a)
        sigs.append((sig, stats))
        x.append(duplicates.features(sig, stats))
        y.append(dup)
    return np.array(x), sigs, np.array(y)


def precision_recall(predicted: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    tp = float((predicted & labels).sum())
    return (tp / predicted.sum() if predicted.sum() else float("nan")), tp / max(labels.sum(), 1)


VARIANTS = (
    "no learning (fixed score)",
    "group through its closest member",
    "group as one bucket: BM25 over all its texts (shipped)",
    "group: best fused score of its members",
    "group: mean fused score of its members",
    "bucket + a dismissed partner demotes (transitive negative)",
    "bucket + lexical weight from merges ranked in their report's pool (bootstrap gate)",
    "bucket + lexical weight from merges ranked in their report's pool, no gate",
    "bucket + lexical weight from merges in the pool only (product-computable), bootstrap gate",
    "bucket + lexical weight from merged vs dismissed suggestions of one report (bootstrap gate)",
)
SHIPPED = VARIANTS[2]
TREATMENTS = ("own", "closest", "bucket", "best", "mean", "negative")  # VARIANTS[:6], with the fixed weights

# ---------------------------------------------------------------- tried, not shipped: a learned lexical weight
#
# Query-grouped self-calibration of the fusion's one weight (the lexical z's ½) per workspace: each merge
# says "for this report the team's answer was this item"; of a few weights, the one that ranks the merged
# items highest among their reports' candidates (AP per report, reports counting equally) is taken when it
# beats ½ in CONFIDENCE of bootstrap resamples of the reports. It does not improve the dev set (docs).

LEXICAL_WEIGHT = 0.5  # the fused score's (`duplicates.cold_score`)
LEXICAL_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)  # octaves around ½, and "words do not count"
MIN_RANKED_REPORTS = 5


class Weighted:
    """`duplicates.fuse` with another lexical weight (the same floats at ½)."""

    def __init__(self, lexical_weight: float) -> None:
        self.lexical_weight = lexical_weight

    def score(self, sig: Any, stats: Any) -> float:
        from harken.insight import duplicates

        if sig.conflict:
            return -10.0
        return float(weighted_score(duplicates.features(sig, stats)[None, :], self.lexical_weight)[0])


def weighted_score(x: np.ndarray, lexical_weight: float) -> np.ndarray:
    from harken.insight import duplicates

    e = duplicates.evidence(x)
    return e[:, 0] + lexical_weight * e[:, 1] + e[:, 2]


def ranked_ap(x: np.ndarray, merged: np.ndarray, lexical_weight: float) -> float:
    """AP of a report's merged candidates among its candidates (rows of `features`), ties against them."""
    order = np.lexsort((merged, -weighted_score(x, lexical_weight)))
    rel = np.asarray(merged, dtype=bool)[order]
    hits = np.cumsum(rel)
    return float(np.sum(hits[rel] / (np.flatnonzero(rel) + 1)) / rel.sum())


def learn_lexical_weight(ranked: list[tuple[np.ndarray, np.ndarray]], confidence: float | None = None) -> float:
    """The lexical weight a workspace's merged reports choose (½ unless clearly better; see above)."""
    from harken.insight import duplicates

    confidence = duplicates.CONFIDENCE if confidence is None else confidence
    ranked = [(x, m) for x, m in ranked if m.any() and not m.all()]
    if len(ranked) < MIN_RANKED_REPORTS:
        return LEXICAL_WEIGHT
    table = np.array([[ranked_ap(x, m, w) for x, m in ranked] for w in LEXICAL_WEIGHTS])
    totals = table.sum(axis=1)
    default = LEXICAL_WEIGHTS.index(LEXICAL_WEIGHT)
    best = [n for n in range(len(totals)) if totals[n] >= totals.max() - 1e-9]
    chosen = min(best, key=lambda n: (abs(n - default), n))  # ties: the nearest to ½
    rng = np.random.default_rng(0)
    resamples = [rng.integers(0, len(ranked), len(ranked)) for _ in range(200)]
    wins = float(np.mean([table[chosen, idx].sum() > table[default, idx].sum() for idx in resamples]))
    return LEXICAL_WEIGHTS[chosen] if chosen != default and wins >= confidence else LEXICAL_WEIGHT


def ranked_lists(data: Prepared, chosen: list[Any], mode: str = "pool") -> list[tuple[np.ndarray, np.ndarray]]:
    """What `learn_lexical_weight` learns from: per report with a merge, candidates' features, merged flags.

    "pool": the report's candidate pool (its 50 nearest items) plus its decided candidates outside it;
    "pool only": the pool alone (a merged item outside it is dropped — what the product can compute
    from a report's pool); "decided": the report's decided suggestions only (merged vs dismissed).
    Version conflicts are left out (vetoed whatever the weight).
    """
    from harken.insight import duplicates

    by_query: dict[int, dict[int, bool]] = {}
    for a, b, _, merged in chosen:
        by_query.setdefault(a, {})[b] = merged
    out = []
    for a, decided in by_query.items():
        if not any(decided.values()):
            continue
        stats = data.pool_stats(a)
        members = dict(decided)
        if mode != "decided":
            keys, _ = data.index.search(data.vectors[a], duplicates.POOL + 1)
            pool = [int(k) for k in keys if int(k) != a][: duplicates.POOL]
            if mode == "pool only":
                members = {m: decided.get(m, False) for m in pool}
            else:
                members.update({m: False for m in pool if m not in decided})
        rows = [(m, merged) for m, merged in members.items() if not data.signals(a, m).conflict]
        x = np.array([duplicates.features(data.signals(a, m), stats) for m, _ in rows]).reshape(-1, 3)
        out.append((x, np.array([merged for _, merged in rows], dtype=bool)))
    return out


def learning_curve(data: Prepared, per_query: list[Any]) -> dict[str, Any]:
    """MAP and the suggestion rule after N team decisions, on queries the team never decided.

    Decisions: the top-3 suggestions of the queries in the 'team' half, labelled by the truth
    (merge = duplicate, dismiss = not), in random order; the first N are used. A decision touching an
    item of the other half is dropped, so the held-out queries (scored) and their items appear in no
    decision — they arrive after the decisions. The workspace model learns from the decisions
    (`duplicates.learn`: threshold calibrated to the precision target, lexical weight from the merged
    reports' pools, re-weighting only when cross-validated better), and merges teach the ranking: each
    variant of `VARIANTS` says how a candidate that belongs to a merge group is compared with a new
    report, and with which lexical weight.
    """
    from harken.insight import duplicates

    maps: dict[str, dict[str, list[float]]] = {v: {str(n): [] for n in DECISIONS} for v in VARIANTS}
    pr: dict[str, Any] = {str(n): [] for n in DECISIONS}
    learned: dict[str, Any] = {str(n): [] for n in DECISIONS}
    weights: dict[str, Any] = {str(n): [] for n in DECISIONS}
    merges: dict[str, Any] = {str(n): [] for n in DECISIONS}
    touched: dict[str, Any] = {str(n): [] for n in DECISIONS}
    available = []
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(per_query))
        team, held = order[: len(order) // 2], order[len(order) // 2 :]
        held_items = {per_query[q][0] for q in held}
        decisions = []  # (query item, candidate item, features, merged?)
        for q in team:
            a, stats, sig, rel = per_query[q]
            candidates = data.queries[q][1]
            scores = np.array([duplicates.fuse(s, stats) for s in sig])
            for j in np.argsort(-scores)[:3]:
                b = data.pos[candidates[j]]
                if b not in held_items:
                    decisions.append((a, b, duplicates.features(sig[j], stats), bool(rel[j])))
        available.append(len(decisions))
        pick = rng.permutation(len(decisions))
        for n in DECISIONS:
            chosen = [decisions[i] for i in pick[:n]]
            x, y = np.array([d[2] for d in chosen]), np.array([d[3] for d in chosen])
            model = duplicates.learn(x, y) if n else duplicates.Model()
            ranked = ranked_lists(data, chosen)
            lexical = {  # the variants that learn the lexical weight (tried, not shipped)
                VARIANTS[6]: learn_lexical_weight(ranked),
                VARIANTS[7]: learn_lexical_weight(ranked, confidence=0.0),
                VARIANTS[8]: learn_lexical_weight(ranked_lists(data, chosen, "pool only")),
                VARIANTS[9]: learn_lexical_weight(ranked_lists(data, chosen, "decided")),
            }
            groups = merge_groups([(a, b) for a, b, _, merged in chosen if merged])
            dismissed: dict[int, set[int]] = {}
            for a, b, _, merged in chosen:
                if not merged:
                    dismissed.setdefault(a, set()).add(b)
                    dismissed.setdefault(b, set()).add(a)
            ranked_by: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {v: [] for v in VARIANTS}
            predicted, labels = [], []
            hit = 0
            for q in held:
                a, stats, sig, rel = per_query[q]
                cands = [data.pos[c] for c in data.queries[q][1]]
                hit += any(len(groups.get(c, ())) > 1 for c in cands)
                base = group_scores(data, model, a, stats, cands, sig, groups, dismissed)
                for v, t in zip(VARIANTS, TREATMENTS, strict=False):
                    ranked_by[v].append((base[t], rel))
                for v, w in lexical.items():
                    # (the fixed score's re-weighting, when used, would win over a lexical weight: never here)
                    if w == LEXICAL_WEIGHT or model.learned:
                        ranked_by[v].append((base["bucket"], rel))
                        continue
                    moved = group_scores(data, Weighted(w), a, stats, cands, sig, groups, dismissed, ("bucket",))
                    ranked_by[v].append((moved["bucket"], rel))
                predicted += list(base["bucket"] >= model.threshold)
                labels += list(rel)
            for v in VARIANTS:
                maps[v][str(n)].append(metrics(ranked_by[v])["MAP"])
            pr[str(n)].append(precision_recall(np.array(predicted), np.array(labels)))
            learned[str(n)].append(model.learned)
            weights[str(n)].append(lexical[VARIANTS[6]])
            merges[str(n)].append(sum(d[3] for d in chosen))
            touched[str(n)].append(hit / len(held))
    return {
        "map": {n: round(float(np.mean(v)), 4) for n, v in maps[SHIPPED].items()},
        "map_by_variant": {k: {n: round(float(np.mean(v)), 4) for n, v in m.items()} for k, m in maps.items()},
        "precision": {n: round(float(np.nanmean([p for p, _ in v])), 4) for n, v in pr.items()},
        "recall": {n: round(float(np.mean([r for _, r in v])), 4) for n, v in pr.items()},
        "learned_ranking_used": {n: int(sum(v)) for n, v in learned.items()},
        "lexical_weight_by_seed": weights,
        "lexical_weight_moved": {n: int(sum(w != LEXICAL_WEIGHT for w in v)) for n, v in weights.items()},
        "merges": {n: round(float(np.mean(v)), 1) for n, v in merges.items()},
        "held_queries_with_a_merged_candidate": {n: round(float(np.mean(v)), 3) for n, v in touched.items()},
        "decisions_available": int(min(available)),
    }


def group_scores(
    data: Prepared,
    model: Any,
    query: int,
    stats: Any,
    candidates: list[int],
    sig: list[Any],
    groups: dict[int, set[int]],
    dismissed: dict[int, set[int]],
    wanted: tuple[str, ...] = TREATMENTS,
) -> dict[str, np.ndarray]:
    """Each treatment's scores of a held-out query's candidates, given the team's merges and dismissals."""
    from harken.insight import duplicates

    out: dict[str, list[float]] = {t: [] for t in TREATMENTS}
    for c, s in zip(candidates, sig, strict=True):
        own = model.score(s, stats)
        # The product compares a group only through members the team did not dismiss for this report.
        members = {m for m in groups.get(c, {c}) if m == c or m not in dismissed.get(query, set())} - {query}
        if len(members) <= 1:
            for t in TREATMENTS:
                out[t].append(own)
            continue
        member_sig = {m: (s if m == c else data.signals(query, m)) for m in members}
        closest = max(members, key=lambda m: float(data.vectors[query] @ data.vectors[m]))
        bucket = [t for m in sorted(members) for t in data.tokens[m]]
        shipped = model.score(
            duplicates.with_bucket_words(member_sig[closest], data.tokens[query], bucket, data.stats), stats
        )
        out["own"].append(own)
        out["bucket"].append(shipped)
        out["negative"].append(shipped)
        if wanted != ("bucket",):
            fused = [model.score(member_sig[m], stats) for m in members]
            out["closest"].append(model.score(member_sig[closest], stats))
            out["best"].append(max(fused))
            out["mean"].append(float(np.mean(fused)))
    scores = {t: np.array(v) for t, v in out.items() if t in wanted}
    if "negative" in wanted:
        # Transitive negative: c was dismissed against d (or d's group); when the new report matches d
        # better than c, "d is the report's duplicate and d is not c's" → c drops below every other candidate.
        neg = scores["negative"]
        for j, c in enumerate(candidates):
            partners = {p for m in groups.get(c, {c}) for d in dismissed.get(m, ()) for p in groups.get(d, {d})} - {
                query
            }
            if partners and max(model.score(data.signals(query, d), stats) for d in partners) > neg[j]:
                neg[j] -= 100.0
    return scores


def merge_groups(pairs: list[tuple[int, int]]) -> dict[int, set[int]]:
    """Items joined by merges (union of the pairs), each item → its whole group."""
    group_of: dict[int, set[int]] = {}
    for a, b in pairs:
        joined = group_of.get(a, {a}) | group_of.get(b, {b})
        for item in joined:
            group_of[item] = joined
    return group_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=SETS)
    parser.add_argument("--seeds", type=int, default=5, help="learning-curve seeds (the tables use 5)")
    parser.add_argument("--fit-cold-start", action="store_true", help="fit the cold-start calibration on the dev set")
    args = parser.parse_args()
    global SEEDS
    SEEDS = args.seeds
    setup_django()
    from harken.insight import duplicates

    results: dict[str, Any] = {
        "dev_set": DEV,
        "settings": {
            "cold_start_threshold": duplicates.COLD_START_THRESHOLD,
            "precision_target": duplicates.PRECISION_TARGET,
        },
    }
    for name in SETS if not args.only else (args.only,):
        start, cpu = time.perf_counter(), time.process_time()
        data = Prepared(name.removesuffix("-blurred"), blur=BLUR if name.endswith("-blurred") else 0.0)
        ev = evaluate(data)
        _x, sigs, y = pair_table(data)
        fused = np.array([duplicates.fuse(s, st) for s, st in sigs])
        if args.fit_cold_start and name == DEV:
            t = duplicates.threshold_for(fused, y.astype(int), duplicates.PRECISION_TARGET)
            print(f"cold-start threshold chosen on {name} (precision >= {duplicates.PRECISION_TARGET}): {t:.3f}")
        model = duplicates.Model()
        predicted = np.array([model.is_suggestion(s, st) for s, st in sigs])
        precision, recall = precision_recall(predicted, y)
        curve = learning_curve(data, ev["per_query"])
        seconds = time.perf_counter() - start
        role = (
            "development (choices made here)"
            if name == DEV
            else f"development, vectors blurred (noise {BLUR})"
            if name.endswith("-blurred")
            else "test (settings unchanged)"
        )
        print_table(
            f"duplicates_{name}: {len(data.queries)} queries, {role}",
            ["method", "MAP", "MRR", "R@1", "R@5"],
            [[k, m["MAP"], m["MRR"], m["R@1"], m["R@5"]] for k, m in ev["rows"].items()],
        )
        print_table(
            f"duplicates_{name}: learning curve (held-out half of the queries, {SEEDS} seeds)",
            [
                "decisions",
                "merges",
                "held queries with a merged candidate",
                "MAP",
                "precision",
                "recall",
                "learned lexical weight moved (tried)",
                "re-weighted",
            ],
            [
                [
                    n,
                    curve["merges"][n],
                    curve["held_queries_with_a_merged_candidate"][n],
                    curve["map"][n],
                    curve["precision"][n],
                    curve["recall"][n],
                    f"{curve['lexical_weight_moved'][n]} of {SEEDS}",
                    f"{curve['learned_ranking_used'][n]} of {SEEDS}",
                ]
                for n in curve["map"]
            ],
        )
        print_table(
            f"duplicates_{name}: learning-curve MAP by how merges teach the ranking",
            ["variant", *curve["map"]],
            [[v, *m.values()] for v, m in curve["map_by_variant"].items()],
        )
        print(
            f"cold-start suggestion rule (score ≥ {duplicates.COLD_START_THRESHOLD}) on pairs.csv: precision {precision:.3f} recall {recall:.3f}"
        )
        results[name] = {
            "role": role,
            "items": len(data.items),
            "queries": len(data.queries),
            "candidate_ranking": ev["rows"],
            "pairs": {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "n": len(y),
                "duplicates": int(y.sum()),
            },
            "learning_curve": curve,
            "learning_curve_seeds": SEEDS,
            "seconds": round(seconds, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
        }
    name = "dedup" if not args.only else f"dedup-{args.only}"
    write_results(name if SEEDS == 5 else f"{name}-{SEEDS}-seeds", results)


if __name__ == "__main__":
    main()
