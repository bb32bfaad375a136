"""The demo owner has saved views on the decision pages, and the demo's renewal segment is relative."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from harken.demo import load_demo
from harken.insight import filters
from harken.savedviews.models import SavedView
from harken.workspaces.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_has_saved_views_and_a_relative_segment() -> None:
    ws = load_demo(items=200, now=datetime(2026, 11, 20, 12, tzinfo=UTC)).workspace
    owner = Membership.objects.get(workspace=ws, role=Role.OWNER).user
    views = {(v.page, v.name): v for v in SavedView.objects.filter(workspace=ws, user=owner)}
    assert {"overview", "themes", "problems", "trends"} <= {page for page, _ in views}
    enterprise = ws.segments.get(name="Enterprise")
    assert parse_qs(views[("problems", "Enterprise")].query) == {"segment": [str(enterprise.pk)]}
    assert ws.segments.get(name="Renewing in 90 days").filters == {"renewal_within_days": "90"}
    for view in views.values():  # every saved query is a valid filter
        filters.parse(ws, {k: v[0] for k, v in parse_qs(view.query).items()})
    assert filters.parse(ws, {"segment": "Enterprise"}).feedback().exists()
