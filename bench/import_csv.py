"""CSV import throughput to visible rows: the real pipeline (upload → mapping → chunked run), in process.

    .venv/bin/python bench/import_csv.py --rows 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_bench bench/import_csv.py --rows 20000
    bench/import_csv.py --rows 5000 --profile      # cProfile, top functions by cumulative time

Rows: banking77 texts with a ticket id, a sender on one of 50 known account domains, two tags and a
date. Timed: `imports.actions.run` (every chunk committed with its ledger; feedback, tag links,
triage rows and events, one insight job per chunk queued). The insight jobs (embedding, themes)
run afterwards in the background and are not part of "visible rows"; `bench/ingest.py` measures them.
Writes bench/results/import-csv-<vendor>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, feedback_csv, print_table, setup_django, write_results  # noqa: E402


def texts() -> list[str]:
    with open(DATASETS / "banking77" / "test.csv", newline="") as f:
        return [r["text"] for r in csv.DictReader(f)]


def make_csv(rows: int) -> bytes:
    return feedback_csv(texts(), rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--name", default="")
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_EMBEDDER", "hashing")
    setup_django()
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import setup_test_environment

    from harken.accounts.models import User
    from harken.customers.models import Account
    from harken.imports import actions
    from harken.imports.models import ImportKind
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role, Workspace

    setup_test_environment(debug=False)  # as in production: no query log (HARKEN_DEBUG only for the settings)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    vendor = connection.vendor
    owner = User.objects.create_user(email="bench@harken.test", password="x")
    ws = Workspace.objects.create(name="Bench import", slug="bench-import")
    Membership.objects.create(workspace=ws, user=owner, role=Role.OWNER)
    actor = Actor(workspace=ws, user=owner, role=Role.OWNER)
    for d in range(50):
        Account.objects.create(workspace=ws, name=f"Company {d}", domain=f"company{d}.test")
    data = make_csv(args.rows)
    job = actions.create_job(actor, ImportKind.FEEDBACK, ContentFile(data, name="bench.csv"), filename="bench.csv")
    job = actions.set_mapping(
        actor,
        job,
        {
            "external_id": "Ticket ID",
            "author_email": "Email",
            "text": "Feedback",
            "tags": "Tags",
            "received_at": "Created",
        },
    )
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profiler:
        profiler.enable()
    job = actions.run(actor, job)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    visible = ws.feedback_items.count()
    result = {
        "rows": args.rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(args.rows / elapsed, 1),
        "cpu_seconds": round(cpu, 2),  # this process only (PostgreSQL's server work is not in it)
        "rows_per_cpu_s": round(args.rows / cpu, 1),
        "status": job.status,
        "created": job.created,
        "visible": visible,
        "triage_rows": ws.triage_items.count(),
        "profiled": args.profile,
        "load_average": os.getloadavg(),
    }
    print_table(
        f"CSV import to visible rows ({vendor})",
        ["rows", "seconds", "rows/s", "CPU s", "rows/CPU s", "status", "visible", "load"],
        [
            [
                args.rows,
                result["seconds"],
                result["rows_per_s"],
                result["cpu_seconds"],
                result["rows_per_cpu_s"],
                job.status,
                visible,
                f"{os.getloadavg()[0]:.1f}",
            ]
        ],
    )
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        stats.print_callees("open_triage_many|prepare|_insert")
    else:
        write_results(
            f"import-csv-{args.name or vendor}",
            {"database": vendor, "target_rows_per_s": 1000, "run": result, "note": "shared 2-core machine"},
        )
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
