"""The duplicate finder's scoring: pure functions, shared by the product and bench/dedup.py.

A pair's score fuses four signals (weights tuned on duplicates_seamonkey, see docs/benchmarks.md):

- ``cosine`` — embedding cosine of the two texts;
- ``hub`` — the same cosine corrected for "hubness" (CSLS): minus the average of each item's
  mean cosine to its 10 nearest neighbours. Generic items ("app crashes") are close to everything;
  this stops them topping every list, and was the largest single gain on the benchmark;
- ``lexical`` — BM25 of the candidate for the query's words, divided by the query's self-score;
- ``identifiers`` — Jaccard overlap of tokens carrying digits (versions, bug and error numbers),
  which embeddings mostly ignore and which make two reports *the same* report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from harken.insight import lexical

NEIGHBOURS = 10  # k of the hubness correction

# Tuned by grid search on duplicates_seamonkey (75 queries); bench/dedup.py re-runs the search with
# leave-one-out cross-validation and reports it next to these fixed weights.
WEIGHTS = {"cosine": 0.0, "hub": 1.0, "lexical": 0.0, "identifiers": 0.25}
# A new item gets a suggestion when the fused score reaches SUGGEST_THRESHOLD *and* the raw cosine
# reaches SUGGEST_MIN_COSINE. Chosen on seamonkey pairs.csv (whose negatives are hard, lexically
# similar reports) for precision over recall: ~0.8 precision, ~0.3 recall. The cosine gate keeps
# 95 % of true duplicates there and stops tiny workspaces — where the hubness correction has few
# neighbours to learn from — from flagging every pair of loosely related items.
SUGGEST_THRESHOLD = 0.15
SUGGEST_MIN_COSINE = 0.5
SUGGEST_MAX = 5


@dataclass(frozen=True)
class Signals:
    cosine: float
    hub: float
    lexical: float
    identifiers: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def fuse(signals: Signals, weights: dict[str, float] | None = None) -> float:
    """Weighted sum scaled so an exact duplicate in a large corpus scores about 1."""
    weights = weights or WEIGHTS
    total = sum(weights.values()) or 1.0
    raw = sum(weights[name] * getattr(signals, name) for name in weights)
    return float(raw / total)


def is_suggestion(score: float, sig: Signals) -> bool:
    return score >= SUGGEST_THRESHOLD and sig.cosine >= SUGGEST_MIN_COSINE


def neighbourhood(top_scores: np.ndarray, self_hits: int = 1) -> float:
    """Mean cosine to the k nearest *other* items; missing neighbours (tiny workspaces) count as 0."""
    scores = np.asarray(top_scores, dtype=np.float32)[self_hits : self_hits + NEIGHBOURS]
    return float(np.clip(scores, 0, None).sum() / NEIGHBOURS)


def identifier_tokens(tokens: Sequence[str]) -> set[str]:
    return {t for t in tokens if len(t) >= 3 and any(ch.isdigit() for ch in t)}


def signals(
    cosine: float,
    query_hub: float,
    candidate_hub: float,
    query_tokens: Sequence[str],
    candidate_tokens: Sequence[str],
    stats: lexical.CorpusStats,
) -> Signals:
    q_ids, c_ids = identifier_tokens(query_tokens), identifier_tokens(candidate_tokens)
    return Signals(
        cosine=float(cosine),
        hub=float(cosine - (query_hub + candidate_hub) / 2),
        lexical=lexical.bm25_normalised(query_tokens, candidate_tokens, stats),
        identifiers=len(q_ids & c_ids) / len(q_ids | c_ids) if q_ids and c_ids else 0.0,
    )
