"""End-to-end ingest with real processes: CSV import → `harken worker` subprocess → items embedded, classified, placed.

Usage (bounded: --rows items per run, --timeout seconds per run; the machine is shared, every figure
carries its load average):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_e2e .venv/bin/python bench/ingest_e2e.py
    ... bench/ingest_e2e.py --rows 2000 --workers 1,2 --embedder minilm-int8 --name smoke
    ... bench/ingest_e2e.py --dataset clinc150 --embedder minilm-static --workers 2
    ... bench/ingest_e2e.py --rows 2000 --no-suggestions --name no-suggestions   # without duplicate suggestions
    bench/ingest_e2e.py --rows 1000 --workers 1      # no DATABASE_URL: SQLite in var/bench-e2e.sqlite3

The database must be the benchmark's own (a PostgreSQL database created for it, e.g. `createdb
harken_e2e`, or the SQLite file above): it is migrated, the workspace `bench-e2e` is deleted and
re-created for every run, and ready `understand_items` tasks left by an interrupted run are deleted.

One run per worker count (--workers 1,2 → two runs, each on a fresh workspace):
1. Seed (not timed): --seed rows of the dataset's train split are created, embedded in this process
   (`understand_items` with suggest=False) and clustered (`run_recluster`), so there are themes to
   assign into. This also prepares the encoder on disk (the int8 export), which the workers then load.
2. Import (timed: "rows visible"): --rows rows of the test split (cycled, each with a unique suffix)
   as a CSV through the import pipeline as `harken import feedback` runs it (`imports.actions`:
   create_job → set_mapping → run; chunks committed with triage rows and one insight job each).
3. Worker (timed): `python -m harken.cli worker --concurrency W --queues insight --no-scheduler`
   is started as a subprocess with HARKEN_EMBEDDER=--embedder, DEBUG off (no query log, as in
   production). It runs the queued `insight.tasks.understand_items` jobs exactly as in production:
   embed → duplicate suggestions → category/sentiment → theme assignment. This process polls the
   task rows every --poll seconds until every job of the import has finished; then the worker gets
   SIGTERM. "Processed" = the item's job finished: it has a vector, a classification, and either a
   theme assignment or none (the assignment stage leaves items below the threshold unassigned; they
   get no row). The counts of all four are reported and checked against the imported rows.
   --no-suggestions rewrites the queued jobs to suggest=False first (not the production path; the
   in-process benchmarks, bench/ingest.py and bench/scale.py --no-suggestions, measure that way).

Figures per run:
- wall items/s: imported items / (last job finished − worker process started) — includes warm-up;
- warm-up: seconds from the worker's start until every worker process has finished its first job
  (Django start, claim, loading the encoder, the first chunk), and the CPU spent until then;
- steady items/s and items per CPU second: over the interval from the end of warm-up to the last
  job; jobs that straddle the start of the interval count in proportion to their time inside it;
- CPU seconds of the worker processes: utime+stime from /proc/<pid>/stat of the worker (or the
  supervisor) and its descendants, sampled at every poll; and, as a cross-check, the rusage of the
  reaped children (includes shut-down, and the supervisor's own loop);
- os.getloadavg() at the worker's start and at the end.
Writes bench/results/ingest-e2e-<name>.json (default name: <vendor>-<embedder>) and prints a table.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, feedback_csv, print_table, setup_django, write_results  # noqa: E402

TASK_PATH = "harken.insight.tasks.understand_items"
SLUG = "bench-e2e"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ------------------------------------------------------------------ CPU time from /proc (no psutil)


def parse_stat(text: str) -> tuple[int, float]:
    """(parent pid, utime+stime in seconds) from the text of /proc/<pid>/stat.

    The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so the
    fields are counted from the last ")".
    """
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): ppid is field 4, utime field 14, stime field 15
    ppid, utime, stime = int(rest[1]), int(rest[11]), int(rest[12])
    return ppid, (utime + stime) / CLOCK_TICKS


def _all_stats(proc: Path = Path("/proc")) -> dict[int, tuple[int, float]]:
    stats: dict[int, tuple[int, float]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stats[int(entry.name)] = parse_stat((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we read
    return stats


def descendants(pid: int, stats: dict[int, tuple[int, float]] | None = None) -> list[int]:
    """Every live process below `pid` (children, grandchildren…), found by their parent pids."""
    stats = _all_stats() if stats is None else stats
    children: dict[int, list[int]] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """utime+stime of `pid` and its live descendants (children that already exited are not seen)."""
    stats = _all_stats()
    return sum(stats[p][1] for p in [pid, *descendants(pid, stats)] if p in stats)


def interpolate(samples: Sequence[tuple[float, float]], t: float) -> float:
    """The value at time `t` from (time, value) samples in time order, linearly between neighbours."""
    if not samples:
        return float("nan")
    if t <= samples[0][0]:
        return samples[0][1]
    for (t0, v0), (t1, v1) in itertools.pairwise(samples):
        if t0 <= t <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return samples[-1][1]


@dataclass
class Job:
    items: int
    started: float  # epoch seconds
    finished: float
    worker: str


def items_in_interval(jobs: Sequence[Job], start: float, end: float) -> float:
    """Items processed in [start, end]: a job straddling a bound counts in proportion to its time inside."""
    total = 0.0
    for job in jobs:
        span = job.finished - job.started
        if span <= 0:  # too quick for the clock: counts where it finished
            total += job.items if start <= job.finished <= end else 0
            continue
        inside = min(job.finished, end) - max(job.started, start)
        if inside > 0:
            total += job.items * inside / span
    return total


def warm_up_end(jobs: Sequence[Job]) -> float:
    """When every worker process had finished its first job (the encoder is loaded in each of them)."""
    first: dict[str, float] = {}
    for job in jobs:
        first[job.worker] = min(first.get(job.worker, job.finished), job.finished)
    return max(first.values())


# ------------------------------------------------------------------ data


def dataset_texts(name: str, split: str) -> list[str]:
    with open(DATASETS / name / f"{split}.csv", newline="", encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def make_csv(corpus: Sequence[str], rows: int, offset: int) -> bytes:
    """A feedback CSV like a helpdesk export (the same generator as bench/import_csv.py)."""
    return feedback_csv(corpus, rows, offset)


# ------------------------------------------------------------------ one run


def run_once(args: argparse.Namespace, workers: int, log_dir: Path) -> dict[str, object]:
    from django.core.files.base import ContentFile
    from django.db import connection
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from harken.accounts.models import User
    from harken.customers.models import Account
    from harken.feedback.actions import NewItem, create_feedback_batch
    from harken.imports import actions
    from harken.imports.models import ImportKind
    from harken.insight.tasks import understand_items
    from harken.insight.themes.models import ThemeRun, ThemeStatus
    from harken.insight.themes.services import run_recluster
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role, Workspace

    # fresh workspace (and no ready insight jobs from an interrupted run: this database is the bench's own)
    Workspace.objects.filter(slug=SLUG).delete()
    left = DBTaskResult.objects.filter(task_path=TASK_PATH, status__in=["READY", "RUNNING"]).delete()[0]
    if left:
        print(f"deleted {left} insight task(s) left by an earlier run")
    owner, _ = User.objects.get_or_create(email="bench-e2e@harken.test")
    ws = Workspace.objects.create(name="Bench end to end", slug=SLUG)
    Membership.objects.create(workspace=ws, user=owner, role=Role.OWNER)
    actor = Actor(workspace=ws, user=owner, role=Role.OWNER)
    Account.objects.bulk_create(
        [Account(workspace=ws, name=f"Company {d}", domain=f"company{d}.test") for d in range(50)]
    )

    # 1. seed themes (not timed)
    seed_corpus = dataset_texts(args.dataset, "train")
    seed = [
        NewItem(text=seed_corpus[(i * 7) % len(seed_corpus)], author_email=f"seed{i % 100}@company{i % 50}.test")
        for i in range(args.seed)
    ]
    started = time.perf_counter()
    create_feedback_batch(actor, seed)
    for job in DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY"):
        understand_items.call(job.args_kwargs["args"][0], suggest=False)
        job.delete()
    run_recluster(ThemeRun.objects.create(workspace=ws))
    themes = ws.themes.filter(status=ThemeStatus.ACTIVE).count()
    print(f"seed: {args.seed} items, {themes} themes in {time.perf_counter() - started:.1f}s", flush=True)
    before_ids = set(ws.feedback_items.values_list("pk", flat=True))

    # 2. import through the pipeline `harken import feedback` runs (timed: rows visible)
    data = make_csv(dataset_texts(args.dataset, "test"), args.rows, offset=0)
    job = actions.create_job(actor, ImportKind.FEEDBACK, ContentFile(data, name="e2e.csv"), filename="e2e.csv")
    mapping = {"external_id": "Ticket ID", "author_email": "Email", "text": "Feedback", "tags": "Tags"}
    job = actions.set_mapping(actor, job, {**mapping, "received_at": "Created"})
    import_start, import_cpu = time.perf_counter(), time.process_time()
    job = actions.run(actor, job)
    import_s = time.perf_counter() - import_start
    import_cpu = time.process_time() - import_cpu
    imported = ws.feedback_items.exclude(pk__in=before_ids).count()
    jobs_rows = list(DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").values_list("id", "args_kwargs"))
    sizes = {pk: len(ak["args"][0]) for pk, ak in jobs_rows}
    print(
        f"import: {imported} rows visible in {import_s:.1f}s ({imported / import_s:.0f} rows/s), "
        f"{len(sizes)} insight jobs of {min(sizes.values())}–{max(sizes.values())} items",
        flush=True,
    )
    if args.no_suggestions:  # an A/B of the duplicate stage: the same jobs, as `understand_items(ids, suggest=False)`
        for pk, ak in jobs_rows:
            DBTaskResult.objects.filter(pk=pk).update(args_kwargs={**ak, "kwargs": {**ak["kwargs"], "suggest": False}})
    connection.close()  # the worker is about to take the database; keep no transaction or lock open

    # 3. the worker, as production runs it
    env = {
        **os.environ,
        "HARKEN_EMBEDDER": args.embedder,
        "HARKEN_DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),  # bench-only, never stored
        "PYTHONPATH": os.pathsep.join(p for p in [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")] if p),
    }
    command = [sys.executable, "-m", "harken.cli", "worker", "--concurrency", str(workers), "--queues", "insight"]
    if not args.scheduler:
        command.append("--no-scheduler")
    log_path = log_dir / f"worker-{workers}.log"
    rusage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_start = os.getloadavg()
    with open(log_path, "wb") as log:
        t_start = time.time()
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        samples: list[tuple[float, float]] = [(t_start, 0.0)]
        done_jobs: dict[object, Job] = {}
        failed = 0
        deadline = time.monotonic() + args.timeout
        try:
            while len(done_jobs) < len(sizes):
                time.sleep(args.poll)
                samples.append((time.time(), tree_cpu_seconds(proc.pid)))
                if proc.poll() is not None:
                    raise RuntimeError(f"the worker exited with {proc.returncode}; see {log_path}")
                if time.monotonic() > deadline:
                    print(f"timeout after {args.timeout}s: {len(done_jobs)}/{len(sizes)} jobs done")
                    break
                rows = DBTaskResult.objects.filter(
                    pk__in=[pk for pk in sizes if pk not in done_jobs],
                    status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
                ).values_list("id", "status", "started_at", "finished_at", "worker_ids")
                for pk, status, job_started, job_finished, worker_ids in rows:
                    failed += status == TaskResultStatus.FAILED
                    done_jobs[pk] = Job(
                        sizes[pk], job_started.timestamp(), job_finished.timestamp(), (worker_ids or ["?"])[-1]
                    )
                connection.close()  # short-lived reads, as a monitoring process would do
        finally:
            load_end = os.getloadavg()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    rusage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped_cpu = (rusage_after.ru_utime + rusage_after.ru_stime) - (rusage_before.ru_utime + rusage_before.ru_stime)

    jobs = sorted(done_jobs.values(), key=lambda j: j.finished)
    items_done = sum(j.items for j in jobs)
    t_last = max(j.finished for j in jobs)
    t_warm = warm_up_end(jobs)
    cpu_last = interpolate(samples, t_last)
    cpu_warm = interpolate(samples, t_warm)
    steady_items = items_in_interval(jobs, t_warm, t_last)
    wall = t_last - t_start
    steady_s = t_last - t_warm
    new = ws.feedback_items.exclude(pk__in=before_ids)
    embedded = ws.item_embeddings.filter(feedback__in=new, embedder=args.embedder).count()
    classified = ws.item_classifications.filter(feedback__in=new).count()
    in_theme = ws.theme_assignments.filter(feedback__in=new, theme__isnull=False).count()
    result: dict[str, object] = {
        "workers": workers,
        "embedder": args.embedder,
        "dataset": args.dataset,
        "duplicate_suggestions": not args.no_suggestions,
        "suggestions_filed": ws.duplicate_suggestions.count(),
        "seed_items": args.seed,
        "seed_themes": themes,
        "rows": args.rows,
        "import_status": str(job.status),
        "imported": imported,
        "import_s": round(import_s, 2),
        "import_rows_per_s": round(imported / import_s, 1),
        "import_cpu_s": round(import_cpu, 2),  # this process only; PostgreSQL's own work is not in it
        "insight_jobs": len(sizes),
        "chunk_items": {
            "min": min(sizes.values()),
            "median": statistics.median(sizes.values()),
            "max": max(sizes.values()),
        },
        "jobs_done": len(jobs),
        "jobs_failed": failed,
        "items_processed": items_done,
        "embedded": embedded,
        "classified": classified,
        "in_a_theme": in_theme,
        "unassigned": classified - in_theme,
        "wall_s": round(wall, 2),
        "items_per_s": round(items_done / wall, 1),
        "cpu_s": round(cpu_last, 2),
        "items_per_cpu_s": round(items_done / cpu_last, 1) if cpu_last else None,
        "cpu_s_reaped": round(reaped_cpu, 2),
        "warm_up_s": round(t_warm - t_start, 2),
        "warm_up_cpu_s": round(cpu_warm, 2),
        "first_job_started_s": round(min(j.started for j in jobs) - t_start, 2),
        "first_job_finished_s": round(min(j.finished for j in jobs) - t_start, 2),
        "steady_s": round(steady_s, 2),
        "steady_items": round(steady_items, 1),
        "steady_items_per_s": round(steady_items / steady_s, 1) if steady_s > 0 else None,
        "steady_cpu_s": round(cpu_last - cpu_warm, 2),
        "steady_items_per_cpu_s": round(steady_items / (cpu_last - cpu_warm), 1) if cpu_last > cpu_warm else None,
        "worker_processes": len({j.worker for j in jobs}),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "command": " ".join(command[1:]),
    }
    print(result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=5000, help="rows imported per run (default 5000)")
    parser.add_argument("--seed", type=int, default=1000, help="rows clustered into themes first (not timed)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, one run each")
    parser.add_argument("--embedder", default="minilm-int8", choices=["minilm-int8", "minilm-static", "minilm"])
    parser.add_argument("--dataset", default="banking77", choices=["banking77", "clinc150"])
    parser.add_argument("--scheduler", action="store_true", help="let the worker tick periodic jobs (off: pure path)")
    parser.add_argument(
        "--no-suggestions",
        action="store_true",
        help="not the production path: the queued jobs run with suggest=False (no duplicate suggestions), "
        "as `bench/scale.py --no-suggestions` and `bench/ingest.py` measure, to show that stage's share",
    )
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls of the task rows")
    parser.add_argument("--timeout", type=float, default=1800, help="give up a run after this many seconds")
    parser.add_argument("--name", default="", help="results file suffix (default: <vendor>-<embedder>)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):  # never the development database
        (ROOT / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-e2e.sqlite3'}"
    os.environ["HARKEN_EMBEDDER"] = args.embedder  # the seed's themes must be made by the workers' embedder
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # no query log in this process either (HARKEN_DEBUG only for the settings)
    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    name = args.name or f"{vendor}-{args.embedder}"
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="harken-e2e-") as tmp:
        for workers in [int(w) for w in args.workers.split(",")]:
            runs.append(run_once(args, workers, Path(tmp)))
            write_results(
                f"ingest-e2e-{name}",
                {
                    "database": vendor,
                    "runs": runs,
                    "note": "real processes: import in this process, `harken worker --concurrency W` as a subprocess; "
                    "shared 2-core machine, see each run's load average",
                },
            )
    os.environ.setdefault("COLUMNS", "160")  # rich: the whole table on one line per run
    print_table(
        f"Import → worker → embedded, classified, placed ({vendor}, {args.embedder}, {args.dataset})",
        [
            "W",
            "items",
            "import rows/s",
            "wall s",
            "items/s",
            "warm-up s",
            "steady items/s",
            "CPU s",
            "items/CPU s",
            "steady items/CPU s",
            "in a theme",
            "load start→end",
        ],
        [
            [
                r["workers"],
                r["items_processed"],
                r["import_rows_per_s"],
                r["wall_s"],
                r["items_per_s"],
                r["warm_up_s"],
                r["steady_items_per_s"],
                r["cpu_s"],
                r["items_per_cpu_s"],
                r["steady_items_per_cpu_s"],
                r["in_a_theme"],
                f"{r['load_average_start'][0]:.1f}→{r['load_average_end'][0]:.1f}",  # type: ignore[index]
            ]
            for r in runs
        ],
    )


if __name__ == "__main__":
    main()
