"""Periodic jobs: slots, one run per slot under races and restarts, atomic claim + enqueue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db.models.query import QuerySet
from django_tasks_db.models import DBTaskResult

from harken.core import scheduling
from harken.core.models import PeriodicRun
from harken.core.scheduling import PeriodicJob, ScheduleError, periodic, tick, to_cron
from tests.core.tasks import create_user, remember_slot

pytestmark = pytest.mark.django_db


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc,arg-type]


def job(name: str = "test.hourly") -> PeriodicJob:
    """Built directly, so tests never leave jobs in the global registry."""
    return PeriodicJob(name, remember_slot, to_cron(every="hour"), pass_slot=True)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"every": "minute"}, "* * * * *"),
        ({"every": "hour"}, "0 * * * *"),
        ({"every": "hour", "at": ":15"}, "15 * * * *"),
        ({"every": "day", "at": "08:00"}, "0 8 * * *"),
        ({"every": "day"}, "0 0 * * *"),
        ({"every": "week", "on": "fri", "at": "17:30"}, "30 17 * * 5"),
        ({"every": "15m"}, "*/15 * * * *"),
        ({"every": "6h"}, "0 */6 * * *"),
        ({"cron": "5  4 * * sun"}, "5 4 * * sun"),
    ],
)
def test_friendly_schedules_become_cron(kwargs: dict[str, str], expected: str) -> None:
    assert to_cron(**kwargs) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"every": "fortnight"},
        {"every": "day", "at": "25:00"},
        {"every": "7m"},
        {"cron": "not a cron"},
        {"every": "day", "cron": "* * * * *"},
        {"every": "day", "on": "mon"},
    ],
)
def test_bad_schedules_are_refused_with_a_message(kwargs: dict[str, str]) -> None:
    with pytest.raises(ScheduleError):
        to_cron(**kwargs)


def test_periodic_needs_a_task() -> None:
    with pytest.raises(ScheduleError, match="django-tasks Task"):
        periodic("test.bad", every="day", task=print)


def test_latest_slot_is_the_most_recent_due_time() -> None:
    daily = PeriodicJob("d", remember_slot, to_cron(every="day", at="08:00"))
    assert daily.latest_slot(at(2026, 3, 10, 9, 17, 30)) == at(2026, 3, 10, 8, 0)
    assert daily.latest_slot(at(2026, 3, 10, 7, 59, 59)) == at(2026, 3, 9, 8, 0)
    assert daily.latest_slot(at(2026, 3, 10, 8, 0, 0)) == at(2026, 3, 10, 8, 0)
    assert daily.next_slot(at(2026, 3, 10, 8, 0, 0)) == at(2026, 3, 11, 8, 0)
    # 08:00 in Berlin is 07:00 UTC in winter and 06:00 UTC in summer.
    berlin = PeriodicJob("b", remember_slot, daily.cron, tz="Europe/Berlin")
    assert berlin.latest_slot(at(2026, 1, 15, 12, 0)) == at(2026, 1, 15, 7, 0)
    assert berlin.latest_slot(at(2026, 7, 15, 12, 0)) == at(2026, 7, 15, 6, 0)


def test_two_ticks_enqueue_the_slot_once() -> None:
    hourly = job()
    with scheduling.override_jobs(hourly):
        first = tick(at(2026, 3, 10, 9, 20))
        second = tick(at(2026, 3, 10, 9, 45))
    assert [o.status for o in first] == ["enqueued"]
    assert [o.status for o in second] == ["already-ran"]
    run = PeriodicRun.objects.get(job="test.hourly")
    assert run.slot == at(2026, 3, 10, 9, 0)
    result = DBTaskResult.objects.get()
    assert str(result.id) == run.task_result_id
    assert result.args_kwargs["kwargs"] == {"slot": "2026-03-10T09:00:00+00:00"}


def test_a_slot_claimed_elsewhere_is_not_enqueued_again() -> None:
    hourly = job()
    PeriodicRun.objects.create(job="test.hourly", slot=at(2026, 3, 10, 9, 0))
    with scheduling.override_jobs(hourly):
        assert [o.status for o in tick(at(2026, 3, 10, 9, 5))] == ["already-ran"]
    assert not DBTaskResult.objects.exists()


def test_losing_the_insert_race_enqueues_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another scheduler inserts between our check and our insert: the unique constraint wins."""
    hourly = job()
    PeriodicRun.objects.create(job="test.hourly", slot=at(2026, 3, 10, 9, 0))
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with scheduling.override_jobs(hourly):
        outcomes = tick(at(2026, 3, 10, 9, 5))
    monkeypatch.undo()
    assert [o.status for o in outcomes] == ["already-ran"]
    assert PeriodicRun.objects.count() == 1
    assert not DBTaskResult.objects.exists()


