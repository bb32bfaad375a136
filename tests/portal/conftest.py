from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.notify.mailbox import mailbox  # noqa: F401  (the aiosmtpd mailbox fixture)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()
