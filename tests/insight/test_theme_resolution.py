"""How fine the sub-themes are: the resolution is chosen by silhouette, small communities are re-homed
(clustering.choose_resolution, clustering.silhouette, clustering.absorb_small; issue 11)."""

from __future__ import annotations

import numpy as np
import pytest

from harken.insight.themes import clustering


def nested(
    sup: int, sub: int, per: int, dim: int = 64, spread: float = 0.4, seed: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """`sup` broad topics, each made of `sub` narrower intents of `per` items (the truth)."""
    rng = np.random.default_rng(seed)
    tops = rng.normal(size=(sup, dim))
    intents = np.repeat(tops, sub, axis=0) + spread * rng.normal(size=(sup * sub, dim))
    x = np.repeat(intents, per, axis=0) + 0.15 * rng.normal(size=(sup * sub * per, dim))
    return x, np.repeat(np.arange(sup * sub), per)


def test_silhouette_is_the_textbook_one_with_unassigned_rows_at_zero() -> None:
    from sklearn.metrics import silhouette_score

    x, truth = nested(3, 2, 6)
    x = clustering.normalise(x)
    assert clustering.silhouette(x, truth, block=5) == pytest.approx(
        silhouette_score(x, truth, metric="cosine"), abs=1e-5
    )
    labels = truth.copy()
    labels[:4] = -1  # four unassigned rows count as 0 in the mean
    kept = labels >= 0
    expected = silhouette_score(x[kept], labels[kept], metric="cosine") * kept.sum() / len(x)
    assert clustering.silhouette(x, labels) == pytest.approx(expected, abs=1e-5)
    assert clustering.silhouette(x, np.zeros(len(x), dtype=np.int64)) == 0.0  # one theme: undefined → 0


def test_nested_intents_are_not_merged_into_their_broad_topic() -> None:
    """Six topics of six intents each: the coarse split is the most stable one (the previous rule
    picked it: 8 themes for 36 intents), the intents are what the silhouette prefers."""
    from sklearn.metrics import adjusted_rand_score

    x, truth = nested(6, 6, 10)
    result = clustering.cluster(x)
    assert result.n_themes == 36
    assert adjusted_rand_score(truth, result.labels) > 0.9
    assert result.params.chosen_resolution in result.params.resolution_scores
    assert result.params.resolution_scores[result.params.chosen_resolution] == max(
        result.params.resolution_scores.values()
    )
    assert result.groups is not None and 6 <= result.groups.max() + 1 <= 25  # the top level still groups them


def test_members_of_dissolved_small_communities_join_a_close_theme_only() -> None:
    rng = np.random.default_rng(0)
    centre = rng.normal(size=32)
    far = rng.normal(size=32)
    x = clustering.normalise(
        np.vstack([centre + 0.1 * rng.normal(size=(6, 32)), centre + 0.3 * rng.normal(size=(1, 32)), far[None]])
    )
    labels = np.array([0, 0, 0, 0, 0, 0, -1, -1])  # a theme, a stray close to it, an unrelated stray
    out = clustering.absorb_small(x, labels, clustering.Params())
    assert out.tolist() == [0] * 7 + [-1]
    strict = clustering.absorb_small(x, labels, clustering.Params(assign_threshold=0.9999))
    assert strict.tolist() == [0] * 6 + [-1, -1]
