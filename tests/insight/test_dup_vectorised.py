"""The duplicate stage's vectorised path (dupvec) gives the per-pair reference's values to the bit.

`duplicates.signals_columns` computes the signals of a whole chunk's (query, candidate) pairs as numpy
columns; `pool_stats_of_columns`, `features_columns`, `scores_columns` score them; `neighbourhoods`
and `index.top_values` give the union's hubness. Each is compared here with the per-pair definitions
(`tests/insight/dup_reference.py`, `Model.score`, `features`, `neighbourhood`, a whole-row partition)
on random pools: version conflicts, identifiers, empty and stopword-only texts, repeated words,
non-ASCII words. Float equality is exact (`==` on every value), so a change of summation order fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from harken.insight import duplicates, index, lexical
from tests.insight import dup_reference

WORDS = [
    "export", "pdf", "crash", "report", "card", "payment", "declined", "refund", "top", "transfer",
    "upgrade", "django", "celery", "billing", "screen", "error", "dark", "mode", "dashboard",
    "café", "naïve", "überweisung", "карта", "платёж", "東京", "façade", "ünïcödé",
]  # fmt: skip
NUMBERED = ["3.1", "3.2", "v2", "v5", "2.49.5", "2.50.0", "e4012", "e4013", "build7", "42", "x86"]
STOP = ["the", "of", "and", "to", "my", "is"]


def _random_text(rng: np.random.Generator) -> str:
    kind = rng.integers(0, 10)
    if kind == 0:
        return ""
    if kind == 1:
        return " ".join(rng.choice(STOP, size=int(rng.integers(1, 4))))  # no tokens at all
    size = int(rng.integers(1, 14))
    vocab = WORDS + NUMBERED * (1 if kind < 6 else 3) + STOP
    return " ".join(str(w) for w in rng.choice(vocab, size=size))  # repeats happen: tf > 1, query weights > 1


def _pairs(seed: int, queries: int = 12, pool: int = 30):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    texts = [_random_text(rng) for _ in range(120)]
    # Templates with different versions: the veto must fire on some pairs.
    texts += [f"upgrade django to {v}" for v in ("3.1", "3.2", "v2")] + [
        "upgrade celery 2.49.5",
        "upgrade celery 2.50.0",
    ]
    stats = lexical.CorpusStats.from_texts(texts)
    q_idx = [*rng.choice(len(texts), size=queries, replace=False).tolist(), len(texts) - 5, len(texts) - 2]
    rows = []
    for qn, q in enumerate(q_idx):
        members = rng.choice(len(texts), size=pool, replace=True).tolist() + list(range(len(texts) - 5, len(texts)))
        for m in members:
            rows.append((qn, texts[q], texts[m], float(rng.random()), float(rng.random()) / 3, float(rng.random()) / 3))
    return texts, stats, [texts[q] for q in q_idx], rows


def _columns(stats: Any, q_texts: list[str], rows: list[Any]) -> tuple[list[Any], Any]:
    """The queries' profiles and the vectorised signal columns of `rows` (query, q, d, cos, q_hub, c_hub)."""
    queries = [duplicates.QueryProfile.of(duplicates.TextProfile.of(lexical.tokens(t)), stats) for t in q_texts]
    columns = duplicates.signals_columns(
        queries,
        np.array([r[0] for r in rows]),
        [duplicates.TextProfile.of(lexical.tokens(r[2])) for r in rows],
        np.array([r[3] for r in rows]),
        np.array([r[4] for r in rows]),
        np.array([r[5] for r in rows]),
        stats.avg_len,
    )
    return queries, columns


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_signal_columns_equal_the_reference_bit_for_bit(seed: int) -> None:
    _, stats, q_texts, rows = _pairs(seed)
    _, columns = _columns(stats, q_texts, rows)
    expected = [
        dup_reference.signals(c, qh, ch, lexical.tokens(q), lexical.tokens(d), stats) for _, q, d, c, qh, ch in rows
    ]
    got = [columns.signal(i) for i in range(len(rows))]
    assert got == expected  # every float identical
    # The random pools exercise every signal (the comparison above is not vacuous).
    assert sum(s.conflict for s in expected) >= 1
    assert sum(0 < s.identifiers < 1 for s in expected) >= 1 and sum(s.identifiers == 1 for s in expected) >= 1
    assert sum(s.lexical > 0 for s in expected) > len(rows) / 10 and sum(s.lexical == 0 for s in expected) >= 1
    # Several shared words in one pair (the order of the BM25 sum matters).
    assert any(len(set(lexical.tokens(r[1])) & set(lexical.tokens(r[2]))) >= 3 for r in rows)


