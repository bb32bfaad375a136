"""Web load: `harken serve` on loopback under 1/8/32 concurrent clients, bounded in time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_load .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --items 100000 --seconds 60        # the issue's protocol
    .venv/bin/python bench/load.py --items 5000 --seconds 5 --clients 1,8   # quick look

1. Makes sure the database holds a workspace with `--items` feedback items: the demo loader
   (bulk inserts, ~customers, tags, triage) — reused when it already has that many.
2. Starts `harken serve` in production mode (HARKEN_DEBUG=0, HARKEN_TRUSTED_PROXY=127.0.0.1;
   requests carry `X-Forwarded-Proto: https` as the proxy would) on a free loopback port.
3. For each endpoint — inbox page, item page, API list, API create — and each client count, keeps
   that many threads busy (one keep-alive connection each) for `--seconds`, recording every
   request's latency and every non-2xx or network error.

Prints a table and writes bench/results/load.json. The client threads run on the same machine as
the server and compete with it for the CPU; on a shared machine the figures are a floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, percentile, print_table, setup_django, write_results  # noqa: E402

TARGETS = {"req_per_s": 300.0, "p95_ms": 100.0, "errors": 0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(items: int) -> dict[str, Any]:
    """The demo workspace with `items` items, a signed-in session and an API token."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from harken.accounts.models import User
    from harken.demo import DEMO_USER_EMAIL, load_demo
    from harken.demo.loader import DEMO_WORKSPACE_SLUG
    from harken.workspaces.models import ApiToken, Workspace, hash_secret

    call_command("migrate", "--noinput", verbosity=0)
    workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE_SLUG).first()
    have = workspace.feedback_items.count() if workspace else 0
    if have < items or have > items * 1.05:  # API creates of earlier runs add a few; keep the data
        started = time.perf_counter()
        print(f"Generating {items} items (had {have})…", flush=True)
        load_demo(items=items, reset=True)
        print(f"  done in {time.perf_counter() - started:.0f}s", flush=True)
        workspace = Workspace.objects.get(slug=DEMO_WORKSPACE_SLUG)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load; fresh tables plan badly
    assert workspace is not None
    user = User.objects.get(email=DEMO_USER_EMAIL)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "harken.accounts.backends.EmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    raw = ApiToken.generate_raw()
    ApiToken.objects.create(
        workspace=workspace, name="bench/load.py", token_hash=hash_secret(raw), hint=raw[:8], can_write=True,
        created_by=user,
    )  # fmt: skip
    ids = list(workspace.feedback_items.order_by("?").values_list("pk", flat=True)[:2000])
    return {"slug": workspace.slug, "session": session.session_key, "token": raw, "ids": ids, "items": items}


