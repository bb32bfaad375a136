"""The duplicate finder's scoring: pure functions, shared by the product and bench/dedup.py.

Signals of a pair (query item q, candidate c):

- ``cosine`` — embedding cosine of the two texts;
- ``hub`` — the cosine corrected for "hubness" (CSLS): minus the average of each item's mean cosine
  to its 10 nearest neighbours, so generic items ("app crashes") do not top every list;
- ``lexical`` — BM25 of c for q's words divided by q's self-score (rare shared words);
- ``identifiers`` — Jaccard overlap of tokens carrying digits (versions, error and bug numbers);
- ``conflict`` — 1 when the two texts are the same template with *different* version-like
  identifiers ("upgrade X to 3.1" vs "upgrade X to 3.2"): those are not the same request.

**Fusion: meaning leads, words support.** Some trackers' duplicates share rare words, others share
meaning, and weights grid-searched on one tracker did not carry over to another. So each signal is
normalised *per query* against the query's own candidate pool (its 50 nearest items in the
workspace): ``z = (x - mean_pool) / std_pool`` — how much this candidate stands out from the items
that merely look alike. The fused score is the semantic z, plus half the lexical z **when it is
positive** (shared rare words are evidence for a duplicate; a paraphrase that shares none is not
evidence against), plus the identifier overlap. A version conflict vetoes the pair. Chosen on
duplicates_seamonkey among a handful of forms (bench/dedup.py lists them) and reported unchanged
on duplicates_eclipse, where it matches the best single signal (the equal-weight mean of the two
z-scores did not: words are weak there).

**From score to suggestion: a precision target.** A workspace states the precision it wants
(``PRECISION_TARGET``, default 0.8): the share of suggestions that should turn out to be real
duplicates. The score threshold that meets it is calibrated per workspace from its own decisions —
every merge is a positive pair, every dismissed suggestion a negative one: the lowest threshold at
which the decided pairs scoring at or above it reach the target precision. Before a workspace has
``MIN_LABELS`` decisions of each kind, the cold-start threshold (``COLD_START_THRESHOLD``) applies;
it was chosen once, on duplicates_seamonkey pairs.csv, as the lowest threshold with precision ≥ 0.8
there, and is reported unchanged on duplicates_eclipse (docs/benchmarks.md).

**Learning the ranking.** With enough decisions a small logistic regression on the same normalised
signals (`learn`) re-weights them for the workspace — but only when, cross-validated on those
decisions, it orders them better than the fused score. Merges also teach directly: a merged item's
text keeps counting for its survivor (services: the survivor is scored by the closest of its group),
so a new report like any member of a merged group finds the group.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from harken.insight import lexical

NEIGHBOURS = 10  # k of the hubness correction
POOL = 50  # candidate pool per query: the nearest items by cosine

PRECISION_TARGET = 0.8
# Lowest fused score with precision >= PRECISION_TARGET on duplicates_seamonkey pairs.csv, found by
# `bench/dedup.py --fit-cold-start` and never re-fitted on another set.
COLD_START_THRESHOLD = 6.51
MIN_LABELS = 5  # per class, before a workspace's own model is considered
CONFIDENCE = 0.95  # the learned ranking must win in this share of bootstrap resamples (conventional 95 %)
SUGGEST_MAX = 5
FEATURES = ("hub", "lexical", "identifiers")
STORED_FEATURES = ("z_hub", "z_lexical", "identifiers")  # names in DuplicateSuggestion.signals
# Smallest spread a pool may have (cosine and BM25-ratio units): resolution limits, not tuned weights.
SPREAD_FLOOR = {"hub": 0.05, "lexical": 0.02}
# Before a workspace has enough items to measure its signals, meaning and words count the same.
DEFAULT_LEXICAL_WEIGHT = 0.5
CALIBRATION_SAMPLE = 200  # items whose candidate pools measure how much each signal can be trusted
CALIBRATION_MIN = 20  # fewer pools than this: DEFAULT_LEXICAL_WEIGHT

_VERSION = re.compile(r"^v?\d+(?:[._-]\d+)+[a-z]?$|^v\d+$")


@dataclass(frozen=True)
class Signals:
    cosine: float
    hub: float
    lexical: float
    identifiers: float
    conflict: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class PoolStats:
    """Mean and standard deviation of each signal over a query's candidate pool.

    A pool smaller than `POOL` (a young workspace) is padded with zeros — the missing neighbours
    count as unrelated items, as in `neighbourhood` — so the one real duplicate in a workspace of
    five items still stands out instead of defining the spread of its own pool.
    """

    mean: dict[str, float]
    std: dict[str, float]

    @classmethod
    def of(cls, pool: Sequence[Signals]) -> PoolStats:
        columns = PairColumns.of(pool)
        return pool_stats_of_columns(columns.hub, columns.lexical)

    def z(self, sig: Signals, name: str) -> float:
        # A floor on the spread: a pool of near-identical scores must not blow a tiny gap up.
        spread = max(self.std.get(name, 0.0), SPREAD_FLOOR[name])
        return (getattr(sig, name) - self.mean.get(name, 0.0)) / spread


def features(sig: Signals, stats: PoolStats) -> np.ndarray:
    """The normalised signals (stored with each suggestion): semantic z, lexical z, identifier overlap."""
    return np.array([stats.z(sig, "hub"), stats.z(sig, "lexical"), sig.identifiers], dtype=np.float64)


def evidence(x: np.ndarray) -> np.ndarray:
    """Rows of `features` as evidence: semantic z, lexical z where positive (support only), identifiers."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    return np.column_stack([x[:, 0], np.clip(x[:, 1], 0, None), x[:, 2]])


