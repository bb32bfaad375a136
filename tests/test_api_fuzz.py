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

# The schema view needs no database, so it loads at collection (pytest-django has set Django up).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces
    suppress_health_check=list(HealthCheck),
    database=None,
)
@pytest.mark.django_db
def test_api_survives_generated_requests(case: Any, world: World) -> None:
    if not Feedback.objects.filter(workspace=world.alpha).exists():
        Feedback.objects.create(workspace=world.alpha, text="Fuzz target: export is slow")
    token = make_token(world.alpha, world.alice)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
