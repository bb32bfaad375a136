"""The overview compares each number with the previous period and ranks accounts by ARR."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from harken.feedback import actions, queries
from tests.base import World

pytestmark = pytest.mark.django_db


def test_stat_deltas_top_accounts_by_arr_and_trending_tags(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    now = timezone.now()
    for days in (1, 2, 3):  # this week: 3 items, the week before: 1
        actions.create_feedback(
            actor,
            text=f"w{days}",
            author_email="y@globex.io",
            tags="export",
            received_at=now - timedelta(days=days),
        )
    actions.create_feedback(actor, text="prev", author_email="wile@acme.com", received_at=now - timedelta(days=9))
    actions.create_feedback(actor, text="old", tags="sso", received_at=now - timedelta(days=40))

    o = queries.overview(world.alpha, now)
    week = o["stats"][0]
    assert (week["value"], week["delta"]["text"], week["delta"]["tone"]) == (3, "+200%", "neutral")
    assert week["compare"] == "vs 1 the week before"
    assert [(r["account"].name, r["count"]) for r in o["top_by_arr"]] == [("Acme", 1), ("Globex", 3)]
    assert len(o["top_by_arr"][1]["spark"]["line"].split("L")) == 12  # one point per week
    assert [(r["label"], r["value"], r["delta"]["text"]) for r in o["rising_tags"]] == [("export", 3, "new")]
    assert {r["channel"]: r["share"] for r in o["channels"]} == {"manual": 100.0}


def test_overview_page_draws_stats_and_accounts_table(
    world: World, client: Client, feedback_data: SimpleNamespace
) -> None:
    actions.create_feedback(world.actor(world.bob), text="Need SSO", author_email="wile@acme.com")
    client.force_login(world.bob)
    html = client.get(f"/w/{world.alpha.slug}/").content.decode()
    assert "Top accounts by ARR" in html and "vs 0 the week before" in html
    assert 'class="badge badge-ch ch-manual"' in html
