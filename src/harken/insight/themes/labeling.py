"""Readable theme labels: c-TF-IDF keywords per cluster and the quotes closest to its centroid.

c-TF-IDF (class-based TF-IDF, as in BERTopic): all texts of a theme are one document; a term's
weight is its frequency in the theme times log(1 + average words per theme / its frequency over
all themes). Words every theme uses score low; words that mark one theme score high.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

KEYWORDS = 6
NAME_KEYWORDS = 3
QUOTES = 3
PHRASE_FACTOR = 0.6
ACRONYMS = frozenset(
    {"api", "csv", "pdf", "sso", "saml", "sdk", "ui", "ux", "url", "ios", "vat", "crm", "sla", "2fa", "mfa"}
)

# Feedback boilerplate that says nothing about the topic.
EXTRA_STOP_WORDS = frozenset(
    {
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "would",
        "could",
        "like",
        "really",
        "just",
        "get",
        "also",
        "need",
        "want",
        "use",
        "using",
        "way",
        "make",
        "im",
        "ive",
        "dont",
        "doesnt",
        "cant",
        "able",
        "one",
        "still",
    }
)


def keywords_per_theme(texts: Sequence[str], labels: np.ndarray, n_themes: int, top: int = KEYWORDS) -> list[list[str]]:
    """The `top` most distinctive terms (unigrams and bigrams) of each theme 0..n_themes-1."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    docs = [" ".join(texts[int(i)] for i in np.flatnonzero(labels == t)) for t in range(n_themes)]
    if not any(d.strip() for d in docs):
        return [[] for _ in range(n_themes)]
    stop = sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS)
    vectorizer = CountVectorizer(
        stop_words=stop, ngram_range=(1, 2), token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b", lowercase=True
    )
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # only stop words
        return [[] for _ in range(n_themes)]
    terms = vectorizer.get_feature_names_out()
    tf = np.asarray(counts.todense(), dtype=np.float64)
    tf_norm = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1)
    avg_words = tf.sum() / max(n_themes, 1)
    idf = np.log1p(avg_words / np.maximum(tf.sum(axis=0), 1))
    weights = tf_norm * idf
    # Two-word phrases are rarer across themes, so their IDF is inflated; they must earn their place.
    is_phrase = np.array([" " in str(t) for t in terms])
    weights[:, is_phrase] *= PHRASE_FACTOR
    out = []
    for t in range(n_themes):
        order = np.argsort(-weights[t])
        chosen: list[str] = []
        for j in order:
            if weights[t, j] <= 0 or len(chosen) >= top:
                break
            term = str(terms[j])
            # "export csv" and "csv": keep one wording of the same idea.
            if any(term in c.split() or c in term.split() or term in c or c in term for c in chosen):
                continue
            chosen.append(term)
        out.append(chosen)
    return out


def name_from(keywords: Sequence[str], fallback: str = "Untitled theme") -> str:
    """'Export to CSV · Excel · download' style: the first keyword capitalised, the next two after dots."""
    words = [k for k in keywords[:NAME_KEYWORDS] if k]
    if not words:
        return fallback
    words = [" ".join(w.upper() if w in ACRONYMS else w for w in k.split()) for k in words]
    first = words[0][:1].upper() + words[0][1:]
    return " · ".join([first, *words[1:]])[:200]


def representatives(
    vectors: np.ndarray, centroid: np.ndarray, ids: Sequence[int], texts: Sequence[str], n: int = QUOTES
) -> list[int]:
    """Ids of the `n` members closest to the centroid, skipping near-identical texts."""
    if not len(ids):
        return []
    order = np.argsort(-(vectors @ centroid), kind="stable")
    seen: set[str] = set()
    out: list[int] = []
    for i in order:
        key = " ".join(texts[i].lower().split())[:200]
        if key in seen:
            continue
        seen.add(key)
        out.append(int(ids[i]))
        if len(out) == n:
            break
    return out
