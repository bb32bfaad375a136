"""The theme list's and theme page's numbers are counted by the database (issue 15): the same
figures as the previous per-item computation in Python, in a number of queries that does not
grow with items or themes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from harken.customers.models import Account
from harken.insight import filters as evidence_filters
from harken.insight.themes import services
from harken.insight.themes.models import Theme, ThemeStatus
from tests.insight.theme_data import TOPICS, seed

pytestmark = pytest.mark.django_db


def reference_summaries(actor: Any, weeks: int = services.TREND_WEEKS, evidence: Any = None) -> dict[int, tuple]:
    """The list page's figures as computed before (every themed item read into Python)."""
    now = timezone.now()
    this_week = services.week_start(timezone.localdate(now))
    first_week = this_week - dt.timedelta(weeks=weeks - 1)
    by_theme: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in services.member_rows(actor.workspace, evidence=evidence):
        by_theme[r["theme_id"]].append(r)
    out = {}
    for t in actor.workspace.themes.filter(status=ThemeStatus.ACTIVE):
        if evidence is not None and evidence.active and t.pk not in by_theme:
            continue
        members = by_theme.get(t.pk, [])
        accounts = {
            r["feedback__account_id"]: r["feedback__account__arr"] or Decimal(0)
            for r in members
            if r["feedback__account_id"]
        }
        weekly = [0] * weeks
        for r in members:
            wk = services.week_start(timezone.localdate(r["feedback__received_at"]))
            i = (wk - first_week).days // 7
            if wk >= first_week and 0 <= i < weeks:
                weekly[i] += 1
        out[t.pk] = (len(members), len(accounts), sum(accounts.values(), Decimal(0)), weekly)
    return out


def spread(workspace: Any, ids: dict[str, list[int]]) -> None:
    """Accounts with ARR and segments, and received dates over ~20 weeks (some outside the window)."""
    accounts = [
        Account.objects.create(workspace=workspace, name=f"A{i}", arr=Decimal(1000 * (i + 1)), segment=seg, plan=plan)
        for i, (seg, plan) in enumerate([("Enterprise", "pro"), ("SMB", "basic"), ("", "pro")])
    ]
    now = timezone.now()
    for n, pk in enumerate(sorted(pk for group in ids.values() for pk in group)):
        account = accounts[n % 4] if n % 4 < 3 else None  # every fourth item has no account
        workspace.feedback_items.filter(pk=pk).update(
            account=account, received_at=now - dt.timedelta(days=12 * n, hours=n)
        )


def test_theme_list_numbers_equal_the_per_item_computation(world) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.services import merge

    ids = seed(world.alpha)
    spread(world.alpha, ids)
    services.recluster(world.alpha)
    actor = world.actor(world.bob)
    items = world.alpha.feedback_items
    merge(actor, items.get(pk=ids["export"][0]), items.get(pk=ids["export"][1]))  # a merged item counts once

    expected = reference_summaries(actor)
    rows = services.summaries(actor)
    assert len(expected) == 3
    assert {r.theme.pk: (r.size, r.accounts, r.arr, r.weekly) for r in rows} == expected
    assert any(r.arr for r in rows) and any(sum(r.weekly) < r.size for r in rows)  # the data exercises both
    assert sum(r.size for r in rows) == 17

    pro = evidence_filters.parse_lenient(world.alpha, {"plan": "pro"})
    assert pro.active
    expected = reference_summaries(actor, evidence=pro)
    rows = services.summaries(actor, evidence=pro)
    assert {r.theme.pk: (r.size, r.accounts, r.arr, r.weekly) for r in rows} == expected
    assert all(r.accounts <= 2 for r in rows) and sum(r.size for r in rows) < 17


