"""Zero-shot categories are scored around the workspace's centre (classify.Centre, workspace_centre)."""

from __future__ import annotations

import numpy as np
import pytest

from harken.core.taskrun import run_pending_tasks
from harken.insight.themes import classify
from harken.insight.themes.models import Category, ItemClassification
from harken.insight.themes.services import workspace_vectors
from tests.insight.helpers import add

pytestmark = pytest.mark.django_db


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x, axis=-1, keepdims=True), dtype=np.float32)


def _class_direction(name: str) -> np.ndarray:
    names, owners, protos = classify._prototypes("category", classify.CATEGORY_PROTOTYPES)
    return np.asarray(protos[owners == names.index(name)].mean(axis=0), dtype=np.float32)


def _raw_category(vector: np.ndarray) -> str:
    """The previous scoring: plain cosines, mean of each class's two best prototypes (no cues)."""
    names, owners, protos = classify._prototypes("category", classify.CATEGORY_PROTOTYPES)
    sims = vector @ protos.T
    return str(names[int(np.argmax([np.sort(sims[owners == c])[-2:].mean() for c in range(len(names))]))])


def test_what_every_item_of_a_workspace_shares_does_not_decide_its_category() -> None:
    # Every item of this workspace reads like a bug report (GitHub issues do); one of them leans
    # towards the questions more than the others do. Plain cosines call it a bug like the rest;
    # scored around the workspace's centre it is the question.
    rng = np.random.default_rng(0)
    bug, question = _unit(_class_direction(Category.BUG)), _unit(_class_direction(Category.QUESTION))
    workspace = _unit(bug + 0.05 * rng.standard_normal((200, len(bug))))
    leaning = _unit(bug + 0.3 * (question - bug))
    assert _raw_category(leaning) == Category.BUG
    texts = ["item"]  # no cue words: the embedding alone decides
    assert classify.guess(texts, leaning[None, :], classify.Centre.of(workspace))[0].category == Category.QUESTION


def test_an_item_is_scored_the_same_in_any_batch_for_a_given_centre() -> None:
    rng = np.random.default_rng(1)
    texts = ["How do I export?", "It crashes on save", "Please add dark mode", "I love it"]
    vectors = _unit(rng.standard_normal((4, classify.get_embedder().dim)))
    centre = classify.Centre.of(_unit(rng.standard_normal((50, classify.get_embedder().dim))))
    batch = classify.guess(texts, vectors, centre)
    alone = [classify.guess([t], vectors[i : i + 1], centre)[0] for i, t in enumerate(texts)]
    assert [(g.category, g.sentiment) for g in batch] == [(g.category, g.sentiment) for g in alone]
    assert [g.category_score for g in batch] == pytest.approx([g.category_score for g in alone], abs=1e-5)


def test_workspace_centre_is_its_own_items_and_no_other_workspaces(world) -> None:  # type: ignore[no-untyped-def]
    for text in ["The export crashes", "Please add dark mode", "How do I invite people?"]:
        add(world.alpha, text)
    for text in ["Love the new dashboard", "Terrible support", "Where is the API?", "Broken login"]:
        add(world.bravo, text)
    run_pending_tasks()
    classify._centre_cache.clear()
    alpha = workspace_vectors(world.alpha)
    centre = classify.workspace_centre(world.alpha)
    assert centre.count == 3 == len(alpha.ids)
    assert centre.total is not None and np.allclose(centre.total, alpha.matrix.sum(axis=0), atol=1e-5)
    assert classify.workspace_centre(world.bravo).count == 4


def test_classify_items_scores_around_the_workspace_centre(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    item = add(world.alpha, "item")
    run_pending_tasks()
    seen: list[classify.Centre | None] = []
    real = classify._guess_scored

    def spy(texts, vectors, centre=None):  # type: ignore[no-untyped-def]
        seen.append(centre)
        return real(texts, vectors, centre)

    monkeypatch.setattr(classify, "_guess_scored", spy)
    classify._centre_cache.clear()
    classify.classify_items(world.alpha, [item])
    assert seen and seen[-1] is not None and seen[-1].count == 1
    assert ItemClassification.objects.filter(feedback=item).count() == 1


def test_the_centre_is_cached_until_half_a_sample_of_new_vectors_arrives(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(classify, "CENTRE_SAMPLE", 4)
    for n in range(4):
        add(world.alpha, f"first batch item {n}")
    run_pending_tasks()
    classify._centre_cache.clear()
    first = classify.workspace_centre(world.alpha)
    assert first.count == 4
    add(world.alpha, "one more")  # fewer than half a sample: the cached centre stands
    run_pending_tasks()
    assert classify.workspace_centre(world.alpha) is first
    add(world.alpha, "and another")  # half a sample of newer vectors: re-read (the 4 latest)
    run_pending_tasks()
    again = classify.workspace_centre(world.alpha)
    assert again is not first and again.count == 4