class Client(threading.Thread):
    def __init__(self, port: int, make_request: Any, stop_at: float, context: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.make_request = make_request
        self.stop_at = stop_at
        self.context = context
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        rng = random.Random(self.ident)
        while time.perf_counter() < self.stop_at:
            method, path, headers, body = self.make_request(self.context, rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if not ok and len(self.error_samples) < 3:
                    self.error_samples.append(f"{response.status} {method} {path}")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                if len(self.error_samples) < 3:
                    self.error_samples.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.latencies.append(time.perf_counter() - started)
            if not ok:
                self.errors += 1
        conn.close()


def _browser(ctx: dict[str, Any]) -> dict[str, str]:
    cookie = f"sessionid={ctx['session']}" + (f"; csrftoken={ctx['csrf']}" if ctx.get("csrf") else "")
    return {"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


def fetch_csrf_cookie(port: int, ctx: dict[str, Any]) -> None:
    """Open the inbox once, as a browser would, and keep the CSRF cookie it sets: later pages carry it
    (without it every page sets a new one, and the response cache rightly stays out of the way)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", f"/w/{ctx['slug']}/feedback/", headers=_browser(ctx))
    response = conn.getresponse()
    response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            ctx["csrf"] = value.split("=", 1)[1].split(";", 1)[0]
    conn.close()


def _api(ctx: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {ctx['token']}", "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


ENDPOINTS = {
    "inbox": lambda ctx, rng: ("GET", f"/w/{ctx['slug']}/feedback/", _browser(ctx), None),
    "item page": lambda ctx, rng: ("GET", f"/w/{ctx['slug']}/feedback/{rng.choice(ctx['ids'])}/", _browser(ctx), None),
    "API list": lambda ctx, rng: ("GET", "/api/feedback/?limit=50", _api(ctx), None),
    "API create": lambda ctx, rng: (
        "POST",
        "/api/feedback/",
        {**_api(ctx), "Content-Type": "application/json"},
        json.dumps({"text": f"Load test {secrets.token_hex(8)}: exports time out on big dashboards"}),
    ),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(port: int, pid: int, name: str, clients: int, seconds: float, ctx: dict[str, Any]) -> dict[str, Any]:
    cpu_before = cpu_seconds(pid)
    stop_at = time.perf_counter() + seconds
    threads = [Client(port, ENDPOINTS[name], stop_at, ctx) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    latencies = [x for t in threads for x in t.latencies]
    errors = sum(t.errors for t in threads)
    return {
        "endpoint": name,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "errors": errors,
        # Work per request in the web process, which machine load barely changes (PostgreSQL's share excluded).
        "server_cpu_ms_per_req": round(cpu * 1000 / len(latencies), 1) if latencies else None,
        "error_samples": sorted({s for t in threads for s in t.error_samples})[:3],
    }


def start_server(threads: int, data_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        HARKEN_DEBUG="0",
        SECRET_KEY=os.environ["SECRET_KEY"],
        ALLOWED_HOSTS="127.0.0.1",
        HARKEN_TRUSTED_PROXY="127.0.0.1",
        HARKEN_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT / "src"),
        LOG_LEVEL="WARNING",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # stderr goes to a file, not a pipe: nobody reads a pipe while the clients run, and once its 64 KB
    # filled (waitress warns "Task queue depth" at 32 clients) every server thread blocked on logging.
    log_path = data_dir / "serve.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "harken.cli", "serve", "--port", str(port), "--threads", str(threads)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file,
    )  # fmt: skip
    for _ in range(240):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("harken serve did not come up: " + log_path.read_text(errors="replace")[-4000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and client count (issue: 60)")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--name", default="load", help="results file name (bench/results/<name>.json)")
    parser.add_argument("--no-csrf-cookie", action="store_true", help="send only the session cookie (no page reuse)")
    args = parser.parse_args()

    os.environ.setdefault("HARKEN_DATA_DIR", str(ROOT / "var" / "bench-load"))
    data_dir = Path(os.environ["HARKEN_DATA_DIR"])
    # The server must share our SECRET_KEY: sessions are signed with it.
    os.environ.setdefault("SECRET_KEY", "bench-load-" + secrets.token_urlsafe(40))
    setup_django()
    from django.db import connection

    ctx = prepare(args.items)
    vendor = connection.vendor
    connection.close()
    server, port = start_server(args.threads, data_dir)
    rows = []
    try:
        if not args.no_csrf_cookie:
            fetch_csrf_cookie(port, ctx)
        for name in args.endpoints.split(","):
            for clients in [int(c) for c in args.clients.split(",")]:
                result = measure(port, server.pid, name, clients, args.seconds, ctx)
                rows.append(result)
                print(
                    f"{name:>10} x{clients:<3} {result['req_per_s']:>7} req/s  p50 {result['p50_ms']:>7} ms  "
                    f"p95 {result['p95_ms']:>7} ms  cpu {result['server_cpu_ms_per_req']} ms/req  errors {result['errors']} "
                    f"{result['error_samples']}",
                    flush=True,
                )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    print_table(
        f"harken serve, {args.items} items on {vendor}, {args.threads} threads, {args.seconds:g}s per cell",
        ["endpoint", "clients", "req/s", "p50 ms", "p95 ms", "errors", "server CPU ms/req"],
        [
            [
                r["endpoint"],
                r["clients"],
                r["req_per_s"],
                r["p50_ms"],
                r["p95_ms"],
                r["errors"],
                r["server_cpu_ms_per_req"],
            ]
            for r in rows
        ],
    )
    write_results(
        args.name,
        {
            "database": vendor,
            "items": args.items,
            "seconds_per_cell": args.seconds,
            "waitress_threads": args.threads,
            "targets": TARGETS,
            "note": "client threads share the machine with the server; measured while other engineers used it",
            "load_average_after": os.getloadavg(),
            "response_cache": os.environ.get("HARKEN_RESPONSE_CACHE", "1"),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
