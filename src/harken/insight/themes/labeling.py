"""Readable theme labels: c-TF-IDF keywords per cluster and the quotes closest to its centroid.

c-TF-IDF (class-based TF-IDF, as in BERTopic): all texts of a theme are one document; a term's
weight is its frequency in the theme times log(1 + average words per theme / its frequency over
all themes). Words every theme uses score low; words that mark one theme score high.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

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


# ---------------------------------------------------------------- titles from key phrases

PHRASE_CANDIDATES = 24  # per theme, pre-selected by c-TF-IDF before embedding
MMR_DIVERSITY = 0.5  # KeyBERT's default balance of relevance and diversity
_SPAN_WORD = re.compile(r"[A-Za-z][\w'./+-]*[\w]|[A-Za-z]|\d[\w.]*")


def _phrase_analyzer(stop: frozenset[str]) -> Callable[[str], list[str]]:
    """Readable spans of 1–4 original words that neither start nor end with a stop word
    ("login fails with okta", "blank pdf report after 4.2")."""

    def analyse(doc: str) -> list[str]:
        out: list[str] = []
        for sentence in re.split(r"[.!?;:\n()\[\]\"“”]+", doc.lower()):
            words = _SPAN_WORD.findall(sentence)
            for n in (1, 2, 3, 4):
                for i in range(len(words) - n + 1):
                    span = words[i : i + n]
                    if span[0] in stop or span[-1] in stop or span[0][0].isdigit():
                        continue
                    if n == 1 and (len(span[0]) < 3 or span[0] in stop):
                        continue
                    out.append(" ".join(span))
        return out

    return analyse


def key_phrases(
    texts: Sequence[str],
    labels: np.ndarray,
    n_themes: int,
    centroids: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    top: int = NAME_KEYWORDS,
) -> list[list[str]]:
    """KeyBERT-style key phrases per theme: candidate spans pre-selected by c-TF-IDF, ranked by cosine
    to the theme centroid, diversified with maximal marginal relevance. `encode` = the embedder."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = frozenset(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS)
    docs = [" . ".join(texts[int(i)] for i in np.flatnonzero(labels == t)) for t in range(n_themes)]
    if not n_themes or not any(d.strip() for d in docs):
        return [[] for _ in range(n_themes)]
    vectorizer = CountVectorizer(analyzer=_phrase_analyzer(stop), lowercase=False)
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:
        return [[] for _ in range(n_themes)]
    terms = vectorizer.get_feature_names_out()
    tf = counts.toarray().astype(np.float64)
    idf = np.log1p((tf.sum() / n_themes) / np.maximum(tf.sum(axis=0), 1))
    weights = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1) * idf
    # A phrase must occur at least twice in its theme (once is one person's wording).
    weights[tf < 2] = 0
    picked: list[list[int]] = []
    wanted: list[int] = []
    for t in range(n_themes):
        order = [int(j) for j in np.argsort(-weights[t])[:PHRASE_CANDIDATES] if weights[t, j] > 0]
        picked.append(order)
        wanted.extend(order)
    unique = sorted(set(wanted))
    if not unique:
        return [[] for _ in range(n_themes)]
    vectors = np.asarray(encode([str(terms[j]) for j in unique]), dtype=np.float32)
    row = {j: i for i, j in enumerate(unique)}
    out: list[list[str]] = []
    for t in range(n_themes):
        cands = picked[t]
        if not cands:
            out.append([])
            continue
        cv = vectors[[row[j] for j in cands]]
        relevance = cv @ centroids[t]
        chosen: list[int] = []
        while len(chosen) < min(top, len(cands)):
            redundancy = (cv @ cv[chosen].T).max(axis=1) if chosen else np.zeros(len(cands))
            mmr = (1 - MMR_DIVERSITY) * relevance - MMR_DIVERSITY * redundancy
            mmr[chosen] = -np.inf
            chosen.append(int(np.argmax(mmr)))
        out.append([str(terms[cands[c]]) for c in chosen])
    return out


def title_from(phrases: Sequence[str], keywords: Sequence[str] = (), fallback: str = "Untitled theme") -> str:
    """The best key phrase as a title ("SSO login fails with Okta"); keywords if there is none."""
    if not phrases:
        return name_from(keywords, fallback)
    words = [w.upper() if w in ACRONYMS else w for w in phrases[0].split()]
    title = " ".join(words)
    return (title[:1].upper() + title[1:])[:200]


def summary_from(quotes: Sequence[str], size: int, limit: int = 140) -> str:
    """One line: how many items, and the first informative sentence of the most representative one
    (reply prefixes dropped; a sentence of at least four words preferred)."""
    if not quotes:
        return ""
    sentences = []
    for quote in quotes:
        text = re.sub(r"^(re|fwd?|aw)\s*:\s*", "", " ".join(quote.split()), flags=re.IGNORECASE)
        sentences.append(re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0])
    first = next((s for s in sentences if len(s.split()) >= 4), sentences[0])
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return f"{size} item{'s' if size != 1 else ''}, e.g. “{first}”"
