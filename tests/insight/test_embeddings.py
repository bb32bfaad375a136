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


class _Recording(HashingEmbedder):
    """The hashing embedder, remembering the mini-batches `encode` hands to the model."""

    batch_size = 3

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return super()._encode_batch(texts)


def test_length_sorted_batches_come_back_in_input_order() -> None:
    texts = ["a much longer piece of feedback about exports", "", "short", "medium sized text", "x", "   ", "tiny one"]
    recording = _Recording()
    vectors = recording.encode(texts)
    # Mini-batches hold texts of similar length (sorted), empty texts never reach the model...
    sent = [t for batch in recording.batches for t in batch]
    assert sent == sorted((prepare(t) for t in texts if t.strip()), key=len)
    assert all(len(batch) <= 3 for batch in recording.batches)
    # ...and every row is still the vector of the text at that position.
    one_by_one = np.vstack([HashingEmbedder().encode([t]) for t in texts])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-6)
    assert not vectors[1].any() and not vectors[5].any()


@pytest.fixture(scope="module")
def int8():  # type: ignore[no-untyped-def]
    return get_embedder("minilm-int8")


@pytest.mark.slow
def test_int8_contract(int8) -> None:  # type: ignore[no-untyped-def]
    assert int8.dim == 384
    check_contract(int8, AWKWARD)


@pytest.mark.slow
def test_int8_sorted_padded_batches_match_unbatched(int8) -> None:  # type: ignore[no-untyped-def]
    """Sorting by length and padding each mini-batch to its longest text changes no vector beyond
    quantisation noise, and rows come back in the caller's order.

    Not bit-equal: int8 dynamic quantisation scales activations per tensor, i.e. per mini-batch, so
    a text's vector moves a little with its batch-mates (measured: cosine 0.95–0.99 to the same text
    alone, while int8 itself sits at 0.97 mean cosine to torch whatever the batch size). Averaging
    the padding in (the bug this guards against) drops short texts far lower.
    """
    texts = [
        "Export to PDF crashes",
        "Please add a dark mode to the dashboard, my eyes hurt at night when I review the weekly numbers",
        "SSO",
        "The scheduled report emails have been blank since we upgraded to 4.2.0 last Tuesday morning",
        "Love it",
        "Dashboards load slowly",
    ] * 4
    batched = int8.encode(texts)
    alone = np.vstack([int8.encode([t]) for t in texts])
    cosines = (batched * alone).sum(axis=1)
    assert cosines.min() > 0.93, cosines
    assert cosines.mean() > 0.97, cosines
    # Each row is its own text's vector, not a neighbour's from the sorted order.
    assert (np.argmax(batched @ alone.T, axis=1) % 6 == np.arange(len(texts)) % 6).all()
