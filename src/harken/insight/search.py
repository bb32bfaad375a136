"""Inbox search that combines words and meaning, and tolerates typos.

`text_query(workspace, qs, q)` narrows an inbox queryset (any filters already applied) to items
that match the query

- **by words**: every query word (or quoted phrase) appears in the text, title, author, account or
  contact — as before — where a word that is not in the workspace's vocabulary also matches its
  closest vocabulary word ("dashbaord" → "dashboard", difflib ratio ≥ 0.8); or
- **by meaning**: the item's embedding is among the `SEMANTIC_LIMIT` nearest to the query's
  (typo-corrected) embedding with cosine ≥ `SEMANTIC_MIN_COSINE` ("reports take ages" finds
  "dashboard is slow to load").

The vocabulary is bounded (`vocabulary`): the words of the workspace's newest `VOCAB_ITEMS` items,
the `VOCAB_MAX` most frequent kept, built once per process and workspace and rebuilt after
`VOCAB_TTL_S`. (It used to be every word of every item, tokenised in Python on a process's first
search: minutes at 1M items.) A correction only ever adds matches — the typed word is still
searched — so a rare word missing from the vocabulary costs nothing but a wasted difflib pass.

Only reads: nothing is stored. Called by `feedback.queries.search_feedback`.
"""

from __future__ import annotations

import difflib
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from django.db.models import Q, QuerySet

from harken.insight import lexical
from harken.workspaces.models import Workspace

_QS = TypeVar("_QS", bound=QuerySet[Any])

SEMANTIC_LIMIT = 50
SEMANTIC_MIN_COSINE = 0.5  # same gate the previous duplicate finder used for "about the same thing"
TYPO_CUTOFF = 0.8
MAX_WORDS = 8
VOCAB_ITEMS = 20_000  # newest items whose words make the typo vocabulary
VOCAB_MAX = 20_000  # most frequent of those words kept as correction targets
VOCAB_TTL_S = 120.0  # a process rebuilds a workspace's vocabulary at most this often


def query_words(q: str) -> list[str]:
    return [w.strip('"') for w in re.findall(r'"[^"]+"|\S+', q or "")[:MAX_WORDS] if w.strip('"')]


@dataclass
class Vocabulary:
    identity: tuple[int, str]  # workspace id and creation time (ids can be reused)
    built_at: float
    words: frozenset[str]  # every word seen in the sampled items
    by_length: dict[int, list[str]]  # correction targets (most frequent first), by length


_vocab_cache: dict[int, Vocabulary] = {}
_vocab_lock = threading.Lock()


def vocabulary(workspace_id: int) -> Vocabulary:
    """The workspace's typo vocabulary: words of its newest `VOCAB_ITEMS` items (bounded work)."""
    from harken.feedback.models import Feedback
    from harken.insight.embeddings import item_text
    from harken.workspaces.models import Workspace as WorkspaceModel

    created = WorkspaceModel.objects.filter(pk=workspace_id).values_list("created_at", flat=True).first()
    identity = (workspace_id, created.isoformat() if created else "")
    with _vocab_lock:
        cached = _vocab_cache.get(workspace_id)
        if cached is not None and cached.identity == identity and time.monotonic() - cached.built_at < VOCAB_TTL_S:
            return cached
        df: Counter[str] = Counter()
        rows = (
            Feedback.objects.filter(workspace_id=workspace_id)
            .order_by("-received_at")
            .values_list("title", "text")[:VOCAB_ITEMS]
        )
        for title, text in rows.iterator(chunk_size=2000):
            df.update(set(lexical.tokens(item_text(title, text))))
        by_length: dict[int, list[str]] = {}
        for word, _ in df.most_common(VOCAB_MAX):
            if len(word) > 2 and not any(c.isdigit() for c in word):
                by_length.setdefault(len(word), []).append(word)
        vocab = Vocabulary(identity=identity, built_at=time.monotonic(), words=frozenset(df), by_length=by_length)
        _vocab_cache[workspace_id] = vocab
        return vocab


def corrections(workspace_id: int, words: list[str]) -> dict[str, str]:
    """Query words unknown to the workspace's vocabulary → the closest vocabulary word (typos)."""
    candidates = [w for w in words if " " not in w and len(w) >= 4 and not any(c.isdigit() for c in w)]
    if not candidates:
        return {}
    vocab = vocabulary(workspace_id)
    out: dict[str, str] = {}
    for word in candidates:
        low = word.lower()
        if low in vocab.words:
            continue
        # difflib's ratio 2·M/(a+b) ≥ cutoff needs the lengths within a factor of cutoff/(2 - cutoff):
        # only those words are compared.
        lo = int(len(low) * TYPO_CUTOFF / (2 - TYPO_CUTOFF))
        hi = int(len(low) * (2 - TYPO_CUTOFF) / TYPO_CUTOFF) + 1
        known = [w for n in range(lo, hi + 1) for w in vocab.by_length.get(n, ())]
        match = difflib.get_close_matches(low, known, n=1, cutoff=TYPO_CUTOFF)
        if match:
            out[word] = match[0]
    return out


def _word_q(workspace_id: int, word: str) -> Q:
    """Items whose text, title, author, account or contact contains `word` (case-insensitive).

    Account and contact names are looked up first (small tables) and matched by id: with the
    joined names inside the OR, PostgreSQL could use no index and scanned every item; as ids, each
    branch has one (trigram indexes on the item columns, migration feedback 0006)."""
    from harken.customers.models import Account, Contact

    accounts = list(
        Account.objects.filter(workspace_id=workspace_id, name__icontains=word).values_list("pk", flat=True)
    )
    contacts = list(
        Contact.objects.filter(workspace_id=workspace_id, name__icontains=word).values_list("pk", flat=True)
    )
    condition = (
        Q(text__icontains=word)
        | Q(title__icontains=word)
        | Q(author_email__icontains=word)
        | Q(author_name__icontains=word)
    )
    if accounts:
        condition |= Q(account_id__in=accounts)
    if contacts:
        condition |= Q(contact_id__in=contacts)
    return condition


def semantic_ids(workspace: Workspace, query: str) -> list[int]:
    """Items nearest in meaning to the query text (ids, best first)."""
    from harken.insight.embeddings import get_embedder
    from harken.insight.services import index_for

    embedder = get_embedder()
    vector = embedder.encode([query])[0]
    if not np.any(vector):
        return []
    keys, scores = index_for(workspace, embedder).search(vector, SEMANTIC_LIMIT)
    return [int(k) for k, s in zip(keys, scores, strict=True) if float(s) >= SEMANTIC_MIN_COSINE]


def text_query(workspace: Workspace, qs: _QS, q: str) -> _QS:
    """`qs` narrowed to items matching `q` by words (typos forgiven) or by meaning."""
    words = query_words(q)
    if not words:
        return qs
    fixed = corrections(workspace.pk, words)
    lexical_q = Q()
    for word in words:
        condition = _word_q(workspace.pk, word)
        if word in fixed:
            condition |= _word_q(workspace.pk, fixed[word])
        lexical_q &= condition
    corrected = " ".join(fixed.get(w, w) for w in words)
    try:
        meaning = semantic_ids(workspace, corrected)
    except Exception:  # noqa: BLE001 — a missing model must never break the inbox's word search
        meaning = []
    return qs.filter(lexical_q | Q(pk__in=meaning))
