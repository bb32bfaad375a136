"""Where the non-encoder CPU of the ingest path goes: import → worker job, per stage, in one process.

Usage (bounded: --rows items; the machine is shared, every figure carries its load average):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_x .venv/bin/python bench/ingest_cpu.py --name after
    ... bench/ingest_cpu.py --src /path/to/other/checkout/src --name before   # the same run, other code
    ... bench/ingest_cpu.py --profile 40                                       # cProfile of the measured part
    ... bench/ingest_cpu.py --dump var/out.json                                # every result, for an equality check

The database must be the benchmark's own (it is migrated; the workspace `bench-cpu` is deleted and
re-created). Path, as `bench/ingest_e2e.py` runs it but in this process:
1. Seed (not timed): --seed banking77 train texts created, embedded and clustered into themes.
2. Import (timed): --rows banking77 test texts (cycled, unique suffix) as a CSV through the import
   pipeline (`imports.actions.run`), with a FIXED chunk size (--chunk; the production runner sizes
   chunks from the pace of writing, which would make the chunking — and so the duplicate suggestions —
   differ from run to run).
3. Worker (timed): the queued `understand_items` jobs run through `harken.core.worker.drain` (the
   worker's claim-and-run loop), with DEBUG off. Each stage of the job is timed by wrapping it
   (CPU seconds, `time.process_time`, all threads of this process): the encoder (`Embedder.encode`),
   the rest of `embed_items`, `suggest_duplicates_many`, `classify_items`, `assign_items`; "task and
   job overhead" = the drain minus those.
--dump writes, per imported row (by its ticket id): category, sentiment, category score, theme (by
its title and rank among the seed's themes), assignment score, and every filed duplicate suggestion
(both ticket ids, score) — identical dumps mean identical results.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, feedback_csv, write_results  # noqa: E402

SLUG = "bench-cpu"
TASK_PATH = "harken.insight.tasks.understand_items"


def texts(split: str) -> list[str]:
    with open(DATASETS / "banking77" / f"{split}.csv", newline="", encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=500, help="rows per import chunk (= items per insight job)")
    parser.add_argument("--embedder", default="minilm-int8")
    parser.add_argument("--suggest", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--src", default="", help="import harken from this src directory instead")
    parser.add_argument("--name", default="")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of the measured part")
    parser.add_argument("--dump", default="")
    args = parser.parse_args()

    sys.path.insert(0, args.src or str(ROOT / "src"))
    os.environ["HARKEN_EMBEDDER"] = args.embedder
    os.environ["HARKEN_DEBUG"] = "0"  # no query log, as in a worker
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))  # bench-only, never stored
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-cpu.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    import harken
    from harken.accounts.models import User
    from harken.core.worker import drain
    from harken.customers.models import Account
    from harken.feedback.actions import NewItem, create_feedback_batch
    from harken.imports import actions, runner
    from harken.imports.models import ImportKind
    from harken.insight import services as insight_services
    from harken.insight.embeddings import get_embedder
    from harken.insight.models import DuplicateSuggestion
    from harken.insight.tasks import understand_items
    from harken.insight.themes import classify
    from harken.insight.themes import services as theme_services
    from harken.insight.themes.models import ItemClassification, ThemeAssignment, ThemeRun
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role, Workspace

    print(f"harken from {Path(harken.__file__).parent}", flush=True)
    call_command("migrate", verbosity=0)
    Workspace.objects.filter(slug=SLUG).delete()
    DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).delete()
    owner, _ = User.objects.get_or_create(email="bench-cpu@harken.test")
    ws = Workspace.objects.create(name="Bench CPU", slug=SLUG)
    Membership.objects.create(workspace=ws, user=owner, role=Role.OWNER)
    actor = Actor(workspace=ws, user=owner, role=Role.OWNER)
    Account.objects.bulk_create(
        [Account(workspace=ws, name=f"Company {d}", domain=f"company{d}.test") for d in range(50)]
    )

    # 1. seed (not timed)
    train = texts("train")
    seed = [
        NewItem(text=train[(i * 7) % len(train)], author_email=f"seed{i % 100}@company{i % 50}.test")
        for i in range(args.seed)
    ]
    create_feedback_batch(actor, seed)
    for job in DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY"):
        understand_items.call(job.args_kwargs["args"][0], suggest=False)
        job.delete()
    run_recluster = theme_services.run_recluster
    run_recluster(ThemeRun.objects.create(workspace=ws))
    seed_ids = set(ws.feedback_items.values_list("pk", flat=True))
    embedder = get_embedder()
    embedder.encode(["warm the encoder up"])

    # stage timers: wrap the module attributes the job calls
    cpu: dict[str, float] = {"encoder": 0.0, "embed_items": 0.0, "duplicates": 0.0, "category": 0.0, "theme": 0.0}

    def timed(key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            c = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[key] += time.process_time() - c

        return wrapper

    embedder.encode = timed("encoder", embedder.encode)  # type: ignore[method-assign]
    insight_services.embed_items = timed("embed_items", insight_services.embed_items)
    insight_services.suggest_duplicates_many = timed("duplicates", insight_services.suggest_duplicates_many)
    classify.classify_items = timed("category", classify.classify_items)
    theme_services.assign_items = timed("theme", theme_services.assign_items)

    # 2. import, fixed chunks
    runner.FIRST_CHUNK = args.chunk
    runner.CHUNK_ROWS = args.chunk
    runner.CHUNK_SECONDS = 1e9
    data = feedback_csv(texts("test"), args.rows, 0)
    job = actions.create_job(actor, ImportKind.FEEDBACK, ContentFile(data, name="cpu.csv"), filename="cpu.csv")
    mapping = {"external_id": "Ticket ID", "author_email": "Email", "text": "Feedback", "tags": "Tags"}
    job = actions.set_mapping(actor, job, {**mapping, "received_at": "Created"})
    load_start = os.getloadavg()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler:
        profiler.enable()
    w0, c0 = time.perf_counter(), time.process_time()
    job = actions.run(actor, job)
    import_wall, import_cpu = time.perf_counter() - w0, time.process_time() - c0
    if not args.suggest:
        for pk, ak in DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").values_list("id", "args_kwargs"):
            DBTaskResult.objects.filter(pk=pk).update(args_kwargs={**ak, "kwargs": {**ak["kwargs"], "suggest": False}})
    jobs = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").count()
    w1, c1 = time.perf_counter(), time.process_time()
    ran = drain("insight", tick=False)
    job_wall, job_cpu = time.perf_counter() - w1, time.process_time() - c1
    if profiler:
        profiler.disable()
    load_end = os.getloadavg()
    assert ran == jobs, (ran, jobs)

    new = ws.feedback_items.exclude(pk__in=seed_ids)
    items = new.count()
    stages = {
        "import": import_cpu,
        "encoder": cpu["encoder"],
        "embed (not encoder)": cpu["embed_items"] - cpu["encoder"],
        "duplicates": cpu["duplicates"],
        "category": cpu["category"],
        "theme": cpu["theme"],
    }
    stages["task and job overhead"] = job_cpu - sum(v for k, v in cpu.items() if k != "encoder")
    total = import_cpu + job_cpu
    result = {
        "src": str(Path(harken.__file__).parent),
        "database": connection.vendor,
        "embedder": args.embedder,
        "rows": args.rows,
        "items": items,
        "chunk": args.chunk,
        "jobs": jobs,
        "suggest": args.suggest,
        "cpu_s": {k: round(v, 3) for k, v in stages.items()},
        "ms_per_item": {k: round(v / items * 1000, 4) for k, v in stages.items()},
        "total_cpu_s": round(total, 3),
        "non_encoder_cpu_s": round(total - cpu["encoder"], 3),
        "non_encoder_ms_per_item": round((total - cpu["encoder"]) / items * 1000, 4),
        "items_per_cpu_s": round(items / total, 1),
        "import_wall_s": round(import_wall, 2),
        "job_wall_s": round(job_wall, 2),
        "items_per_s_wall": round(items / (import_wall + job_wall), 1),
        "suggestions": ws.duplicate_suggestions.count(),
        "in_a_theme": ws.theme_assignments.filter(feedback__in=new, theme__isnull=False).count(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
    }
    print(json.dumps(result, indent=1), flush=True)
    if args.name:
        write_results(f"ingest-cpu-{args.name}", result)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        out.write("\n---- by own time ----\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
    if args.dump:
        ticket = dict(new.values_list("pk", "external_id"))
        themes = list(ws.themes.order_by("pk").values_list("pk", "name", "status"))
        theme_key = {pk: f"{rank}:{title}:{status}" for rank, (pk, title, status) in enumerate(themes)}
        cls = {
            ticket[f]: [c, s, round(score, 6)]
            for f, c, s, score in ItemClassification.objects.filter(feedback__in=new).values_list(
                "feedback_id", "category", "sentiment", "category_score"
            )
        }
        asg = {
            ticket[f]: [theme_key.get(t), round(score or 0.0, 6), src]
            for f, t, score, src in ThemeAssignment.objects.filter(feedback__in=new).values_list(
                "feedback_id", "theme_id", "score", "source"
            )
        }
        key = {pk: f"seed:{rank}" for rank, pk in enumerate(sorted(seed_ids))} | ticket
        sugg = sorted(
            [key[a], key[b], round(score, 6), signals]
            for a, b, score, signals in DuplicateSuggestion.objects.filter(workspace=ws).values_list(
                "item_id", "candidate_id", "score", "signals"
            )
        )
        sizes = sorted([theme_key[pk], size] for pk, size in ws.themes.values_list("pk", "size"))
        Path(args.dump).write_text(
            json.dumps({"classifications": cls, "assignments": asg, "suggestions": sugg, "theme_sizes": sizes})
        )
        print(f"wrote {args.dump}")


if __name__ == "__main__":
    main()
