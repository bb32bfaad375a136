"""Embeddings, similar items, duplicate suggestions and merges: every insight read and write.

Writes take an `Actor` first and check its role. The embedding functions run in the worker
(`tasks.py`) and the backfill command with the system actor's rights; they touch only vectors.

Merging B into A never deletes B: a `FeedbackMerge` row points B at A ("merged_into"), the
survivor gains B's tags (recorded, so undo removes exactly those), and B's requester, account
and text stay on B — `requesters(A)` and `merged_quotes(A)` read them through the merge rows.
Undo sets `undone_at`; nothing else needs restoring. Merged items drop out of similar-item
lists and suggestions (`hidden_ids`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from harken.core import bulkinsert
from harken.customers.models import Account, Contact
from harken.feedback.models import Feedback
from harken.insight import duplicates, lexical
from harken.insight.embeddings import Embedder, from_bytes, get_embedder, item_text, text_hash, to_bytes
from harken.insight.index import VectorIndex, workspace_index
from harken.insight.models import DuplicateSuggestion, FeedbackMerge, ItemEmbedding, SuggestionStatus
from harken.insight.signals import feedback_merged, feedback_unmerged
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

log = logging.getLogger(__name__)

SIMILAR_LIMIT = 8
CANDIDATE_POOL = 50


# ---------------------------------------------------------------- embeddings


def embed_items(
    items: Iterable[Feedback],
    embedder: Embedder | None = None,
    force: bool = False,
    vectors_out: dict[int, np.ndarray] | None = None,
) -> int:
    """Embed the given items whose text (or embedder) changed since their last vector; returns how many.

    `vectors_out`, if given, receives every item's current vector (feedback id → float32 vector): the
    ones just computed and the stored ones that were still current, decoded from the rows this
    function reads anyway. The insight job hands it to the later stages of the same chunk
    (duplicates, category, theme) so they neither re-read nor re-decode the vectors.
    """
    embedder = embedder or get_embedder()
    items = list(items)
    if not items:
        return 0
    existing = {e.feedback_id: e for e in ItemEmbedding.objects.filter(feedback__in=items)}
    todo: list[tuple[Feedback, str, str]] = []
    for item in items:
        text = item_text(item.title, item.text)
        digest = text_hash(embedder.name, text)
        current = existing.get(item.pk)
        if force or current is None or current.text_hash != digest:
            todo.append((item, text, digest))
        elif vectors_out is not None:
            vectors_out[item.pk] = from_bytes(current.vector, current.dim)
    if not todo:
        return 0
    vectors = np.asarray(embedder.encode([t for _, t, _ in todo]), dtype=np.float32)
    if vectors_out is not None:
        vectors_out.update((item.pk, vectors[n]) for n, (item, _, _) in enumerate(todo))
    now = timezone.now()
    new, changed = [], []
    for (item, _, digest), vector in zip(todo, vectors, strict=True):
        row = existing.get(item.pk)
        if row is None:
            new.append(
                ItemEmbedding(
                    workspace_id=item.workspace_id,
                    feedback=item,
                    embedder=embedder.name,
                    dim=embedder.dim,
                    vector=to_bytes(vector),
                    text_hash=digest,
                )
            )
        else:
            row.embedder, row.dim, row.vector, row.text_hash, row.updated_at = (
                embedder.name,
                embedder.dim,
                to_bytes(vector),
                digest,
                now,
            )
            changed.append(row)
    with transaction.atomic():
        bulkinsert.insert(ItemEmbedding, new)
        ItemEmbedding.objects.bulk_update(
            changed, ["embedder", "dim", "vector", "text_hash", "updated_at"], batch_size=500
        )
    return len(todo)


def embed_workspace(
    workspace: Workspace,
    embedder_name: str | None = None,
    force: bool = False,
    batch_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Backfill: embed every item of the workspace that has no current vector. Idempotent."""
    embedder = get_embedder(embedder_name)
    items = workspace.feedback_items.order_by("pk").only("pk", "workspace_id", "title", "text")
    total = items.count()
    done = embedded = 0
    last_pk = 0
    while True:
        batch = list(items.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        embedded += embed_items(batch, embedder, force=force)
        done += len(batch)
        if progress:
            progress(done, total)
    return embedded


def vector_of(feedback: Feedback, embedder: Embedder | None = None) -> np.ndarray:
    """The item's stored vector if current, else computed now (not stored: reads do not write)."""
    embedder = embedder or get_embedder()
    text = item_text(feedback.title, feedback.text)
    row = ItemEmbedding.objects.filter(feedback=feedback, embedder=embedder.name).first()
    if row is not None and row.text_hash == text_hash(embedder.name, text):
        return from_bytes(row.vector, row.dim)
    return embedder.encode([text])[0]


def index_for(workspace: Workspace, embedder: Embedder | None = None) -> VectorIndex:
    embedder = embedder or get_embedder()
    return workspace_index(workspace.pk, embedder.name, embedder.dim)


# ---------------------------------------------------------------- similar items


def hidden_ids(workspace: Workspace) -> set[int]:
    """Items merged into another (active merges): they live on through their survivor."""
    return set(workspace.feedback_merges.filter(undone_at__isnull=True).values_list("merged_id", flat=True))


def merged_survivors(workspace: Workspace) -> dict[int, int]:
    """Each merged item's live survivor (chains followed: B into A, A into C → B's survivor is C)."""
    direct = dict(workspace.feedback_merges.filter(undone_at__isnull=True).values_list("merged_id", "survivor_id"))
    out = {}
    for merged in direct:
        survivor, hops = direct[merged], 0
        while survivor in direct and hops < len(direct):
            survivor, hops = direct[survivor], hops + 1
        out[merged] = survivor
    return out


@dataclass
class Similar:
    feedback: Feedback
    score: float


def similar_items(actor: Actor, feedback: Feedback, limit: int = SIMILAR_LIMIT) -> list[Similar]:
    """The workspace's items nearest to `feedback` by embedding cosine, best first.

    A merged item stands for its survivor: the survivor is listed at the cosine of the closest text
    of its merged group (so the item page finds the master through any report merged into it).
    """
    if feedback.workspace_id != actor.workspace.pk:
        raise ValidationError("That item belongs to another workspace.")
    embedder = get_embedder()
    vector = vector_of(feedback, embedder)
    if not np.any(vector):
        return []
    survivor_of = merged_survivors(actor.workspace)
    own = {feedback.pk, *(m for m, s in survivor_of.items() if s == feedback.pk)}
    top = survivor_of.get(feedback.pk)
    keys, scores = index_for(actor.workspace, embedder).search(vector, limit + len(survivor_of) + 1)
    best: dict[int, float] = {}
    for k, sc in zip(keys.tolist(), scores.tolist(), strict=True):
        shown = survivor_of.get(int(k), int(k))
        if int(k) in own or shown in own or (shown == top and int(k) != top):
            continue  # the item's own group; a merged item lists its survivor only by the survivor's text
        best.setdefault(shown, float(sc))
    wanted = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
    by_id = actor.workspace.feedback_items.select_related("account", "contact").in_bulk([k for k, _ in wanted])
    return [Similar(by_id[k], s) for k, s in wanted if k in by_id]


# ---------------------------------------------------------------- duplicates


@dataclass
class Candidate:
    feedback: Feedback
    score: float
    signals: duplicates.Signals
    features: list[float] = field(default_factory=list)
    extra: dict[str, float] = field(default_factory=dict)


def _vectors_of(
    items: list[Feedback], embedder: Embedder, known: Mapping[int, np.ndarray] | None = None
) -> list[np.ndarray]:
    """Each item's stored vector if current (one query for all), else computed now (not stored).

    `known`: vectors the caller already has (`embed_items(vectors_out=...)`); only the items not in
    it are read (no query at all when every item is known).
    """
    known = known or {}
    unknown = [item for item in items if item.pk not in known]
    stored = (
        {
            row.feedback_id: row
            for row in ItemEmbedding.objects.filter(feedback__in=unknown, embedder=embedder.name).only(
                "feedback_id", "vector", "dim", "text_hash"
            )
        }
        if unknown
        else {}
    )
    out: list[np.ndarray | None] = []
    missing: list[tuple[int, str]] = []
    for n, item in enumerate(items):
        if item.pk in known:
            out.append(known[item.pk])
            continue
        text = item_text(item.title, item.text)
        row = stored.get(item.pk)
        if row is not None and row.text_hash == text_hash(embedder.name, text):
            out.append(from_bytes(row.vector, row.dim))
        else:
            out.append(None)
            missing.append((n, text))
    if missing:
        for (n, _), vector in zip(missing, embedder.encode([t for _, t in missing]), strict=True):
            out[n] = vector
    return [v if v is not None else np.zeros(embedder.dim, dtype=np.float32) for v in out]


PoolSignals = tuple[list[tuple[Feedback, duplicates.Signals]], duplicates.PoolStats]
PoolIds = tuple[list[tuple[int, duplicates.Signals]], duplicates.PoolStats]


def _pool_signals_many(
    workspace: Workspace,
    items: list[Feedback],
    pool_size: int = CANDIDATE_POOL,
    vectors: Mapping[int, np.ndarray] | None = None,
) -> list[PoolSignals]:
    """For each item: its nearest `pool_size` live items with their raw signals, and the pool's statistics.

    `_pool_ids_many` with the candidates as items (one more fetch, with account and contact).
    """
    pools = _pool_ids_many(workspace, items, pool_size, vectors)
    by_id = workspace.feedback_items.select_related("account", "contact").in_bulk(
        list({pk for pool, _ in pools for pk, _ in pool})
    )
    return [([(by_id[pk], sig) for pk, sig in pool if pk in by_id], stats) for pool, stats in pools]


def _texts_of(workspace: Workspace, ids: Iterable[int]) -> dict[int, str]:
    """Each existing item's `item_text` by id (the workspace's items only; plain columns, no model instances)."""
    ids = list(ids)
    items = workspace.feedback_items.all()
    # One query, in batches only where the backend limits query parameters (as `in_bulk` does).
    step = max(1, (connections[items.db].features.max_query_params or len(ids) or 1) - 1)
    out: dict[int, str] = {}
    for s in range(0, len(ids), step):
        rows = items.filter(pk__in=ids[s : s + step]).values_list("pk", "title", "text")
        out.update((pk, item_text(title, text)) for pk, title, text in rows)
    return out


@dataclass
class _ChunkPools:
    """Every item's pool as rows of one set of columns: item n's candidates are rows start[n]..start[n + 1]."""

    ids: list[list[int]]
    start: list[int]
    columns: duplicates.PairColumns
    stats: list[duplicates.PoolStats]

    def pool(self, n: int) -> PoolIds:
        s = self.start[n]
        return [(pk, self.columns.signal(s + i)) for i, pk in enumerate(self.ids[n])], self.stats[n]


def _pool_ids_many(
    workspace: Workspace,
    items: list[Feedback],
    pool_size: int = CANDIDATE_POOL,
    vectors: Mapping[int, np.ndarray] | None = None,
) -> list[PoolIds]:
    """For each item: the ids of its nearest `pool_size` live items with their raw signals, and the pool's statistics.

    `_pool_columns_many` as lists of (id, `Signals`).
    """
    chunk = _pool_columns_many(workspace, items, pool_size, vectors)
    return [chunk.pool(n) for n in range(len(items))]


def _pool_columns_many(
    workspace: Workspace,
    items: list[Feedback],
    pool_size: int = CANDIDATE_POOL,
    vectors: Mapping[int, np.ndarray] | None = None,
) -> _ChunkPools:
    """For each item: the ids of its nearest `pool_size` live items, their raw signals (as columns of the
    whole chunk's pairs) and the pool's statistics.

    Batched for a chunk of items: one vector search for every item's pool (and its own hubness),
    one for the hubness of the union of the pools, one read of the pool items' texts, one BM25
    statistics read, and the signals of all the chunk's pairs as numpy columns
    (`duplicates.signals_columns`). Each item's result is the same as for that item alone, to the bit.
    `vectors`: the items' current vectors if the caller has them (see `_vectors_of`).
    """
    empty_stats = duplicates.PoolStats.of([])
    no_pairs = duplicates.PairColumns.of([])
    nothing = _ChunkPools([[] for _ in items], [0] * (len(items) + 1), no_pairs, [empty_stats] * len(items))
    if not items:
        return nothing
    embedder = get_embedder()
    item_vectors = _vectors_of(items, embedder, vectors)
    index = index_for(workspace, embedder)
    survivor_of = merged_survivors(workspace)
    members_of: dict[int, set[int]] = {}  # survivor → every item merged into it (chains followed)
    for merged_id, survivor_id in survivor_of.items():
        members_of.setdefault(survivor_id, set()).add(merged_id)
    # Dismissed pairs: a member the team said is not the item's duplicate never speaks for its group.
    dismissed = _dismissed_pairs(workspace, [i.pk for i in items]) if members_of else set()
    live = [n for n, v in enumerate(item_vectors) if np.any(v)]
    if not live or not len(index):
        return nothing
    k = max(pool_size + len(survivor_of) + 1, duplicates.NEIGHBOURS + 1)
    all_keys, all_scores = index.search_many(np.stack([item_vectors[n] for n in live]), k)  # type: ignore[attr-defined]
    # pools[n]: (candidate id, the member whose text is compared, cosine). A merged item stands for
    # its survivor: the survivor is compared through the closest text of its merged group.
    pools: dict[int, list[tuple[int, int, float]]] = {}
    query_hubs: dict[int, float] = {}
    for n, keys, scores in zip(live, all_keys, all_scores, strict=True):
        item = items[n]
        pool: list[tuple[int, int, float]] = []
        seen = {item.pk}
        for key, sc in zip(keys.tolist(), scores.tolist(), strict=True):
            candidate = survivor_of.get(key, key)
            if key == item.pk or candidate in seen:
                continue
            if candidate != key and frozenset((item.pk, key)) in dismissed:
                continue
            seen.add(candidate)
            pool.append((candidate, key, sc))
            if len(pool) == pool_size:
                break
        pools[n] = pool
        # Hubness: the item's mean cosine to its nearest neighbours (self excluded when indexed).
        head_keys, head_scores = keys[: duplicates.NEIGHBOURS + 1], scores[: duplicates.NEIGHBOURS + 1]
        query_hubs[n] = duplicates.neighbourhood(head_scores, self_hits=1 if item.pk in set(head_keys.tolist()) else 0)
    union = np.array(sorted({member for pool in pools.values() for _, member, _ in pool}), dtype=np.int64)
    if not len(union):
        return nothing
    union_vectors = index.vectors_of(union)  # type: ignore[attr-defined]
    if hasattr(index, "top_scores"):  # the exact index: the same scores without keys (cheaper)
        union_top = index.top_scores(union_vectors, duplicates.NEIGHBOURS + 1)
    else:
        _, union_top = index.search_many(union_vectors, duplicates.NEIGHBOURS + 1)  # type: ignore[attr-defined]
    hub_of = dict(zip(union.tolist(), duplicates.neighbourhoods(union_top), strict=True))
    shown_ids = {candidate for pool in pools.values() for candidate, _, _ in pool}
    group_ids = {m for c in shown_ids for m in members_of.get(c, ())}
    wanted = set(union.tolist()) | shown_ids | group_ids
    # Each text's tokens and what the signals derive from them, once per text (not once per pair).
    profile_of = {pk: _text_profile(text) for pk, text in _texts_of(workspace, wanted).items()}
    stats = lexical.workspace_stats(workspace.pk)

    # Every pair of the chunk as a row: the query (an index into `queries`), the member compared, its cosine.
    queries: list[duplicates.QueryProfile] = []
    ids: list[list[int]] = [[] for _ in items]
    query_of: list[int] = []
    members: list[duplicates.TextProfile] = []
    cosines: list[float] = []
    q_hubs: list[float] = []
    m_hubs: list[float] = []
    buckets: list[tuple[int, int, int]] = []  # (row, item index, candidate id) of merged groups
    for n, pool in pools.items():
        if not pool:
            continue
        qn = len(queries)
        queries.append(duplicates.QueryProfile.of(_text_profile(item_text(items[n].title, items[n].text)), stats))
        q_hub = query_hubs[n]
        out = ids[n]
        for key, member_key, cosine in pool:
            member = profile_of.get(member_key)
            if member is None or key not in profile_of:
                continue
            if key in members_of:  # a merged group (otherwise the group is the candidate alone)
                buckets.append((len(members), n, key))
            out.append(key)
            query_of.append(qn)
            members.append(member)
            cosines.append(cosine)
            q_hubs.append(q_hub)
            m_hubs.append(hub_of[member_key])
    counts = [len(out) for out in ids]
    start = [0, *itertools.accumulate(counts)]
    if not members:
        return nothing
    columns = duplicates.signals_columns(
        queries, np.array(query_of), members, np.array(cosines), np.array(q_hubs), np.array(m_hubs), stats.avg_len
    )
    for row, n, key in buckets:
        group = [
            m
            for m in sorted(members_of[key] | {key})
            if m != items[n].pk and m in profile_of and (m == key or frozenset((items[n].pk, m)) not in dismissed)
        ]
        if len(group) > 1:
            # Bucket: a merged group's words are all its texts (meaning: its closest member).
            bucket = [t for m in group for t in profile_of[m].tokens]
            query_tokens = queries[query_of[row]].text.tokens
            columns.lexical[row] = duplicates.with_bucket_words(
                columns.signal(row), query_tokens, bucket, stats
            ).lexical
    pool_stats = [
        duplicates.pool_stats_of_columns(columns.hub[start[n] : start[n + 1]], columns.lexical[start[n] : start[n + 1]])
        if counts[n]
        else empty_stats
        for n in range(len(items))
    ]
    return _ChunkPools(ids, start, columns, pool_stats)


# Per-process cache of text profiles by text (a text's profile depends on nothing else), so a chunk does
# not re-tokenise the pool members an earlier chunk prepared. Values are immutable. Bounded by the tokens
# it holds (~200 bytes each with the sets and counts: ~50 MB at most), emptied when full.
_profiles: dict[str, duplicates.TextProfile] = {}
_profile_tokens = [0]
PROFILE_CACHE_TOKENS = 250_000


def _text_profile(text: str) -> duplicates.TextProfile:
    found = _profiles.get(text)
    if found is None:
        found = duplicates.TextProfile.of(lexical.tokens(text))
        if _profile_tokens[0] + len(found.tokens) > PROFILE_CACHE_TOKENS:
            _profiles.clear()
            _profile_tokens[0] = 0
        _profiles[text] = found
        _profile_tokens[0] += len(found.tokens)
    return found


def _dismissed_pairs(workspace: Workspace, item_ids: list[int]) -> set[frozenset[int]]:
    """Pairs the team dismissed ("not a duplicate") that involve one of these items."""
    rows = workspace.duplicate_suggestions.filter(status=SuggestionStatus.DISMISSED)
    rows = rows.filter(item_id__in=item_ids) | rows.filter(candidate_id__in=item_ids)
    return {frozenset(pair) for pair in rows.values_list("item_id", "candidate_id")}


def _pool_signals(workspace: Workspace, feedback: Feedback, pool_size: int = CANDIDATE_POOL) -> PoolSignals:
    """One item's pool (see `_pool_signals_many`)."""
    return _pool_signals_many(workspace, [feedback], pool_size)[0]


def _rank(model: duplicates.Model, pool: PoolSignals, limit: int) -> list[Candidate]:
    items, stats = pool
    scores, feats = duplicates.score_pool(model, [sig for _, sig in items], stats)
    out = [Candidate(item, score, sig, f) for (item, sig), score, f in zip(items, scores, feats, strict=True)]
    out.sort(key=lambda c: -c.score)
    return out[:limit]


def duplicate_candidates(workspace: Workspace, feedback: Feedback, limit: int = 10) -> list[Candidate]:
    """Items that may be the same request as `feedback`, by the workspace's duplicate score, best first.

    The index proposes the nearest `CANDIDATE_POOL` items; their signals are normalised against that
    pool and fused (parameter-free, or by the workspace's learned model once it has decisions).
    """
    return _rank(duplicate_model(workspace), _pool_signals(workspace, feedback), limit)


# Per-process cache of each workspace's model, keyed by its number of decisions.
_models: dict[int, tuple[tuple[int, int], duplicates.Model]] = {}


def duplicate_decisions(workspace: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """The team's labels: merged suggestions and merges (1), dismissed suggestions (0), as features.

    Features are the normalised signals stored with each suggestion when it was filed; a merge
    made without a suggestion (from the similar-items panel) has its features computed now.
    """
    x: list[list[float]] = []
    y: list[int] = []
    seen: set[frozenset[int]] = set()
    decided = workspace.duplicate_suggestions.exclude(status=SuggestionStatus.OPEN).order_by("id")
    for s in decided.only("item_id", "candidate_id", "status", "signals"):
        stored = s.signals or {}
        if not all(k in stored for k in duplicates.STORED_FEATURES):
            continue  # filed before this model existed
        feats = [stored[k] for k in duplicates.STORED_FEATURES]
        seen.add(frozenset((s.item_id, s.candidate_id)))
        x.append([float(v) for v in feats])
        y.append(1 if s.status == SuggestionStatus.MERGED else 0)
    merges = workspace.feedback_merges.filter(undone_at__isnull=True).select_related("survivor", "merged")
    for m in merges.order_by("-id")[:200]:
        if frozenset((m.survivor_id, m.merged_id)) in seen:
            continue
        pool, stats = _pool_signals(workspace, m.merged)
        sig = next((sg for item, sg in pool if item.pk == m.survivor_id), None)
        if sig is None:  # the survivor is not among its 50 nearest: compute against it directly
            continue
        x.append(duplicates.features(sig, stats).tolist())
        y.append(1)
    return np.array(x, dtype=np.float64).reshape(len(y), len(duplicates.FEATURES)), np.array(y, dtype=int)


def duplicate_model(workspace: Workspace) -> duplicates.Model:
    """The workspace's duplicate model: parameter-free until its decisions say otherwise (cached)."""
    key = (
        workspace.duplicate_suggestions.exclude(status=SuggestionStatus.OPEN).count(),
        workspace.feedback_merges.filter(undone_at__isnull=True).count(),
    )
    cached = _models.get(workspace.pk)
    if cached and cached[0] == key:
        return cached[1]
    if min(key) == 0 and key[0] + key[1] < duplicates.MIN_LABELS:
        model = duplicates.Model()
    else:
        model = duplicates.learn(*duplicate_decisions(workspace))
    model.merges = key[1]
    _models[workspace.pk] = (key, model)
    return model


def suggest_duplicates(feedback: Feedback) -> list[DuplicateSuggestion]:
    """Store suggestions for a new item (worker side). Pairs already decided are not raised again."""
    return suggest_duplicates_many(feedback.workspace, [feedback])


def suggest_duplicates_many(
    workspace: Workspace, items: Iterable[Feedback], vectors: Mapping[int, np.ndarray] | None = None
) -> list[DuplicateSuggestion]:
    """Suggestions for a chunk of new items at once (the insight job's path); returns the rows created.

    The same suggestions as `suggest_duplicates` item by item in id order — one vector search and one
    lexical pass for the chunk instead of three searches and a statistics read per item. A pair
    is raised once: not again if it is already suggested (either way round) or was decided.
    `vectors`: the chunk's current vectors from `embed_items(vectors_out=...)` (not re-read).
    """
    items = sorted((i for i in items if i.workspace_id == workspace.pk), key=lambda i: i.pk)
    if not items:
        return []
    model = duplicate_model(workspace)
    ranked: list[tuple[Feedback, list[Candidate]]] = []
    chosen: list[tuple[Feedback, list[tuple[int, float, duplicates.Signals, list[float]]]]] = []
    chunk = _pool_columns_many(workspace, items, vectors=vectors)
    # Every pair of the chunk scored at once; an item files its best SUGGEST_MAX at or above the threshold
    # (`_rank`'s order: score descending, pool order among equal scores).
    mean, spread = duplicates.pair_stats(chunk.stats, [len(pks) for pks in chunk.ids])
    x = duplicates.features_columns(chunk.columns, mean, spread)
    scores = duplicates.scores_columns(model, x, chunk.columns.conflict, above=model.threshold)
    above = np.flatnonzero(scores >= model.threshold)
    owner = np.searchsorted(np.array(chunk.start[1:]), above, side="right")
    by_item: dict[int, list[int]] = {}
    for row, n in zip(above.tolist(), owner.tolist(), strict=True):
        by_item.setdefault(n, []).append(row)
    for n, best in sorted(by_item.items()):
        best.sort(key=lambda r: -scores[r])
        top = [
            (chunk.ids[n][r - chunk.start[n]], float(scores[r]), chunk.columns.signal(r), x[r].round(4).tolist())
            for r in best[: duplicates.SUGGEST_MAX]
        ]
        chosen.append((items[n], top))
    if not chosen:
        return []
    # Model instances only for the candidates that are suggested (not for every pool member).
    by_id = workspace.feedback_items.in_bulk(list({c[0] for _, top in chosen for c in top}))
    for item, top in chosen:
        candidates = [Candidate(by_id[pk], score, sig, f) for pk, score, sig, f in top if pk in by_id]
        if candidates:
            ranked.append((item, candidates))
    if not ranked:
        return []
    item_ids = {item.pk for item, _ in ranked}
    candidate_ids = {c.feedback.pk for _, cs in ranked for c in cs}
    known = {
        frozenset(pair)
        for pair in workspace.duplicate_suggestions.filter(
            item_id__in=item_ids | candidate_ids, candidate_id__in=item_ids | candidate_ids
        ).values_list("item_id", "candidate_id")
    }
    rows = []
    for item, candidates in ranked:
        for c in candidates:
            pair = frozenset((item.pk, c.feedback.pk))
            if pair in known:
                continue
            known.add(pair)
            rows.append(
                DuplicateSuggestion(
                    workspace=workspace,
                    item=item,
                    candidate=c.feedback,
                    score=c.score,
                    signals={**c.signals.as_dict(), **dict(zip(duplicates.STORED_FEATURES, c.features, strict=True))},
                )
            )
    return list(bulkinsert.insert(DuplicateSuggestion, rows))


def suggest_duplicates_for(workspace: Workspace, item_ids: Iterable[int]) -> int:
    """Batch entry point for the insight chain: suggestions for these items (one batch); returns how many."""
    return len(suggest_duplicates_many(workspace, list(workspace.feedback_items.filter(pk__in=list(item_ids)))))


def open_suggestions(actor: Actor) -> QuerySet[DuplicateSuggestion]:
    """Open suggestions whose two items are both still live (neither merged away)."""
    hidden = hidden_ids(actor.workspace)
    return (
        actor.workspace.duplicate_suggestions.filter(status=SuggestionStatus.OPEN)
        .exclude(item_id__in=hidden)
        .exclude(candidate_id__in=hidden)
        .select_related(
            "item", "candidate", "item__account", "candidate__account", "item__contact", "candidate__contact"
        )
    )


def dismiss_suggestion(actor: Actor, suggestion: DuplicateSuggestion) -> DuplicateSuggestion:
    actor.require(Role.MEMBER)
    if suggestion.workspace_id != actor.workspace.pk:
        raise ValidationError("That suggestion belongs to another workspace.")
    if suggestion.status != SuggestionStatus.OPEN:
        raise ValidationError("This suggestion was already decided.")
    suggestion.status = SuggestionStatus.DISMISSED
    suggestion.decided_by = actor.user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return suggestion


# ---------------------------------------------------------------- merge


def merged_into(feedback: Feedback) -> Feedback | None:
    """The item `feedback` now lives on as (following chains), or None if it is not merged."""
    seen = {feedback.pk}
    current = feedback
    while True:
        merge = (
            FeedbackMerge.objects.for_workspace(feedback.workspace_id)
            .filter(merged=current, undone_at__isnull=True)
            .select_related("survivor")
            .first()
        )
        if merge is None:
            return None if current is feedback else current
        current = merge.survivor
        if current.pk in seen:  # cannot happen (merge refuses cycles); never loop forever
            return current
        seen.add(current.pk)


def merged_items(feedback: Feedback) -> list[Feedback]:
    """Every item folded into `feedback`, directly or through chains (B→A, C→B gives [B, C])."""
    out: list[Feedback] = []
    frontier = [feedback.pk]
    seen = {feedback.pk}
    while frontier:
        merges = (
            FeedbackMerge.objects.for_workspace(feedback.workspace_id)
            .filter(survivor_id__in=frontier, undone_at__isnull=True)
            .select_related("merged", "merged__account", "merged__contact")
            .order_by("created_at", "id")
        )
        frontier = []
        for m in merges:
            if m.merged_id not in seen:
                seen.add(m.merged_id)
                out.append(m.merged)
                frontier.append(m.merged_id)
    return out


@dataclass
class Requesters:
    contacts: list[Contact]
    accounts: list[Account]
    emails: list[str]


def requesters(feedback: Feedback) -> Requesters:
    """Everyone who asked for this: the item's own requester plus those of every item merged into it."""
    contacts: dict[int, Contact] = {}
    accounts: dict[int, Account] = {}
    emails: list[str] = []
    for item in [feedback, *merged_items(feedback)]:
        if item.contact_id and item.contact:
            contacts.setdefault(item.contact_id, item.contact)
        if item.account_id and item.account:
            accounts.setdefault(item.account_id, item.account)
        if item.author_email and item.author_email.lower() not in emails:
            emails.append(item.author_email.lower())
    return Requesters(list(contacts.values()), list(accounts.values()), emails)


def merge(
    actor: Actor, survivor: Feedback, merged: Feedback, suggestion: DuplicateSuggestion | None = None
) -> FeedbackMerge:
    """Fold `merged` into `survivor`. Reversible with `undo_merge`."""
    actor.require(Role.MEMBER)
    ws = actor.workspace
    if survivor.workspace_id != ws.pk or merged.workspace_id != ws.pk:
        raise ValidationError("Both items must belong to this workspace.")
    if survivor.pk == merged.pk:
        raise ValidationError("An item cannot be merged into itself.")
    from harken.insight.themes import stats as theme_stats

    # The merged item now counts through its survivor: the stored theme figures follow, in this
    # transaction (their lock first, then the item rows).
    with transaction.atomic(), theme_stats.tracking(ws, [merged.pk]):
        # Lock both rows so two PMs merging at once cannot create a cycle.
        list(ws.feedback_items.select_for_update().filter(pk__in=[survivor.pk, merged.pk]))
        if ws.feedback_merges.filter(merged=merged, undone_at__isnull=True).exists():
            raise ValidationError("That item is already merged into another; undo that merge first.")
        if ws.feedback_merges.filter(merged=survivor, undone_at__isnull=True).exists():
            target = merged_into(survivor)
            raise ValidationError(
                f"The surviving item was itself merged into #{target.pk if target else '?'}; merge into that one."
            )
        survivor_tags = set(survivor.tags.values_list("pk", flat=True))
        added = sorted(set(merged.tags.values_list("pk", flat=True)) - survivor_tags)
        record = FeedbackMerge.objects.create(
            workspace=ws,
            survivor=survivor,
            merged=merged,
            merged_by=actor.user,
            suggestion=suggestion,
            added_tag_ids=added,
        )
        if added:
            survivor.tags.add(*added)
        ws.feedback_items.filter(pk=merged.pk).update(merged_into=survivor)  # hides it from the inbox
        ws.duplicate_suggestions.filter(status=SuggestionStatus.OPEN).filter(
            item_id__in=[survivor.pk, merged.pk], candidate_id__in=[survivor.pk, merged.pk]
        ).update(status=SuggestionStatus.MERGED, decided_by=actor.user, decided_at=timezone.now())
        feedback_merged.send(sender=FeedbackMerge, merge=record, actor=actor)
        if record.details:
            record.save(update_fields=["details", "updated_at"])
    return record


def undo_merge(actor: Actor, record: FeedbackMerge) -> FeedbackMerge:
    """Put the merged item back exactly: tags it brought are removed, listeners restore their part."""
    actor.require(Role.MEMBER)
    if record.workspace_id != actor.workspace.pk:
        raise ValidationError("That merge belongs to another workspace.")
    if record.undone_at is not None:
        raise ValidationError("This merge was already undone.")
    from harken.insight.themes import stats as theme_stats

    with transaction.atomic(), theme_stats.tracking(actor.workspace, [record.merged_id]):  # counts again
        survivor, merged = record.survivor, record.merged
        # Keep tags the survivor also holds through another item still merged into it.
        others = actor.workspace.feedback_merges.filter(survivor=survivor, undone_at__isnull=True).exclude(pk=record.pk)
        still_from_others = set(
            survivor.tags.filter(feedback_items__in=others.values("merged_id")).values_list("pk", flat=True)
        )
        to_remove = [t for t in record.added_tag_ids if t not in still_from_others]
        if to_remove:
            survivor.tags.remove(*to_remove)
        actor.workspace.feedback_items.filter(pk=merged.pk).update(merged_into=None)
        record.undone_at = timezone.now()
        record.undone_by = actor.user
        record.save(update_fields=["undone_at", "undone_by", "updated_at"])
        pair = [survivor.pk, merged.pk]
        actor.workspace.duplicate_suggestions.filter(
            status=SuggestionStatus.MERGED, item_id__in=pair, candidate_id__in=pair
        ).update(status=SuggestionStatus.OPEN, decided_by=None, decided_at=None)
        feedback_unmerged.send(sender=FeedbackMerge, merge=record, actor=actor, survivor=survivor, merged=merged)
    return record


def merge_history(actor: Actor, feedback: Feedback | None = None) -> QuerySet[FeedbackMerge]:
    qs = actor.workspace.feedback_merges.select_related("survivor", "merged", "merged_by", "undone_by")
    if feedback is not None:
        qs = qs.filter(survivor=feedback) | qs.filter(merged=feedback)
    return qs.order_by("-created_at", "-id")
