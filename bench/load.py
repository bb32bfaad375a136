"""Web load: `harken serve` on loopback under 1/8/32 concurrent clients, bounded in time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harken_load .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --items 100000 --copy --endpoints inbox,"item page","API list" \
        --name load-100k-idle                                          # the issue's protocol (60 s cells)
    .venv/bin/python bench/load.py --items 5000 --seconds 5 --clients 1,8   # quick look

1. Makes sure the database holds a workspace with `--items` feedback items: the demo loader
   (bulk inserts, ~customers, tags, triage) — reused when it already has that many; or, with
   `--copy` (PostgreSQL), bench/million.py's COPY-generated "million" workspace (fast at 100k).
2. Starts `harken serve` in production mode (HARKEN_DEBUG=0, HARKEN_TRUSTED_PROXY=127.0.0.1;
   requests carry `X-Forwarded-Proto: https` as the proxy would) on a free loopback port, with
   `--processes` web processes (default: harken's, one per CPU).
3. For each endpoint — inbox page, item page (rotating over 2,000 items), API list, API create — and
   each client count, keeps that many keep-alive connections busy for `--seconds` (default 60),
   recording latency percentiles and every non-2xx or network error.

The client is `wrk` (C, one event-loop thread, a generated Lua script rotating the requests and
sending the session cookie or token) when it is installed (`apt-get install wrk`), else Python
threads (`--client python`), which cost the server a good share of the same CPUs. Every cell
records the load average before and after, the server's CPU ms per request (parent and children,
PostgreSQL excluded) and the client's own CPU ms per request.

Prints a table and writes bench/results/<name>.json. The client runs on the same machine as the
server and competes with it for the CPU; on a shared machine the figures are a floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import secrets
import shutil
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


def prepare_copy(items: int) -> dict[str, Any]:
    """bench/million.py's generated workspace ("million", items by COPY, PostgreSQL), reused when big enough."""
    from django.core.management import call_command
    from django.db import connection

    from harken.accounts.models import User
    from harken.customers.models import Account
    from harken.workspaces.models import Membership, Role, Workspace
    from million import generate

    assert connection.vendor == "postgresql", "--copy needs DATABASE_URL=postgres://…"
    call_command("migrate", "--noinput", verbosity=0)
    workspace = Workspace.objects.filter(slug="million").first()
    have = workspace.feedback_items.count() if workspace else 0
    if workspace is None or have < items or have > items * 1.05:
        if workspace is not None:
            workspace.delete()
        workspace = Workspace.objects.create(name="Million", slug="million")
        for d in range(50):
            Account.objects.create(workspace=workspace, name=f"Company {d}", domain=f"company{d}.test")
        print(f"COPY {items} items…", flush=True)
        generate(workspace, items)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    user, _ = User.objects.get_or_create(email="million@harken.test")
    Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": Role.OWNER})
    session_key, raw = sign_in(workspace, user, "bench/load.py")
    ids = list(workspace.feedback_items.order_by("-id").values_list("pk", flat=True)[:2000])
    return {"slug": workspace.slug, "session": session_key, "token": raw, "ids": ids, "items": items}


