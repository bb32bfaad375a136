"""The background worker: a django-tasks-db worker with leases, reconnects and priorities.

One process runs one worker loop (tasks one at a time), a heartbeat thread that keeps the
leases of its running task alive (core/leases.py), and, unless disabled, a scheduler thread
that ticks every ~30 s. `--concurrency N` makes a small supervisor that starts N worker
processes (without schedulers) and ticks itself; SIGTERM/SIGINT stop everything gracefully:
a running task finishes, then the process exits.

On top of django-tasks-db's loop (same claim: a row lock on PostgreSQL, an exclusive
transaction on SQLite; same `DBTaskResult` rows and statuses):

- **Priorities**: the next task is the ready one with the highest priority (core/queues.py
  gives each queue one; mail first), then the oldest.
- **Leases**: a task claimed by a worker that dies is put back in the queue when its lease
  expires and retried a bounded number of times (core/leases.py).
- **Reconnects**: a dropped database connection (a restart, a failover, `pg_terminate_backend`)
  is logged, closed and reopened with a growing pause; the worker never exits because of it.
  A task that failed because the connection dropped under it is requeued (bounded as above).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils.crypto import get_random_string
from django_tasks.base import TaskContext
from django_tasks.signals import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from harken.core import leases, scheduling

log = logging.getLogger("harken.worker")

DEFAULT_INTERVAL = 1.0
DEFAULT_TICK_SECONDS = 30.0
MAX_RECONNECT_PAUSE = 30.0


def _worker_id() -> str:
    host = os.uname().nodename.split(".")[0][:24] if hasattr(os, "uname") else "host"
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


def parse_queues(queues: str) -> list[str]:
    names = [q.strip() for q in queues.split(",") if q.strip()]
    return names or ["*"]


def is_connection_error(exc: BaseException) -> bool:
    """A database error that reconnecting can cure (not a lock timeout, not a constraint)."""
    if isinstance(exc, InterfaceError):
        return True
    return isinstance(exc, OperationalError) and not is_locked_database_exception(exc)


def _in_transaction() -> bool:
    return transaction.get_connection().in_atomic_block


def _reset_connection() -> None:
    """Close a broken connection so the next query opens a new one (never inside a transaction)."""
    if _in_transaction():
        return
    try:
        close_old_connections()  # closes a connection that raised an error and no longer answers
    except DatabaseError:
        connection.close()


class HarkenWorker(Worker):
    """django-tasks-db's Worker with priorities, leases, reconnects and our scheduler thread."""

    def __init__(
        self,
        *,
        scheduler: scheduling.SchedulerThread | None = None,
        heartbeat: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scheduler = scheduler
        self.heartbeat = leases.Heartbeat(self.worker_id) if heartbeat else None
        self._next_reclaim = 0.0
        self.reconnects = 0

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if self.scheduler is not None:
            self.scheduler._stop_event.set()
        super().shutdown(signum, frame)

    # -- claiming ---------------------------------------------------------------------------
    def ready_tasks(self) -> Any:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        # DBTaskResult's own ordering: priority (highest first), then run_after, then enqueued_at.
        return tasks

    def claim_next(self) -> DBTaskResult | None:
        """Lock, claim and lease the next ready task (None when there is none)."""
        tasks = self.ready_tasks()
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
                leases.take(task_result, self.worker_id)
        return task_result

    def maybe_reclaim(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_reclaim:
            return
        self._next_reclaim = now + leases.heartbeat_seconds()
        leases.reclaim()

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        log.info("Starting worker %s (queues=%s)", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # avoid a thundering herd of workers started together
        if self.heartbeat is not None and not self.heartbeat.is_alive():
            self.heartbeat.start()
        pause = 0.5
        try:
            while self.running:
                try:
                    _reset_connection()
                    self.maybe_reclaim()
                    task_result = self.claim_next()
                except OperationalError as exc:
                    if not is_locked_database_exception(exc):
                        pause = self._lost_connection(exc, pause)
                        continue
                    task_result = None  # SQLite: another process holds the write lock; try again
                except InterfaceError as exc:
                    pause = self._lost_connection(exc, pause)
                    continue
                pause = 0.5
                if task_result is not None:
                    self.run_task(task_result)
                elif self.batch:
                    log.info("No more tasks to run for worker %s - exiting.", self.worker_id)
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    log.info("Ran %d tasks on worker %s - exiting.", self._run_tasks, self.worker_id)
                    return
                if self.running and task_result is None:
                    time.sleep(self.interval)
        finally:
            if self.heartbeat is not None:
                self.heartbeat.stop()

    def _lost_connection(self, exc: BaseException, pause: float) -> float:
        self.reconnects += 1
        log.warning("Database connection lost (%s: %s); reconnecting in %.1fs", type(exc).__name__, exc, pause)
        connection.close()
        time.sleep(pause)
        return min(pause * 2, MAX_RECONNECT_PAUSE)

    # -- running one task --------------------------------------------------------------------
    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run a claimed task and record its outcome while this worker still holds its lease."""
        outcome: tuple[str, Any]
        self.running_task = True
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            task_started.send(sender=type(task.get_backend()), task_result=task_result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            outcome = ("successful", value)
        except (KeyboardInterrupt, SystemExit):
            # A second SIGTERM/Ctrl+C abandons the task: give it back to the queue, then stop.
            self._run_tasks += 1
            self._record(db_task_result, ("requeue", None))
            self.running_task = False
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure is recorded on the task
            requeue = is_connection_error(exc) and len(db_task_result.worker_ids) < leases.max_attempts()
            outcome = ("requeue", exc) if requeue else ("failed", exc)
        self._run_tasks += 1
        try:
            # Still "running" while recording: a first SIGTERM now waits for the result to be written.
            self._record(db_task_result, outcome)
        finally:
            self.running_task = False

    def _record(self, db_task_result: DBTaskResult, outcome: tuple[str, Any]) -> None:
        """Write the outcome, riding out a dropped connection (until the lease is lost)."""
        kind, value = outcome
        pause = 0.5
        for attempt in range(12):
            try:
                if attempt or kind == "requeue":
                    _reset_connection()
                if kind == "requeue":
                    if leases.requeue(db_task_result, self.worker_id):
                        log.warning("Task %s requeued after %r", db_task_result.id, value)
                    return
                recorded = self._finish(db_task_result, kind, value)
            except DatabaseError as exc:
                if not is_connection_error(exc) and not isinstance(exc, OperationalError):
                    raise
                log.warning("Could not record task %s (%s); retrying in %.1fs", db_task_result.id, exc, pause)
                if not _in_transaction():
                    connection.close()
                time.sleep(pause)
                pause = min(pause * 2, MAX_RECONNECT_PAUSE)
                continue
            if recorded:
                self._send_finished(db_task_result)
            return
        log.error("Gave up recording task %s; its lease will expire and another worker retries it", db_task_result.id)

    def _finish(self, db_task_result: DBTaskResult, kind: str, value: Any) -> bool:
        with transaction.atomic():
            if not leases.release(db_task_result.id, self.worker_id):
                log.warning(
                    "Worker %s lost the lease of task %s (it was reclaimed); not recording its result",
                    self.worker_id,
                    db_task_result.id,
                )
                return False
            if kind == "successful":
                try:
                    with transaction.atomic():
                        db_task_result.set_successful(value)
                except (TypeError, ValueError) as exc:  # e.g. a return value JSON cannot encode
                    db_task_result.set_failed(exc)
            else:
                db_task_result.set_failed(value)
        return True

    def _send_finished(self, db_task_result: DBTaskResult) -> None:
        try:
            sender = type(db_task_result.task.get_backend())
            result = db_task_result.task_result
        except (ImportError, SuspiciousOperation):
            log.exception("Task id=%s failed unexpectedly", db_task_result.id)
            return
        # Robust: a receiver that fails (its database connection just dropped, say) must not stop the worker.
        for receiver, response in task_finished.send_robust(sender=sender, task_result=result):
            if isinstance(response, Exception):
                log.error("task_finished receiver %r failed for task %s: %r", receiver, db_task_result.id, response)


def drain(queues: str = "*", *, tick: bool = True, max_tasks: int | None = None) -> int:
    """Run one scheduler tick (optionally), then every ready task, then return how many ran.

    The same claim-and-run steps as the long-running worker. Inside a transaction (tests, one-shot
    callers on PostgreSQL) connections are never recycled and no heartbeat thread starts; leases
    are still taken and released.
    """
    if tick:
        scheduling.tick()
    worker = HarkenWorker(
        heartbeat=not _in_transaction(),
        queue_names=parse_queues(queues),
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=_worker_id(),
        excluded_queue_names=[],
    )
    if worker.heartbeat is not None:
        worker.heartbeat.start()
    locked_retries = 0
    try:
        worker.maybe_reclaim(force=True)
        while max_tasks is None or worker._run_tasks < max_tasks:
            _reset_connection()
            try:
                task_result = worker.claim_next()
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
    finally:
        if worker.heartbeat is not None:
            worker.heartbeat.stop()
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