@pytest.mark.parametrize(
    "model",
    [
        duplicates.Model(),
        duplicates.Model(weights=[1.3, -0.2, 0.7], bias=-0.5, threshold=0.4),
        duplicates.Model(weights=[0.9, 0.45, 1.1], bias=0.25, threshold=-20.0),  # below the veto's -10
    ],
)
def test_pool_scores_from_columns_equal_the_per_pair_scores(model: duplicates.Model) -> None:
    _, stats, q_texts, rows = _pairs(7)
    queries, columns = _columns(stats, q_texts, rows)
    counts = np.bincount([r[0] for r in rows], minlength=len(queries)).tolist()
    counts[0] = 3  # pools shorter than POOL are padded with zeros: one short pool
    starts = np.concatenate([[0], np.cumsum(counts)]).tolist()
    n = starts[-1]
    pool_stats = [
        duplicates.pool_stats_of_columns(
            columns.hub[starts[q] : starts[q + 1]], columns.lexical[starts[q] : starts[q + 1]]
        )
        for q in range(len(queries))
    ]
    mean, spread = duplicates.pair_stats(pool_stats, counts)
    cut = duplicates.PairColumns(
        *(getattr(columns, f)[:n] for f in ("cosine", "hub", "lexical", "identifiers", "conflict"))
    )
    x = duplicates.features_columns(cut, mean, spread)
    screened = duplicates.scores_columns(model, x, cut.conflict, above=model.threshold)
    full = duplicates.scores_columns(model, x, cut.conflict)
    for q in range(len(queries)):
        pool = [cut.signal(i) for i in range(starts[q], starts[q + 1])]
        reference = duplicates.PoolStats.of(pool)
        assert pool_stats[q] == reference
        for i, sig in zip(range(starts[q], starts[q + 1]), pool, strict=True):
            score = model.score(sig, reference)
            assert full[i] == score
            assert (screened[i] >= model.threshold) == (score >= model.threshold)
            if score >= model.threshold:
                assert screened[i] == score  # exact wherever it can file a suggestion
            assert x[i].round(4).tolist() == duplicates.features(sig, reference).round(4).tolist()


def test_neighbourhoods_equal_the_per_row_neighbourhood() -> None:
    rng = np.random.default_rng(5)
    for width in (0, 3, 10, 11, 12, 25):
        rows = rng.normal(0.3, 0.4, size=(300, width)).astype(np.float32)
        rows = -np.sort(-rows, axis=1)
        assert duplicates.neighbourhoods(rows) == [duplicates.neighbourhood(r) for r in rows]
        assert duplicates.neighbourhoods(rows, self_hits=0) == [duplicates.neighbourhood(r, self_hits=0) for r in rows]


@pytest.mark.parametrize("seed", range(6))
def test_top_values_are_the_rows_largest_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 2500))
        k = int(rng.integers(1, min(n, 60) + 1))
        scores = rng.normal(size=(int(rng.integers(1, 12)), n)).astype(np.float32)
        if seed % 2:
            scores = np.round(scores, 1)  # many ties
        if seed % 3 == 0:
            scores[:, : min(n, 40)] += 3  # the largest values in few blocks
        expected = -np.sort(-scores, axis=1)[:, :k]
        got = index.top_values(scores.copy(), k)
        assert got.dtype == np.float32 and np.array_equal(got, expected)
