from __future__ import annotations

import pytest

from tests.base import World


@pytest.fixture
def world(db: None) -> World:
    return World()


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering of test-case classes
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (tens of seconds: real processes, the demo with the real model, browser
    tours) run first. With xdist handing out one test at a time (`--maxschedchunk`, scripts/run-pytest),
    the long ones then spread over the workers at the start instead of one of them finishing alone at
    the end; the order of everything else is unchanged."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
