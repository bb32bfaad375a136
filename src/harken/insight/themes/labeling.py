"""Readable theme labels: c-TF-IDF keywords per cluster and the quotes closest to its centroid.

c-TF-IDF (class-based TF-IDF, as in BERTopic): all texts of a theme are one document; a term's
weight is its frequency in the theme times log(1 + average words per theme / its frequency over
all themes). Words every theme uses score low; words that mark one theme score high.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


# A leading "label: " of an item ("NPS 9/10: …", "Sales call: …", "Re: …"): up to five words.
_HEADER = re.compile(r"^\s*([^\s:.!?\n][^:.!?\n]{0,39}?)\s*:\s+(?=\S)")


def _header_shape(header: str) -> str:
    return re.sub(r"\d+", "#", " ".join(header.lower().split()))


def without_metadata(texts: Sequence[str]) -> list[str]:
    """The texts with their source/template headers removed: a leading "label: " (≤ 5 words) whose
    shape — lower case, every number as # — starts more than one item is a format ("NPS 9/10:",
    "CSAT 4/5:", "Sales call:", "Re:"), i.e. metadata of where an item came from, not its subject; a
    score in it says how the person rated, not what they wrote about. A header that starts one item
    only ("SSO fails with Okta: since Monday…") is the item's own words and stays."""
    shapes: list[str | None] = []
    for text in texts:
        m = _HEADER.match(text)
        shapes.append(_header_shape(m.group(1)) if m and len(m.group(1).split()) <= 5 else None)
    counts = Counter(s for s in shapes if s)
    out = []
    for text, shape in zip(texts, shapes, strict=True):
        if shape and counts[shape] > 1:
            m = _HEADER.match(text)
            assert m is not None
            text = text[m.end() :]
        out.append(text)
    return out


