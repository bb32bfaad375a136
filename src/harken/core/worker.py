"""The background worker: django-tasks-db's worker loop plus the periodic-job scheduler.

One process runs one worker loop (tasks one at a time) and, unless disabled, a scheduler thread
that ticks every ~30 s. `--concurrency N` makes a small supervisor that starts N worker
processes (without schedulers) and ticks itself; SIGTERM/SIGINT stop everything gracefully:
a running task finishes, then the process exits.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from django.db import OperationalError, close_old_connections, transaction
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from harken.core import scheduling

log = logging.getLogger("harken.worker")

DEFAULT_INTERVAL = 1.0
DEFAULT_TICK_SECONDS = 30.0


def _worker_id() -> str:
    host = os.uname().nodename.split(".")[0][:24] if hasattr(os, "uname") else "host"
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


def parse_queues(queues: str) -> list[str]:
    names = [q.strip() for q in queues.split(",") if q.strip()]
    return names or ["*"]


class HarkenWorker(Worker):
    """django-tasks-db's Worker, stopping our scheduler thread when it is asked to shut down."""

    def __init__(self, *, scheduler: scheduling.SchedulerThread | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.scheduler = scheduler

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if self.scheduler is not None:
            self.scheduler._stop_event.set()
        super().shutdown(signum, frame)


def drain(queues: str = "*", *, tick: bool = True, max_tasks: int | None = None) -> int:
    """Run one scheduler tick (optionally), then every ready task, then return how many ran.

    The same claim-and-run steps as django-tasks-db's worker, minus its `close_old_connections()`
    calls: those drop the connection when called inside a transaction (on PostgreSQL), which is
    where tests and one-shot callers run this.
    """
    if tick:
        scheduling.tick()
    worker = Worker(
        queue_names=parse_queues(queues),
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=_worker_id(),
        excluded_queue_names=[],
    )
    locked_retries = 0
    while max_tasks is None or worker._run_tasks < max_tasks:
        if not transaction.get_connection().in_atomic_block:
            close_old_connections()
        ready = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
        if not worker.process_all_queues:
            ready = ready.filter(queue_name__in=worker.queue_names)
        try:
            with exclusive_transaction(ready.db):
                task_result = ready.get_locked()
                if task_result is not None:
                    task_result.claim(worker.worker_id)
        except OperationalError as exc:
            # SQLite: another process holds the write lock; wait briefly, give up eventually.
            if not is_locked_database_exception(exc) or locked_retries >= 50:
                raise
            locked_retries += 1
            time.sleep(0.1)
            continue
        if task_result is None:
            break
        worker.run_task(task_result)
    return worker._run_tasks


def run_forever(
    queues: str = "*",
    *,
    scheduler: bool = True,
    interval: float = DEFAULT_INTERVAL,
    tick_seconds: float = DEFAULT_TICK_SECONDS,
) -> None:
    """One worker loop in this process (and the scheduler in a thread) until SIGTERM/SIGINT."""
    thread = scheduling.SchedulerThread(interval=tick_seconds) if scheduler else None
    worker = HarkenWorker(
        scheduler=thread,
        queue_names=parse_queues(queues),
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=True,
        max_tasks=None,
        worker_id=_worker_id(),
        excluded_queue_names=[],
    )
    worker.configure_signals()
    if thread is not None:
        thread.start()
    log.info("Worker %s started (queues=%s, scheduler=%s)", worker.worker_id, queues, "on" if thread else "off")
    try:
        worker.run()
    finally:
        if thread is not None:
            thread.stop()
        worker.reset_signals()
        log.info("Worker %s stopped", worker.worker_id)


class Supervisor:
    """Start N worker processes, tick the scheduler here, and stop them all together."""

    def __init__(self, concurrency: int, queues: str, *, scheduler: bool, interval: float, tick_seconds: float) -> None:
        self.concurrency = concurrency
        self.queues = queues
        self.scheduler = scheduler
        self.interval = interval
        self.tick_seconds = tick_seconds
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = threading.Event()

    def _spawn(self) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "harken.cli", "worker", "--queues", self.queues, "--no-scheduler"]
        args += ["--interval", str(self.interval)]
        # Own session, so a terminal's Ctrl+C reaches only the supervisor, which sends one SIGTERM each.
        return subprocess.Popen(args, start_new_session=True)

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        log.warning("Received %s - stopping %d worker processes…", signal.strsignal(signum), len(self.children))
        self.stopping.set()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)
        self.children = [self._spawn() for _ in range(self.concurrency)]
        log.info("Started %d worker processes: %s", self.concurrency, ", ".join(str(c.pid) for c in self.children))
        next_tick = 0.0
        try:
            while not self.stopping.is_set():
                if self.scheduler and time.monotonic() >= next_tick:
                    try:
                        scheduling.tick()
                    except Exception:
                        log.exception("Scheduler tick failed")
                    next_tick = time.monotonic() + self.tick_seconds
                for i, child in enumerate(self.children):
                    if child.poll() is not None:
                        log.error("Worker process %s exited with %s; restarting it", child.pid, child.returncode)
                        self.children[i] = self._spawn()
                self.stopping.wait(1.0)
        finally:
            self.stop()

    def stop(self, timeout: float = 60.0) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("Worker process %s did not stop in %ss; killing it", child.pid, timeout)
                child.kill()
                child.wait()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
