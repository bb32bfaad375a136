"""Periodic jobs: apps declare them, any number of schedulers tick, each slot runs once.

An app declares a job in its `periodic.py` (discovered over `HARKEN_APPS`) or in `AppConfig.ready()`:

    from harken.core.scheduling import periodic
    from harken.triage.tasks import send_overdue_summaries

    periodic("triage.send_overdue_summaries", every="day", at="08:00", task=send_overdue_summaries)
    periodic("insight.refresh_trends", cron="*/15 * * * *", task=refresh_trends)

A tick computes each job's most recent due slot (the latest cron time <= now) and, in ONE
transaction, inserts `PeriodicRun(job, slot)` and enqueues the task. The unique constraint on
(job, slot) means a second scheduler — another thread, process or host, or this one after a
restart — gets an IntegrityError and does nothing. If the enqueue fails, the row rolls back too,
so the slot is retried on the next tick.

After downtime only the latest missed slot runs: a daily job that missed three days runs once,
not three times (no backlog storm). A job that has never run gets its latest slot on the first tick.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from importlib.util import find_spec
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django_tasks.signals import task_finished

from harken.core.models import PeriodicRun
from harken.core.registry import HARKEN_APPS

log = logging.getLogger(__name__)

EVERY_UNITS = {"minute": "m", "hour": "h", "day": "d", "week": "w"}
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 0}
_INTERVAL = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hours?)\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_MINUTE = re.compile(r"^:?(\d{1,2})$")


class ScheduleError(ValueError):
    """A job declaration that cannot be turned into a schedule."""


def to_cron(every: str | None = None, at: str | None = None, on: str | None = None, cron: str | None = None) -> str:
    """Turn the friendly `every/at/on` form into a cron expression (or validate `cron`)."""
    if cron:
        if every or at or on:
            raise ScheduleError("Give either cron= or every=/at=/on=, not both.")
        expression = " ".join(cron.split())
    elif not every:
        raise ScheduleError("A periodic job needs every= ('minute', 'hour', 'day', 'week', '15m', '2h') or cron=.")
    else:
        expression = _every_to_cron(every.strip().lower(), at, on)
    if not croniter.is_valid(expression):
        raise ScheduleError(f"Not a valid cron expression: {expression!r}")
    return expression


def _clock(at: str | None, default: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    if at is None:
        return default
    match = _CLOCK.match(at.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(f"at= must look like '08:00' (24-hour clock), got {at!r}")
    return int(match[1]), int(match[2])


def _every_to_cron(every: str, at: str | None, on: str | None) -> str:
    if on is not None and every != "week":
        raise ScheduleError("on= only applies to every='week'.")
    if every == "minute":
        if at:
            raise ScheduleError("at= makes no sense for every='minute'.")
        return "* * * * *"
    if every == "hour":
        minute = 0
        if at is not None:
            match = _MINUTE.match(at.strip())
            if not match or int(match[1]) > 59:
                raise ScheduleError(f"For every='hour', at= is the minute past the hour (':15'), got {at!r}")
            minute = int(match[1])
        return f"{minute} * * * *"
    if every == "day":
        hour, minute = _clock(at)
        return f"{minute} {hour} * * *"
    if every == "week":
        hour, minute = _clock(at)
        day = (on or "mon").strip().lower()[:3]
        if day not in WEEKDAYS:
            raise ScheduleError(f"on= must be a weekday such as 'mon', got {on!r}")
        return f"{minute} {hour} * * {WEEKDAYS[day]}"
    match = _INTERVAL.match(every)
    if match:
        n, unit = int(match[1]), match[2][0]
        if unit == "m":
            if not 1 <= n <= 59 or 60 % n:
                raise ScheduleError(f"Minute intervals must divide 60 (1, 2, 5, 10, 15, 30), got {every!r}")
            return f"*/{n} * * * *" if n > 1 else "* * * * *"
        if not 1 <= n <= 23 or 24 % n:
            raise ScheduleError(f"Hour intervals must divide 24 (1, 2, 3, 4, 6, 8, 12), got {every!r}")
        minute = 0 if at is None else int((_MINUTE.match(at.strip()) or [0, 0])[1])
        return f"{minute} */{n} * * *" if n > 1 else f"{minute} * * * *"
    raise ScheduleError(f"Unknown every={every!r}; use minute, hour, day, week, '15m' or '2h', or pass cron=.")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any  # a django_tasks Task
    cron: str
    tz: str = "UTC"
    kwargs: dict[str, Any] = field(default_factory=dict)
    pass_slot: bool = False
    description: str = ""

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent due time <= now, in UTC, to the second."""
        local_now = now.astimezone(self._zone()).replace(microsecond=0)
        # croniter's get_prev is strictly before its start, so start one second later to include `now` itself.
        prev = croniter(self.cron, local_now + timedelta(seconds=1)).get_prev(datetime)
        return prev.astimezone(UTC)

    def next_slot(self, now: datetime) -> datetime:
        local_now = now.astimezone(self._zone()).replace(microsecond=0)
        return croniter(self.cron, local_now).get_next(datetime).astimezone(UTC)

    def enqueue(self, slot: datetime) -> Any:
        kwargs = dict(self.kwargs)
        if self.pass_slot:
            kwargs["slot"] = slot.isoformat()
        return self.task.enqueue(**kwargs)