def fuse(sig: Signals, stats: PoolStats) -> float:
    """The fused score: semantic z + half the lexical z where positive + identifier overlap."""
    if sig.conflict:
        return -10.0
    return float(cold_score(features(sig, stats)[None, :])[0])


@dataclass
class Model:
    """How a workspace ranks pairs and where it draws the line. ``weights`` None = parameter-free fusion."""

    weights: list[float] | None = None
    bias: float = 0.0
    threshold: float = COLD_START_THRESHOLD
    labels: int = 0
    target: float = PRECISION_TARGET
    calibrated: bool = False
    cv: dict[str, float] = field(default_factory=dict)
    merges: int = 0  # active merges: their groups are compared as buckets (`with_bucket_words`)

    @property
    def learned(self) -> bool:
        return self.weights is not None

    @property
    def ranking_decisions(self) -> int:
        """How many of the team's decisions shape the ranking: merges (buckets) and, once re-weighted, all."""
        return max(self.labels if self.learned else 0, self.merges)

    def score(self, sig: Signals, stats: PoolStats) -> float:
        """Ranking score (higher = more likely the same request)."""
        if sig.conflict:
            return -10.0
        if self.weights is None:
            return fuse(sig, stats)
        return float(np.dot(self.weights, evidence(features(sig, stats))[0]) + self.bias)

    def is_suggestion(self, sig: Signals, stats: PoolStats) -> bool:
        return self.score(sig, stats) >= self.threshold

    def summary(self) -> dict[str, object]:
        return {
            "learned": self.learned,
            "calibrated": self.calibrated,
            "labels": self.labels,
            "threshold": round(self.threshold, 3),
            "target": self.target,
            "merges": self.merges,
            "ranking_decisions": self.ranking_decisions,
            **({"weights": [round(w, 3) for w in self.weights]} if self.weights else {}),
            **self.cv,
        }


def cold_score(x: np.ndarray) -> np.ndarray:
    """`fuse` on rows of `features` (conflicts are never stored as decisions' features)."""
    e = evidence(x)
    return e[:, 0] + e[:, 1] / 2 + e[:, 2]