def sign_in(workspace: Any, user: Any, name: str) -> tuple[str, str]:
    """A signed-in session key and a read-write API token for `user` (what the clients send)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from harken.workspaces.models import ApiToken, hash_secret

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "harken.accounts.backends.EmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    raw = ApiToken.generate_raw()
    ApiToken.objects.create(
        workspace=workspace, name=name, token_hash=hash_secret(raw), hint=raw[:8], can_write=True, created_by=user
    )
    assert session.session_key is not None
    return session.session_key, raw


def prepare(items: int) -> dict[str, Any]:
    """The demo workspace with `items` items, a signed-in session and an API token."""
    from django.core.management import call_command
    from django.db import connection

    from harken.accounts.models import User
    from harken.demo import DEMO_USER_EMAIL, load_demo
    from harken.demo.loader import DEMO_WORKSPACE_SLUG
    from harken.workspaces.models import Workspace

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
    session_key, raw = sign_in(workspace, user, "bench/load.py")
    ids = list(workspace.feedback_items.order_by("?").values_list("pk", flat=True)[:2000])
    return {"slug": workspace.slug, "session": session_key, "token": raw, "ids": ids, "items": items}


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
    """User + system CPU time of a process and its live children (all their threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return own + sum(cpu_seconds(kid) for kid in kids)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for these ASCII values


WRK_SCRIPT = """
specs = {%(specs)s}
bad = 0
local reqs = {}
local i = 0
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end
function init(args)
  for k, s in ipairs(specs) do reqs[k] = wrk.format(s[1], s[2], s[3], s[4]) end
  i = (id * 997) %% #reqs
end
function request()
  i = i %% #reqs + 1
  return reqs[i]
end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, n, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk_script(make_request: Any, ctx: dict[str, Any], count: int = 2000) -> str:
    """A Lua script that rotates over up to `count` distinct requests drawn from the endpoint (item ids, bodies)."""
    rng = random.Random(7)
    specs: list[str] = []
    seen = set()
    for _ in range(count * 10):
        if len(specs) >= count:
            break
        method, path, headers, body = make_request(ctx, rng)
        key = (method, path, body)
        if key in seen:
            continue
        seen.add(key)
        hdrs = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items())
        specs.append(f"{{{_lua(method)}, {_lua(path)}, {{{hdrs}}}, {_lua(body) if body else 'nil'}}}")
    return WRK_SCRIPT % {"specs": ",\n".join(specs)}


def measure_wrk(
    port: int, pid: int, make_request: Any, name: str, clients: int, seconds: float, ctx: dict[str, Any]
) -> dict[str, Any]:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(wrk_script(make_request, ctx))
        script = f.name
    load_before = os.getloadavg()
    cpu_before = cpu_seconds(pid)
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "60s", "-s", script,
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
    os.unlink(script)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    w = json.loads(line[len("WRKJSON ") :])
    requests = int(w["requests"])
    errors = int(w["non2xx"]) + int(w["connect"]) + int(w["read"]) + int(w["write"]) + int(w["timeout"])
    duration = w["duration_us"] / 1e6 or elapsed
    return {
        "endpoint": name,
        "clients": clients,
        "client": "wrk",
        "seconds": round(duration, 2),
        "requests": requests,
        "req_per_s": round(requests / duration, 1),
        "p50_ms": round(w["p50_us"] / 1000, 1),
        "p95_ms": round(w["p95_us"] / 1000, 1),
        "p99_ms": round(w["p99_us"] / 1000, 1),
        "errors": errors,
        "server_cpu_ms_per_req": round(cpu * 1000 / requests, 2) if requests else None,
        "client_cpu_ms_per_req": round(client_cpu * 1000 / requests, 3) if requests else None,
        "load_average_before": load_before,
        "load_average": os.getloadavg(),
        "error_samples": [f"non-2xx {w['non2xx']}, connect {w['connect']}, read {w['read']}, "
                          f"write {w['write']}, timeout {w['timeout']}"] if errors else [],
    }  # fmt: skip


def measure(
    port: int,
    pid: int,
    name: str,
    clients: int,
    seconds: float,
    ctx: dict[str, Any],
    client: str = "auto",
) -> dict[str, Any]:
    """One cell: `clients` connections on endpoint `name` for `seconds`; wrk when installed (client="auto")."""
    if client == "wrk" or (client == "auto" and wrk_available()):
        return measure_wrk(port, pid, ENDPOINTS[name], name, clients, seconds, ctx)
    load_before = os.getloadavg()
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
        "client": "python threads",
        "load_average_before": load_before,
        "load_average": os.getloadavg(),
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


def start_server(threads: int, data_dir: Path, processes: int = 0) -> tuple[subprocess.Popen[bytes], int]:
    """`harken serve` in production mode; `processes` 0 = harken's default (one per CPU)."""
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
        [sys.executable, "-m", "harken.cli", "serve", "--port", str(port), "--threads", str(threads),
         "--processes", str(processes)],
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
    parser.add_argument("--seconds", type=float, default=60.0, help="per endpoint and client count (issue: 60)")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per process")
    parser.add_argument("--processes", type=int, default=0, help="web processes (0: harken's default, one per CPU)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto", help="auto: wrk if installed")
    parser.add_argument("--copy", action="store_true", help="bench/million.py's COPY workspace (PostgreSQL)")
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

    ctx = prepare_copy(args.items) if args.copy else prepare(args.items)
    vendor = connection.vendor
    connection.close()
    server, port = start_server(args.threads, data_dir, args.processes)
    client = args.client if args.client != "auto" else ("wrk" if wrk_available() else "python")
    rows = []
    try:
        if not args.no_csrf_cookie:
            fetch_csrf_cookie(port, ctx)
        for name in args.endpoints.split(","):
            for clients in [int(c) for c in args.clients.split(",")]:
                result = measure(port, server.pid, name, clients, args.seconds, ctx, client=client)
                rows.append(result)
                print(
                    f"{name:>10} x{clients:<3} {result['req_per_s']:>7} req/s  p50 {result['p50_ms']:>7} ms  "
                    f"p95 {result['p95_ms']:>7} ms  cpu {result['server_cpu_ms_per_req']} ms/req  errors {result['errors']} "
                    f"load {result['load_average'][0]:.1f} {result['error_samples']}",
                    flush=True,
                )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    print_table(
        f"harken serve, {args.items} items on {vendor}, {args.processes or 'default'} processes × {args.threads} "
        f"threads, {client} client, {args.seconds:g}s per cell",
        ["endpoint", "clients", "req/s", "p50 ms", "p95 ms", "errors", "server CPU ms/req", "load"],
        [
            [
                r["endpoint"],
                r["clients"],
                r["req_per_s"],
                r["p50_ms"],
                r["p95_ms"],
                r["errors"],
                r["server_cpu_ms_per_req"],
                f"{r['load_average'][0]:.1f}",
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
            "web_processes": args.processes or "default (one per CPU)",
            "client": client,
            "cpu_count": os.cpu_count(),
            "targets": TARGETS,
            "note": "the client shares the machine with the server; see each cell's load average",
            "load_average_after": os.getloadavg(),
            "response_cache": os.environ.get("HARKEN_RESPONSE_CACHE", "1"),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