_registry: dict[str, PeriodicJob] = {}
_discovered = False
_lock = threading.Lock()


def periodic(
    name: str,
    *,
    task: Any,
    every: str | None = None,
    at: str | None = None,
    on: str | None = None,
    cron: str | None = None,
    tz: str = "UTC",
    kwargs: dict[str, Any] | None = None,
    pass_slot: bool = False,
    description: str = "",
) -> PeriodicJob:
    """Declare a periodic job. Declaring the same name again replaces it (module reloads, tests)."""
    if not name or len(name) > 200:
        raise ScheduleError("A periodic job needs a name of at most 200 characters, e.g. 'triage.send_summaries'.")
    if not hasattr(task, "enqueue"):
        raise ScheduleError(f"task= for {name!r} must be a django-tasks Task (decorated with @task()).")
    try:
        ZoneInfo(tz)
    except (KeyError, ValueError) as exc:
        raise ScheduleError(f"Unknown time zone {tz!r} for job {name!r}") from exc
    job = PeriodicJob(
        name=name,
        task=task,
        cron=to_cron(every=every, at=at, on=on, cron=cron),
        tz=tz,
        kwargs=dict(kwargs or {}),
        pass_slot=pass_slot,
        description=description or _first_doc_line(task),
    )
    with _lock:
        _registry[name] = job
    return job


def _first_doc_line(task: Any) -> str:
    doc = getattr(getattr(task, "func", None), "__doc__", None) or ""
    return doc.strip().split("\n")[0]


def autodiscover() -> None:
    """Import `harken.<app>.periodic` for every Harken app (once)."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        _discovered = True
    for app in ["core", *HARKEN_APPS]:
        module = f"harken.{app}.periodic"
        if find_spec(module):
            import_module(module)


def jobs() -> list[PeriodicJob]:
    autodiscover()
    with _lock:
        return sorted(_registry.values(), key=lambda job: job.name)


@contextmanager
def override_jobs(*declared: PeriodicJob) -> Iterator[None]:
    """Tests: replace the registry with exactly these jobs for the duration of the block."""
    autodiscover()
    with _lock:
        saved = dict(_registry)
        _registry.clear()
        _registry.update({job.name: job for job in declared})
    try:
        yield
    finally:
        with _lock:
            _registry.clear()
            _registry.update(saved)


@dataclass(frozen=True)
class TickOutcome:
    job: str
    slot: datetime
    status: str  # "enqueued", "already-ran", "failed"
    task_result_id: str = ""
    error: str = ""


def run_slot(job: PeriodicJob, slot: datetime) -> TickOutcome:
    """Claim (job, slot) and enqueue its task atomically; a lost race is not an error."""
    if PeriodicRun.objects.filter(job=job.name, slot=slot).exists():
        return TickOutcome(job.name, slot, "already-ran")
    try:
        with transaction.atomic():
            run = PeriodicRun.objects.create(job=job.name, slot=slot)
            result = job.enqueue(slot)
            run.task_result_id = str(getattr(result, "id", ""))[:64]
            run.save(update_fields=["task_result_id"])
    except IntegrityError:
        # Another scheduler inserted the row between our check and our insert.
        return TickOutcome(job.name, slot, "already-ran")
    # Jobs that run every few minutes (polling, outbox delivery) would log all day long; their tasks
    # log what they did when there was something to do.
    level = logging.INFO if job.cron.split()[0].isdigit() else logging.DEBUG
    log.log(level, "Enqueued periodic job %s for slot %s", job.name, slot.isoformat())
    return TickOutcome(job.name, slot, "enqueued", task_result_id=run.task_result_id)


def tick(now: datetime | None = None, only: list[str] | None = None) -> list[TickOutcome]:
    """Enqueue every job whose latest slot has not run yet. Safe to call from many places at once."""
    now = now or timezone.now()
    outcomes = []
    for job in jobs():
        if only is not None and job.name not in only:
            continue
        slot = job.latest_slot(now)
        try:
            outcomes.append(run_slot(job, slot))
        except Exception as exc:
            # One broken job (bad task path, database hiccup) must not stop the others.
            log.exception("Could not enqueue periodic job %s for slot %s", job.name, slot.isoformat())
            outcomes.append(TickOutcome(job.name, slot, "failed", error=f"{type(exc).__name__}: {exc}"))
    return outcomes


class SchedulerThread(threading.Thread):
    """Ticks every `interval` seconds until `stop()`; runs next to a worker in the same process."""

    def __init__(self, interval: float = 30.0) -> None:
        super().__init__(name="harken-scheduler", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()
        self.ticked = threading.Event()  # set after each tick, so callers can wait without polling the database

    def run(self) -> None:
        from django.db import connection

        try:
            while not self._stop_event.is_set():
                close_old_connections()
                try:
                    tick()
                except Exception:
                    log.exception("Scheduler tick failed; retrying in %ss", self.interval)
                self.ticked.set()
                self._stop_event.wait(self.interval)
        finally:
            connection.close()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)


def _mark_periodic_run_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """Record when a periodic job's task finished, so `harken jobs` and the admin can show it."""
    PeriodicRun.objects.filter(task_result_id=str(task_result.id), finished_at__isnull=True).update(
        finished_at=getattr(task_result, "finished_at", None) or timezone.now()
    )


task_finished.connect(_mark_periodic_run_finished, dispatch_uid="harken.core.periodic_run_finished")
