"""What one import chunk costs in statements (constant, not per row), and that a bad row in the
middle of a chunk is flagged on its own while the rest of the chunk lands."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from harken.customers.models import Account, Contact
from harken.imports import actions, runner
from harken.triage.models import Triage
from tests.base import World
from tests.imports.helpers import mapped


@pytest.fixture(autouse=True)
def _one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole file in one chunk of CHUNK_ROWS, however slow the machine."""
    monkeypatch.setattr(runner, "CHUNK_SECONDS", 1e9)
    monkeypatch.setattr(runner, "FIRST_CHUNK", 10**9)
    monkeypatch.setattr(runner, "SQLITE_PAUSE", 0)


def write_csv(path: Path, rows: int, *, bad: dict[int, tuple[str, str]] | None = None) -> Path:
    """Rows with a distinct sender each (half known contacts, half on a known account's domain),
    distinct tags, dates; `bad` maps a row index to (text, date) to put in instead."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ticket ID", "Email", "Feedback", "Tags", "Created"])
        for i in range(rows):
            text, date = (bad or {}).get(i, (f"Feedback number {i}", f"2026-03-{1 + i % 28:02d} 10:00"))
            email = f"contact{i}@known.test" if i % 2 else f"new{i}@known.test"
            writer.writerow([f"T-{i}", email, text, f"tag{i}; common", date])
    return path


def _statements(world: World, tmp_path: Path, rows: int) -> tuple[int, int, int]:
    """(INSERT statements, other statements, items created) of one run of `rows` rows."""
    bob = world.actor(world.bob)
    job = mapped(bob, write_csv(tmp_path / f"rows{rows}.csv", rows))
    with CaptureQueriesContext(connection) as queries:
        job = actions.run(bob, job)
    inserts = sum(1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT"))
    return inserts, len(queries.captured_queries) - inserts, job.created


def test_a_chunk_costs_the_same_statements_for_50_or_200_rows(world: World, tmp_path: Path) -> None:
    account = Account.objects.create(workspace=world.alpha, name="Known", domain="known.test")
    Contact.objects.bulk_create(
        Contact(workspace=world.alpha, account=account, email=f"contact{i}@known.test", name=f"C {i}")
        for i in range(1, 400, 2)
    )
    small = _statements(world, tmp_path, 50)
    world.alpha.feedback_items.all().delete()
    big = _statements(world, tmp_path, 200)
    assert small[2] == 50 and big[2] == 200
    # no statement per row: lookups (senders, tags, dedupe keys), ledger and checkpoint are per chunk
    assert big[1] == small[1], (small, big)
    # INSERTs are multi-row; only the database's parameter limit splits them (SQLite: 999 per statement)
    assert big[0] <= small[0] + (8 if connection.vendor == "sqlite" else 0), (small, big)
    items = world.alpha.feedback_items.select_related("contact", "account")
    assert all(f.account_id == account.pk for f in items)
    assert sum(1 for f in items if f.contact_id) == 100  # the known contacts, matched by email


def test_a_bad_row_in_the_middle_of_a_chunk_is_flagged_and_the_others_land(world: World, tmp_path: Path) -> None:
    bob = world.actor(world.bob)
    bad = {
        10: ("", "2026-03-01 10:00"),  # refused by the writer's validation (empty text)
        25: ("A date before any feedback", "1850-01-01 10:00"),  # refused by the batch (year out of range)
    }
    job = actions.run(bob, mapped(bob, write_csv(tmp_path / "bad.csv", 40, bad=bad)))
    assert job.status == "done"
    assert job.created == 38 and job.errors == 2
    assert sorted(p["row"] for p in job.error_report if p["level"] == "error") == [12, 27]  # header is row 1
    texts = set(world.alpha.feedback_items.values_list("external_id", flat=True))
    assert texts == {f"T-{i}" for i in range(40)} - {"T-10", "T-25"}
    assert Triage.objects.filter(workspace=world.alpha).count() == 38


def test_many_bad_rows_in_a_chunk_cost_one_extra_batch_not_one_each(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harken.feedback import actions as feedback_actions

    real = feedback_actions.create_feedback_batch
    calls: list[int] = []

    def counted(actor, rows, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        return real(actor, rows, **kwargs)

    monkeypatch.setattr(feedback_actions, "create_feedback_batch", counted)
    bob = world.actor(world.bob)
    bad = {i: (f"Too early {i}", "1850-01-01 10:00") for i in range(0, 60, 3)}  # 20 rows the batch refuses
    job = actions.run(bob, mapped(bob, write_csv(tmp_path / "many.csv", 60, bad=bad)))
    assert job.created == 40 and job.errors == 20
    assert calls == [60, 40]  # the refused batch, then the good rows once
    assert sorted(p["row"] for p in job.error_report if p["level"] == "error") == [i + 2 for i in bad]