def threshold_for(scores: np.ndarray, labels: np.ndarray, target: float) -> float | None:
    """Lowest score t such that the decided pairs scoring >= t reach `target` precision (None: none does)."""
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    hits = np.cumsum(labels[order])
    precision = hits / np.arange(1, len(order) + 1)
    # Only where a run of equal scores ends: "score >= t" takes all of them or none.
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)
    ok = np.flatnonzero((precision >= target) & last_of_tie)
    if not len(ok):
        return None
    return float(scores[order][ok[-1]])


def learn(x: np.ndarray, y: np.ndarray, target: float = PRECISION_TARGET) -> Model:
    """A workspace's model from its decisions (rows of `features`, 1 = merged, 0 = dismissed).

    Ranking: logistic regression (L2, C=1) on the evidence, kept only if, cross-validated on the
    decisions, it orders them better (average precision) than the fused score — *clearly* better: in
    at least `CONFIDENCE` of bootstrap resamples of the decisions (a few lucky folds out of 25
    decisions re-weighted the ranking and lost MAP on held-out queries). Threshold: from the
    (cross-validated) scores of the decisions, the lowest that meets `target` precision.
    """
    y = np.asarray(y, dtype=int)
    x = np.asarray(x, dtype=np.float64).reshape(len(y), len(FEATURES))
    model = Model(target=target, labels=len(y))
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if min(positives, negatives) < MIN_LABELS:
        return model
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = min(5, positives, negatives)
    clf = LogisticRegression(C=1.0, max_iter=500)
    predicted = cross_val_predict(
        clf, evidence(x), y, cv=StratifiedKFold(folds, shuffle=True, random_state=0), method="decision_function"
    )
    cold = cold_score(x)
    learned_ap = float(average_precision_score(y, predicted))
    cold_ap = float(average_precision_score(y, cold))
    wins = _bootstrap_wins(y, predicted, cold)
    model.cv = {"learned_ap": round(learned_ap, 4), "cold_start_ap": round(cold_ap, 4), "learned_wins": wins}
    scores = cold
    if learned_ap > cold_ap and wins >= CONFIDENCE:
        clf.fit(evidence(x), y)
        model.weights = [float(w) for w in clf.coef_[0]]
        model.bias = float(clf.intercept_[0])
        scores = predicted
    threshold = threshold_for(scores, y, target)
    # No threshold reaches the target: suggest only above every decided pair.
    model.threshold = threshold if threshold is not None else float(scores.max()) + 1e-6
    model.calibrated = True
    return model


def _bootstrap_wins(y: np.ndarray, learned: np.ndarray, cold: np.ndarray, rounds: int = 200) -> float:
    """Share of bootstrap resamples of the decisions on which the learned order has the higher AP."""
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(0)
    wins = total = 0
    for _ in range(rounds):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue
        total += 1
        wins += average_precision_score(y[idx], learned[idx]) > average_precision_score(y[idx], cold[idx])
    return round(wins / total, 3) if total else 0.0


def with_bucket_words(
    sig: Signals, query_tokens: Sequence[str], bucket_tokens: Sequence[str], stats: lexical.CorpusStats
) -> Signals:
    """The signals of a merged group: meaning through its closest member, words through all its texts.

    Merges teach the ranking: once the team has merged reports into a master, a new report is compared
    with the master's whole bucket — BM25 of the concatenated texts of the group (the classic bucket
    gain of duplicate-bug retrieval), so words that only another member used still count. The
    identifier overlap and version veto stay those of the closest member.
    """
    return Signals(
        cosine=sig.cosine,
        hub=sig.hub,
        lexical=lexical.bm25_normalised(query_tokens, bucket_tokens, stats),
        identifiers=sig.identifiers,
        conflict=sig.conflict,
    )


