from __future__ import annotations

import numpy as np
import pytest

from harken.insight.embeddings import (
    EMBEDDERS,
    MAX_EMBED_CHARS,
    HashingEmbedder,
    configured_name,
    from_bytes,
    get_embedder,
    item_text,
    prepare,
    text_hash,
    to_bytes,
)

AWKWARD = ["", "   ", "ok", "🙂🔥🚀", "Die App stürzt beim Export ab", "导出PDF时应用崩溃", "word " * 25_000]


def check_contract(embedder, texts):  # type: ignore[no-untyped-def]
    vectors = embedder.encode(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), embedder.dim)
    norms = np.linalg.norm(vectors, axis=1)
    for text, norm in zip(texts, norms, strict=True):
        expected = 0.0 if not text.strip() else 1.0
        assert norm == pytest.approx(expected, abs=1e-5), (text[:20], norm)
    return vectors


def test_hashing_embedder_contract_on_awkward_input() -> None:
    vectors = check_contract(HashingEmbedder(), AWKWARD)
    assert np.all(np.isfinite(vectors))


def test_hashing_is_deterministic_and_order_independent() -> None:
    e = HashingEmbedder()
    a = e.encode(["export to pdf fails", "dark mode please", "x"])
    b = e.encode(["x", "dark mode please", "export to pdf fails"])
    assert np.array_equal(a[0], b[2]) and np.array_equal(a[1], b[1])
    assert e.encode([]).shape == (0, e.dim)


def test_hashing_similarity_follows_shared_words() -> None:
    e = HashingEmbedder()
    v = e.encode(
        ["PDF export fails on large reports", "Exporting large reports to PDF fails", "Please add a dark theme"]
    )
    assert v[0] @ v[1] > v[0] @ v[2]


def test_registry_and_setting(settings) -> None:  # type: ignore[no-untyped-def]
    assert configured_name() == "hashing"
    assert get_embedder().name == "hashing"
    assert {"minilm", "minilm-static", "hashing"} <= set(EMBEDDERS)
    settings.HARKEN_EMBEDDER = "nope"
    with pytest.raises(ValueError, match="HARKEN_EMBEDDER must be one of"):
        get_embedder()


def test_prepare_truncates_for_the_model_only() -> None:
    huge = "a" * 100_000
    assert len(prepare(huge)) == MAX_EMBED_CHARS
    assert prepare("  several   spaces\n\tand lines ") == "several spaces and lines"
    assert item_text("Title", "Title and text") == "Title and text"
    assert item_text("PDF", "fails") == "PDF. fails"
    assert text_hash("a", "x") != text_hash("b", "x")
    assert text_hash("a", "x  y") == text_hash("a", "x y")


def test_vector_round_trips_through_bytes() -> None:
    v = HashingEmbedder().encode(["round trip"])[0]
    assert np.array_equal(from_bytes(to_bytes(v), v.shape[0]), v)


@pytest.fixture(scope="module")
def minilm():  # type: ignore[no-untyped-def]
    return get_embedder("minilm")


@pytest.mark.slow
def test_minilm_contract(minilm) -> None:  # type: ignore[no-untyped-def]
    assert minilm.dim == 384
    check_contract(minilm, AWKWARD)


@pytest.mark.slow
def test_minilm_is_semantic_and_multilingual_safe(minilm) -> None:  # type: ignore[no-untyped-def]
    v = minilm.encode(
        [
            "The app crashes when I export a report to PDF",
            "Exporting to PDF makes the application crash",
            "Please add a dark mode to the dashboard",
        ]
    )
    assert v[0] @ v[1] > 0.6 > v[0] @ v[2]
    # A long item embeds the same as its first 2,048 characters: truncation, not failure.
    long = "PDF export crashes. " * 5000
    a, b = minilm.encode([long, long[:MAX_EMBED_CHARS]])
    assert float(a @ b) == pytest.approx(1.0, abs=1e-4)
