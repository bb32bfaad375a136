"""Ingest benchmark: items/s through the whole path of an item, and statements per single create.

Usage (bounded: pick the sizes; the machine is shared, figures are labelled with its load):
    HARKEN_EMBEDDER=hashing .venv/bin/python bench/ingest.py --rows 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_bench_ingest ... bench/ingest.py --rows 10000

Path measured: rows (banking77 texts, senders on 50 known account domains, 2 tags each) →
`feedback.actions.create_feedback_batch` (bulk inserts, cached sender matching, triage rows and
events, one insight job per chunk) → the worker runs the queued jobs (`insight.tasks.understand_items`:
embed once per chunk → duplicate suggestions → category/sentiment → theme assignment against themes
clustered beforehand from a 1,000-item seed). Statements per single create: one `create_feedback`
(known sender, two existing tags) counted with CaptureQueriesContext, transaction control excluded.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, print_table, setup_django, write_results  # noqa: E402

CHUNK = 500


def texts() -> list[str]:
    with open(DATASETS / "banking77" / "test.csv", newline="") as f:
        return [r["text"] for r in csv.DictReader(f)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="10000", help="comma-separated sizes, e.g. 10000,100000")
    parser.add_argument("--name", default="", help="results file suffix (default: the database vendor)")
    parser.add_argument(
        "--duplicates",
        action="store_true",
        help="run the queued jobs as queued (with per-item duplicate suggestions, ~0.3 s/item on the shared "
        "machine); default: the same jobs with suggest=False, so 10k/100k stay bounded",
    )
    parser.add_argument(
        "--per-item",
        action="store_true",
        help="with --duplicates: file suggestions item by item (`suggest_duplicates`, the path before the "
        "chunk batch) instead of once per chunk (`suggest_duplicates_many`), for a before/after comparison",
    )
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_EMBEDDER", "hashing")
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from harken.accounts.models import User
    from harken.core.taskrun import run_pending_tasks
    from harken.customers.models import Account, Contact
    from harken.feedback.actions import NewItem, create_feedback, create_feedback_batch
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes.models import ThemeRun
    from harken.insight.themes.services import run_recluster
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role, Workspace

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    vendor = connection.vendor
    corpus = texts()
    embedder = get_embedder()
    embedder.encode(["warm up"])
    owner = User.objects.create_user(email="bench@harken.test", password="x")
    results: list[dict[str, object]] = []

    def save(runs: list[dict[str, object]], statements: int | None) -> None:
        """Written after every size, so a long run that is stopped keeps what it measured."""
        write_results(
            f"ingest-{args.name or vendor}{'' if not args.duplicates else '-duplicates'}"
            f"{'-per-item' if args.per_item else ''}",
            {
                "database": vendor,
                "embedder": embedder.name,
                "chunk": CHUNK,
                "runs": runs,
                "statements_per_single_create": statements,
                "note": "shared 2-core machine with ~9 engineers running tests; figures are indicative",
            },
        )

    def run_without_duplicates() -> None:
        """The queued insight jobs, one per chunk, run with suggest=False (then marked done)."""
        from django_tasks_db.models import DBTaskResult

        from harken.insight.tasks import understand_items

        for job in DBTaskResult.objects.filter(task_path="harken.insight.tasks.understand_items", status="READY"):
            understand_items.call(job.args_kwargs["args"][0], suggest=False)
            job.delete()

    def run_per_item() -> None:
        """The queued jobs with suggest=False, then `suggest_duplicates` item by item (the old path)."""
        from django_tasks_db.models import DBTaskResult

        from harken.feedback.models import Feedback
        from harken.insight import services
        from harken.insight.tasks import understand_items

        for job in DBTaskResult.objects.filter(task_path="harken.insight.tasks.understand_items", status="READY"):
            ids = job.args_kwargs["args"][0]
            understand_items.call(ids, suggest=False)
            for item in Feedback.objects.select_related("workspace").filter(pk__in=ids).order_by("pk"):
                services.suggest_duplicates(item)
            job.delete()

    def rows_for(n: int, offset: int) -> list[NewItem]:
        return [
            NewItem(
                text=corpus[(i + offset) % len(corpus)] + f" #{i + offset}",
                author_email=f"user{i % 400}@company{i % 50}.test",
                tags=[f"tag{i % 20}", f"area{i % 7}"],
                channel="support",
                external_id=f"r{i + offset}",
            )
            for i in range(n)
        ]

    for n in [int(x) for x in args.rows.split(",")]:
        ws = Workspace.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
        Membership.objects.create(workspace=ws, user=owner, role=Role.OWNER)
        actor = Actor(workspace=ws, user=owner, role=Role.OWNER)
        for d in range(50):
            Account.objects.create(workspace=ws, name=f"Company {d}", domain=f"company{d}.test")
        # themes to assign into: cluster a 1,000-item seed first (not timed)
        create_feedback_batch(actor, rows_for(1000, 10_000_000))
        run_without_duplicates()
        run_recluster(ThemeRun.objects.create(workspace=ws))
        rows = rows_for(n, 0)
        start = time.perf_counter()
        for s in range(0, n, CHUNK * 10):
            create_feedback_batch(actor, rows[s : s + CHUNK * 10], chunk_size=CHUNK)
        written = time.perf_counter()
        if args.duplicates and args.per_item:
            run_per_item()
        elif args.duplicates:
            run_pending_tasks()
        else:
            run_without_duplicates()
        end = time.perf_counter()
        assigned = ws.theme_assignments.count()
        triaged = ws.triage_items.count()
        embedded = ws.item_embeddings.count()
        results.append(
            {
                "rows": n,
                "write_s": round(written - start, 2),
                "insight_s": round(end - written, 2),
                "items_per_s": round(n / (end - start), 1),
                "triage_rows": triaged,
                "embedded": embedded,
                "theme_assigned": assigned,
                "duplicate_suggestions": args.duplicates,
                "suggestions_filed": ws.duplicate_suggestions.count(),
                "suggestion_path": "per item" if args.per_item else "per chunk",
            }
        )
        print(results[-1], flush=True)
        save(results, None)
    # statements per single create: known sender, two existing tags
    ws = Workspace.objects.create(name="Bench single", slug="bench-single")
    acme = Account.objects.create(workspace=ws, name="Acme", domain="acme.test")
    Contact.objects.create(workspace=ws, account=acme, name="Wile", email="wile@acme.test")
    actor = Actor(workspace=ws, user=owner, role=Role.OWNER)
    create_feedback(actor, text="first", author_email="wile@acme.test", tags=["export", "perf"])
    connection.queries_log.clear()  # a full log (maxlen 9000) would make the capture look empty
    with CaptureQueriesContext(connection) as ctx:
        create_feedback(actor, text="second", author_email="wile@acme.test", tags=["export", "perf"])
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = len([q for q in ctx.captured_queries if not q["sql"].upper().startswith(control)])
    print_table(
        f"Ingest through the whole path ({vendor}, embedder {embedder.name})",
        ["rows", "write s", "insight s", "items/s", "triage rows", "embedded", "in a theme"],
        [
            [
                r["rows"],
                r["write_s"],
                r["insight_s"],
                r["items_per_s"],
                r["triage_rows"],
                r["embedded"],
                r["theme_assigned"],
            ]
            for r in results
        ],
    )
    print(f"statements per single create_feedback: {statements}")
    save(results, statements)
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