def neighbourhood(top_scores: np.ndarray, self_hits: int = 1) -> float:
    """Mean cosine to the k nearest *other* items; missing neighbours (tiny workspaces) count as 0."""
    scores = np.asarray(top_scores, dtype=np.float32)[self_hits : self_hits + NEIGHBOURS]
    return float(np.clip(scores, 0, None).sum() / NEIGHBOURS)


def neighbourhoods(top_scores: np.ndarray, self_hits: int = 1) -> list[float]:
    """`neighbourhood` of each row (the same float32 sums, row by row)."""
    scores = np.asarray(top_scores, dtype=np.float32)[:, self_hits : self_hits + NEIGHBOURS]
    return (np.ascontiguousarray(np.clip(scores, 0, None)).sum(axis=1) / NEIGHBOURS).tolist()


def identifier_tokens(tokens: Sequence[str]) -> set[str]:
    return {t for t in tokens if len(t) >= 3 and any(ch.isdigit() for ch in t)}


def version_tokens(tokens: Sequence[str]) -> set[str]:
    return {t for t in tokens if _VERSION.match(t)}


def version_conflict(query_tokens: Sequence[str], candidate_tokens: Sequence[str]) -> bool:
    """Same wording, different versions: both name versions, share none, and say little else apart.

    "Upgrade Django to 3.1" vs "Upgrade Django to 3.2" → True; two crash reports that mention
    different builds among many different words → False (those may well be duplicates).
    """
    return profiles_conflict(TextProfile.of(query_tokens), TextProfile.of(candidate_tokens))


def signals(
    cosine: float,
    query_hub: float,
    candidate_hub: float,
    query_tokens: Sequence[str],
    candidate_tokens: Sequence[str],
    stats: lexical.CorpusStats,
) -> Signals:
    """The signals of one pair from its two token lists (per-pair callers: the portal, bench/dedup.py).

    One implementation: the texts are profiled and scored by `signals_prepared`, as the worker's
    duplicate stage does for whole pools (tests compare it with an independent reference).
    """
    query = QueryProfile.of(TextProfile.of(query_tokens), stats)
    return signals_prepared(cosine, query_hub, candidate_hub, query, TextProfile.of(candidate_tokens), stats.avg_len)


# ---------------------------------------------------------------- the same signals, prepared per text


@dataclass(frozen=True)
class TextProfile:
    """What `signals` derives from one text's tokens, computed once per text instead of once per pair."""

    tokens: tuple[str, ...]
    counts: dict[str, int]
    ids: frozenset[str]  # identifier_tokens
    versions: frozenset[str]  # version_tokens
    rest: frozenset[str]  # the other distinct tokens (version_conflict)

    @classmethod
    def of(cls, tokens: Sequence[str]) -> TextProfile:
        versions = frozenset(version_tokens(tokens))
        return cls(
            tokens=tuple(tokens),
            counts=dict(Counter(tokens)),
            ids=frozenset(identifier_tokens(tokens)),
            versions=versions,
            rest=frozenset(tokens) - versions,
        )


@dataclass(frozen=True)
class QueryProfile:
    """A query text prepared for scoring a pool: its profile, BM25 terms and BM25 self-score."""

    text: TextProfile
    terms: list[tuple[str, float, float]]
    self_score: float

    @classmethod
    def of(cls, text: TextProfile, stats: lexical.CorpusStats) -> QueryProfile:
        return cls(text, lexical.query_terms(text.tokens, stats), lexical.bm25(text.tokens, text.tokens, stats))

    def lexical(self, c: TextProfile, avg_len: float) -> float:
        """`bm25_normalised(query, c)`: 0.0 without a shared word (BM25 sums nothing then), else the same quotient."""
        if self.self_score <= 0 or self.text.counts.keys().isdisjoint(c.counts):
            return 0.0
        return lexical.bm25_prepared(self.terms, c.counts, len(c.tokens), avg_len) / self.self_score


