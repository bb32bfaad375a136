from __future__ import annotations

from collections.abc import Iterator

import pytest

from harken.insight import index, lexical, services


@pytest.fixture(autouse=True)
def hashing_embedder(settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Insight tests run the real code path with the deterministic hashing embedder.

    Per-process caches (vector index, BM25 statistics, duplicate models) are dropped around each test because
    test transactions roll back and ids get reused.
    """
    settings.HARKEN_EMBEDDER = "hashing"
    settings.HARKEN_INDEX_DIR = tmp_path / "indexes"  # persisted vector indexes: one folder per test
    # The `world` fixture creates four users; slow password hashing dominated these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    index.forget()
    lexical._cache.clear()
    services._models.clear()  # each workspace's duplicate model, keyed by its pk
    yield
    index.forget()
    lexical._cache.clear()
    services._models.clear()
