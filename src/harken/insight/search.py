"""Inbox search that combines words and meaning, and tolerates typos.

`text_query(workspace, qs, q)` narrows an inbox queryset (any filters already applied) to items
that match the query

- **by words**: every query word (or quoted phrase) appears in the text, title, author, account or
  contact — as before — where a word that occurs nowhere in the workspace is replaced by its
  closest workspace word ("dashbaord" → "dashboard", difflib ratio ≥ 0.8); or
- **by meaning**: the item's embedding is among the `SEMANTIC_LIMIT` nearest to the query's
  (typo-corrected) embedding with cosine ≥ `SEMANTIC_MIN_COSINE` ("reports take ages" finds
  "dashboard is slow to load").

Only reads: nothing is stored. Called by `feedback.queries.search_feedback`.
"""

from __future__ import annotations

import difflib
import re
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


def query_words(q: str) -> list[str]:
    return [w.strip('"') for w in re.findall(r'"[^"]+"|\S+', q or "")[:MAX_WORDS] if w.strip('"')]


def corrections(workspace_id: int, words: list[str]) -> dict[str, str]:
    """Query words unknown to the workspace → the closest workspace word (typo tolerance)."""
    stats = lexical.workspace_stats(workspace_id)
    vocabulary = stats.df
    out: dict[str, str] = {}
    known = [w for w in vocabulary if len(w) > 2 and not any(c.isdigit() for c in w)]
    for word in words:
        low = word.lower()
        if " " in low or len(low) < 4 or low in vocabulary or any(c.isdigit() for c in low):
            continue
        match = difflib.get_close_matches(low, known, n=1, cutoff=TYPO_CUTOFF)
        if match:
            out[word] = match[0]
    return out


def _word_q(word: str) -> Q:
    return (
        Q(text__icontains=word)
        | Q(title__icontains=word)
        | Q(author_email__icontains=word)
        | Q(author_name__icontains=word)
        | Q(account__name__icontains=word)
        | Q(contact__name__icontains=word)
    )


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
        condition = _word_q(word)
        if word in fixed:
            condition |= _word_q(fixed[word])
        lexical_q &= condition
    corrected = " ".join(fixed.get(w, w) for w in words)
    try:
        meaning = semantic_ids(workspace, corrected)
    except Exception:  # noqa: BLE001 — a missing model must never break the inbox's word search
        meaning = []
    return qs.filter(lexical_q | Q(pk__in=meaning))
