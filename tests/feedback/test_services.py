from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from harken.customers.models import Account, Segment
from harken.feedback import actions, queries
from harken.feedback.models import Feedback, Tag
from harken.feedback.signals import feedback_created, feedback_updated
from tests.base import World

pytestmark = pytest.mark.django_db


def test_matches_contact_by_exact_email(world: World, feedback_data: SimpleNamespace) -> None:
    item, created = actions.create_feedback(world.actor(world.bob), text="Need SSO", author_email="WILE@acme.com")
    assert created
    assert item.contact == feedback_data.wile and item.account == feedback_data.acme
    assert item.author_name == "Wile E."
    assert item.created_by == world.bob


def test_matches_account_by_domain_within_the_workspace(world: World, feedback_data: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="Slow", author_email="road@acme.com")
    assert item.contact is None and item.account == feedback_data.acme  # never Bravo's acme.com account
    item, _ = actions.create_feedback(world.actor(world.charlie), text="Slow", author_email="road@acme.com")
    assert item.account == feedback_data.bravo_acme


def test_free_mail_never_matches_an_account(world: World, feedback_data: SimpleNamespace) -> None:
    Account.objects.create(workspace=world.alpha, name="Google?", domain="gmail.com")
    item, _ = actions.create_feedback(world.actor(world.bob), text="Hi", author_email="someone@gmail.com")
    assert item.account is None and item.author_email == "someone@gmail.com"


def test_explicit_contact_brings_its_account(world: World, feedback_data: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="Hi", contact=feedback_data.wile)
    assert item.account == feedback_data.acme and item.author_email == "wile@acme.com"