def test_theme_page_numbers_equal_the_per_item_computation(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    spread(world.alpha, ids)
    services.recluster(world.alpha)
    actor = world.actor(world.bob)
    in_window = total = 0
    for theme in world.alpha.themes.filter(status=ThemeStatus.ACTIVE):
        with mock.patch("harken.core.charts.bar_chart", side_effect=lambda points, title: points):
            detail = services.theme_detail(actor, theme, weeks=26)
        members = world.alpha.feedback_items.filter(theme_assignment__theme=theme)
        first = services.week_start(timezone.localdate()) - dt.timedelta(weeks=25)
        counts: dict[dt.date, int] = defaultdict(int)
        accounts: dict[int, tuple[str, Decimal]] = {}
        for received, account_id, segment, arr in members.values_list(
            "received_at", "account_id", "account__segment", "account__arr"
        ):
            counts[services.week_start(timezone.localdate(received))] += 1
            if account_id:
                accounts[account_id] = (segment or "", arr or Decimal(0))
        expected_points = [counts.get(first + dt.timedelta(weeks=i), 0) for i in range(26)]
        assert detail["accounts"] == len(accounts)
        assert detail["arr"] == sum((a for _, a in accounts.values()), Decimal(0))
        segs: dict[str, int] = defaultdict(int)
        for seg, _ in accounts.values():
            segs[seg or "No segment"] += 1
        assert {r["label"]: r["value"] for r in detail["segments"]} == segs
        assert detail["chart"] == [
            ((first + dt.timedelta(weeks=i)).isoformat(), float(expected_points[i])) for i in range(26)
        ]
        in_window, total = in_window + sum(expected_points), total + members.count()
    assert 0 < in_window < total  # some members are older than the window


def _list_queries(client: Any, slug: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/w/{slug}/insight/themes/")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_theme_list_queries_do_not_grow_with_items_or_themes(world, client) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha, {"export": TOPICS["export"], "dark": TOPICS["dark"]})
    services.recluster(world.alpha)
    client.force_login(world.bob)
    themes = world.alpha.themes.filter(status=ThemeStatus.ACTIVE).count()
    assert themes >= 2
    small = _list_queries(client, world.alpha.slug)
    assigned = world.alpha.theme_assignments.count()
    more = {f"{k}{n}": v for n in range(2) for k, v in TOPICS.items()}  # more items, a new topic
    seed(world.alpha, more)
    services.recluster(world.alpha)
    # More themes: the new topic, and (silhouette-chosen resolution) sets of verbatim copies as sub-themes.
    assert world.alpha.themes.filter(status=ThemeStatus.ACTIVE).count() > themes
    assert world.alpha.theme_assignments.count() > assigned + 20  # many more items in themes
    assert _list_queries(client, world.alpha.slug) == small


def test_theme_page_queries_do_not_grow_with_members(world, client) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha)
    services.recluster(world.alpha)
    client.force_login(world.bob)
    theme = Theme.objects.filter(workspace=world.alpha, status=ThemeStatus.ACTIVE).order_by("pk").first()
    assert theme is not None
    url = f"/w/{world.alpha.slug}/insight/themes/{theme.pk}/"
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    before, size = len(captured.captured_queries), theme.size
    # New items join their closest theme as they arrive (no re-clustering: it may split this theme).
    seed(world.alpha, {topic: texts * 3 for topic, texts in TOPICS.items()})
    theme.refresh_from_db()
    assert theme.status == ThemeStatus.ACTIVE and theme.size > size
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert len(captured.captured_queries) == before


def test_labels_read_at_most_a_sample_of_each_large_theme() -> None:
    import numpy as np

    labels = np.array([0] * 10 + [1] * 3 + [-1] * 4 + [2] * 7 + [0] * 5)
    sampled = services.label_sample(labels, 3, cap=6)
    for theme, size in ((0, 15), (1, 3), (2, 7)):
        kept = np.flatnonzero(sampled == theme)
        assert len(kept) == min(size, 6)
        assert set(kept.tolist()) <= set(np.flatnonzero(labels == theme).tolist())
    assert (sampled[labels == -1] == -1).all()
    assert (services.label_sample(labels, 3, cap=6) == sampled).all()  # seeded: the same names every run
    assert (services.label_sample(labels, 3, cap=15) == labels).all()  # small themes are read whole
