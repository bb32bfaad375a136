"""Inbox search: words and meaning, typos forgiven, filters and workspaces respected."""

from __future__ import annotations

import pytest

from harken.core.taskrun import run_pending_tasks
from harken.feedback import queries as feedback_services
from harken.insight import search
from tests.insight.helpers import add

pytestmark = pytest.mark.django_db


def test_typos_are_forgiven_and_filters_still_apply(world) -> None:  # type: ignore[no-untyped-def]
    slow = add(world.alpha, "The dashboard is slow since Monday")
    slow_email = add(world.alpha, "Our dashboard is really slow to open", channel="email")
    other = add(world.alpha, "Please add a dark mode")
    secret = add(world.bravo, "The dashboard is slow for us too")
    run_pending_tasks()

    assert search.corrections(world.alpha.pk, ["dashbaord", "slow"]) == {"dashbaord": "dashboard"}
    found = set(feedback_services.search_feedback(world.alpha, {"q": "dashbaord slow"}))
    assert {slow, slow_email} <= found and other not in found and secret not in found
    narrowed = set(feedback_services.search_feedback(world.alpha, {"q": "dashbaord slow", "channel": "email"}))
    assert narrowed == {slow_email}
    # Plain word search still works, quoted phrases too, and an unknown word finds nothing lexically.
    assert set(feedback_services.search_feedback(world.alpha, {"q": '"dark mode"'})) >= {other}
    assert slow not in set(feedback_services.search_feedback(world.alpha, {"q": "zzzqqq"}))


def test_meaning_matches_without_shared_words(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = add(world.alpha, "The dashboard is slow since Monday")
    add(world.alpha, "Please add a dark mode")
    run_pending_tasks()
    monkeypatch.setattr(search, "semantic_ids", lambda workspace, query: [target.pk])
    found = list(feedback_services.search_feedback(world.alpha, {"q": "reports take ages to load"}))
    assert found == [target]


def test_inbox_page_uses_the_combined_search(world) -> None:  # type: ignore[no-untyped-def]
    add(world.alpha, "The dashboard is slow since Monday")
    run_pending_tasks()
    page = world.client_for(world.vera).get(f"/w/{world.alpha.slug}/feedback/", {"q": "dashbaord"})
    assert page.status_code == 200 and "dashboard is slow" in page.content.decode()
