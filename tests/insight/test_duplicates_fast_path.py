"""The duplicate stage's prepared path gives exactly what the straightforward per-pair computation gives.

`services._pool_ids_many` prepares each text once (`duplicates.TextProfile`), scores BM25 from prepared
query terms, scores a whole pool at once (`duplicates.score_pool`) and takes the union's neighbourhood
scores without keys (`ExactIndex.top_scores`). These tests compare it with the reference: per pair
`duplicates.signals`, `Model.score` and `features`, as the stage computed them before.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from harken.core.taskrun import run_pending_tasks
from harken.insight import duplicates, lexical, services
from harken.insight.embeddings import get_embedder, item_text
from harken.insight.index import ExactIndex
from harken.insight.models import DuplicateSuggestion, SuggestionStatus
from tests.insight.helpers import add

TEXTS = [
    "Export to PDF crashes every time I open a large report",
    "Export to PDF crashes each time I open a big report, report report",
    "Upgrade Django to 3.1",
    "Upgrade Django to 3.2",
    "Upgrade Django to 3.2 and Celery to v5",
    "Error E4012 on the billing screen since build 2.49.5",
    "Billing screen shows error E4012 after the 2.49.5 update",
    "Please add a dark mode to the dashboard",
    "Please add a dark mode to the dashboard, my eyes hurt at night",
    "Invoices should show the VAT number",
    "Invoices must show our VAT number",
    "Search is slow when the inbox has many items",
    "the of and",  # only stopwords: no tokens
    "",
    "v2",
    "3.1",
]


def _stats() -> lexical.CorpusStats:
    return lexical.CorpusStats.from_texts([*TEXTS, "Exports and reports", "Dark dashboards"])


def test_prepared_signals_equal_the_per_pair_signals_bit_for_bit() -> None:
    stats = _stats()
    rng = np.random.default_rng(1)
    for q_text, c_text in itertools.product(TEXTS, TEXTS):
        q_tokens, c_tokens = lexical.tokens(q_text), lexical.tokens(c_text)
        query = duplicates.QueryProfile.of(duplicates.TextProfile.of(q_tokens), stats)
        cosine, q_hub, c_hub = (float(v) for v in rng.random(3))
        expected = duplicates.signals(cosine, q_hub, c_hub, q_tokens, c_tokens, stats)
        got = duplicates.signals_prepared(
            cosine, q_hub, c_hub, query, duplicates.TextProfile.of(c_tokens), stats.avg_len
        )
        assert got == expected  # dataclass equality: every float identical
        prepared = lexical.bm25_prepared(query.terms, Counter(c_tokens), len(c_tokens), stats.avg_len)
        assert prepared == lexical.bm25(q_tokens, c_tokens, stats)
    # The version veto is among the pairs compared above (3.1 vs 3.2).
    v31, v32 = lexical.tokens(TEXTS[2]), lexical.tokens(TEXTS[3])
    assert duplicates.signals(0.9, 0.1, 0.1, v31, v32, stats).conflict == 1.0


@pytest.mark.parametrize(
    "model",
    [
        duplicates.Model(),
        duplicates.Model(weights=[1.3, -0.2, 0.7], bias=-0.5),
        duplicates.Model(weights=[0.9, 0.45, 1.1], bias=0.25),
    ],
)
@pytest.mark.parametrize("size", [0, 1, 7, 50])
def test_score_pool_equals_per_pair_scores_and_features(model: duplicates.Model, size: int) -> None:
    rng = np.random.default_rng(size)
    pool = [
        duplicates.Signals(
            cosine=float(rng.random()),
            hub=float(rng.normal(0.2, 0.1)),
            lexical=float(rng.random()) * (n % 3 != 0),
            identifiers=float(rng.random()) * (n % 4 == 0),
            conflict=1.0 if n % 11 == 5 else 0.0,
        )
        for n in range(size)
    ]
    stats = duplicates.PoolStats.of(pool)
    scores, feats = duplicates.score_pool(model, pool, stats)
    assert scores == [model.score(sig, stats) for sig in pool]
    assert feats == [duplicates.features(sig, stats).round(4).tolist() for sig in pool]
    assert all(type(s) is float for s in scores)


@pytest.mark.parametrize("k", [1, 11, 40, 60])
def test_exact_index_top_scores_are_search_many_scores(k: int) -> None:
    rng = np.random.default_rng(k)
    index = ExactIndex(16)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    vectors[5] = vectors[3]  # ties
    vectors[6] = vectors[3]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index.upsert(np.arange(100, 140), vectors)
    queries = vectors[[0, 3, 5, 39]]
    _, expected = index.search_many(queries, k)
    got = index.top_scores(queries, k)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


# ---------------------------------------------------------------- the stage against a reference computation


def _reference(ws, items, model):  # type: ignore[no-untyped-def]
    """The stage as computed before the prepared path: per pair signals, scores and features.

    Batched like the stage (one search for the items, one for the union of their pools): float32
    matrix products may round differently for other shapes, so the reference uses the same shapes.
    """
    embedder = get_embedder()
    index = services.index_for(ws, embedder)
    survivor_of = services.merged_survivors(ws)
    members_of: dict[int, set[int]] = {}
    for merged_id, survivor_id in survivor_of.items():
        members_of.setdefault(survivor_id, set()).add(merged_id)
    stats = lexical.workspace_stats(ws.pk)
    dismissed = services._dismissed_pairs(ws, [i.pk for i in items])
    vectors = np.stack(services._vectors_of(items, embedder))
    k = max(services.CANDIDATE_POOL + len(survivor_of) + 1, duplicates.NEIGHBOURS + 1)
    all_keys, all_scores = index.search_many(vectors, k)
    pools, q_hubs = {}, {}
    for item, keys, scores in zip(items, all_keys, all_scores, strict=True):
        pool, seen = [], {item.pk}
        for key, sc in zip(keys.tolist(), scores.tolist(), strict=True):
            candidate = survivor_of.get(key, key)
            if key == item.pk or candidate in seen:
                continue
            if candidate != key and frozenset((item.pk, key)) in dismissed:
                continue
            seen.add(candidate)
            pool.append((candidate, key, float(sc)))
            if len(pool) == services.CANDIDATE_POOL:
                break
        pools[item.pk] = pool
        head = keys[: duplicates.NEIGHBOURS + 1].tolist()
        q_hubs[item.pk] = duplicates.neighbourhood(
            scores[: duplicates.NEIGHBOURS + 1], self_hits=1 if item.pk in head else 0
        )
    union = np.array(sorted({m for pool in pools.values() for _, m, _ in pool}), dtype=np.int64)
    _, union_top = index.search_many(index.vectors_of(union), duplicates.NEIGHBOURS + 1)
    hub_of = {int(key): duplicates.neighbourhood(row) for key, row in zip(union, union_top, strict=True)}
    by_id = ws.feedback_items.in_bulk()

    def tokens_of(pk: int) -> list[str]:
        return lexical.tokens(item_text(by_id[pk].title, by_id[pk].text))

    out = {}
    for item in items:
        q_tokens = lexical.tokens(item_text(item.title, item.text))
        sigs = []
        for key, member, cosine in pools[item.pk]:
            sig = duplicates.signals(cosine, q_hubs[item.pk], hub_of[member], q_tokens, tokens_of(member), stats)
            group = [
                m
                for m in sorted(members_of.get(key, set()) | {key})
                if m != item.pk and (m == key or frozenset((item.pk, m)) not in dismissed)
            ]
            if len(group) > 1:
                bucket = [t for m in group for t in tokens_of(m)]
                sig = duplicates.with_bucket_words(sig, q_tokens, bucket, stats)
            sigs.append((key, sig))
        pool_stats = duplicates.PoolStats.of([s for _, s in sigs])
        ranked = [
            (key, model.score(sig, pool_stats), duplicates.features(sig, pool_stats).round(4).tolist())
            for key, sig in sigs
        ]
        ranked.sort(key=lambda r: -r[1])
        out[item.pk] = ranked
    return out


TOPICS = [
    "Export to PDF crashes when I open the quarterly report",
    "Dark mode for the dashboard please",
    "Invoices should show the VAT number",
    "Upgrade Django to 3.1",
    "Search is slow in a large inbox",
    "Error E4012 on the billing screen",
]


def _workspace(world):  # type: ignore[no-untyped-def]
    items = []
    for n in range(36):
        topic = TOPICS[n % len(TOPICS)]
        items.append(add(world.alpha, f"{topic} ({['again', 'still', 'today', 'v2', 'build 7.1', 'thanks'][n // 6]})"))
    add(world.bravo, TOPICS[0])
    run_pending_tasks()
    actor = world.actor(world.bob)
    services.merge(actor, items[0], items[6])  # a merged group (bucket words)
    services.merge(actor, items[1], items[7])
    open_ = list(world.alpha.duplicate_suggestions.filter(status=SuggestionStatus.OPEN).order_by("score", "pk"))
    for s in open_[:2]:
        services.dismiss_suggestion(actor, s)
    return items


@pytest.mark.parametrize(
    "model",
    [
        None,  # the workspace's own (cold start here: 2 merges, 2 dismissals)
        duplicates.Model(threshold=2.0),  # parameter-free, a threshold low enough to file suggestions here
        duplicates.Model(weights=[1.0, 0.3, 0.8], bias=-0.5, threshold=1.0),  # a learned ranking
    ],
)
def test_the_stage_equals_the_reference_computation(world, monkeypatch, model) -> None:  # type: ignore[no-untyped-def]
    items = _workspace(world)
    ws = world.alpha
    if model is None:
        model = services.duplicate_model(ws)
    else:
        monkeypatch.setattr(services, "duplicate_model", lambda workspace: model)
    hidden = services.hidden_ids(ws)
    probe = [i for i in items if i.pk not in hidden]
    expected = {item.pk: _reference(ws, [item], model)[item.pk] for item in probe}  # one item at a time
    assert sum(len(v) for v in expected.values()) > 100
    for item in probe:
        got = [(c.feedback.pk, c.score, c.features) for c in services.duplicate_candidates(ws, item, limit=100)]
        assert got == expected[item.pk]  # the same floats
    # The filed suggestions: the reference's top candidates above the threshold, pairs raised once.
    DuplicateSuggestion.objects.filter(workspace=ws, status=SuggestionStatus.OPEN).delete()
    expected = _reference(ws, sorted(probe, key=lambda i: i.pk), model)  # the chunk at once
    decided = {frozenset(p) for p in ws.duplicate_suggestions.values_list("item_id", "candidate_id")}
    want = []
    for item in sorted(probe, key=lambda i: i.pk):
        top = [r for r in expected[item.pk][: duplicates.SUGGEST_MAX * 2] if r[1] >= model.threshold]
        for key, score, _ in top[: duplicates.SUGGEST_MAX]:
            if frozenset((item.pk, key)) not in decided:
                decided.add(frozenset((item.pk, key)))
                want.append((item.pk, key, score))
    created = services.suggest_duplicates_many(ws, probe)
    assert [(s.item_id, s.candidate_id, s.score) for s in created] == want
    assert want or model.threshold > 6  # the cold-start threshold files nothing in this small workspace


def test_queries_per_chunk_do_not_grow_with_the_chunk(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    items = _workspace(world)
    ws = world.alpha
    model = duplicates.Model(threshold=2.0)  # low enough to file suggestions (the queries that creates count too)
    monkeypatch.setattr(services, "duplicate_model", lambda workspace: model)
    services.suggest_duplicates_many(ws, items)  # warm: index, statistics, model
    counts = []
    for size in (3, 30):
        DuplicateSuggestion.objects.filter(workspace=ws, status=SuggestionStatus.OPEN).delete()
        with CaptureQueriesContext(connection) as ctx:
            created = services.suggest_duplicates_many(ws, items[:size])
        assert created
        counts.append(len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]))
    assert counts[0] == counts[1]


def test_the_text_profile_cache_is_bounded_by_its_tokens(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "_profiles", {})
    monkeypatch.setattr(services, "_profile_tokens", [0])
    monkeypatch.setattr(services, "PROFILE_CACHE_TOKENS", 12)
    first = services._text_profile("export pdf crashes report")  # 4 tokens
    assert services._text_profile("export pdf crashes report") is first  # cached
    services._text_profile("dark mode dashboard night eyes")  # 5 more: 9
    assert len(services._profiles) == 2 and services._profile_tokens[0] == 9
    services._text_profile("invoices vat number missing")  # 4 more would exceed 12: emptied first
    assert list(services._profiles) == ["invoices vat number missing"] and services._profile_tokens[0] == 4
    assert services._text_profile("export pdf crashes report") == first  # recomputed, the same profile
