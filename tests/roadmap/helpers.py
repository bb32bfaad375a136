"""Shared builders and a real HTTP server on loopback that records webhook deliveries."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account, Contact
from harken.feedback.actions import create_feedback
from harken.roadmap import actions
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace


def feedback(ws: Workspace, text: str, email: str = "", account: Account | None = None, **kw: Any) -> Any:
    item, _ = create_feedback(Actor.system(ws), text=text, author_email=email, account=account, **kw)
    return item


def account(ws: Workspace, name: str, arr: int = 0, domain: str = "") -> Account:
    return Account.objects.create(workspace=ws, name=name, arr=arr, domain=domain)


def contact(ws: Workspace, email: str, name: str = "", acct: Account | None = None) -> Contact:
    return Contact.objects.create(workspace=ws, email=email, name=name or email.split("@")[0].title(), account=acct)


def item(ws: Workspace, title: str = "Offline mode", **kw: Any) -> Any:
    return actions.create_item(Actor.system(ws), title=title, **kw)


def run_due_tasks(later: dt.timedelta = dt.timedelta(hours=2)) -> int:
    """Run the queue as it will be `later` from now (delayed tasks become ready): the worker, time-travelled."""
    DBTaskResult.objects.filter(status="READY", run_after__lte=timezone.now() + later).update(run_after=timezone.now())
    return run_pending_tasks()


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"  # ok | fail | slow
        self.slow_seconds = 2.0


@pytest.fixture
def hooks_server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            recorder.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if recorder.mode == "slow" or self.path.startswith("/slow"):
                time.sleep(recorder.slow_seconds)
            status = 500 if (recorder.mode == "fail" or self.path.startswith("/fail")) else 200
            try:
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"boom")
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    server.shutdown()
    server.server_close()
