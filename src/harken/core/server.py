"""`harken serve`: the WSGI app under waitress, static files through whitenoise, optionally a worker.

Waitress is a production-quality pure-Python server; put a TLS-terminating proxy (Caddy, nginx)
in front of it. With `--worker` a worker subprocess runs next to the server; when either is
asked to stop (SIGTERM, SIGINT), both stop, and a worker that dies on its own is restarted.

`--processes N` (default: the number of CPUs) pre-forks N waitress processes after the app has
loaded. The parent binds the listening socket once (so a busy port is one clear line, as before)
and every child accepts from it: the kernel hands each new connection to whichever child calls
`accept` first. One Python process runs Python on one core at a time (the GIL), so processes, not
threads, are what use a second core. The parent only supervises: a child that dies is replaced,
and SIGTERM/SIGINT stops every child (each finishes its requests in hand) and the worker.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command

log = logging.getLogger("harken.serve")


class WorkerProcess:
    """A `harken worker` child that is restarted if it dies and stopped with the server."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="harken-worker-watch", daemon=True)

    def start(self) -> None:
        # Its own session: a terminal's Ctrl+C reaches only us, and we send the worker exactly one
        # SIGTERM (a second signal would make it abandon the task it is running).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harken.cli", "worker", *self.args], start_new_session=True
        )
        # One write of the whole line: with PYTHONUNBUFFERED print() writes the text and the newline
        # separately, and the worker sharing this stdout can land its first line between them.
        sys.stdout.write(f"Worker started (pid {self.process.pid})\n")
        sys.stdout.flush()
        if not self._watcher.is_alive():
            self._watcher.start()

    def _watch(self) -> None:
        while not self.stopping.wait(2.0):
            if self.process is not None and self.process.poll() is not None and not self.stopping.is_set():
                log.error("Worker exited with code %s; restarting it in 5 s", self.process.returncode)
                if self.stopping.wait(5.0):
                    return
                self.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("Worker did not stop within %s s; killing it", timeout)
            process.kill()
            process.wait()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _interrupt_once(signum: int, frame: FrameType | None) -> None:
    """A web child stops on the first SIGTERM/SIGINT and ignores the next: Ctrl+C in a terminal and
    systemd signal the whole group, and the parent then signals each child again; a second interrupt
    must not cut short the requests the child is finishing."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def prepare_static(verbosity: int = 0) -> None:
    """Production serves hashed, compressed files from STATIC_ROOT; collect them first."""
    if not settings.DEBUG:
        call_command("collectstatic", "--noinput", verbosity=verbosity)


def pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def proxy_options() -> dict[str, Any]:
    """waitress's proxy settings from HARKEN_TRUSTED_PROXY* (docs/configuration.md, "HTTPS and cookies").

    Only requests from the trusted address may set the scheme (X-Forwarded-Proto → https, so
    SECURE_SSL_REDIRECT and HSTS work) and the client address (X-Forwarded-For → REMOTE_ADDR);
    from anyone else waitress strips those headers.
    """
    trusted = settings.HARKEN_TRUSTED_PROXY
    if not trusted:
        return {}
    return {
        "trusted_proxy": trusted,
        "trusted_proxy_count": settings.HARKEN_TRUSTED_PROXY_COUNT,
        "trusted_proxy_headers": {h.strip().lower() for h in settings.HARKEN_TRUSTED_PROXY_HEADERS if h.strip()},
        "clear_untrusted_proxy_headers": True,
    }


class ServeError(Exception):
    """The server cannot start; the message is one line for the terminal (no traceback)."""


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"Port {port} on {host} is already in use (another Harken or another program?). "
            f"Stop it, or pick another port: --port {8100 if port != 8100 else 8101}."
        )
    if exc.errno == errno.EACCES:
        return f"Not allowed to listen on port {port} on {host}: pick a port above 1023, e.g. --port 8100."
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"Cannot listen on {host}: it is not an address of this machine (try 127.0.0.1 or 0.0.0.0)."
    return f"Cannot listen on {host}:{port}: {exc.strerror or exc}."


def default_processes() -> int:
    """One web process per CPU this process may run on (`HARKEN_WEB_PROCESSES` overrides)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def bind_sockets(host: str, port: int, backlog: int = 1024) -> list[socket.socket]:
    """Listening sockets for every address `host` resolves to (as waitress would bind them)."""
    sockets: list[socket.socket] = []
    seen: set[Any] = set()
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
        for family, socktype, proto, _name, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, socktype, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            if port == 0:  # every address on the same (ephemeral) port
                port = sock.getsockname()[1]
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ServeError(_bind_problem(host, port, exc)) from exc
    return sockets


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if the parent dies (even by SIGKILL), so no orphan keeps the port."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class WebProcesses:
    """N forked children, each running waitress on the parent's listening sockets; dead ones are replaced."""

    def __init__(self, count: int, run_child: Any) -> None:
        self.count = count
        self.run_child = run_child
        self.pids: list[int] = []

    def _fork(self) -> int:
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's code
            code = 1
            try:
                _die_with_parent()
                signal.signal(signal.SIGTERM, _interrupt_once)
                signal.signal(signal.SIGINT, _interrupt_once)
                self.run_child()
                code = 0
            except KeyboardInterrupt:
                code = 0
            except BaseException:  # noqa: BLE001 - reported, then the parent starts a new child
                log.exception("web process %s failed", os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)
        return pid

    def start(self) -> None:
        from django.db import connections

        connections.close_all()  # a connection must never be shared by two processes
        self.pids = [self._fork() for _ in range(self.count)]
        print(f"Web processes started (pids {', '.join(map(str, self.pids))})", flush=True)

    def supervise(self) -> None:
        """Until interrupted: replace a child that exits (one per second at most, so a crash loop idles)."""
        while True:
            time.sleep(0.5)
            for index, pid in enumerate(self.pids):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    log.error("Web process %s exited (status %s); starting another", pid, status)
                    time.sleep(1.0)
                    self.pids[index] = self._fork()

    def stop(self, timeout: float = 30.0) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        waiting = list(self.pids)
        while waiting:
            for pid in list(waiting):
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    waiting.remove(pid)
            if waiting and time.monotonic() > deadline:
                for pid in waiting:
                    log.error("Web process %s did not stop within %s s; killing it", pid, timeout)
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                break
            if waiting:
                time.sleep(0.1)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    threads: int = 8,
    processes: int = 1,
    worker: bool = False,
    worker_args: list[str] | None = None,
    url_prefix: str = "",
) -> None:
    from waitress.server import create_server  # type: ignore[import-untyped]

    # Collect before the WSGI app loads: whitenoise indexes STATIC_ROOT once, when it starts.
    prepare_static()
    from harken.wsgi import application

    try:
        if pending_migrations():
            log.warning("The database has unapplied migrations: run `harken migrate`.")
    except Exception as exc:  # noqa: BLE001 - a missing database is reported by /healthz, not fatal here
        log.warning("Could not check migrations: %s", exc)

    sockets = bind_sockets(host, port)
    effective_port = sockets[0].getsockname()[1]
    options = {"threads": threads, "url_prefix": url_prefix, **proxy_options()}

    def run_one() -> None:
        server: Any = create_server(application, sockets=sockets, **options)
        try:
            server.run()
        finally:
            server.close()

    web = WebProcesses(processes, run_one) if processes > 1 else None
    child = WorkerProcess(worker_args or []) if worker else None
    # Set both explicitly: a process started in the background may inherit an ignored SIGINT.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    previous_int = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        if web is not None:
            web.start()  # before the worker's watcher thread: fork a process that has one thread
        if child is not None:
            child.start()
        print(f"Harken is listening on http://{host}:{effective_port}", flush=True)
        if web is not None:
            web.supervise()
        else:
            run_one()
    except KeyboardInterrupt:
        print("Stopping…", flush=True)
    finally:
        started = time.monotonic()
        if web is not None:
            web.stop()
        for sock in sockets:
            sock.close()
        if child is not None:
            child.stop()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        log.info("Stopped in %.1fs", time.monotonic() - started)
