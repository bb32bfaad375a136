"""An independent reference for the duplicate finder's per-pair signals, written from their definitions.

The product has one implementation (`duplicates.signals_prepared`, `lexical.bm25_prepared`; the per-pair
`duplicates.signals`, `duplicates.version_conflict` and `lexical.bm25` call them). Tests compare it with
this file, so a change to the product's arithmetic fails a test instead of agreeing with itself. The
formulas are the documented ones, evaluated term by term in the query's word order (so the floating
point sums are the same to the bit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from harken.insight import duplicates, lexical


def okapi(query: Sequence[str], doc: Sequence[str], stats: lexical.CorpusStats) -> float:
    """Okapi BM25, query-term weight 1 + ln(count in the query); 0 for an empty query or document."""
    if not query or not doc:
        return 0.0
    length_norm = lexical.K1 * (1 - lexical.B + lexical.B * len(doc) / stats.avg_len)
    total = 0.0
    seen: list[str] = []
    for word in query:  # distinct words, in order of first appearance
        if word in seen:
            continue
        seen.append(word)
        tf = doc.count(word)
        if tf:
            weight = 1 + math.log(query.count(word))
            total += stats.idf(word) * tf * (lexical.K1 + 1) / (tf + length_norm) * weight
    return total


def lexical_ratio(query: Sequence[str], doc: Sequence[str], stats: lexical.CorpusStats) -> float:
    own = okapi(query, query, stats)
    return okapi(query, doc, stats) / own if own > 0 else 0.0


def conflict(query: Sequence[str], doc: Sequence[str]) -> bool:
    """Both name versions, none shared, and the remaining words overlap by at least half (Jaccard)."""
    q_versions = {t for t in query if duplicates._VERSION.match(t)}
    d_versions = {t for t in doc if duplicates._VERSION.match(t)}
    if not q_versions or not d_versions or q_versions & d_versions:
        return False
    q_rest, d_rest = set(query) - q_versions, set(doc) - d_versions
    if not q_rest or not d_rest:
        return True
    return len(q_rest & d_rest) / len(q_rest | d_rest) >= 0.5


def identifiers(query: Sequence[str], doc: Sequence[str]) -> float:
    """Jaccard overlap of tokens of 3+ characters that carry a digit; 0 unless both have some."""
    q_ids = {t for t in query if len(t) >= 3 and any(c.isdigit() for c in t)}
    d_ids = {t for t in doc if len(t) >= 3 and any(c.isdigit() for c in t)}
    return len(q_ids & d_ids) / len(q_ids | d_ids) if q_ids and d_ids else 0.0


def signals(
    cosine: float,
    query_hub: float,
    candidate_hub: float,
    query: Sequence[str],
    doc: Sequence[str],
    stats: lexical.CorpusStats,
) -> duplicates.Signals:
    return duplicates.Signals(
        cosine=float(cosine),
        hub=float(cosine - (query_hub + candidate_hub) / 2),
        lexical=lexical_ratio(query, doc, stats),
        identifiers=identifiers(query, doc),
        conflict=1.0 if conflict(query, doc) else 0.0,
    )
