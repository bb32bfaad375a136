#!/usr/bin/env python
"""Theme list and theme page cost, in process: web CPU, PostgreSQL backend CPU and wall per request.

    DATABASE_URL=postgres://…/harken_x .venv/bin/python bench/theme_pages.py --slug million --name theme-pages
    PYTHONPATH=/tmp/old/src .venv/bin/python /tmp/old/bench/theme_pages.py ...   # an older checkout

Uses a workspace made by `bench/million.py` (`--stages build,recluster`): its user million@harken.test,
the theme list and the page of its largest active theme, rendered through Django's test client in
production settings (`HARKEN_DEBUG=0`) with the response cache off (every request computes), N times
each. Records per request: wall p50/p95, this process's CPU (time.process_time), the PostgreSQL
backend's CPU (utime+stime of the connection's backend from /proc, 10 ms ticks, so only the mean over
N requests is meaningful; parallel query workers are not included unless `--serial`), the number of queries, and the load average.

`--maintenance` (code with stored theme figures only) also times the full recount
(`stats.rebuild`, what `harken insight themestats` and re-clustering run) and the bookkeeping a write
adds: `stats.tracking` around 200 themed items with nothing changed (before/after reads).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, write_results  # noqa: E402


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend `pid` has used (0.0 when /proc is not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="million")
    parser.add_argument("--requests", type=int, default=30, help="per endpoint")
    parser.add_argument("--name", default="theme-pages")
    parser.add_argument("--label", default="", help="recorded with the figures (e.g. before/after)")
    parser.add_argument("--maintenance", action="store_true")
    parser.add_argument(
        "--serial",
        action="store_true",
        help="no parallel query workers, so the backend's CPU is all of PostgreSQL's work (plans may differ)",
    )
    args = parser.parse_args()
    os.environ.update(HARKEN_DEBUG="0", ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")
    os.environ.setdefault("SECRET_KEY", "bench-theme-pages-0123456789abcdefghijklmnopqrstuvwxyz-0123456789")
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from harken.accounts.models import User
    from harken.workspaces.models import Workspace

    settings.HARKEN_RESPONSE_CACHE = False
    ws = Workspace.objects.get(slug=args.slug)
    theme = ws.themes.filter(status="active").order_by("-size", "pk").first()
    assert theme is not None, "re-cluster the workspace first (bench/million.py --stages recluster)"
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email="million@harken.test"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
        if args.serial:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
    items = ws.feedback_items.count()
    themed = ws.theme_assignments.filter(theme__isnull=False).count()
    endpoints = {
        "theme list": f"/w/{ws.slug}/insight/themes/",
        f"theme page (largest, {theme.size} items)": f"/w/{ws.slug}/insight/themes/{theme.pk}/",
    }
    rows: list[dict[str, Any]] = []
    for name, url in endpoints.items():
        for _ in range(3):  # warm up (templates, caches of the process)
            assert client.get(url).status_code == 200
        walls: list[float] = []
        queries = 0
        load_before = os.getloadavg()
        cpu0, pg0 = time.process_time(), _backend_cpu(backend)
        for _ in range(args.requests):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            walls.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            queries = len(captured.captured_queries)
        cpu = (time.process_time() - cpu0) * 1000 / args.requests
        pg = (_backend_cpu(backend) - pg0) * 1000 / args.requests
        walls.sort()
        row = {
            "endpoint": name,
            "requests": args.requests,
            "wall_p50_ms": round(statistics.median(walls), 1),
            "wall_p95_ms": round(walls[min(len(walls) - 1, int(0.95 * len(walls)))], 1),
            "web_cpu_ms_per_req": round(cpu, 1),
            "pg_cpu_ms_per_req": round(pg, 1),
            "queries": queries,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        }
        rows.append(row)
        print(
            f"{name:>34}  p50 {row['wall_p50_ms']:8.1f} ms  p95 {row['wall_p95_ms']:8.1f} ms  web CPU {cpu:7.1f} ms  "
            f"PG CPU {pg:7.1f} ms  {queries} queries  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    maintenance: dict[str, Any] = {}
    if args.maintenance:
        from harken.insight.themes import stats

        cpu0, pg0, started = time.process_time(), _backend_cpu(backend), time.perf_counter()
        result = stats.rebuild(ws)
        maintenance["rebuild"] = {
            "wall_s": round(time.perf_counter() - started, 2),
            "web_cpu_s": round(time.process_time() - cpu0, 2),
            "pg_cpu_s": round(_backend_cpu(backend) - pg0, 2),
            "result": result,
            "load_average": os.getloadavg(),
        }
        ids = list(ws.theme_assignments.filter(theme__isnull=False).values_list("feedback_id", flat=True)[:200])
        n = 20
        cpu0, pg0, started = time.process_time(), _backend_cpu(backend), time.perf_counter()
        for _ in range(n):
            with stats.tracking(ws, ids):
                pass
        maintenance["tracking_200_items"] = {
            "wall_ms": round((time.perf_counter() - started) * 1000 / n, 1),
            "web_cpu_ms": round((time.process_time() - cpu0) * 1000 / n, 1),
            "pg_cpu_ms": round((_backend_cpu(backend) - pg0) * 1000 / n, 1),
            "load_average": os.getloadavg(),
        }
        print(maintenance, flush=True)
    print_table(
        f"theme pages, {items} items ({themed} themed) {args.label}",
        ["endpoint", "p50 ms", "p95 ms", "web CPU ms", "PG CPU ms", "queries", "load"],
        [
            [r["endpoint"], r["wall_p50_ms"], r["wall_p95_ms"], r["web_cpu_ms_per_req"], r["pg_cpu_ms_per_req"],
             r["queries"], f"{r['load_average_after'][0]:.1f}"]
            for r in rows
        ],
    )  # fmt: skip
    write_results(
        args.name,
        {
            "items": items,
            "themed": themed,
            "label": args.label,
            "serial": args.serial,
            "results": rows,
            "maintenance": maintenance,
        },
    )


if __name__ == "__main__":
    main()