def signals_prepared(
    cosine: float, query_hub: float, candidate_hub: float, q: QueryProfile, c: TextProfile, avg_len: float
) -> Signals:
    """The signals of a pair from prepared profiles (`signals` is this on freshly profiled token lists)."""
    qt = q.text
    lex = q.lexical(c, avg_len)
    q_ids, c_ids = qt.ids, c.ids
    return Signals(
        cosine=float(cosine),
        hub=float(cosine - (query_hub + candidate_hub) / 2),
        lexical=lex,
        identifiers=len(q_ids & c_ids) / len(q_ids | c_ids) if q_ids and c_ids else 0.0,
        conflict=1.0 if profiles_conflict(qt, c) else 0.0,
    )


def profiles_conflict(q: TextProfile, c: TextProfile) -> bool:
    """`version_conflict` on prepared profiles: version sets that share nothing, the rest mostly alike."""
    qv, cv = q.versions, c.versions
    if not qv or not cv or qv & cv:
        return False
    if not q.rest or not c.rest:
        return True
    return len(q.rest & c.rest) / len(q.rest | c.rest) >= 0.5


def score_pool(model: Model, pool: Sequence[Signals], stats: PoolStats) -> tuple[list[float], list[list[float]]]:
    """`model.score(sig, stats)` and `features(sig, stats).round(4).tolist()` for a whole pool at once.

    Element-wise the same float64 arithmetic as the per-pair functions (so the same values); a learned
    model's dot product stays one `np.dot` per pair, as in `Model.score` (`scores_columns`).
    """
    if not pool:
        return [], []
    columns = PairColumns.of(pool)
    mean, spread = pair_stats([stats], [len(pool)])
    x = features_columns(columns, mean, spread)
    return scores_columns(model, x, columns.conflict).tolist(), x.round(4).tolist()


# ---------------------------------------------------------------- the same signals, as columns of many pairs


@dataclass(frozen=True)
class PairColumns:
    """The raw signals of many (query, candidate) pairs as float64 columns (one row per pair)."""

    cosine: np.ndarray
    hub: np.ndarray
    lexical: np.ndarray
    identifiers: np.ndarray
    conflict: np.ndarray

    def __len__(self) -> int:
        return len(self.cosine)

    def signal(self, row: int) -> Signals:
        return Signals(
            cosine=float(self.cosine[row]),
            hub=float(self.hub[row]),
            lexical=float(self.lexical[row]),
            identifiers=float(self.identifiers[row]),
            conflict=float(self.conflict[row]),
        )

    @classmethod
    def of(cls, pool: Sequence[Signals]) -> PairColumns:
        return cls(*(np.array([getattr(s, f) for s in pool], dtype=np.float64) for f in _COLUMNS))


_COLUMNS = ("cosine", "hub", "lexical", "identifiers", "conflict")


