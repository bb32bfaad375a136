"""Per-theme figures stored at write time (harken.insight.themes.stats, issue 15): after every kind of
write that changes them they equal a fresh count from the items; the repair command and
re-clustering recount them; a GET never writes them; one workspace's figures never hold another's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from harken.customers import actions as customer_actions
from harken.customers.models import Account
from harken.feedback import actions as feedback_actions
from harken.insight import services as insight_services
from harken.insight.themes import services, stats
from harken.insight.themes.models import (
    Theme,
    ThemeAccountCount,
    ThemeStatsState,
    ThemeStatus,
    ThemeWeekCount,
)
from tests.insight.helpers import add
from tests.insight.test_theme_stats import reference_summaries, spread
from tests.insight.theme_data import TOPICS, seed

pytestmark = pytest.mark.django_db

EQUAL = {"weeks": {}, "accounts": {}}


def listed(actor: Any) -> dict[int, tuple]:
    return {r.theme.pk: (r.size, r.accounts, r.arr, r.weekly) for r in services.summaries(actor)}


def page(actor: Any, theme: Theme) -> tuple:
    with mock.patch("harken.core.charts.bar_chart", side_effect=lambda points, title: points):
        d = services.theme_detail(actor, theme, weeks=26)
    return d["chart"], d["accounts"], d["arr"], sorted((r["label"], r["value"]) for r in d["segments"])


def assert_stored_equals_fresh(actor: Any) -> None:
    """Stored rows equal a recount; the list and every theme page read from them (not the fallback)
    show what counting the items shows."""
    ws = actor.workspace
    assert stats.differences(ws) == EQUAL
    assert stats.read_summaries(ws, timezone.localdate(), 1) is not None  # the stored path is the one read
    assert listed(actor) == reference_summaries(actor)
    for theme in ws.themes.filter(status=ThemeStatus.ACTIVE):
        stored_page = page(actor, theme)
        with mock.patch.object(stats, "_usable", return_value=False):  # the count from the items
            assert page(actor, theme) == stored_page


def test_stored_figures_equal_a_fresh_count_after_every_kind_of_write(world) -> None:  # type: ignore[no-untyped-def]
    ws = world.alpha
    ids = seed(ws)
    spread(ws, ids)
    services.recluster(ws)
    actor = world.actor(world.bob)
    assert ThemeStatsState.objects.filter(workspace=ws).exists()
    assert ThemeWeekCount.objects.filter(workspace=ws).exists()
    assert ThemeAccountCount.objects.filter(workspace=ws).exists()
    assert_stored_equals_fresh(actor)
    items = ws.feedback_items
    themes = list(ws.themes.filter(status=ThemeStatus.ACTIVE).order_by("pk"))
    assert len(themes) >= 3

    # A new item arrives and the worker places it in its theme (assign_items).
    account = Account.objects.get(workspace=ws, name="A0")
    new = add(ws, "The CSV export of reports times out again", account=account)
    from harken.core.taskrun import run_pending_tasks

    run_pending_tasks()
    assert ws.theme_assignments.filter(feedback=new, theme__isnull=False).exists()
    assert_stored_equals_fresh(actor)

    # A person moves one item, then several (one out of every theme).
    services.move_item(actor, items.get(pk=ids["dark"][0]), themes[-1])
    assert_stored_equals_fresh(actor)
    services.move_items(actor, list(items.filter(pk__in=ids["billing"][:2])), None)
    assert_stored_equals_fresh(actor)

    # Duplicates: merge (the merged item counts through its survivor), undo, merge again.
    record = insight_services.merge(actor, items.get(pk=ids["export"][0]), items.get(pk=ids["dark"][1]))
    assert_stored_equals_fresh(actor)
    insight_services.undo_merge(actor, record)
    assert_stored_equals_fresh(actor)
    insight_services.merge(actor, items.get(pk=ids["export"][0]), items.get(pk=ids["export"][1]))
    assert_stored_equals_fresh(actor)

    # The item's account changes; an account's ARR and segment change; an account is deleted.
    feedback_actions.update_feedback(
        actor, items.get(pk=ids["export"][2]), account=Account.objects.get(workspace=ws, name="A1")
    )
    assert_stored_equals_fresh(actor)
    before = listed(actor)
    customer_actions.update_account(actor, account, {"arr": "98765", "segment": "Mid-market"}, partial=True)
    after = listed(actor)
    assert after != before  # the ARR shown moved with the account (read from it, nothing stored)
    assert_stored_equals_fresh(actor)
    customer_actions.delete_account(actor, Account.objects.get(workspace=ws, name="A2"))
    assert_stored_equals_fresh(actor)

    # Theme edits: merge two themes, split one.
    services.merge_themes(actor, themes[0], themes[1])
    assert_stored_equals_fresh(actor)
    services.split_theme(actor, themes[0])
    assert_stored_equals_fresh(actor)

    # Deleting items: a plain one, and a survivor (its merged duplicate counts again on its own).
    feedback_actions.delete_feedback(actor, items.get(pk=ids["dark"][2]))
    assert_stored_equals_fresh(actor)
    assert items.filter(pk=ids["export"][1], merged_into_id=ids["export"][0]).exists()
    feedback_actions.delete_feedback(actor, items.get(pk=ids["export"][0]))
    assert items.filter(pk=ids["export"][1], merged_into__isnull=True).exists()
    assert_stored_equals_fresh(actor)

    # Re-clustering recounts everything.
    services.recluster(ws)
    assert_stored_equals_fresh(actor)


def test_repair_command_recounts_idempotently_and_reclustering_repairs(world) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from harken.cli import app

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["insight", "themestats", *args], env={"COLUMNS": "220"})

    ws = world.alpha
    seed(ws)
    actor = world.actor(world.bob)
    # Before any re-clustering (e.g. right after the migration) nothing is stored: pages count items.
    assert not ThemeStatsState.objects.filter(workspace=ws).exists()
    services.recluster(ws)
    ThemeStatsState.objects.filter(workspace=ws).delete()
    ThemeWeekCount.objects.filter(workspace=ws).delete()
    expected = reference_summaries(actor)
    assert listed(actor) == expected  # counted from the items, nothing stored

    result = run("-w", "alpha")
    assert result.exit_code == 0, result.output
    assert stats.differences(ws) == EQUAL and listed(actor) == expected

    row = ThemeWeekCount.objects.filter(workspace=ws).first()
    assert row is not None
    ThemeWeekCount.objects.filter(pk=row.pk).update(items=row.items + 5)  # drift (as a bug would leave)
    assert stats.differences(ws)["weeks"] == {(row.theme_id, row.week): (row.items + 5, row.items)}
    checked = run("--all", "--check")
    assert checked.exit_code == 1 and "1 stored figure(s) differ" in checked.output
    assert ThemeWeekCount.objects.get(pk=row.pk).items == row.items + 5  # --check writes nothing
    repaired = run("-w", "alpha")
    assert repaired.exit_code == 0 and "1 corrected" in repaired.output, repaired.output
    again = run("-w", "alpha")
    assert again.exit_code == 0 and "0 corrected" in again.output, again.output
    assert run("--all", "--check").exit_code == 0
    assert listed(actor) == expected
    assert run().exit_code != 0  # neither --workspace nor --all

    # Re-clustering ends with the same recount.
    ThemeAccountCount.objects.filter(workspace=ws).delete()
    ThemeWeekCount.objects.filter(workspace=ws).update(items=1)
    services.recluster(ws)
    assert stats.differences(ws) == EQUAL and listed(actor) == expected


def test_stored_figures_hold_only_their_own_workspace(world) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha)
    seed(world.bravo, {"export": TOPICS["export"], "dark": TOPICS["dark"]})
    services.recluster(world.alpha)
    services.recluster(world.bravo)
    alpha, bravo = world.actor(world.bob), world.actor(world.charlie)
    bravo_before = listed(bravo)
    for ws in (world.alpha, world.bravo):
        theme_ids = set(ws.themes.values_list("pk", flat=True))
        assert set(ThemeWeekCount.objects.filter(workspace=ws).values_list("theme_id", flat=True)) <= theme_ids
        assert stats.differences(ws) == EQUAL
        assert (
            sum(ThemeWeekCount.objects.filter(workspace=ws).values_list("items", flat=True))
            == ws.theme_assignments.filter(theme__isnull=False).count()
        )
    assert not set(listed(alpha)) & set(listed(bravo))
    # Writes in Alpha leave Bravo's stored rows alone; repairing Alpha does not touch Bravo.
    bravo_rows = list(ThemeWeekCount.objects.filter(workspace=world.bravo).values_list("pk", "items", "updated_at"))
    themes = list(world.alpha.themes.filter(status=ThemeStatus.ACTIVE).order_by("pk"))
    services.merge_themes(alpha, themes[0], themes[1])
    feedback_actions.delete_feedback(alpha, world.alpha.feedback_items.order_by("pk").first())
    stats.rebuild(world.alpha)
    assert list(ThemeWeekCount.objects.filter(workspace=world.bravo).values_list("pk", "items", "updated_at")) == (
        bravo_rows
    )
    assert listed(bravo) == bravo_before == reference_summaries(bravo)
    assert stats.differences(world.alpha) == EQUAL


def test_reads_never_write_and_other_time_zones_are_counted(world, client) -> None:  # type: ignore[no-untyped-def]
    ws = world.alpha
    ids = seed(ws)
    spread(ws, ids)
    services.recluster(ws)
    ThemeStatsState.objects.filter(workspace=ws).delete()  # as right after the migration
    theme = ws.themes.filter(status=ThemeStatus.ACTIVE).order_by("pk").first()
    assert theme is not None
    client.force_login(world.bob)
    for stored in (False, True):
        for url in ("/w/alpha/insight/themes/", f"/w/alpha/insight/themes/{theme.pk}/"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            writes = [
                q["sql"] for q in captured.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
            ]
            assert writes == []
        assert ThemeStatsState.objects.filter(workspace=ws).exists() == stored  # a GET never builds them
        stats.rebuild(ws)
    # The page's paginator is told the members' number (no COUNT over the joined items): the same.
    members = ws.feedback_items.filter(theme_assignment__theme=theme)
    listed_page = client.get(f"/w/alpha/insight/themes/{theme.pk}/").context["page_obj"]
    assert listed_page.paginator.count == members.count() == theme.assignments.count()
    assert [f.pk for f in listed_page.object_list] == list(
        members.order_by("-received_at", "-pk").values_list("pk", flat=True)[:25]
    )

    # A member who reads in another time zone gets weeks counted in that zone, from the items.
    actor = world.actor(world.bob)
    with timezone.override(dt.timezone(dt.timedelta(hours=13))):
        assert stats.read_summaries(ws, timezone.localdate(), 1) is None
        assert listed(actor) == reference_summaries(actor)
    with timezone.override("UTC"):
        assert stats.read_summaries(ws, timezone.localdate(), 1) is not None
    # The workspace's zone changes: until a recount, its pages count from the items (correct figures).
    ws.timezone = "Pacific/Auckland"
    ws.save(update_fields=["timezone"])
    with timezone.override("Pacific/Auckland"):
        assert stats.read_summaries(ws, timezone.localdate(), 1) is None
        expected = reference_summaries(actor)
        assert listed(actor) == expected
        stats.rebuild(ws)
        assert stats.read_summaries(ws, timezone.localdate(), 1) is not None
        assert listed(actor) == expected and stats.differences(ws) == EQUAL


def test_filtered_list_is_counted_from_the_items(world) -> None:  # type: ignore[no-untyped-def]
    from harken.insight import filters as evidence_filters

    ws = world.alpha
    ids = seed(ws)
    spread(ws, ids)
    services.recluster(ws)
    actor = world.actor(world.bob)
    evidence = evidence_filters.parse(ws, {"plan": "basic"})  # account A1 only (ARR 2,000)
    assert evidence.active
    with mock.patch.object(stats, "read_summaries", side_effect=AssertionError("stored figures under a filter")):
        rows = services.summaries(actor, evidence=evidence)
    assert {r.theme.pk: (r.size, r.accounts, r.arr, r.weekly) for r in rows} == reference_summaries(
        actor, evidence=evidence
    )
    assert rows and all(r.arr == Decimal(2000) for r in rows)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_workspace_do_not_count_the_same_item_twice(world) -> None:  # type: ignore[no-untyped-def]
    """Two transactions move the same item at once (PostgreSQL; SQLite has one writer anyway): the
    second reads the item's "before" only after the first committed, under the stats row lock.
    Without the lock the second would subtract the item from its old theme a second time."""
    import threading
    import time

    from django.db import transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    ws = world.alpha
    ids = seed(ws)
    services.recluster(ws)
    actor = world.actor(world.bob)
    item = ws.feedback_items.get(pk=ids["export"][0])
    current = ws.theme_assignments.get(feedback=item).theme_id
    first_theme, second_theme = ws.themes.filter(status=ThemeStatus.ACTIVE).exclude(pk=current).order_by("pk")[:2]
    inside = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic(), stats.tracking(ws, [item.pk]):
                services._place(actor, [item.pk], first_theme)
                inside.set()
                time.sleep(1.5)  # the second writer starts now and must wait for this commit
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            inside.set()
            connection.close()

    def second() -> None:
        try:
            inside.wait(30)
            services.move_item(actor, ws.feedback_items.get(pk=item.pk), second_theme)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert ws.theme_assignments.get(feedback=item).theme_id == second_theme.pk
    assert stats.differences(ws) == EQUAL
