"""Duplicate-detection benchmark: tuned on one tracker, tested on another.

Usage:
    .venv/bin/python bench/dedup.py                      # seamonkey (dev) + eclipse (test), MiniLM, cached vectors
    .venv/bin/python bench/dedup.py --fit-cold-start     # print the cold-start calibration fitted on the dev set

Datasets (see their PROVENANCE.md): `duplicates_seamonkey` (1,076 reports, 75 queries) is the
development set — the only one anything is chosen on; `duplicates_eclipse` (1,744 reports, 1,744
queries) is reported with the same code and settings, unchanged.

Protocol: for each query, rank its candidates (its duplicates + 10 lexically similar + 10 random
non-duplicates) and report MAP / MRR / R@1 / R@5. Every query's signals are normalised against its
product pool — its 50 nearest items of the whole set, as the product does in a workspace — and BM25
statistics and the hubness neighbourhoods come from all items of the set.

Also: precision / recall of the suggestion rule (precision target 0.8: cold-start threshold) on pairs.csv, cold start and
after learning; and the learning curve — MAP and the suggestion rule's precision / recall after
0/10/25/50 simulated team decisions (merge / dismiss of the top-ranked suggestions of half of the
queries, scored on the other half, 5 seeds; see `learning_curve`).
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
SETS = ("seamonkey", "eclipse")
DECISIONS = (0, 10, 25, 50)
SEEDS = 5


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

    def __init__(self, name: str, embedder: str | None = None) -> None:
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
        self.index = ExactIndex(self.vectors.shape[1])
        self.index.upsert(np.arange(len(texts), dtype=np.int64), self.vectors)
        _, top = self.index.search_many(self.vectors, duplicates.NEIGHBOURS + 1)
        self.hubs = np.array([duplicates.neighbourhood(s) for s in top])
        self.tokens = [lexical.tokens(t) for t in texts]
        self.stats = lexical.CorpusStats.from_texts(texts)
        self._pool: dict[int, Any] = {}

    def signals(self, a: int, b: int) -> Any:
        from harken.insight import duplicates

        cosine = float(self.vectors[a] @ self.vectors[b])
        return duplicates.signals(cosine, self.hubs[a], self.hubs[b], self.tokens[a], self.tokens[b], self.stats)

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


def learning_curve(data: Prepared, per_query: list[Any]) -> dict[str, Any]:
    """MAP and the suggestion rule after N team decisions, on queries the team never decided.

    Decisions: the top-3 suggestions of the queries in the 'team' half, labelled by the truth
    (merge = duplicate, dismiss = not), in random order; the first N are used. Scored on the other
    half, whose items appear in no decision (they arrive after the decisions). The workspace model
    learns from the decisions (`duplicates.learn`: threshold calibrated to the precision target,
    re-weighting only when cross-validated better), and merges teach as they do in the product: a
    candidate merged with other items is compared through the closest text of its merge group.
    """
    from harken.insight import duplicates

    out: dict[str, Any] = {str(n): [] for n in DECISIONS}
    pr: dict[str, Any] = {str(n): [] for n in DECISIONS}
    learned: dict[str, Any] = {str(n): [] for n in DECISIONS}
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
                decisions.append((a, data.pos[candidates[j]], duplicates.features(sig[j], stats), bool(rel[j])))
        pick = rng.permutation(len(decisions))
        for n in DECISIONS:
            chosen = [decisions[i] for i in pick[:n]]
            model = (
                duplicates.learn(np.array([d[2] for d in chosen]), np.array([d[3] for d in chosen]))
                if n
                else duplicates.Model()
            )
            groups = merge_groups([(a, b) for a, b, _, merged in chosen if merged and not {a, b} & held_items])
            ranked, predicted, labels = [], [], []
            for q in held:
                a, stats, sig, rel = per_query[q]
                sig = [grouped_signals(data, a, data.pos[c], s, groups) for c, s in zip(data.queries[q][1], sig)]
                ranked.append((np.array([model.score(s, stats) for s in sig]), rel))
                predicted += [model.is_suggestion(s, stats) for s in sig]
                labels += list(rel)
            out[str(n)].append(metrics(ranked)["MAP"])
            pr[str(n)].append(precision_recall(np.array(predicted), np.array(labels)))
            learned[str(n)].append(model.learned)
    return {
        "map": {n: round(float(np.mean(v)), 4) for n, v in out.items()},
        "precision": {n: round(float(np.nanmean([p for p, _ in v])), 4) for n, v in pr.items()},
        "recall": {n: round(float(np.mean([r for _, r in v])), 4) for n, v in pr.items()},
        "learned_ranking_used": {n: int(sum(v)) for n, v in learned.items()},
    }


def merge_groups(pairs: list[tuple[int, int]]) -> dict[int, set[int]]:
    """Items joined by merges (union of the pairs), each item → its whole group."""
    group_of: dict[int, set[int]] = {}
    for a, b in pairs:
        joined = group_of.get(a, {a}) | group_of.get(b, {b})
        for item in joined:
            group_of[item] = joined
    return group_of


def grouped_signals(data: Prepared, query: int, candidate: int, sig: Any, groups: dict[int, set[int]]) -> Any:
    """The candidate's signals through the member of its merge group closest in meaning to the query."""
    members = groups.get(candidate, {candidate}) - {query}
    if len(members) <= 1:
        return sig
    best = max(members, key=lambda m: float(data.vectors[query] @ data.vectors[m]))
    return sig if best == candidate else data.signals(query, best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=SETS)
    parser.add_argument("--fit-cold-start", action="store_true", help="fit the cold-start calibration on the dev set")
    args = parser.parse_args()
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
        start = time.perf_counter()
        data = Prepared(name)
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
        role = "development (choices made here)" if name == DEV else "test (settings unchanged)"
        print_table(
            f"duplicates_{name}: {len(data.queries)} queries, {role}",
            ["method", "MAP", "MRR", "R@1", "R@5"],
            [[k, m["MAP"], m["MRR"], m["R@1"], m["R@5"]] for k, m in ev["rows"].items()],
        )
        print_table(
            f"duplicates_{name}: learning curve (held-out half of the queries, {SEEDS} seeds)",
            ["decisions", "MAP", "suggestion precision", "suggestion recall", f"learned ranking (of {SEEDS})"],
            [
                [n, curve["map"][n], curve["precision"][n], curve["recall"][n], curve["learned_ranking_used"][n]]
                for n in curve["map"]
            ],
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
            "seconds": round(seconds, 1),
        }
    write_results("dedup" if not args.only else f"dedup-{args.only}", results)


if __name__ == "__main__":
    main()
