"""schemathesis against /api/openapi.json (issue 15): generated requests to every operation, bounded
to a few examples each so the run stays well under a minute; no 5xx, and every documented response
matches its schema. Runs in-process through the WSGI app, with an owner's token, on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from harken.feedback.models import Feedback
from tests.base import World, make_token


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Any:
    """Calling the WSGI app directly fires request_finished, which would close the test's database
    connection (and its transaction) on PostgreSQL; Django's own test client disconnects it too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema view needs no database, so it loads at collection (pytest-django has set Django up).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


# CSV uploads can hit a value PostgreSQL refuses (answered 422), which poisons a wrapping test
# transaction; they run in a transactional test. Everything else shares the fast path.
UPLOADS = r"/imports/(feedback|accounts|contacts)$"
SETTINGS = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces
    suppress_health_check=list(HealthCheck),
    database=None,
)


_TOKENS: dict[int, str] = {}


def _call(case: Any, world: World) -> None:
    # One token and one target item per test (per operation), not per generated example: about 3,700
    # examples run, and a token is an INSERT plus a hash. A test that deleted the item gets it back.
    if id(world) not in _TOKENS:
        _TOKENS.clear()
        _TOKENS[id(world)] = make_token(world.alpha, world.alice)
    if not Feedback.objects.filter(workspace=world.alpha).exists():
        Feedback.objects.create(workspace=world.alpha, text="Fuzz target: export is slow")
    token = _TOKENS[id(world)]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


@schema.exclude(path_regex=UPLOADS).parametrize()
@SETTINGS
@pytest.mark.django_db
def test_api_survives_generated_requests(case: Any, world: World) -> None:
    _call(case, world)


@schema.include(path_regex=UPLOADS).parametrize()
@SETTINGS
@pytest.mark.django_db(transaction=True)
def test_csv_uploads_survive_generated_requests(case: Any, world: World) -> None:
    _call(case, world)
