"""Inbox search (`?q=`) latency in a big generated workspace on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_million \
        .venv/bin/python bench/search_inbox.py --slug million --name search-inbox-scale --label after

Build the workspace first (`bench/million.py --items 200000 --stages build`). The inbox page is
requested in-process (Django's test client, signed in as the workspace's owner): the first search of
a fresh process (what a newly started web worker pays), then distinct queries, then the same
queries again. Wall and this process's CPU ms per request (PostgreSQL's CPU is not in the CPU
figure); the load average is recorded. Results are appended under `--label` in
bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, setup_django  # noqa: E402

QUERIES = ["tranfser pending", "card", "refund", "exchange rate", "zzzqqq", "dashbaord slow", "top up"]


def _is_item_query(sql: str) -> bool:
    return sql.startswith("SELECT") and 'FROM "feedback_feedback"' in sql


def explain(connection: Any, sql: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured query: its time and the plan's node types."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]

    def nodes(node: dict[str, Any], depth: int = 0) -> list[str]:
        label = node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else "")
        label += f" rows={node.get('Actual Rows')} ms={node.get('Actual Total Time')}"
        return ["  " * depth + label] + [n for child in node.get("Plans", []) for n in nodes(child, depth + 1)]

    return {
        "sql": sql[:600],
        "execution_ms": round(plan["Execution Time"], 1),
        "plan": nodes(plan["Plan"])[:20],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="million")
    parser.add_argument("--name", default="search-inbox-scale")
    parser.add_argument("--label", required=True)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also EXPLAIN ANALYZE each item query of the first round (SQL, plan time, top nodes)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_EMBEDDER", "hashing")
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from harken.accounts.models import User
    from harken.workspaces.models import Workspace

    workspace = Workspace.objects.get(slug=args.slug)
    user = User.objects.get(email="million@harken.test")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = f"/w/{workspace.slug}/feedback/"
    rows = []
    for round_ in ("first", "repeat"):
        for q in QUERIES:
            wall, cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, {"q": q})
            wall_s, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
            row = {
                "round": round_,
                "q": q,
                "status": response.status_code,
                "wall_ms": round(wall_s * 1000),
                "cpu_ms": round(cpu_s * 1000),
                "queries": len(captured.captured_queries),
                "db_ms": round(sum(float(c["time"]) for c in captured.captured_queries) * 1000),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
            if args.explain and round_ == "first":
                row["explain"] = [
                    explain(connection, c["sql"]) for c in captured.captured_queries if _is_item_query(c["sql"])
                ]
            rows.append(row)
            print(row, flush=True)
    path = ROOT / "bench" / "results" / f"{args.name}.json"
    results = json.loads(path.read_text()) if path.exists() else {"benchmark": args.name}
    results["items"] = workspace.feedback_items.count()
    results[args.label] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(sys.argv),
        "requests": rows,
        "load_average_end": os.getloadavg(),
    }
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