def test_a_failed_enqueue_releases_the_slot_for_the_next_tick() -> None:
    class BrokenTask:
        func = None

        def enqueue(self, **kwargs: object) -> None:
            raise RuntimeError("queue is down")

    broken = PeriodicJob("test.hourly", BrokenTask(), "0 * * * *")
    with scheduling.override_jobs(broken):
        outcomes = tick(at(2026, 3, 10, 9, 5))
    assert outcomes[0].status == "failed"
    assert "queue is down" in outcomes[0].error
    assert not PeriodicRun.objects.exists()
    with scheduling.override_jobs(job()):
        assert [o.status for o in tick(at(2026, 3, 10, 9, 6))] == ["enqueued"]
    assert PeriodicRun.objects.count() == 1


def test_after_downtime_only_the_latest_missed_slot_runs() -> None:
    hourly = job()
    with scheduling.override_jobs(hourly):
        tick(at(2026, 3, 10, 10, 0))
        # Down for two days and five hours: dozens of hourly slots were missed.
        outcomes = tick(at(2026, 3, 12, 15, 20))
    assert [o.slot for o in outcomes] == [at(2026, 3, 12, 15, 0)]
    assert list(PeriodicRun.objects.order_by("slot").values_list("slot", flat=True)) == [
        at(2026, 3, 10, 10, 0),
        at(2026, 3, 12, 15, 0),
    ]
    assert DBTaskResult.objects.count() == 2


def test_one_broken_job_does_not_stop_the_others() -> None:
    class BrokenTask:
        func = None

        def enqueue(self, **kwargs: object) -> None:
            raise RuntimeError("boom")

    good = PeriodicJob("test.good", create_user, "0 0 * * *", kwargs={"email": "tick@example.test"})
    with scheduling.override_jobs(PeriodicJob("test.broken", BrokenTask(), "0 * * * *"), good):
        outcomes = {o.job: o.status for o in tick(at(2026, 3, 10, 9, 5))}
    assert outcomes == {"test.broken": "failed", "test.good": "enqueued"}


def test_apps_declare_jobs_in_periodic_modules() -> None:
    names = [j.name for j in scheduling.jobs()]
    assert "core.prune_job_history" in names


def test_declaring_a_job_registers_it_and_redeclaring_replaces_it() -> None:
    with scheduling.override_jobs():
        periodic("test.daily", every="day", at="08:00", task=create_user, kwargs={"email": "a@example.test"})
        periodic("test.daily", every="day", at="09:30", task=create_user, kwargs={"email": "a@example.test"})
        declared = scheduling.jobs()
        assert [(j.name, j.cron) for j in declared] == [("test.daily", "30 9 * * *")]
        assert declared[0].description.startswith("Leaves a visible side effect")
    assert "test.daily" not in [j.name for j in scheduling.jobs()]


@pytest.mark.django_db(transaction=True)
def test_scheduler_thread_ticks_on_start_and_stops_when_asked() -> None:
    thread = scheduling.SchedulerThread(interval=3600)
    with scheduling.override_jobs(job("test.thread")):
        thread.start()
        # Wait on the thread's own signal: querying SQLite from this thread while the scheduler
        # thread writes to the shared in-memory test database is what the product never does.
        assert thread.ticked.wait(timeout=60)
        thread.stop()
    assert not thread.is_alive()
    assert PeriodicRun.objects.filter(job="test.thread").count() == 1
    assert DBTaskResult.objects.count() == 1
