"""Lexical similarity (Okapi BM25) for the duplicate finder.

Embeddings miss what makes two bug reports the *same*: a version number, an error string, a
menu name. BM25 catches those. Scores are divided by the query's score against itself, so they
land in [0, ~1] and can be fused with a cosine without per-query normalisation.

Document frequencies come from the whole workspace (`CorpusStats`), kept per process and
extended incrementally as items arrive.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"[^\W_]+(?:[.'][^\W_]+)*", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "am",
        "been",
        "being",
        "im",
        "dont",
        "doesnt",
        "cant",
        "wont",
    ]
)

K1 = 1.2
B = 0.75


def tokens(text: str) -> list[str]:
    """Lower-cased words and version-like tokens ("2.49.5"), stopwords dropped, crude plural folding."""
    out = []
    for word in _WORD.findall((text or "").lower()):
        if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


@dataclass
class CorpusStats:
    """Document frequencies of a corpus; `add` extends it one document at a time."""

    df: Counter[str] = field(default_factory=Counter)
    n_docs: int = 0
    total_len: int = 0
    max_pk: int = 0

    def add(self, doc_tokens: Sequence[str]) -> None:
        self.df.update(set(doc_tokens))
        self.n_docs += 1
        self.total_len += len(doc_tokens)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CorpusStats:
        stats = cls()
        for text in texts:
            stats.add(tokens(text))
        return stats

    @property
    def avg_len(self) -> float:
        return self.total_len / self.n_docs if self.n_docs else 1.0

    def idf(self, term: str) -> float:
        n = max(self.n_docs, 1)
        df = self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def bm25(query: Sequence[str], doc: Sequence[str], stats: CorpusStats) -> float:
    """BM25 of `doc` for the words of `query` (one implementation: `bm25_prepared` on prepared terms)."""
    if not query or not doc:
        return 0.0
    return bm25_prepared(query_terms(query, stats), Counter(doc), len(doc), stats.avg_len)


def bm25_normalised(query: Sequence[str], doc: Sequence[str], stats: CorpusStats) -> float:
    """BM25(query, doc) / BM25(query, query): comparable across queries, 1.0 ≈ same words."""
    self_score = bm25(query, query, stats)
    return bm25(query, doc, stats) / self_score if self_score > 0 else 0.0


def query_terms(query: Sequence[str], stats: CorpusStats) -> list[tuple[str, float, float]]:
    """A query's BM25 terms, prepared once for scoring many documents (`bm25_prepared`).

    (term, idf, 1 + log(query count)) in the order `bm25` visits them, so the sums are the same.
    """
    return [(term, stats.idf(term), 1 + math.log(q_count)) for term, q_count in Counter(query).items()]


def bm25_prepared(
    terms: Sequence[tuple[str, float, float]], counts: Mapping[str, int], doc_len: int, avg_len: float
) -> float:
    """BM25 of a document (term counts and length) for a query prepared by `query_terms`.

    Okapi BM25 with a query-term weight of 1 + log(count): sum over query terms of
    idf × tf × (k1 + 1) / (tf + k1 × (1 − b + b × len / avg_len)) × (1 + log(query count)).
    """
    if not terms or not doc_len:
        return 0.0
    norm = K1 * (1 - B + B * doc_len / avg_len)
    score = 0.0
    for term, idf, q_weight in terms:
        tf = counts.get(term, 0)
        if tf:
            score += idf * tf * (K1 + 1) / (tf + norm) * q_weight
    return score


_cache: dict[int, CorpusStats] = {}
_lock = threading.Lock()


def workspace_stats(workspace_id: int) -> CorpusStats:
    """The workspace's BM25 statistics, built once per process, then extended with newer items.

    Edits and deletions are not subtracted: document frequencies drift a little until the next
    full rebuild (when the item count shrinks), which moves BM25 scores by far less than the
    signal itself.
    """
    from harken.feedback.models import Feedback
    from harken.insight.embeddings import item_text

    with _lock:
        stats = _cache.get(workspace_id)
        items = Feedback.objects.filter(workspace_id=workspace_id)
        count = items.count()
        if stats is None or count < stats.n_docs:
            stats = CorpusStats()
        if count != stats.n_docs:
            for pk, title, text in (
                items.filter(pk__gt=stats.max_pk).order_by("pk").values_list("pk", "title", "text").iterator()
            ):
                stats.add(tokens(item_text(title, text)))
                stats.max_pk = pk
        _cache[workspace_id] = stats
        return stats