def keywords_per_theme(texts: Sequence[str], labels: np.ndarray, n_themes: int, top: int = KEYWORDS) -> list[list[str]]:
    """The `top` most distinctive terms (unigrams and bigrams) of each theme 0..n_themes-1 (source
    headers left out: `without_metadata`)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    texts = without_metadata(texts)
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
# Phrases do not cross a sentence or a comma ("Quick and friendly answer, problem solved").
_CLAUSES = re.compile(r"[.!?;:,\n()\[\]\"“”]+")
_SPAN_WORD = re.compile(r"[A-Za-z][\w'./+-]*[\w]|[A-Za-z]|\d[\w.]*")


def _phrase_analyzer(stop: frozenset[str]) -> Callable[[str], list[str]]:
    """Readable spans of 1–4 original words within a clause that neither start nor end with a stop
    word ("login fails with okta", "blank pdf report after 4.2")."""

    def stop_word(word: str) -> bool:  # "that's", "what's", "isn't", "doesn't" are stop words too
        return word in stop or word.split("'", 1)[0] in stop or word.endswith("n't")

    def analyse(doc: str) -> list[str]:
        out: list[str] = []
        for sentence in _CLAUSES.split(doc.lower()):
            words = _SPAN_WORD.findall(sentence)
            stops = [stop_word(w) for w in words]
            for n in (1, 2, 3, 4):
                for i in range(len(words) - n + 1):
                    span = words[i : i + n]
                    if stops[i] or stops[i + n - 1] or span[0][0].isdigit():
                        continue
                    if n == 1 and len(span[0]) < 3:
                        continue
                    out.append(" ".join(span))
        return out

    return analyse


# Articles and possessives: the word after one heads a noun phrase ("the agent", "my card"), the
# word before one is a verb or a preposition ("activate my card"). ("this", "every", "no" … are left
# out: they also follow nouns: "the survey every quarter".)
DETERMINERS = frozenset({"the", "a", "an", "my", "your", "our", "their", "his", "its"})
# After a form of "be" (or "not"): a participle or adjective ("was declined", "is slow", "not working").
BE_FORMS = frozenset({"is", "was", "were", "are", "am", "be", "been", "being", "not", "isn't", "wasn't"})
# After a preposition: a noun ("export to Excel", "fee for transfers"); "to" is left out (it also
# marks infinitives: "to change").
PREPOSITIONS = frozenset({"of", "for", "with", "in", "on", "from", "about", "into", "by", "without", "via", "per"})
# Before an auxiliary: a subject, i.e. a noun ("tokens can", "the card was").
AUXILIARIES = frozenset(
    {"is", "was", "were", "are", "be", "can", "could", "will", "would", "should", "has", "have", "had", "does", "did"}
)
# Time words (a closed class of English, not fitted to any data): a phrase that is one, or has
# one after a preposition, quantifier or number ("logged in for weeks", "since Monday", "every
# day", "takes two weeks", "failed overnight") says when, not what: no topic. Before a noun a time
# word is a modifier and stays ("Monday report", "weekly email" is no time noun).
TIME_WORDS = frozenset(
    {
        "second", "minute", "hour", "day", "night", "week", "weekend", "month", "quarter", "year",
        "morning", "afternoon", "evening", "today", "tonight", "yesterday", "tomorrow", "overnight",
        "ago", "lately", "recently", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "january", "february", "march", "april", "june", "july", "august",
        "september", "october", "november", "december",
    }
)  # fmt: skip
_TIME_ADVERBS = frozenset({"today", "tonight", "yesterday", "tomorrow", "overnight", "ago", "lately", "recently"})
_TIME_LEADS = frozenset(
    {
        "for", "since", "by", "every", "each", "last", "next", "this", "per", "all", "few", "couple", "in",
        "over", "past", "until", "after", "before", "within", "during", "a", "an", "one", "two",
        "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "many", "some",
        "whole", "entire", "same",
    }
)  # fmt: skip
# After a leading time word, these end its adverbial ("week | because the pipeline", "Monday | and").
_GLUE_AFTER_TIME = frozenset({"because", "and", "but", "so", "when", "after", "before", "since", "until", "or"})
# Modals: a phrase holding one is a wish or a guess ("discount would help", "tokens should be"),
# not the name of a topic. (A problem stated with "is"/"are" — "Syncs are queued" — names one.)
CLAUSE_WORDS = frozenset({"would", "could", "should", "can", "will", "may", "might", "must", "shall"})


def _time_word(word: str) -> bool:
    return word in TIME_WORDS or (word.endswith("s") and word[:-1] in TIME_WORDS)


def time_cut(phrase: str) -> str | None:
    """`phrase` without its time adverbial ("syncs delayed by hours" → "syncs delayed", "every day"
    → ""); None if it has none (`time_phrase`)."""
    if not time_phrase(phrase):
        return None
    words = phrase.lower().split()
    for i, word in enumerate(words):
        if _time_word(word):
            lead = i - 1 if i and (words[i - 1] in _TIME_LEADS or words[i - 1][0].isdigit()) else i
            while lead > 0 and words[lead - 1] in _TIME_LEADS | PREPOSITIONS:
                lead -= 1
            return " ".join(phrase.split()[:lead])
    return ""


def time_phrase(phrase: str) -> bool:
    """The phrase says when, not what: it is a time word, holds a time adverb, or has a time word
    right after a preposition, quantifier or number ("logged in for weeks", "since Monday", "every
    day", "analyst takes two weeks", "failed overnight"); "Monday report", "fiscal year" are topics."""
    words = phrase.lower().split()
    if _time_word(words[0]) and len(words) > 1 and words[1] in _GLUE_AFTER_TIME:
        return True  # cut from "a week | because the pipeline…", "every Monday | and …"
    for i, word in enumerate(words):
        if not _time_word(word):
            continue
        if word in _TIME_ADVERBS or len(words) == 1:
            return True
        if i and (words[i - 1] in _TIME_LEADS or words[i - 1][0].isdigit()):
            return True
    return False


_SENTENCES = re.compile(r"[.!?;:\n()\[\]\"“”]+")


@dataclass
class Lexicon:
    """What the theme texts themselves say about their words (no tagger, no word list to fit).

    `surface`: each word's usual written form where it is not lower case — an acronym ("NPS"), a
    name ("Okta") or a mixed-case word ("iOS") — by majority of its non-sentence-initial uses.
    `after` / `before`: how often a word comes right after a determiner ("the agent", "my card":
    a noun) and right before one ("activate my card", "knew the answer": a verb or preposition).
    A title should not end in a word used as a verb more than as a noun, nor in an adverb
    ("Agent knew exactly").
    `predicate` / `governed` / `subject`: how often a word comes right after a form of "be" ("was
    declined", "is slow"), right after a preposition ("for Okta") and right before an auxiliary
    ("tokens can"); `head`: how often it follows a determiner and ends the noun phrase there (the
    next word is a stop word, the sentence end or a word never seen after a determiner: "the agent
    knew", not "the actual rate"). Together they tell nouns ("agent") from adjectives ("wrong"),
    finite verbs and adverbs ("knew", "soon"), which are never seen in any of these places."""

    surface: dict[str, str] = field(default_factory=dict)
    after: Counter[str] = field(default_factory=Counter)
    before: Counter[str] = field(default_factory=Counter)
    predicate: Counter[str] = field(default_factory=Counter)
    governed: Counter[str] = field(default_factory=Counter)
    head: Counter[str] = field(default_factory=Counter)
    subject: Counter[str] = field(default_factory=Counter)
    stop: frozenset[str] = frozenset()

    def restore(self, phrase: str) -> str:
        return " ".join(self.surface.get(w, w) for w in phrase.split())

    def good_end(self, phrase: str) -> bool:
        last = phrase.split()[-1]
        if last.isdigit():
            return False  # a bare count or score ("NPS 10", "CSAT 5"); a version ("after 4.2") reads fine
        if last[0].isdigit() or last in self.surface:
            return True
        if self.before[last] > self.after[last] and not last.endswith("ed"):
            return False  # a bare verb ("change" in "change my pin"); "declined", "refunded" read fine
        adverb = len(last) > 4 and last.endswith("ly") and not last.endswith(("ily", "ply"))
        return not (adverb and not self.after[last])

    def noun(self, word: str) -> bool:
        """Used as the head of a noun phrase: mostly, after a determiner, not before another word that
        follows determiners ("the agent knew", "my card."; not "the actual rate", "an extra fee"),
        and no less often than after a form of "be" ("is wrong"); or a name or acronym."""
        head, after = self.head[word], self.after[word]
        return word in self.surface or (head * 2 > after and after >= self.predicate[word])

    def nounish(self, word: str) -> bool:
        """Used more often where nouns go (after a determiner or a preposition, before an auxiliary)
        than after a form of "be" ("the minimum age", "for Okta"; not "was wrong", "is exactly")."""
        if word in self.surface:
            return True
        return self.after[word] + self.governed[word] + self.subject[word] > self.predicate[word]

    def nominal(self, word: str) -> bool:
        """Seen after a determiner, a form of "be" or a preposition, or before an auxiliary: a noun,
        adjective or participle ("my card", "was declined", "for Okta", "tokens can"), not a finite
        verb or an adverb ("knew", "soon")."""
        return bool(
            self.after[word]
            or self.predicate[word]
            or self.governed[word]
            or self.subject[word]
            or word in self.surface
        )

    def weak_title(self, phrase: str) -> bool:
        """One word ("Agent", "Missing") or a wish ("Discount would help": a modal inside)."""
        words = phrase.split()
        return len(words) == 1 or any(w in CLAUSE_WORDS for w in words)

    def noun_phrase_for(self, phrase: str, others: Sequence[tuple[str, float, float]], count: float) -> str | None:
        """For a weak title (`weak_title`) used `count` times, the most relevant of `others` (phrase,
        uses, relevance) that names the same thing more fully and is used at least half as often:
        a noun phrase of 2–4 words (no modal; inside it only determiners and prepositions, no
        "that", "is", "when"; a word used where nouns go at its end) that contains the one word
        ("Missing" → "Missing charts") or a content word of the wish ("Discount would help" →
        "Nonprofit discount"). None if none is."""
        words = phrase.split()
        if not self.weak_title(phrase):
            return None
        content = {w for w in words if w not in self.stop}
        glue = DETERMINERS | PREPOSITIONS | {"to", "and"}
        fits = [
            (relevance, other)
            for other, uses, relevance in others
            if 2 <= len(ws := other.split()) <= 4
            and uses * 2 >= count
            and content & set(ws)
            and not self.weak_title(other)
            and all(w in glue or w not in self.stop for w in ws[1:-1])
            and self.nounish(ws[-1])
            and not time_phrase(other)
        ]
        return max(fits)[1] if fits else None

    def fragment(self, phrase: str, continued: Counter[str]) -> bool:
        """The phrase is cut out of a longer one: every one of its uses (`continued`: the word that
        follows each, "" at a clause end) goes on with the same word, and that word is a content word
        ("agent knew → exactly", "rate for my cash → withdrawal"; not a noun followed by a verb: "agent
        → knew") or the phrase ends in a word that is neither noun nor adjective nor participle
        ("app closes as soon → as")."""
        total = sum(continued.values())
        if not total:
            return False
        word, n = continued.most_common(1)[0]
        if not word or n < total:
            return False
        last = phrase.split()[-1]
        if word in self.stop:
            return not self.nominal(last)
        # A noun followed by a verb ends a noun phrase ("the agent | knew"): not cut out.
        return not self.noun(last) or self.nominal(word)


def lexicon(texts: Iterable[str], stop: frozenset[str] = frozenset()) -> Lexicon:
    forms: dict[str, Counter[str]] = {}
    after: Counter[str] = Counter()
    before: Counter[str] = Counter()
    predicate: Counter[str] = Counter()
    governed: Counter[str] = Counter()
    subject: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()  # (word after a determiner, the word after it)
    for text in texts:
        for sentence in _SENTENCES.split(text):
            words = _SPAN_WORD.findall(sentence)
            lows = [w.lower() for w in words]
            for i, (word, low) in enumerate(zip(words, lows, strict=True)):
                if i and lows[i - 1] in DETERMINERS:
                    after[low] += 1
                    pairs[low, lows[i + 1] if i + 1 < len(lows) else ""] += 1
                if i and lows[i - 1] in BE_FORMS:
                    predicate[low] += 1
                if i and lows[i - 1] in PREPOSITIONS:
                    governed[low] += 1
                if i + 1 < len(lows) and lows[i + 1] in DETERMINERS:
                    before[low] += 1
                if i + 1 < len(lows) and lows[i + 1] in AUXILIARIES:
                    subject[low] += 1
                if i or word[1:] != word[1:].lower():  # a sentence-initial capital alone says nothing
                    forms.setdefault(low, Counter())[word] += 1
    head: Counter[str] = Counter()
    for pair, n in pairs.items():
        word, following = pair
        if not following or following in stop or not after[following]:
            head[word] += n
    surface = {}
    for low, counts in forms.items():
        form, n = counts.most_common(1)[0]
        if form != low and n * 2 > sum(counts.values()):
            surface[low] = form
    return Lexicon(surface, after, before, predicate, governed, head, subject, stop)


def _continuations(doc: str, phrases: Sequence[str]) -> dict[str, Counter[str]]:
    """For each phrase, the words that follow its uses in `doc` ("" at a sentence end), tokenised as
    the phrase candidates are."""
    out: dict[str, Counter[str]] = {p: Counter() for p in phrases}
    wanted = {tuple(p.split()) for p in phrases}
    firsts = {p[0] for p in wanted}
    longest = max((len(p) for p in wanted), default=0)
    for sentence in _CLAUSES.split(doc.lower()):
        words = _SPAN_WORD.findall(sentence)
        for i, word in enumerate(words):
            if word not in firsts:
                continue
            for n in range(1, min(longest, len(words) - i) + 1):
                key = tuple(words[i : i + n])
                if key in wanted:
                    out[" ".join(key)][words[i + n] if i + n < len(words) else ""] += 1
    return out


def spread_names(terms: Sequence[str], uses: Any, totals: np.ndarray, lex: Lexicon) -> np.ndarray:
    """Which terms contain a name used by most of the finest themes (`uses`: themes × terms, > 0 where
    a theme uses a term; `totals`: each term's count): the workspace's own company or product name
    ("Acme Analytics"), which its customers write in feedback on every subject. A name is a word the
    texts write capitalised (`Lexicon.surface`, acronyms too); a name word written mostly right after
    such a name is part of it ("Analytics" after "Acme"). Document frequency across themes, as in
    c-TF-IDF's idea that a word every theme uses marks none; a majority is the bar (no fitted share)."""
    n_units = uses.shape[0]
    df = np.asarray((uses > 0).sum(axis=0)).ravel()
    index = {str(term): j for j, term in enumerate(terms)}
    common = {w for w in lex.surface if w in index and df[index[w]] * 2 > n_units}
    for word in [w for w in lex.surface if w in index and w not in common]:
        after_name = sum(totals[index[f"{name} {word}"]] for name in common if f"{name} {word}" in index)
        if after_name * 2 > totals[index[word]]:
            common.add(word)
    return np.array([bool(common & set(str(term).split())) for term in terms], dtype=bool)


def key_phrases(
    texts: Sequence[str],
    labels: np.ndarray,
    n_themes: int,
    centroids: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    top: int = NAME_KEYWORDS,
    parts: np.ndarray | None = None,
    explain: list[list[tuple[str, float]]] | None = None,
    own_names: str = "",
) -> list[list[str]]:
    """KeyBERT-style key phrases per theme: candidate spans pre-selected by c-TF-IDF, ranked by cosine
    to the theme centroid, diversified with maximal marginal relevance. `encode` = the embedder.

    `parts`: the finer theme of each item (its sub-theme, when top-level themes are titled). A theme
    made of parts is titled from its core: candidates used by its largest part, or by parts holding
    most of its items, rank first, so a phrase one smaller sub-theme repeats ("Export everything to
    Excel", 27 of 272 items) does not title the whole ("Excel"). The finest themes available (the
    parts, else the themes) also tell the workspace's own names, which title nothing: see
    `spread_names`; so do the words of `own_names` (the workspace's name, "Acme Analytics"), which
    a small workspace may use too rarely to be found by spread. `explain`, if given, receives each theme's candidates (phrase, cosine to the
    centroid; 2 less outside a top-level theme's core) best first, for debugging titles."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = frozenset(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS)
    texts = without_metadata(texts)
    docs = [" . ".join(texts[int(i)] for i in np.flatnonzero(labels == t)) for t in range(n_themes)]
    if not n_themes or not any(d.strip() for d in docs):
        return [[] for _ in range(n_themes)]
    # The finest units: (theme, part) pairs, or the themes themselves.
    fine = labels if parts is None else np.where(labels >= 0, parts, -1)
    units = sorted({(int(t), int(f)) for t, f in zip(labels, fine, strict=True) if t >= 0 and t < n_themes})
    unit_of = {u: k for k, u in enumerate(units)}
    members: list[list[int]] = [[] for _ in units]
    for i, (t, f) in enumerate(zip(labels, fine, strict=True)):
        if t >= 0 and t < n_themes:
            members[unit_of[int(t), int(f)]].append(i)
    unit_docs = [" . ".join(texts[i] for i in m) for m in members]
    vectorizer = CountVectorizer(analyzer=_phrase_analyzer(stop), lowercase=False)
    try:
        unit_counts = vectorizer.fit_transform(unit_docs)
    except ValueError:
        return [[] for _ in range(n_themes)]
    terms = vectorizer.get_feature_names_out()
    from scipy import sparse

    theme_of_unit = np.array([t for t, _ in units], dtype=np.int64)
    into = sparse.csr_matrix(
        (np.ones(len(units)), (theme_of_unit, np.arange(len(units)))), shape=(n_themes, len(units))
    )
    tf = (into @ unit_counts).toarray().astype(np.float64)
    uses = (unit_counts > 0).astype(np.float64).tocsc()
    # Of each theme's items, the share in parts that use each phrase; and each theme's largest part.
    unit_sizes = np.array([len(m) for m in members], dtype=np.float64)
    covered = (into @ sparse.diags(unit_sizes) @ uses).toarray()
    covered /= np.maximum(into @ unit_sizes, 1)[:, None]
    largest = {
        t: max((k for k, u in enumerate(units) if u[0] == t), key=lambda k: unit_sizes[k])
        for t in set(theme_of_unit.tolist())
    }
    lex = lexicon((texts[int(i)] for i in np.flatnonzero(labels >= 0)), stop)
    spread_name = spread_names(terms, uses, tf.sum(axis=0), lex)
    own = {w for w in re.findall(r"\w+", own_names.lower()) if w not in stop}
    if own:
        spread_name |= np.array([bool(own & set(str(term).split())) for term in terms], dtype=bool)
    idf = np.log1p((tf.sum() / n_themes) / np.maximum(tf.sum(axis=0), 1))
    weights = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1) * idf
    # A phrase must occur at least twice in its theme (once is one person's wording).
    weights[tf < 2] = 0
    good_end = np.array([lex.good_end(str(term)) for term in terms], dtype=bool)
    vocabulary = {str(term): j for j, term in enumerate(terms)}

    def untimed(t: int, j: int) -> int | None:
        """Phrase j read without its time adverbial: j if it has none, or if what is left is no
        candidate of theme t (used twice, a good end, a noun, adjective or participle last, not cut
        out of a longer phrase) or one word (then the phrase keeps its time words); None if it is
        all time."""
        cut = time_cut(str(terms[j]))
        if cut is None:
            return j
        if not cut:
            return None
        k = vocabulary.get(cut)
        fits = k is not None and weights[t, k] > 0 and good_end[k] and len(cut.split()) >= 2
        fits = fits and lex.nominal(cut.split()[-1])  # no finite verb at its end ("dashboard takes")
        return k if fits and not lex.fragment(cut, _continuations(docs[t], [cut])[cut]) else j

    def select(t: int, good: list[int], ranked: list[int]) -> list[int]:
        continued = _continuations(docs[t], [str(terms[j]) for j in good])
        whole = [
            j
            for j in good
            if not lex.fragment(str(terms[j]), continued[str(terms[j])])
            and (" " in str(terms[j]) or lex.nounish(str(terms[j])))
        ]
        named = [j for j in whole if any(w not in stop and lex.nounish(w) for w in str(terms[j]).split())]
        return named or whole or good or ranked[:PHRASE_CANDIDATES]

    picked: list[list[int]] = []
    wanted: list[int] = []
    plain: list[int] = []  # the candidates without the time rule (see `vectors`)
    shortened: list[dict[int, list[int]]] = []  # per theme: a phrase cut from time phrases → those
    for t in range(n_themes):
        ranked = [int(j) for j in np.argsort(-weights[t]) if weights[t, j] > 0]
        # The workspace's own names ("Acme Analytics") say nothing about a theme.
        ranked = [j for j in ranked if not spread_name[j]] or ranked
        # Candidates do not end in a verb or an adverb (by the texts' own usage), are not cut out of
        # a longer phrase, are no lone adjective or verb, and name something (a word used where nouns
        # go), if the theme has any such.
        good = [j for j in ranked if good_end[j]][:PHRASE_CANDIDATES]
        # A time adverbial says when, not what: "white dashboard all day" is read as "white
        # dashboard" if that is a phrase of the theme too and no fragment ("dashboard takes") nor a
        # lone word ("pipelines"): else the phrase keeps its time words. A bare time phrase goes.
        timed = {j: untimed(t, j) for j in good}
        cut_from: dict[int, list[int]] = {}
        for j, k in timed.items():
            if k is not None and k != j:
                cut_from.setdefault(k, []).append(j)
        shortened.append(cut_from)
        untimed_good = list(dict.fromkeys(k for k in timed.values() if k is not None))
        plain.extend(select(t, good, ranked))
        order = select(t, untimed_good, ranked)
        picked.append(order)
        wanted.extend(order)
    unique = sorted(set(wanted))
    if not unique:
        return [[] for _ in range(n_themes)]
    # The candidates the themes would have without the time rule are encoded as one call, as before,
    # and the phrases the rule adds as another: int8 quantises per batch, so encoding them together
    # would move every other phrase's vector (and unrelated titles) whenever the rule changes one.
    first = sorted(set(plain))
    in_first = set(first)
    unique = first + [j for j in unique if j not in in_first]
    vectors = np.vstack(
        [
            np.asarray(encode([str(terms[j]) for j in part]), dtype=np.float32).reshape(len(part), -1)
            for part in (first, unique[len(first) :])
            if part
        ]
    )
    row = {j: i for i, j in enumerate(unique)}
    out: list[list[str]] = []
    for t in range(n_themes):
        cands = picked[t]
        if not cands:
            out.append([])
            if explain is not None:
                explain.append([])
            continue
        cv = vectors[[row[j] for j in cands]]
        relevance = cv @ centroids[t]
        if parts is not None and t in largest:
            # A top-level title speaks for the theme's core: a phrase its largest part uses, or parts
            # holding most of its items; those rank first ("Excel", not "Export everything to Excel"
            # that one smaller sub-theme repeats).
            core = (covered[t, cands] * 2 > 1) | (uses[largest[t], cands].toarray().ravel() > 0)
            if core.any():
                relevance = np.where(core, relevance, relevance - 2)
        if explain is not None:
            explain.append([(str(terms[cands[c]]), float(relevance[c])) for c in np.argsort(-relevance, kind="stable")])
        chosen: list[int] = []
        while len(chosen) < min(top, len(cands)):
            redundancy = (cv @ cv[chosen].T).max(axis=1) if chosen else np.zeros(len(cands))
            mmr = (1 - MMR_DIVERSITY) * relevance - MMR_DIVERSITY * redundancy
            mmr[chosen] = -np.inf
            chosen.append(int(np.argmax(mmr)))
        # A weak pick (one word, a clause, no noun at its end) gives way to the most relevant noun
        # phrase that shares a content word with it and is used at least half as often in the theme
        # ("Missing" → "Missing charts", "Discount would help" → "Nonprofit discount").
        core_of = relevance > relevance.max() - 2 if parts is not None else np.ones(len(cands), dtype=bool)
        weak: list[int] = []
        for k, c in enumerate(chosen):
            better = lex.noun_phrase_for(
                str(terms[cands[c]]),
                [
                    (str(terms[cands[d]]), float(tf[t, cands[d]]), float(relevance[d]))
                    for d in range(len(cands))
                    if core_of[d] >= core_of[c]
                ],
                float(tf[t, cands[c]]),
            )
            if better is not None:
                chosen[k] = next(d for d in range(len(cands)) if str(terms[cands[d]]) == better)
                weak.append(c)  # still an alternative, last (`distinct_titles`)
        chosen = list(dict.fromkeys(chosen + weak))
        phrases = [str(terms[cands[c]]) for c in chosen]
        if " " not in phrases[0] and len(phrases[0]) <= 3:
            # One short word ("nps") is not a title: the most relevant candidate that contains it
            # ("nps survey"), if the theme has one.
            longer = [c for c in np.argsort(-relevance, kind="stable") if phrases[0] in str(terms[cands[c]]).split()]
            longer = [c for c in longer if " " in str(terms[cands[c]])]
            if longer:
                phrases = [str(terms[cands[longer[0]]]), *(p for p in phrases if p != str(terms[cands[longer[0]]]))]
        if " " not in phrases[0]:
            # Still one word ("Agent"): the clause its uses share, if most of them share one to its
            # end ("The agent knew exactly what was wrong." ×23 → "Agent knew exactly what was wrong").
            clause = _shared_clause(docs[t], phrases[0], stop)
            if clause is not None:
                phrases = [clause, *phrases]
        out.append([lex.restore(p) for p in phrases])
    # A title cut from a time phrase takes no other theme's title ("cheque couple days ago" →
    # "cheque" beside a "Cheque" theme): then the theme keeps the phrase with its time words.
    # (The time phrase back is the most relevant of those it was cut from that were candidates.)
    firsts = Counter(_title_key(p[0]) for p in out if p)
    for t, phrases in enumerate(out):
        if not phrases or firsts[_title_key(phrases[0])] < 2:
            continue
        origin = {lex.restore(str(terms[k])): js for k, js in shortened[t].items()}
        back = [j for j in origin.get(phrases[0], []) if j in row]
        if back:
            whole_phrase = lex.restore(str(terms[max(back, key=lambda j: float(vectors[row[j]] @ centroids[t]))]))
            out[t] = [whole_phrase, *(p for p in phrases if p != whole_phrase)]
    return out


def _shared_clause(doc: str, word: str, stop: frozenset[str], longest: int = 7) -> str | None:
    """The words from `word` to the end of its clause, if more than half of its uses in `doc` go on
    with the same ones, in 3 to `longest` words, not ending in a stop word nor saying when; else None."""
    tails: Counter[str] = Counter()
    for clause in _CLAUSES.split(doc.lower()):
        words = _SPAN_WORD.findall(clause)
        for i, w in enumerate(words):
            if w == word:
                tails[" ".join(words[i:]) if len(words) - i <= longest else ""] += 1
    if not tails:
        return None
    tail, n = tails.most_common(1)[0]
    ok = n * 2 > sum(tails.values()) and len(tail.split()) >= 3 and tail.split()[-1] not in stop
    ok = ok and not time_phrase(tail)
    return tail if ok else None


def title_from(phrases: Sequence[str], keywords: Sequence[str] = (), fallback: str = "Untitled theme") -> str:
    """The best key phrase as a title ("SSO login fails with Okta"); keywords if there is none."""
    if not phrases:
        return name_from(keywords, fallback)
    words = [w.upper() if w in ACRONYMS else w for w in phrases[0].split()]
    title = " ".join(words)
    return (title[:1].upper() + title[1:])[:200]


def distinct_titles(
    phrases: Sequence[Sequence[str]],
    keywords: Sequence[Sequence[str]],
    sizes: Sequence[int],
    taken: Iterable[str] = (),
) -> list[str]:
    """`title_from` for each theme, no two alike up to case and plural ("Dashboard" three times, or
    "Dashboards" beside "Dashboard", says nothing): larger themes
    choose first; a theme whose best phrase is already a title takes its next key phrase, and
    keeps the repeated title only if it has no other. `taken`: names that stay (kept themes)."""
    used = {_title_key(t) for t in taken}
    out = [""] * len(phrases)
    for t in sorted(range(len(phrases)), key=lambda i: -sizes[i]):
        options = [title_from([p]) for p in phrases[t]] or [title_from([], keywords[t])]
        title = next((o for o in options if _title_key(o) not in used), options[0])
        used.add(_title_key(title))
        out[t] = title
    return out


def _title_key(title: str) -> str:
    """Titles alike up to case and a plural -s ("Dashboards", "dashboard") have the same key."""
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in title.lower().split()
    )


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