def test_validation(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    with pytest.raises(ValidationError, match=re.escape("empty")):
        actions.create_feedback(actor, text="  \n\t ")
    with pytest.raises(ValidationError, match=re.escape("300")):
        actions.create_feedback(actor, text="ok", title="x" * 301)
    with pytest.raises(ValidationError, match=re.escape("limit is 1 MB")):
        actions.create_feedback(actor, text="x" * 1_000_001)
    with pytest.raises(ValidationError, match=re.escape("not a valid email")):
        actions.create_feedback(actor, text="ok", author_email="not-an-email")
    with pytest.raises(ValidationError, match=re.escape("Unknown channel")):
        actions.create_feedback(actor, text="ok", channel="telepathy")
    with pytest.raises(ValidationError, match=re.escape("another workspace")):
        actions.create_feedback(actor, text="ok", account=feedback_data.bravo_acme)
    with pytest.raises(ValidationError, match=re.escape("another workspace")):
        actions.create_feedback(actor, text="ok", product_line=world.bravo_line)
    assert not world.alpha.feedback_items.exists()


def test_long_text_is_kept_in_full(world: World, feedback_data: SimpleNamespace) -> None:
    text = ("The export breaks on large files. " * 4000).strip()  # ~136 KB
    item, _ = actions.create_feedback(world.actor(world.bob), text=text)
    item.refresh_from_db()
    assert item.text == text and len(item.text.encode()) > 100_000


def test_viewer_cannot_create(world: World, feedback_data: SimpleNamespace) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_feedback(world.actor(world.vera), text="nope")


def test_idempotent_on_external_id(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    first, created = actions.create_feedback(actor, text="A", channel="email", external_id="msg-1")
    again, created_again = actions.create_feedback(actor, text="A (retry)", channel="email", external_id="msg-1")
    assert created and not created_again and again.pk == first.pk
    assert first.dedupe_key == "ext:email:msg-1"
    # The same id from another channel is a different item.
    other, created_other = actions.create_feedback(actor, text="A", channel="support", external_id="msg-1")
    assert created_other and other.pk != first.pk


def test_overlong_external_id_key_is_hashed(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    ext = "x" * 300
    a, _ = actions.create_feedback(actor, text="A", channel="conversation", external_id=ext)
    b, created = actions.create_feedback(actor, text="A", channel="conversation", external_id=ext)
    assert a.dedupe_key and len(a.dedupe_key) <= 400 and not created and a.pk == b.pk


def test_dedupe_key_is_per_workspace(world: World, feedback_data: SimpleNamespace) -> None:
    a, _ = actions.create_feedback(world.actor(world.bob), text="A", dedupe_key="k1")
    b, created = actions.create_feedback(world.actor(world.charlie), text="A", dedupe_key="k1")
    assert created and a.pk != b.pk


def test_integrity_race_returns_the_winner(world: World, feedback_data: SimpleNamespace) -> None:
    """Another writer inserts the same key between our lookup and our insert."""
    real = actions._find_existing
    winner: list[Feedback] = []

    def lookup(workspace: Any, key: str) -> Feedback | None:
        if not winner:  # first lookup: nothing yet, then the other writer commits its row
            winner.append(Feedback.objects.create(workspace=world.alpha, text="winner", dedupe_key=key))
            return None
        return real(workspace, key)

    with mock.patch.object(actions, "_find_existing", side_effect=lookup), transaction.atomic():
        item, created = actions.create_feedback(world.actor(world.bob), text="loser", dedupe_key="race")
        # The outer transaction is still usable after the savepoint rolled back.
        assert world.alpha.feedback_items.count() == 1
    assert not created and item.pk == winner[0].pk and item.text == "winner"


def test_tags_reused_case_insensitively(world: World, feedback_data: SimpleNamespace) -> None:
    Tag.objects.create(workspace=world.alpha, name="Billing")
    item, _ = actions.create_feedback(world.actor(world.bob), text="x", tags=["billing", " Export ", "export", ""])
    assert sorted(t.name for t in item.tags.all()) == ["Billing", "Export"]
    assert world.alpha.tags.count() == 2
    assert not world.bravo.tags.exists()


def test_tags_as_one_comma_separated_string(world: World, feedback_data: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="x", tags="billing, Export,billing")
    assert {t.name for t in item.tags.all()} == {"billing", "Export"}


def test_naive_received_at_is_read_in_workspace_time_zone(world: World, feedback_data: SimpleNamespace) -> None:
    world.alpha.timezone = "Europe/Berlin"
    world.alpha.save()
    item, _ = actions.create_feedback(world.actor(world.bob), text="x", received_at=datetime(2026, 1, 15, 10, 0))
    assert item.received_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_signal_fires_inside_the_transaction(world: World, feedback_data: SimpleNamespace) -> None:
    seen: list[tuple[Feedback, int, Any]] = []
    depth_outside = len(connection.atomic_blocks)

    def listener(sender: Any, feedback: Feedback, actor: Any, **kwargs: Any) -> None:
        assert Feedback.objects.filter(pk=feedback.pk).exists()
        seen.append((feedback, len(connection.atomic_blocks), actor))

    feedback_created.connect(listener)
    try:
        item, _ = actions.create_feedback(world.actor(world.bob), text="hello")
        actions.create_feedback(world.actor(world.bob), text="hello", dedupe_key="d")
        actions.create_feedback(world.actor(world.bob), text="hello", dedupe_key="d")  # existing: no signal
    finally:
        feedback_created.disconnect(listener)
    assert len(seen) == 2
    assert seen[0][0] == item and seen[0][1] > depth_outside and seen[0][2].user == world.bob


def test_listener_failure_rolls_the_item_back(world: World, feedback_data: SimpleNamespace) -> None:
    def boom(**kwargs: Any) -> None:
        raise RuntimeError("listener failed")

    feedback_created.connect(boom)
    try:
        with pytest.raises(RuntimeError):
            actions.create_feedback(world.actor(world.bob), text="doomed")
    finally:
        feedback_created.disconnect(boom)
    assert not world.alpha.feedback_items.filter(text="doomed").exists()


def test_update_signal_lists_changed_fields(world: World, feedback_data: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="a", tags=["x"])
    changes: list[frozenset[str]] = []

    def listener(changed: frozenset[str], **kwargs: Any) -> None:
        changes.append(changed)

    feedback_updated.connect(listener)
    try:
        actions.update_feedback(world.actor(world.bob), item, text="a", tags=["x"])  # nothing changed
        actions.update_feedback(world.actor(world.bob), item, text="b", tags=["y"])
    finally:
        feedback_updated.disconnect(listener)
    assert changes == [frozenset({"text", "tags"})]


def test_update_reassigns_and_new_contact_brings_account(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    item, _ = actions.create_feedback(actor, text="a", author_email="x@globex.io")
    assert item.account == feedback_data.globex
    actions.update_feedback(actor, item, contact=feedback_data.wile, product_line="mobile", title="  New   title ")
    item.refresh_from_db()
    assert item.contact == feedback_data.wile and item.account == feedback_data.acme
    assert item.product_line == world.alpha_line and item.title == "New title"
    actions.update_feedback(actor, item, account=None, product_line=None)
    item.refresh_from_db()
    assert item.account is None and item.product_line is None and item.contact == feedback_data.wile


def test_update_validates_and_refuses_other_workspaces(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    item, _ = actions.create_feedback(actor, text="a")
    with pytest.raises(ValidationError, match=re.escape("No product line")):
        actions.update_feedback(actor, item, product_line="nope")
    with pytest.raises(ValidationError, match=re.escape("another workspace")):
        actions.update_feedback(actor, item, account=feedback_data.bravo_acme)
    with pytest.raises(ValidationError, match=re.escape("empty")):
        actions.update_feedback(actor, item, text=" ")
    bravo_item, _ = actions.create_feedback(world.actor(world.charlie), text="b")
    with pytest.raises(ValidationError):
        actions.update_feedback(actor, bravo_item, title="hijack")
    with pytest.raises(PermissionDenied):
        actions.update_feedback(world.actor(world.vera), item, title="viewer")


def test_delete(world: World, feedback_data: SimpleNamespace) -> None:
    item, _ = actions.create_feedback(world.actor(world.bob), text="a")
    with pytest.raises(PermissionDenied):
        actions.delete_feedback(world.actor(world.vera), item)
    actions.delete_feedback(world.actor(world.bob), item)
    assert not world.alpha.feedback_items.exists()


def test_tag_services(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    item, _ = actions.create_feedback(actor, text="a", tags=["bug"])
    other, _ = actions.create_feedback(actor, text="b", tags=["defect"])
    tag = actions.add_tag(actor, item, "Urgent")
    assert {t.name for t in item.tags.all()} == {"bug", "Urgent"}
    actions.remove_tag(actor, item, tag)
    assert {t.name for t in item.tags.all()} == {"bug"}
    merged = actions.rename_tag(actor, world.alpha.tags.get(name="defect"), "BUG")
    assert merged.name == "bug" and {t.name for t in other.tags.all()} == {"bug"}
    assert not world.alpha.tags.filter(name="defect").exists()
    with pytest.raises(ValidationError, match=re.escape("longer than 60")):
        actions.add_tag(actor, item, "x" * 61)
    actions.delete_tag(actor, merged)
    assert not item.tags.exists()


@pytest.fixture
def search(world: World, feedback_data: SimpleNamespace) -> SimpleNamespace:
    search = SimpleNamespace(**vars(feedback_data))
    actor = world.actor(world.bob)
    now = timezone.now()
    search.a, _ = actions.create_feedback(
        actor,
        text="CSV export times out",
        author_email="wile@acme.com",
        tags=["export"],
        received_at=now - timedelta(days=1),
    )
    search.b, _ = actions.create_feedback(
        actor,
        text="Please add dark mode",
        title="Dark mode",
        channel="email",
        author_email="x@globex.io",
        product_line=world.alpha_line,
        received_at=now - timedelta(days=20),
    )
    search.c, _ = actions.create_feedback(
        actor,
        text="Export to PDF",
        author_name="Anon",
        author_email="anon@gmail.com",
        received_at=now - timedelta(days=40),
    )
    actions.create_feedback(world.actor(world.charlie), text="Bravo export secret")
    return search


def ids(world: World, **params: Any) -> list[int]:
    return [i.pk for i in queries.search_feedback(world.alpha, params)]


def test_filters(world: World, search: SimpleNamespace) -> None:
    assert ids(world) == [search.a.pk, search.b.pk, search.c.pk]
    assert ids(world, sort="oldest") == [search.c.pk, search.b.pk, search.a.pk]
    assert ids(world, q="export") == [search.a.pk, search.c.pk]  # never Bravo's
    assert ids(world, q="acme export") == [search.a.pk]  # words AND, account name searched
    assert ids(world, q="dark") == [search.b.pk]
    assert ids(world, channel="email") == [search.b.pk]
    assert ids(world, product_line="mobile") == [search.b.pk]
    assert ids(world, product_line="Mobile") == [search.b.pk]
    assert ids(world, tag="EXPORT") == [search.a.pk]
    assert ids(world, account=str(search.acme.pk)) == [search.a.pk]
    assert ids(world, has_account="no") == [search.c.pk]
    assert ids(world, has_account="yes") == [search.a.pk, search.b.pk]
    since = (timezone.now() - timedelta(days=30)).date().isoformat()
    until = (timezone.now() - timedelta(days=10)).date().isoformat()
    assert ids(world, since=since) == [search.a.pk, search.b.pk]
    assert ids(world, since=since, until=until) == [search.b.pk]


def test_segment_filter_uses_saved_filters(world: World, search: SimpleNamespace) -> None:
    Segment.objects.create(workspace=world.alpha, name="Big ones", filters={"segment": "Enterprise"})
    assert ids(world, segment="big ones") == [search.a.pk]
    f = queries.FeedbackFilters.from_params({"segment": "missing"})
    assert list(queries.search_feedback(world.alpha, f)) == [] and "No segment" in f.errors[0]


def test_bad_values_are_reported_not_fatal(world: World, search: SimpleNamespace) -> None:
    f = queries.FeedbackFilters.from_params(
        {"since": "last tuesday", "channel": "fax", "sort": "random", "account": "x"}
    )
    assert len(f.errors) == 4
    assert [i.pk for i in queries.search_feedback(world.alpha, f)] == [search.a.pk, search.b.pk, search.c.pk]


def test_overview_numbers(world: World, feedback_data: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    now = timezone.now()
    actions.create_feedback(actor, text="1", author_email="wile@acme.com", received_at=now - timedelta(days=2))
    actions.create_feedback(actor, text="2", author_email="y@acme.com", received_at=now - timedelta(days=10))
    actions.create_feedback(
        actor, text="3", author_email="z@globex.io", channel="email", received_at=now - timedelta(days=60)
    )
    actions.create_feedback(actor, text="4", received_at=now - timedelta(days=200))
    actions.create_feedback(actor, text="old", received_at=now - timedelta(days=500))
    actions.create_feedback(world.actor(world.charlie), text="bravo", author_email="q@acme.com")
    o = queries.overview(world.alpha, now)
    assert (o["total"], o["this_week"], o["this_month"], o["accounts_heard"]) == (5, 1, 2, 2)
    assert o["arr_represented"] == Decimal("128000")
    # a churned account still counts as heard from, but its ARR is no longer at stake
    world.alpha.accounts.filter(domain="globex.io").update(lifecycle_stage="churned")
    churned = queries.overview(world.alpha, now)
    assert churned["accounts_heard"] == 2
    assert churned["arr_represented"] == Decimal("128000") - world.alpha.accounts.get(domain="globex.io").arr
    assert churned["arr_represented"] < o["arr_represented"]
    assert len(o["weekly_chart"]["bars"]) == 52 and o["weekly_total"] == 4
    assert sum(bar["value"] for bar in o["weekly_chart"]["bars"]) == 4
    assert [(r["channel"], r["value"]) for r in o["channels"]] == [("manual", 4), ("email", 1)]
    assert [(r["label"], r["value"]) for r in o["top_accounts"]] == [("Acme", 2), ("Globex", 1)]
    assert [i.text for i in o["latest"]][:2] == ["1", "2"]


def test_weekly_counts_bucket_by_monday(world: World, feedback_data: SimpleNamespace) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
    actor = world.actor(world.bob)
    actions.create_feedback(actor, text="mon", received_at=datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    actions.create_feedback(actor, text="sun", received_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    weeks = queries.weekly_counts(world.alpha, 3, now)
    assert [(w.isoformat(), n) for w, n in weeks] == [("2026-11-09", 0), ("2026-11-16", 1), ("2026-11-23", 1)]
