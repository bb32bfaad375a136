"""Issue 11: categories that fit a workspace's feedback — learning from a handful of corrections.

Test embedder: `hashing` (a bag of hashed words), so "similar" here means sharing words.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from harken.core.taskrun import run_pending_tasks
from harken.insight.embeddings import get_embedder
from harken.insight.themes import classify
from harken.insight.themes.models import Category, ItemClassification
from tests.base import make_token
from tests.insight.helpers import add

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "insight" / "labelled_feedback.csv"

# This team files "ledger" items as questions and "pipeline" items as usability, which the zero-shot
# prototypes cannot know (they call most of these feature requests or bugs).
TAUGHT = [(f"ledger entry {i} amber total column", Category.QUESTION) for i in range(10)] + [
    (f"pipeline stage {i} colour blue widget", Category.USABILITY) for i in range(10)
]
NEW = {"amber ledger total": Category.QUESTION, "blue widget pipeline": Category.USABILITY}


def _teach(world, workspace, pairs) -> list:  # type: ignore[no-untyped-def]
    items = [(add(workspace, text), category) for text, category in pairs]
    run_pending_tasks()
    user = world.bob if workspace == world.alpha else world.charlie
    for item, category in items:
        classify.correct(world.actor(user, workspace), item, category=category)
    return [item for item, _ in items]


def _confirmed(count: int) -> list[tuple[str, str]]:
    """Real feedback texts whose zero-shot category is right, with that category (a person confirming it)."""
    with FIXTURE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    guesses = classify.guess([r["text"] for r in rows])
    right = [(r["text"], r["category"]) for r, g in zip(rows, guesses, strict=True) if g.category == r["category"]]
    return right[::3][:count]


@pytest.mark.slow
def test_a_handful_of_corrections_changes_similar_new_items(world) -> None:  # type: ignore[no-untyped-def]
    """20 corrected items: 14 confirm zero-shot, 6 say "ledger" items are questions. New ledger items follow.

    The previous model (logistic regression on the embeddings alone, gated on cross-validated
    accuracy) stayed out here — 0.70 in cross-validation vs zero-shot's 0.70 — and the new items kept
    their zero-shot "feature request"."""
    ledger = [(f"ledger entry {i} amber total column", Category.QUESTION) for i in range(6)]
    pairs = _confirmed(14) + ledger
    assert len(pairs) == classify.MIN_CORRECTIONS == 20
    new = ["amber ledger total", "amber total ledger entry"]
    embedder = get_embedder()
    # Not near-duplicates: the "cosine ≥ 0.85 takes the corrected item's labels" rule does not apply,
    # and zero-shot alone calls them something else — only a model of the corrections gets them right.
    assert (embedder.encode(new) @ embedder.encode([t for t, _ in pairs]).T).max() < classify.CORRECTION_SIMILARITY
    assert all(g.category != Category.QUESTION for g in classify.guess(new))

    _teach(world, world.alpha, pairs)
    learned = classify.learned_categories(world.alpha)
    assert learned is not None and learned.model is not None and learned.corrections == 20
    assert learned.cv_loss < learned.zero_shot_loss

    fresh = [add(world.alpha, text) for text in new]
    run_pending_tasks()
    for item in fresh:
        row = ItemClassification.objects.get(feedback=item)
        assert row.category == Category.QUESTION and row.model == "learned:20" and not row.corrected_by_user
        assert (row.category, row.sentiment) not in classify.INCOMPATIBLE

    # The item page says where the label came from ...
    page = world.client_for(world.bob).get(f"/w/alpha/insight/items/{fresh[0].pk}/understanding/")
    assert page.status_code == 200 and "learned from 20 corrections" in page.content.decode()
    # ... and only where the corrections changed the answer: a clear bug stays zero-shot's, unbadged.
    bug = add(world.alpha, "The app crashes with an error when I export, it is broken")
    run_pending_tasks()
    row = ItemClassification.objects.get(feedback=bug)
    assert row.category == Category.BUG and row.model == "hashing"
    page = world.client_for(world.bob).get(f"/w/alpha/insight/items/{bug.pk}/understanding/")
    assert "learned from" not in page.content.decode()


def test_nineteen_corrections_are_not_enough_to_try_a_model(world) -> None:  # type: ignore[no-untyped-def]
    _teach(world, world.alpha, TAUGHT[:19])
    assert classify.learned_categories(world.alpha) is None


@pytest.mark.slow
def test_the_gate_keeps_zero_shot_when_corrections_disagree_at_random(world) -> None:  # type: ignore[no-untyped-def]
    with FIXTURE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # 30 real feedback texts, each with the label of another, randomly chosen text: labels that
    # carry no information about the text.
    texts = [r["text"] for r in rows[::3]][:30]
    shuffled = np.random.default_rng(7).permutation([r["category"] for r in rows])[:30].tolist()
    _teach(world, world.alpha, list(zip(texts, shuffled, strict=True)))

    learned = classify.learned_categories(world.alpha)
    assert learned is not None and learned.corrections == 30
    assert learned.model is None  # the gate said no
    assert learned.cv_loss >= learned.zero_shot_loss or learned.wins < classify.CONFIDENCE

    # ... and it mattered: the same model, fitted without the gate, would relabel new items.
    others = [r["text"] for r in rows[1::3]][:30]
    vectors = get_embedder().encode(others)
    names, zero = classify._score(vectors, others, "category", classify.CATEGORY_PROTOTYPES, classify.CATEGORY_CUES)
    taught = get_embedder().encode(texts)
    _, taught_zero = classify._score(taught, texts, "category", classify.CATEGORY_PROTOTYPES, classify.CATEGORY_CUES)
    y = np.asarray([[str(n) for n in names].index(c) for c in shuffled])
    ungated = classify._fit_model(taught_zero, taught, texts, y, [str(n) for n in names], np.ones(len(names), bool))
    assert (ungated.predict(zero, vectors, others)[0] != zero.argmax(axis=1)).any()

    fresh = [add(world.alpha, text) for text in others[:10]]
    run_pending_tasks()
    expected = classify.guess(others[:10])
    for item, guess in zip(fresh, expected, strict=True):
        row = ItemClassification.objects.get(feedback=item)
        assert (row.category, row.model) == (guess.category, "hashing")


def test_classes_nobody_corrected_keep_their_zero_shot_answer() -> None:
    """Corrections about bugs and feature requests leave clear praise and questions alone."""
    pairs = [(f"The export crashes with error code {i} and the file is empty", Category.BUG) for i in range(7)]
    pairs += [(f"Please add an option to schedule report number {i}", Category.FEATURE) for i in range(7)]
    pairs += [(f"Dashboard tile {i} shows stale numbers after refresh", Category.BUG) for i in range(7)]
    texts = [t for t, _ in pairs]
    learned = classify.fit_learned(get_embedder().encode(texts), texts, [str(c) for _, c in pairs])
    assert learned is not None and learned.model is not None
    assert learned.model.scale > 0  # zero-shot still counts
    others = ["I love it, thank you, awesome work", "How do I change my billing address?"]
    vectors = get_embedder().encode(others)
    names, zero = classify._score(vectors, others, "category", classify.CATEGORY_PROTOTYPES, classify.CATEGORY_CUES)
    best, _ = learned.model.predict(zero, vectors, others)
    assert [str(names[b]) for b in best] == [Category.PRAISE, Category.QUESTION]
    # the corrected classes were learned: a new stale-numbers item is a bug (zero-shot said otherwise)
    stale = ["Dashboard tile shows stale numbers"]
    v = get_embedder().encode(stale)
    _, z = classify._score(v, stale, "category", classify.CATEGORY_PROTOTYPES, classify.CATEGORY_CUES)
    assert str(names[int(learned.model.predict(z, v, stale)[0][0])]) == Category.BUG


@pytest.mark.slow
def test_one_workspace_corrections_never_change_another_workspace(world) -> None:  # type: ignore[no-untyped-def]
    theirs = {text: add(world.bravo, text) for text in NEW}
    run_pending_tasks()
    before = {r.feedback_id: (r.category, r.sentiment, r.model) for r in world.bravo.item_classifications.all()}

    _teach(world, world.alpha, TAUGHT)
    assert classify.learned_categories(world.alpha).model is not None  # type: ignore[union-attr]
    assert classify.learned_categories(world.bravo) is None

    later = {text: add(world.bravo, text + " again") for text in NEW}
    run_pending_tasks()
    classify.classify_items(world.bravo, list(theirs.values()))  # re-classifying bravo
    after = {r.feedback_id: (r.category, r.sentiment, r.model) for r in world.bravo.item_classifications.all()}
    assert {k: after[k] for k in before} == before
    for text, item in later.items():
        row = ItemClassification.objects.get(feedback=item)
        assert row.model == "hashing" and row.category == classify.guess([text + " again"])[0].category
    # bravo's own corrections teach bravo only
    _teach(world, world.bravo, [(t, Category.PRAISE if "ledger" in t else Category.COMPLAINT) for t, _ in TAUGHT])
    assert classify.learned_categories(world.bravo).corrections == 20  # type: ignore[union-attr]
    assert classify.learned_categories(world.alpha).corrections == 20  # type: ignore[union-attr]
    fresh = add(world.alpha, "amber ledger total")
    run_pending_tasks()
    assert ItemClassification.objects.get(feedback=fresh).category == Category.QUESTION


@pytest.mark.slow
def test_reads_never_write(world) -> None:  # type: ignore[no-untyped-def]
    _teach(world, world.alpha, TAUGHT)
    item = add(world.alpha, "amber ledger total")
    run_pending_tasks()
    classify._learned_cache.clear()  # the first read after a change fits the model: still no write
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}
    client = world.client_for(world.bob)
    rows = list(ItemClassification.objects.order_by("pk").values())
    with CaptureQueriesContext(connection) as queries:
        assert classify.learned_categories(world.alpha).model is not None  # type: ignore[union-attr]
        assert client.get(f"/w/alpha/insight/items/{item.pk}/understanding/").status_code == 200
        assert client.get(f"/w/alpha/feedback/{item.pk}/").status_code == 200
        assert Client().get(f"/api/insight/items/{item.pk}/classification", **headers).status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]  # login bookkeeping, not ours
        and "workspaces_apitoken" not in q["sql"]  # the token's last-used time
    ]
    assert writes == []
    assert list(ItemClassification.objects.order_by("pk").values()) == rows


@pytest.mark.slow
def test_items_corrected_before_they_were_embedded_refit_the_model_once_they_are(world) -> None:  # type: ignore[no-untyped-def]
    """A backfill embeds items after people corrected them (the demo does this): the per-process model
    must not keep the fit made while their vectors were missing."""
    from harken.insight.services import embed_workspace

    items = _teach(world, world.alpha, _confirmed(14) + TAUGHT[:6])
    rows = world.alpha.item_embeddings.filter(feedback__in=items[:5])
    assert rows.count() == 5
    rows.delete()
    classify._learned_cache.clear()
    before = classify.learned_categories(world.alpha)
    assert before is None  # five corrected items have no vector yet: 15 < MIN_CORRECTIONS, no model
    embed_workspace(world.alpha)
    after = classify.learned_categories(world.alpha)
    assert after is not None and after.corrections == 20  # refit with all of them, not the cached None