def signals_columns(
    queries: Sequence[QueryProfile],
    query_of: np.ndarray,
    candidates: Sequence[TextProfile],
    cosine: np.ndarray,
    query_hub: np.ndarray,
    candidate_hub: np.ndarray,
    avg_len: float,
) -> PairColumns:
    """`signals_prepared` for many pairs at once: pair i is (queries[query_of[i]], candidates[i]).

    The same values to the bit: every signal is element-wise the same float64 arithmetic, and each
    pair's BM25 adds its shared terms' contributions one at a time in the query's term order (only the
    shared terms: adding 0.0 for a missing one is where `bm25_prepared` skips it). The shared terms
    come from array lookups — each distinct candidate text's terms (of the queries' vocabulary) spread
    over its pairs and looked up among its query's terms — so Python visits each distinct text once,
    and a pair only when both texts carry identifiers or versions (set operations, as `signals_prepared`).
    """
    n = len(candidates)
    query_of = np.asarray(query_of, dtype=np.int64)
    cosine = np.asarray(cosine, dtype=np.float64)
    hub = cosine - (np.asarray(query_hub, dtype=np.float64) + np.asarray(candidate_hub, dtype=np.float64)) / 2
    identifiers = np.zeros(n, dtype=np.float64)
    conflict = np.zeros(n, dtype=np.float64)
    lex = np.zeros(n, dtype=np.float64)
    if not n:
        return PairColumns(cosine, hub, lex, identifiers, conflict)
    # The queries' vocabulary; each query's (query, term) keys with the term's position in the query's order.
    vocab: dict[str, int] = {}
    for q in queries:
        for term, _, _ in q.terms:
            vocab.setdefault(term, len(vocab))
    size = max(len(vocab), 1)
    width = max((len(q.terms) for q in queries), default=0)
    idf = np.zeros((len(queries), max(width, 1)), dtype=np.float64)
    weight = np.zeros_like(idf)
    q_keys: list[int] = []
    q_pos: list[int] = []
    for qn, q in enumerate(queries):
        if q.self_score <= 0:  # `QueryProfile.lexical`: 0.0 (no terms are looked up)
            continue
        for j, (term, term_idf, q_weight) in enumerate(q.terms):
            idf[qn, j] = term_idf
            weight[qn, j] = q_weight
            q_keys.append(qn * size + vocab[term])
            q_pos.append(j)
    # Each distinct candidate text once: its terms in the vocabulary (id, count), its length, id/version flags.
    slot: dict[int, int] = {}
    unique: list[TextProfile] = []
    member = np.empty(n, dtype=np.int64)
    u_terms: list[int] = []
    u_tf: list[int] = []
    u_start = [0]
    for i, c in enumerate(candidates):
        u = slot.get(id(c))
        if u is None:
            u = slot[id(c)] = len(unique)
            unique.append(c)
            for term, count in c.counts.items():
                v = vocab.get(term)
                if v is not None:
                    u_terms.append(v)
                    u_tf.append(count)
            u_start.append(len(u_terms))
        member[i] = u
    if q_keys and u_terms:
        order = np.argsort(np.array(q_keys, dtype=np.int64), kind="stable")
        keys = np.array(q_keys, dtype=np.int64)[order]
        positions = np.array(q_pos, dtype=np.int64)[order]
        starts = np.array(u_start, dtype=np.int64)
        per_pair = (starts[1:] - starts[:-1])[member]  # the candidate's vocabulary terms, per pair
        total = int(per_pair.sum())
        pair = np.repeat(np.arange(n, dtype=np.int64), per_pair)
        first = np.cumsum(per_pair) - per_pair
        entry = np.repeat(starts[:-1][member] - first, per_pair) + np.arange(total, dtype=np.int64)
        term_id = np.array(u_terms, dtype=np.int64)[entry]
        tf_all = np.array(u_tf, dtype=np.int64)[entry]
        wanted = query_of[pair] * size + term_id
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        shared = keys[at] == wanted
        pair, tf_all, j = pair[shared], tf_all[shared], positions[at[shared]]
        if len(pair):
            # Each pair's shared terms in the query's order, and each one's rank within its pair.
            by = np.argsort(pair * max(width, 1) + j, kind="stable")
            pair, j, tf = pair[by], j[by], tf_all[by].astype(np.float64)
            new_pair = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
            rank = np.arange(len(pair)) - np.repeat(new_pair, np.diff(np.r_[new_pair, len(pair)]))
            doc_len = np.array([len(c.tokens) for c in unique], dtype=np.float64)[member[pair]]
            qn_of = query_of[pair]
            norm = lexical.K1 * (1 - lexical.B + lexical.B * doc_len / avg_len)
            contribution = idf[qn_of, j] * tf * (lexical.K1 + 1) / (tf + norm) * weight[qn_of, j]
            score = np.zeros(n, dtype=np.float64)
            for r in range(int(rank.max()) + 1):  # term by term, in the query's order, as `bm25_prepared` adds
                hit_r = rank == r
                score[pair[hit_r]] += contribution[hit_r]  # a pair appears once per rank
            hit = np.zeros(n, dtype=bool)
            hit[pair] = True
            self_score = np.array([q.self_score for q in queries], dtype=np.float64)[query_of]
            np.divide(score, self_score, out=lex, where=hit)
    # Identifier overlap and the version veto: only pairs where both texts carry some.
    q_ids = np.array([bool(q.text.ids) for q in queries] or [False])[query_of]
    q_versions = np.array([bool(q.text.versions) for q in queries] or [False])[query_of]
    c_ids = np.array([bool(c.ids) for c in unique])[member]
    c_versions = np.array([bool(c.versions) for c in unique])[member]
    for i in np.flatnonzero(q_ids & c_ids).tolist():
        a, b = queries[query_of[i]].text.ids, candidates[i].ids
        identifiers[i] = len(a & b) / len(a | b)
    for i in np.flatnonzero(q_versions & c_versions).tolist():
        if profiles_conflict(queries[query_of[i]].text, candidates[i]):
            conflict[i] = 1.0
    return PairColumns(cosine, hub, lex, identifiers, conflict)


