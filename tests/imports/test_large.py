"""A ~50 MB export streams through without being held in memory (marked slow)."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import pytest

from harken.imports import actions
from harken.imports.models import ImportStatus
from tests.base import World
from tests.imports.helpers import mapped

ROWS = 500  # long texts: the point is the file size, and each row costs the feedback services' work
TARGET_BYTES = 50 * 1024 * 1024


def generate(path: Path) -> None:
    paragraph = "The export times out when the report has more than a year of data; we retry at night. " * 10
    filler = (paragraph + "\n") * (TARGET_BYTES // ROWS // (len(paragraph) + 1))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Ticket ID", "Created at", "Email", "Feedback", "Tags"])
        for i in range(ROWS):
            writer.writerow(
                [
                    f"BIG-{i}",
                    f"2026-01-{i % 28 + 1:02d} 10:00",
                    f"user{i % 300}@big.test",
                    f"Ticket {i}: {filler}",
                    "export; performance",
                ]
            )


@pytest.mark.slow
def test_a_50_mb_file_imports_in_one_pass(world: World, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    generate(path)
    assert path.stat().st_size > 45 * 1024 * 1024
    bob = world.actor(world.bob)
    job = mapped(bob, path)
    assert job.delimiter == ";" and job.mapping["text"] == "Feedback"

    tracemalloc.start()
    try:
        job = actions.run_dry(bob, job)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (job.status, job.created, job.errors) == (ImportStatus.PREVIEWED, ROWS, 0)
    assert peak < 25 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB: the file is being held in memory"

    actions.start_import(bob, job)
    job = actions.run(bob, job)
    assert (job.status, job.created, job.total_rows) == (ImportStatus.DONE, ROWS, ROWS), job.failure
    assert world.alpha.feedback_items.count() == ROWS
    assert world.alpha.feedback_items.get(external_id="BIG-42").text.startswith("Ticket 42: The export times out")
