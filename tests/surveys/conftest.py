from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.notify.mailbox import mailbox  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
