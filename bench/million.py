"""A big generated workspace on PostgreSQL: bulk load, then web latency and re-clustering time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_million \\
        .venv/bin/python bench/million.py --items 1000000 --vectors 200000 --seconds 30
    ... bench/million.py --items 100000 --seconds 20 --name load-100k   # the inbox load target at 100k

1. Items are written with PostgreSQL COPY (feedback rows: banking77 texts, 50 accounts, dates over
   two years), then `VACUUM ANALYZE`. Reported: rows/s of that bulk path. (The CSV import pipeline's
   own rate is `bench/import_csv.py`; it is also run here on 20,000 rows appended to the big workspace.)
2. `--vectors` items get **synthetic** embeddings (clustered random unit vectors, 384-d, 40 groups:
   not a model's output), and re-clustering (`insight.themes.services.recluster`, embed=False) is timed.
3. `harken serve` (production settings) answers the inbox, an item page, a text search in the inbox
   (`?q=`), the theme list and the API list to `--clients` clients for `--seconds` each; p50/p95,
   req/s, errors and the load average are recorded (bench/load.py's client).
`--stages vectors --vectors N` gives an existing workspace N synthetic vectors (and its index file).
`--stages build,recluster,import,web` runs a subset (a later stage keeps the earlier stages' figures in
the same JSON), `--endpoints "theme list,theme page"` measures some pages only (on a fresh server).
Writes bench/results/<name>.json (default `million`). Drop the database afterwards.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, print_table, setup_django, write_results  # noqa: E402
from load import ENDPOINTS, _browser, fetch_csrf_cookie, measure, sign_in, start_server  # noqa: E402

WORDS = ["card", "transfer", "refund", "exchange", "pin", "top", "account", "payment", "cash", "verify"]


def texts() -> list[str]:
    with open(DATASETS / "banking77" / "test.csv", newline="") as f:
        return [r["text"] for r in csv.DictReader(f)]


def generate(workspace: Any, items: int) -> float:
    """COPY `items` feedback rows into the workspace; returns seconds."""
    from django.db import connection
    from django.utils import timezone

    corpus = texts()
    accounts = list(workspace.accounts.values_list("pk", flat=True))
    now = timezone.now()
    columns = [
        "created_at", "updated_at", "workspace_id", "title", "text", "channel", "account_id", "author_email",
        "author_name", "received_at", "external_id", "dedupe_key", "raw_payload", "raw_content_type",
        "source_kind", "source_ref",
    ]  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor
        with raw.copy(f"COPY feedback_feedback ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(items):
                at = now - timedelta(minutes=i)  # newest first = lowest i
                copy.write_row(
                    (at, at, workspace.pk, "", f"{corpus[i % len(corpus)]} (#{i})", "support",
                     accounts[i % len(accounts)], f"user{i % 5000}@company{i % 50}.test", "", at,
                     f"m-{i}", f"support:m-{i}", "", "", "", "")
                )  # fmt: skip
    elapsed = time.perf_counter() - started
    from harken.core import dataversion

    dataversion.bump()  # COPY bypasses Django's statement wrapper
    return elapsed


def synthetic_vectors(workspace: Any, count: int, embedder: str, dim: int = 384) -> float:
    import numpy as np
    from django.db import connection

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, dim)).astype(np.float32)
    from harken.insight.embeddings import item_text, text_hash

    rows = list(workspace.feedback_items.order_by("-id").values_list("pk", "title", "text")[:count])
    ids = [r[0] for r in rows]
    hashes = {pk: text_hash(embedder, item_text(title, text)) for pk, title, text in rows}
    written = datetime.now(UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        cols = "created_at, updated_at, workspace_id, feedback_id, embedder, dim, vector, text_hash"
        with raw.copy(f"COPY insight_itemembedding ({cols}) FROM STDIN") as copy:
            for start in range(0, len(ids), 10000):
                block = ids[start : start + 10000]
                vectors = centres[rng.integers(0, 40, len(block))] + 0.6 * rng.normal(size=(len(block), dim))
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                vectors = vectors.astype(np.float32)
                for pk, vec in zip(block, vectors, strict=True):
                    # Distinct timestamps, as the worker's writes have: an index re-reads the rows
                    # sharing its last sync time on every search (10,000 here when a block shared one).
                    now = (written + timedelta(microseconds=pk)).isoformat()
                    copy.write_row((now, now, workspace.pk, pk, embedder, dim, vec.tobytes(), hashes[pk]))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--vectors", type=int, default=200_000, help="items given synthetic embeddings (0: none)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--name", default="million")
    parser.add_argument("--keep", action="store_true", help="reuse the workspace if it already has the items")
    parser.add_argument("--endpoints", default="", help="comma-separated endpoint names to measure (default: all)")
    parser.add_argument("--slug", default="million", help="the generated workspace's slug")
    parser.add_argument(
        "--stages",
        default="build,recluster,import,web",
        help="comma-separated subset of build,vectors,recluster,import,web",
    )
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_EMBEDDER", "hashing")
    os.environ.setdefault("HARKEN_DATA_DIR", str(ROOT / "var" / "bench-million"))
    os.environ.setdefault("SECRET_KEY", "bench-million-" + secrets.token_urlsafe(40))
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from harken.accounts.models import User
    from harken.customers.models import Account
    from harken.insight.embeddings import get_embedder
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role, Workspace

    assert connection.vendor == "postgresql", "bench/million.py needs DATABASE_URL=postgres://…"
    call_command("migrate", "--noinput", verbosity=0)
    stages = set(args.stages.split(","))
    figures: dict[str, Any] = {
        "items": args.items,
        "command": " ".join(sys.argv),
        "stages": sorted(stages),
        "load_average_start": os.getloadavg(),
    }
    previous = ROOT / "bench" / "results" / f"{args.name}.json"
    if "build" not in stages and previous.exists():  # a later stage of the same run: keep the earlier figures
        import json

        old = json.loads(previous.read_text())
        figures = {**{k: v for k, v in old.items() if k not in ("benchmark", "when", "machine", "web")}, **figures}
        figures["earlier_stages_command"] = old.get("command")
        figures["earlier_web"] = old.get("web", [])
    workspace = Workspace.objects.filter(slug=args.slug).first()
    if "build" in stages and (workspace is None or not args.keep or workspace.feedback_items.count() < args.items):
        if workspace is not None:
            workspace.delete()
        workspace = Workspace.objects.create(name="Million", slug=args.slug)
        for d in range(50):
            Account.objects.create(workspace=workspace, name=f"Company {d}", domain=f"company{d}.test")
        print(f"COPY {args.items} items…", flush=True)
        seconds = generate(workspace, args.items)
        figures["bulk_copy"] = {"seconds": round(seconds, 1), "rows_per_s": round(args.items / seconds)}
        print(f"  {figures['bulk_copy']}", flush=True)
        embedder = get_embedder()
        if args.vectors:
            seconds = synthetic_vectors(workspace, min(args.vectors, args.items), embedder.name, embedder.dim)
            figures["synthetic_vectors"] = {"count": min(args.vectors, args.items), "seconds": round(seconds, 1)}
            # What the worker does after a backfill: write the IVF index file (above
            # HARKEN_EXACT_INDEX_MAX), so the first web search does not build it.
            from harken.insight.index import refresh_index

            started = time.perf_counter()
            refresh_index(workspace.pk, embedder.name, embedder.dim)
            figures["refresh_index_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        figures["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    assert workspace is not None, f"no workspace {args.slug!r}: run the build stage first"
    if "vectors" in stages and args.vectors and "build" not in stages:
        # Vectors for a workspace built earlier without them (`--stages build --vectors 0`).
        from harken.insight.index import refresh_index
        from harken.insight.models import ItemEmbedding

        embedder = get_embedder()
        ItemEmbedding.objects.filter(workspace=workspace).delete()
        count = min(args.vectors, args.items)
        seconds = synthetic_vectors(workspace, count, embedder.name, embedder.dim)
        figures["synthetic_vectors"] = {"count": count, "seconds": round(seconds, 1)}
        started = time.perf_counter()
        refresh_index(workspace.pk, embedder.name, embedder.dim)
        figures["refresh_index_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE insight_itemembedding")
    user, _ = User.objects.get_or_create(email="million@harken.test")
    Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": Role.OWNER})
    actor = Actor(workspace=workspace, user=user, role=Role.OWNER)

    if args.vectors and "recluster" in stages:
        from harken.insight.themes.services import recluster

        print("re-clustering…", flush=True)
        started, cpu = time.perf_counter(), time.process_time()
        marks: list[tuple[str, float, float]] = []

        def progress(stage: str, share: float) -> None:
            marks.append((stage, round(time.perf_counter() - started, 1), round(time.process_time() - cpu, 1)))
            print(f"  {marks[-1]}", flush=True)

        stats = recluster(workspace, embed=False, progress=progress)
        figures["recluster"] = {
            "items_with_vectors": min(args.vectors, args.items),
            "seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
            "stages_wall_cpu_s": marks,
            "themes": workspace.themes.filter(status="active").count(),
            "stats": {k: v for k, v in stats.items() if isinstance(v, int | float | str)},
            "vectors": "synthetic (clustered random unit vectors), not a model's output",
            "load_average": os.getloadavg(),
        }
        print(f"  {figures['recluster']}", flush=True)

    if args.import_rows and "import" in stages:
        from django.core.files.base import ContentFile

        from harken.imports import actions
        from harken.imports.models import ImportKind
        from import_csv import make_csv

        job = actions.create_job(
            actor, ImportKind.FEEDBACK, ContentFile(make_csv(args.import_rows), name="more.csv"), filename="more.csv"
        )
        job = actions.set_mapping(
            actor,
            job,
            {"external_id": "Ticket ID", "author_email": "Email", "text": "Feedback", "tags": "Tags",
             "received_at": "Created"},
        )  # fmt: skip
        started = time.perf_counter()
        cpu = time.process_time()
        job = actions.run(actor, job)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        figures["csv_import_into_big_workspace"] = {
            "rows": args.import_rows,
            "seconds": round(seconds, 1),
            "rows_per_s": round(args.import_rows / seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "status": job.status,
            "load_average": os.getloadavg(),
        }
        print(f"  {figures['csv_import_into_big_workspace']}", flush=True)

    if "web" not in stages:
        figures["load_average_end"] = os.getloadavg()
        write_results(args.name, {**figures, "database": "postgresql", "web": []})
        return
    session_key, raw = sign_in(workspace, user, "bench/million.py")
    ids = list(workspace.feedback_items.order_by("-id").values_list("pk", flat=True)[:2000])
    theme = workspace.themes.filter(status="active").order_by("-size").first()
    ctx = {"slug": workspace.slug, "session": session_key, "token": raw, "ids": ids, "items": args.items}
    endpoints = dict(ENDPOINTS)
    endpoints.pop("API create")
    endpoints["search"] = lambda c, rng: ("GET", f"/w/{c['slug']}/feedback/?q={rng.choice(WORDS)}", _browser(c), None)
    endpoints["theme list"] = lambda c, rng: ("GET", f"/w/{c['slug']}/insight/themes/", _browser(c), None)
    if theme is not None:
        endpoints["theme page"] = lambda c, rng: (
            "GET",
            f"/w/{c['slug']}/insight/themes/{theme.pk}/",
            _browser(c),
            None,
        )
    if args.endpoints:
        endpoints = {k: v for k, v in endpoints.items() if k in args.endpoints.split(",")}
    ENDPOINTS.update(endpoints)
    connection.close()
    server, port = start_server(args.threads, Path(os.environ["HARKEN_DATA_DIR"]))
    rows: list[dict[str, Any]] = []
    try:
        fetch_csrf_cookie(port, ctx)
        for name in endpoints:
            for clients in [int(c) for c in args.clients.split(",")]:
                result = measure(port, server.pid, name, clients, args.seconds, ctx)
                result["load_average"] = os.getloadavg()
                rows.append(result)
                print(
                    f"{name:>11} x{clients:<3} {result['req_per_s']:>7} req/s  p50 {result['p50_ms']:>7} ms  "
                    f"p95 {result['p95_ms']:>7} ms  cpu {result['server_cpu_ms_per_req']} ms/req  "
                    f"errors {result['errors']} load {result['load_average'][0]:.1f} {result['error_samples']}",
                    flush=True,
                )
                write_results(args.name, {**figures, "database": "postgresql", "web": rows})
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    print_table(
        f"{args.items} items on PostgreSQL, {args.seconds:g}s per cell",
        ["endpoint", "clients", "req/s", "p50 ms", "p95 ms", "errors", "CPU ms/req", "load"],
        [
            [r["endpoint"], r["clients"], r["req_per_s"], r["p50_ms"], r["p95_ms"], r["errors"],
             r["server_cpu_ms_per_req"], f"{r['load_average'][0]:.1f}"]
            for r in rows
        ],
    )  # fmt: skip
    figures["load_average_end"] = os.getloadavg()
    write_results(args.name, {**figures, "database": "postgresql", "web": rows})


if __name__ == "__main__":
    main()
