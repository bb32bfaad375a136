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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, setup_django  # noqa: E402

QUERIES = ["tranfser pending", "card", "refund", "exchange rate", "zzzqqq", "dashbaord slow", "top up"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="million")
    parser.add_argument("--name", default="search-inbox-scale")
    parser.add_argument("--label", required=True)
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_EMBEDDER", "hashing")
    setup_django()
    from django.test import Client

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
            response = client.get(url, {"q": q})
            row = {
                "round": round_,
                "q": q,
                "status": response.status_code,
                "wall_ms": round((time.perf_counter() - wall) * 1000),
                "cpu_ms": round((time.process_time() - cpu) * 1000),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
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
