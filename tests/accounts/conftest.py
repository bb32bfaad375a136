from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_signin_throttle() -> Iterator[None]:
    """Sign-in failure counts live in the cache; no test may inherit another's."""
    cache.clear()
    yield
    cache.clear()
