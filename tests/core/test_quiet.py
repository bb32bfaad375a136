"""Noise: nothing logs or prints when nothing happened (a worker's log is for events, not heartbeats)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail import send_mail

from harken.channels.feeds.models import Feed
from harken.core.scheduling import jobs, tick
from harken.core.taskrun import run_pending_tasks
from tests.core.test_serve import PROJECT, harken_env
from tests.notify.mailbox import Mailbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # slow: run first (tests/conftest.py)


def noisy(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.INFO]


def test_polling_with_no_feeds_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert not Feed.objects.exists()
    assert "channels.poll_due_feeds" in {job.name for job in jobs()}
    caplog.set_level(logging.INFO)
    tick(only=["channels.poll_due_feeds"])
    assert run_pending_tasks() == 1
    assert noisy(caplog) == []


def test_a_daily_job_is_still_logged_when_enqueued(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tick(only=["core.prune_job_history"])
    assert any("Enqueued periodic job core.prune_job_history" in line for line in noisy(caplog))


def test_the_test_smtp_server_does_not_log_each_smtp_line(caplog: pytest.LogCaptureFixture) -> None:
    """aiosmtpd's INFO lines, logged from its own thread, outlived pytest's captured stream and
    printed "ValueError: I/O operation on closed file" tracebacks into the test output."""
    caplog.set_level(logging.INFO)
    box = Mailbox()
    box.start()
    try:
        with box.settings():
            send_mail("Hello", "Body", "harken@example.test", ["kim@globex.test"])
    finally:
        box.stop()
    assert len(box.messages) == 1
    assert [line for line in noisy(caplog) if line.startswith("mail.log")] == []


def test_loading_the_embedding_model_prints_no_report_table(tmp_path: Path) -> None:
    code = (
        "import django; django.setup()\n"
        "from harken.insight.embeddings import MiniLMEmbedder\n"
        "MiniLMEmbedder.model()\n"
        "print('loaded')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=harken_env(tmp_path, DJANGO_SETTINGS_MODULE="harken.settings"),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded"
    for noise in ("LOAD REPORT", "UNEXPECTED", "Loading weights", "Loading SentenceTransformer"):
        assert noise not in done.stderr, done.stderr
