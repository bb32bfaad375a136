"""`harken serve` as a real process: HTTP on a free port, static files, a worker beside it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

import pytest

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def harken_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HARKEN_DATA_DIR", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        HARKEN_DEBUG="1",
        HARKEN_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'harken.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Server:
    """A `harken serve` child whose output is collected in the background."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harken.cli", "serve", "--port", str(self.port), *args],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def get(self, path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return response.status, response.read()

    def wait_until_up(self, attempts: int = 600) -> None:
        for _ in range(attempts):
            if self.process.poll() is not None:
                break
            try:
                self.get("/healthz")
                return
            except (URLError, ConnectionError, OSError):
                time.sleep(0.1)  # polled often: the server is usually up within a second or two
        self.stop()
        pytest.fail("harken serve did not come up:\n" + "".join(self.lines))

    def wait_until_up_https(self, attempts: int = 600) -> None:
        """Like wait_until_up, for production mode, where plain HTTP answers with a redirect."""
        import http.client

        for _ in range(attempts):
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)  # polled often: the server is usually up within a second or two
        self.stop()
        pytest.fail("harken serve did not come up:\n" + "".join(self.lines))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_serve_answers_healthz_and_static_files(tmp_path: Path) -> None:
    server = Server([], harken_env(tmp_path))
    try:
        server.wait_until_up()
        status, body = server.get("/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "sqlite"}
        status, css = server.get("/static/harken/harken.css")
        assert status == 200
        assert len(css) > 100
    finally:
        code = server.stop()
    assert code == 0, "".join(server.lines)
    assert f"listening on http://127.0.0.1:{server.port}" in "".join(server.lines)


def test_serve_in_production_mode_collects_static_files_first(tmp_path: Path) -> None:
    env = harken_env(
        tmp_path,
        HARKEN_DEBUG="0",
        SECRET_KEY="test-secret-key-for-serve-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
    )
    server = Server([], env)
    try:
        server.wait_until_up()
        assert (tmp_path / "data" / "static" / "staticfiles.json").exists()
        status, css = server.get("/static/harken/harken.css")
        assert status == 200
        assert len(css) > 100
    finally:
        server.stop()


def enqueue_user(env: dict[str, str], email: str) -> None:
    """Enqueue a real task from another process, as the web app would."""
    code = f"import django; django.setup(); from tests.core.tasks import create_user; create_user.enqueue({email!r})"
    env = {**env, "DJANGO_SETTINGS_MODULE": "harken.settings"}
    subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT, check=True, capture_output=True)


def wait_for_user(tmp_path: Path, email: str) -> bool:
    for _ in range(200):
        with sqlite3.connect(tmp_path / "harken.sqlite3") as db:
            if db.execute("SELECT count(*) FROM accounts_user WHERE email = ?", (email,)).fetchone()[0]:
                return True
        time.sleep(0.2)
    return False


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_serve_with_worker_runs_tasks_and_stops_both(migrated: Path) -> None:
    env = harken_env(migrated)
    server = Server(["--worker"], env)
    try:
        server.wait_until_up()
        assert server.get("/healthz")[0] == 200
        started = re.search(r"Worker started \(pid (\d+)\)", "".join(server.lines))
        assert started, "".join(server.lines)
        worker_pid = int(started.group(1))
        assert pid_alive(worker_pid)
        enqueue_user(env, "served@example.test")
        assert wait_for_user(migrated, "served@example.test"), "".join(server.lines)
    finally:
        code = server.stop()
    assert code == 0, "".join(server.lines)
    for _ in range(100):
        if not pid_alive(worker_pid):
            break
        time.sleep(0.1)
    assert not pid_alive(worker_pid), "the worker outlived the server"


def test_worker_with_concurrency_runs_tasks_and_stops_its_processes(migrated: Path) -> None:
    env = harken_env(migrated)
    worker = subprocess.Popen(
        [sys.executable, "-m", "harken.cli", "worker", "--concurrency", "2", "--interval", "0.2"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        enqueue_user(env, "one@example.test")
        enqueue_user(env, "two@example.test")
        assert wait_for_user(migrated, "one@example.test")
        assert wait_for_user(migrated, "two@example.test")
        children = children_of(worker.pid)
        assert len(children) == 2
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert not [pid for pid in children if pid_alive(pid)]


def web_pids(server: Server) -> list[int]:
    started = [line for line in server.lines if line.startswith("Web processes started (pids ")]
    assert started, "".join(server.lines)
    return [int(p) for p in started[-1].split("pids ")[1].rstrip(")\n").split(", ")]


def test_serve_with_processes_answers_from_each_process_and_replaces_a_dead_one(tmp_path: Path) -> None:
    """`--processes 2`: two forked children share the one port; each answers on its own while the other is
    stopped (so both accept from the shared socket), a killed child is replaced, and SIGTERM stops them all."""
    server = Server(["--processes", "2", "--threads", "2"], harken_env(tmp_path))
    replaced: list[int] = []
    try:
        server.wait_until_up()
        pids = web_pids(server)
        assert len(pids) == 2 and sorted(children_of(server.process.pid)) == sorted(pids)
        for serving in pids:
            paused = [pid for pid in pids if pid != serving]
            for pid in paused:
                os.kill(pid, signal.SIGSTOP)
            try:
                for _ in range(3):
                    assert server.get("/healthz")[0] == 200  # only `serving` can accept these
            finally:
                for pid in paused:
                    os.kill(pid, signal.SIGCONT)

        os.kill(pids[0], signal.SIGKILL)
        for _ in range(100):
            replaced = [pid for pid in children_of(server.process.pid) if pid not in pids]
            if replaced:
                break
            time.sleep(0.1)
        assert len(replaced) == 1, "".join(server.lines)
        assert pid_alive(pids[1])
        os.kill(pids[1], signal.SIGSTOP)  # the new child alone answers
        try:
            server.wait_until_up()
        finally:
            os.kill(pids[1], signal.SIGCONT)
    finally:
        code = server.stop()
    assert code == 0, "".join(server.lines)
    for _ in range(100):
        if not any(pid_alive(pid) for pid in [pids[1], *replaced]):
            break
        time.sleep(0.1)
    assert not [pid for pid in [pids[1], *replaced] if pid_alive(pid)], "a web process outlived the server"
