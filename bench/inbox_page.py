"""The inbox page in-process: CPU per render and queries per page, for 25 and 50 rows.

    HARKEN_DATA_DIR=var/bench-load HARKEN_DEBUG=0 SECRET_KEY=x ALLOWED_HOSTS=testserver \\
        nice -n 10 .venv/bin/python bench/inbox_page.py

Uses the database `bench/load.py` prepared (the demo workspace with `--items` items; run that
first, it also collects the static files production mode needs). No server and no client threads,
so the figure is the page's own work and barely moves with the machine's load: the best and the
median of 5 rounds of 6 renders, CPU time of this process (SQLite's work included, PostgreSQL's
not). Writes bench/results/inbox_page.json (`--name` to change).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, write_results  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="inbox_page")
    parser.add_argument("--rows", default="25,50", help="page sizes to measure")
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_DEBUG", "0")
    setup_django()
    from django.db import connection
    from django.test import Client

    from harken.accounts.models import User
    from harken.demo import DEMO_USER_EMAIL
    from harken.demo.loader import DEMO_WORKSPACE_SLUG
    from harken.feedback import views

    client = Client()
    client.force_login(User.objects.get(email=DEMO_USER_EMAIL))
    url = f"/w/{DEMO_WORKSPACE_SLUG}/feedback/"
    items = connection.cursor().execute("SELECT COUNT(*) FROM feedback_feedback").fetchone()[0]
    rows = []
    for size in [int(r) for r in args.rows.split(",")]:
        views.PAGE_SIZE = size  # type: ignore[misc]
        client.get(url, secure=True)  # warm
        connection.force_debug_cursor = True
        connection.queries_log.clear()
        response = client.get(url, secure=True)
        queries = len(connection.queries_log)
        connection.force_debug_cursor = False
        assert response.status_code == 200, response.status_code
        rounds = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(6):
                client.get(url, secure=True)
            rounds.append((time.process_time() - started) * 1000 / 6)
        rounds.sort()
        rows.append(
            {
                "rows": size,
                "cpu_ms_best": round(rounds[0], 1),
                "cpu_ms_median": round(rounds[2], 1),
                "queries": queries,
                "bytes": len(response.content),
            }
        )
    print_table(
        f"inbox page in-process, {items} items on {connection.vendor}",
        ["rows", "CPU ms best", "CPU ms median", "queries", "bytes"],
        [[r["rows"], r["cpu_ms_best"], r["cpu_ms_median"], r["queries"], r["bytes"]] for r in rows],
    )
    write_results(args.name, {"database": connection.vendor, "items": items, "results": rows})


if __name__ == "__main__":
    main()
