"""Issue 11: the duplicate ranking learns from the team — how much shared words count, per workspace.

Each merge says "for this report, the team's answer was this item". `duplicates.learn_lexical_weight`
picks, from a few lexical weights, the one that ranks the merged items highest among their reports'
candidate pools, and keeps the cold start's ½ unless the merges clearly say otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.insight import duplicates, services
from tests.base import make_token
from tests.insight.helpers import add

# ---------------------------------------------------------------- the learner on its own


def _report(rng: np.random.Generator, lexical_duplicate: bool) -> tuple[np.ndarray, np.ndarray]:
    """A merged report's pool: 30 look-alikes, and the merged item (semantic z, lexical z, identifiers).

    lexical_duplicate: the merged item shares the report's rare words but is a little less alike in
    meaning than the best look-alikes (ranked below them with words at ½, first with words at 2).
    """
    pool = np.column_stack([rng.normal(0, 1, 30), rng.normal(0, 0.3, 30), np.zeros(30)])
    pool[:3, 0] = [3.0, 2.8, 2.6]  # look-alikes in meaning, no shared rare words
    pool[:3, 1] = 0.0
    merged = [2.0, 2.0, 0.0] if lexical_duplicate else [4.0, 0.0, 0.0]
    x = np.vstack([pool, merged])
    return x, np.array([False] * 30 + [True])


def test_merges_that_favour_shared_words_raise_the_lexical_weight() -> None:
    rng = np.random.default_rng(0)
    ranked = [_report(rng, True) for _ in range(8)]
    weight, info = duplicates.learn_lexical_weight(ranked)
    assert weight > duplicates.LEXICAL_WEIGHT
    assert info["ranked_reports"] == 8 and info["ranked_map_best"] > info["ranked_map_cold_start"]
    # The merged items now outrank their look-alikes.
    assert all(duplicates.ranked_ap(x, m, weight) == 1.0 for x, m in ranked)
    assert all(duplicates.ranked_ap(x, m, duplicates.LEXICAL_WEIGHT) < 1.0 for x, m in ranked)


def test_too_few_or_mixed_merges_keep_the_cold_start_weight() -> None:
    rng = np.random.default_rng(1)
    few = [_report(rng, True) for _ in range(duplicates.MIN_RANKED_REPORTS - 1)]
    assert duplicates.learn_lexical_weight(few)[0] == duplicates.LEXICAL_WEIGHT
    # Merges found by meaning alone teach nothing about words: ½ (ties keep the cold start).
    meaning = [_report(rng, False) for _ in range(10)]
    assert duplicates.learn_lexical_weight(meaning)[0] == duplicates.LEXICAL_WEIGHT
    # One report in favour of words among many that are indifferent is not clear enough.
    mixed = [_report(rng, True)] + [_report(rng, False) for _ in range(9)]
    weight, info = duplicates.learn_lexical_weight(mixed)
    assert info["best_lexical_weight"] > duplicates.LEXICAL_WEIGHT and info["best_lexical_weight_wins"] < 0.95
    assert weight == duplicates.LEXICAL_WEIGHT


def test_learn_uses_the_learned_weight_for_its_threshold_and_summary() -> None:
    rng = np.random.default_rng(2)
    ranked = [_report(rng, True) for _ in range(8)]
    x = np.vstack([np.array([[2.0, 2.0, 0.0]] * 6), np.array([[3.5, 0.0, 0.0]] * 6)])  # tied scores
    y = np.array([1] * 6 + [0] * 6)
    model = duplicates.learn(x, y, ranked=ranked)
    assert model.weighted and model.lexical_weight > duplicates.LEXICAL_WEIGHT
    # Words now count more: the merged pairs (lexical) score above the dismissed ones (meaning only)
    # and the threshold is drawn on those scores.
    scores = duplicates.cold_score(x, model.lexical_weight)
    assert scores[:6].min() > scores[6:].max() and model.threshold == pytest.approx(scores[:6].min())
    assert not model.learned  # the fused score with the learned weight orders them: no re-weighting needed
    # At ½ the dismissed pairs score above the merged ones (3.5 > 3.0); without pools to learn the
    # weight from, only the (pointwise) re-weighting can fix that.
    cold = duplicates.learn(x, y)
    summary = model.summary()
    assert summary["lexical_weight"] == model.lexical_weight and summary["lexical_weight_learned"] is True
    assert cold.lexical_weight == duplicates.LEXICAL_WEIGHT and not cold.weighted


# ---------------------------------------------------------------- in the product

RARE = [
    ("zorblax", "quimbel"),
    ("frandle", "snorkit"),
    ("plovex", "trindle"),
    ("gazzum", "wexlor"),
    ("brontic", "mizzle"),
    ("calvot", "dreebo"),
    ("yorpin", "skadoo"),  # the new report's, never decided
]
COMMON = "the dashboard export screen and the report page settings"


def _workspace(ws):  # type: ignore[no-untyped-def]
    """Reports that share many common words with look-alikes and two rare words with their duplicate."""
    for n in range(12):
        add(ws, f"{COMMON} filler note {n}")
    reports = []
    for a, b in RARE:
        report = add(ws, f"{COMMON} crash with {a} {b}")
        duplicate = add(ws, f"{a} {b} fails")
        add(ws, f"{COMMON} look odd")
        reports.append((report, duplicate))
    run_pending_tasks()
    return reports


def _scores(ws, item) -> dict[int, float]:  # type: ignore[no-untyped-def]
    return {c.feedback.pk: round(c.score, 6) for c in services.duplicate_candidates(ws, item, limit=50)}


def _rank_of(ws, item, target) -> int:  # type: ignore[no-untyped-def]
    return [c.feedback.pk for c in services.duplicate_candidates(ws, item, limit=50)].index(target.pk)


@pytest.mark.slow
def test_merges_that_favour_shared_words_rank_a_lexical_duplicate_higher(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reports = _workspace(world.alpha)
    new, its_duplicate = reports[-1]
    assert _rank_of(world.alpha, new, its_duplicate) > 0  # cold start: look-alikes in meaning come first
    actor = world.actor(world.bob)
    for report, duplicate in reports[:4]:
        services.merge(actor, duplicate, report)
    # Too few merged reports: the weight stays, the new report's duplicate does not move up.
    model = services.duplicate_model(world.alpha)
    assert model.merges == 4 and model.lexical_weight == duplicates.LEXICAL_WEIGHT
    assert _rank_of(world.alpha, new, its_duplicate) > 0
    for report, duplicate in reports[4:6]:
        services.merge(actor, duplicate, report)
    model = services.duplicate_model(world.alpha)
    assert model.weighted and model.lexical_weight > duplicates.LEXICAL_WEIGHT
    assert model.cv["ranked_reports"] == 6
    # The new report — in no decision — now finds its duplicate first: the team's merges taught
    # the workspace that shared rare words matter here.
    assert _rank_of(world.alpha, new, its_duplicate) == 0
    # Without the learned weight the same workspace would still rank it below the look-alikes.
    monkeypatch.setattr(duplicates, "MIN_RANKED_REPORTS", 10**6)
    services._models.clear()
    assert _rank_of(world.alpha, new, its_duplicate) > 0


@pytest.mark.slow
def test_the_learned_weight_is_shown_and_stays_in_its_workspace(world) -> None:  # type: ignore[no-untyped-def]
    alpha, bravo = _workspace(world.alpha), _workspace(world.bravo)
    bravo_before = _scores(world.bravo, bravo[-1][0])
    actor = world.actor(world.bob)
    for report, duplicate in alpha[:6]:
        services.merge(actor, duplicate, report)
    assert services.duplicate_model(world.alpha).weighted
    # Bravo has the same texts and no decisions: its scores do not move, its weight is the cold start's.
    assert _scores(world.bravo, bravo[-1][0]) == bravo_before
    assert not services.duplicate_model(world.bravo).weighted
    h = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}
    client = world.client_for(world.bob)
    api = client.get("/api/insight/duplicates/model", **h).json()
    assert api["lexical_weight_learned"] and api["lexical_weight"] > 0.5 and api["merges"] == 6
    page = client.get(reverse("insight:duplicates", kwargs={"ws": world.alpha.slug})).content.decode()
    assert f"Shared words weigh {api['lexical_weight']}" in page
    other = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.bravo, world.charlie)}"}
    cold = client.get("/api/insight/duplicates/model", **other).json()
    assert cold["lexical_weight"] == 0.5 and not cold["lexical_weight_learned"]
