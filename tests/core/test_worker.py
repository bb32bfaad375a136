"""`harken worker --once`, `harken jobs`, `harken tick` and the pruning job, with real tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from harken.accounts.models import User
from harken.cli import app
from harken.core import scheduling
from harken.core.models import PeriodicRun
from harken.core.scheduling import PeriodicJob
from harken.core.tasks import prune_job_history
from tests.core.tasks import create_user, remember_slot, shout

pytestmark = pytest.mark.django_db
runner = CliRunner()


def statuses() -> dict[str, str]:
    return {r.task_path.rsplit(".", 1)[-1]: r.status for r in DBTaskResult.objects.all()}


def test_worker_once_drains_every_queue() -> None:
    create_user.enqueue("drained@example.test")
    shout.enqueue("hello")
    remember_slot.enqueue()
    with scheduling.override_jobs():
        result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 task(s) ran" in result.output
    assert statuses() == {"create_user": "SUCCESSFUL", "shout": "SUCCESSFUL", "remember_slot": "SUCCESSFUL"}
    assert User.objects.filter(email="drained@example.test").exists()
    assert DBTaskResult.objects.get(task_path__endswith="shout").return_value == "HELLO"


def test_worker_once_honours_queues() -> None:
    shout.enqueue("mail only")
    create_user.enqueue("waits@example.test")
    result = runner.invoke(app, ["worker", "--once", "--no-scheduler", "--queues", "mail"])
    assert result.exit_code == 0, result.output
    assert statuses() == {"shout": "SUCCESSFUL", "create_user": "READY"}
    assert not User.objects.filter(email="waits@example.test").exists()


def test_worker_once_runs_due_periodic_jobs_and_records_when_they_finished() -> None:
    daily = PeriodicJob("test.daily_user", create_user, "0 3 * * *", kwargs={"email": "periodic@example.test"})
    with scheduling.override_jobs(daily):
        first = runner.invoke(app, ["worker", "--once"])
        second = runner.invoke(app, ["worker", "--once"])
    assert first.exit_code == 0, first.output
    assert "1 task(s) ran" in first.output
    assert "0 task(s) ran" in second.output
    assert User.objects.filter(email="periodic@example.test").count() == 1
    run = PeriodicRun.objects.get(job="test.daily_user")
    assert run.finished_at is not None
    assert DBTaskResult.objects.get(id=run.task_result_id).status == "SUCCESSFUL"


def test_jobs_lists_tasks_and_periodic_jobs() -> None:
    shout.enqueue("x")
    daily = PeriodicJob("test.listed", shout, "30 6 * * *", kwargs={"word": "y"})
    with scheduling.override_jobs(daily):
        runner.invoke(app, ["worker", "--once"])
        result = runner.invoke(app, ["jobs"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "tasks.shout" in result.output
    assert "successful" in result.output
    assert "test.listed" in result.output
    assert "30 6 * * *" in result.output


def test_failed_tasks_show_their_error() -> None:
    create_user.enqueue("")  # create_user raises ValueError without an email
    runner.invoke(app, ["worker", "--once", "--no-scheduler"])
    result = runner.invoke(app, ["jobs", "--failed"], env={"COLUMNS": "200"})
    assert "failed" in result.output
    assert "ValueError" in result.output


def test_tick_command_enqueues_due_jobs_once() -> None:
    daily = PeriodicJob("test.tick", shout, "0 0 * * *", kwargs={"word": "z"})
    with scheduling.override_jobs(daily):
        first = runner.invoke(app, ["tick"])
        second = runner.invoke(app, ["tick"])
    assert "enqueued" in first.output
    assert "already-ran" in second.output
    assert DBTaskResult.objects.count() == 1


def test_prune_removes_only_old_finished_history() -> None:
    old = timezone.now() - timedelta(days=45)
    shout.enqueue("old")
    shout.enqueue("new")
    runner.invoke(app, ["worker", "--once", "--no-scheduler"])
    DBTaskResult.objects.filter(args_kwargs__args=["old"]).update(finished_at=old)
    remember_slot.enqueue()  # still ready: never pruned
    DBTaskResult.objects.filter(status="READY").update(enqueued_at=old)
    PeriodicRun.objects.create(job="x", slot=old)
    PeriodicRun.objects.create(job="x", slot=timezone.now())
    assert prune_job_history.call() == {"task_results": 1, "periodic_runs": 1}
    assert DBTaskResult.objects.count() == 2
    assert PeriodicRun.objects.count() == 1


def test_jobs_warns_when_tasks_wait_without_a_worker() -> None:
    shout.enqueue("lonely")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=20))
    result = runner.invoke(app, ["jobs"], env={"COLUMNS": "200"})
    assert "is a worker running?" in result.output