def pool_stats_of_columns(hub: np.ndarray, lex: np.ndarray) -> PoolStats:
    """`PoolStats.of` from a pool's hub and lexical columns (the same arrays, so the same floats)."""
    mean, std = {}, {}
    for name, column in (("hub", hub), ("lexical", lex)):
        values = np.array(column, dtype=np.float64)
        if len(values) < POOL:
            values = np.concatenate([values, np.zeros(POOL - len(values))])
        mean[name] = float(values.mean())
        std[name] = float(values.std())
    return PoolStats(mean, std)


def features_columns(columns: PairColumns, mean: dict[str, np.ndarray], spread: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of `features` for many pairs; `mean`/`spread`: each pair's pool statistics (floored spread)."""
    return np.column_stack(
        [
            (columns.hub - mean["hub"]) / spread["hub"],
            (columns.lexical - mean["lexical"]) / spread["lexical"],
            columns.identifiers,
        ]
    )


def pair_stats(
    stats: Sequence[PoolStats], counts: Sequence[int]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each pair's pool mean and floored spread (as `PoolStats.z` uses them), pools of `counts` rows in order."""
    mean, spread = {}, {}
    for name in ("hub", "lexical"):
        mean[name] = np.repeat(np.array([s.mean.get(name, 0.0) for s in stats], dtype=np.float64), counts)
        spread[name] = np.repeat(
            np.array([max(s.std.get(name, 0.0), SPREAD_FLOOR[name]) for s in stats], dtype=np.float64), counts
        )
    return mean, spread


def scores_columns(model: Model, x: np.ndarray, conflict: np.ndarray, above: float | None = None) -> np.ndarray:
    """`Model.score` of rows of `features` (conflicts: -10).

    The cold fusion is element-wise (the same floats). A learned model's score is one `np.dot` per pair
    in `Model.score`; a matrix product may round differently, so it only screens: with `above`, rows
    whose product is clearly below `above` (by far more than any rounding) keep it, and every other
    row gets the per-pair `np.dot` — the exact score wherever it can reach `above`. Without `above`,
    every row gets the per-pair `np.dot`.
    """
    if model.weights is None:
        scores = cold_score(x) if len(x) else np.zeros(0, dtype=np.float64)
    else:
        weights = np.asarray(model.weights, dtype=np.float64)
        ev = evidence(x) if len(x) else np.zeros((0, len(FEATURES)), dtype=np.float64)
        scores = ev @ weights + model.bias
        if above is None:
            exact = np.arange(len(ev))
        else:
            margin = 1e-9 * (1.0 + abs(model.bias) + np.abs(ev) @ np.abs(weights))
            exact = np.flatnonzero(scores >= above - margin)
        for row in exact.tolist():
            scores[row] = float(np.dot(weights, ev[row]) + model.bias)
    return np.where(conflict != 0, -10.0, scores)
