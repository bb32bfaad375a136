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


def test_typo_vocabulary_is_bounded_and_never_tokenises_the_workspace(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """At 1M items, tokenising every item on a process's first search took minutes: the typo
    vocabulary is the words of the newest `VOCAB_ITEMS` items only."""
    from harken.insight import lexical

    def whole_workspace(workspace_id: int) -> None:
        raise AssertionError("search tokenised the whole workspace")

    monkeypatch.setattr(lexical, "workspace_stats", whole_workspace)
    monkeypatch.setattr(search, "VOCAB_ITEMS", 2)
    add(world.alpha, "Kubernetes rollout broke the exporter")
    slow = add(world.alpha, "The dashboard is slow since Monday")
    add(world.alpha, "Please add a dark mode")
    run_pending_tasks()

    vocabulary = search.vocabulary(world.alpha.pk)
    assert {"dashboard", "dark"} <= vocabulary.words and "kubernete" not in vocabulary.words
    assert "kubernetes" not in vocabulary.words
    assert search.corrections(world.alpha.pk, ["dashbaord"]) == {"dashbaord": "dashboard"}
    assert slow in set(feedback_services.search_feedback(world.alpha, {"q": "dashbaord slow"}))
    # A word outside the vocabulary is still found by its own letters (corrections only add).
    assert "exporter" in feedback_services.search_feedback(world.alpha, {"q": "exporter"}).first().text


def test_account_and_contact_names_still_match(world) -> None:  # type: ignore[no-untyped-def]
    from harken.customers.models import Account, Contact

    account = Account.objects.create(workspace=world.alpha, name="Globex Industries", domain="globex.test")
    contact = Contact.objects.create(workspace=world.alpha, name="Hank Scorpio", email="hank@initech.test")
    by_account = add(world.alpha, "Exports fail", account=account)
    by_contact = add(world.alpha, "Imports fail", contact=contact)
    add(world.alpha, "Nothing to see")
    elsewhere = Account.objects.create(workspace=world.bravo, name="Globex Industries", domain="globex.test")
    add(world.bravo, "Exports fail", account=elsewhere)
    assert set(feedback_services.search_feedback(world.alpha, {"q": "globex"})) == {by_account}
    assert set(feedback_services.search_feedback(world.alpha, {"q": "scorpio fail"})) == {by_contact}
