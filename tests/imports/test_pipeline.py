"""The one pipeline's guarantees: short committed chunks, undo by the run's ledger, resume after a
crash without losing or duplicating rows, and hostile CSV (unterminated quote, bare CR, NUL byte)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from harken.feedback import actions as feedback_actions
from harken.imports import actions, queries, runner
from harken.imports.models import ImportedRow, ImportJob, ImportStatus
from tests.base import World, make_token
from tests.imports.helpers import EXAMPLES, mapped


@pytest.fixture(autouse=True)
def _chunks_by_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of exactly CHUNK_ROWS, however slow the machine (production sizes them by time too)."""
    monkeypatch.setattr(runner, "CHUNK_SECONDS", 1e9)
    monkeypatch.setattr(runner, "FIRST_CHUNK", 10**9)


def write_csv(path: Path, rows: int, start: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ticket ID", "Email", "Feedback"])
        for i in range(start, start + rows):
            writer.writerow([f"T-{i}", f"user{i % 7}@chunk.test", f"Feedback number {i}"])
    return path


def test_chunks_are_sized_to_keep_each_transaction_short(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHUNK_SECONDS", 1e-9)  # every row is "slow": one row per transaction
    monkeypatch.setattr(runner, "FIRST_CHUNK", 3)
    monkeypatch.setattr(runner, "MIN_CHUNK", 1)
    sizes: list[int] = []
    real = runner.Run.flush

    def spy(self: runner.Run) -> None:
        sizes.append(len(self.chunk))
        real(self)

    monkeypatch.setattr(runner.Run, "flush", spy)
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, write_csv(tmp_path / "c.csv", 6)))
    assert job.created == 6 and sizes == [3, 1, 1, 1, 0]


def test_a_run_commits_in_chunks_and_drops_its_ledger_when_done(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHUNK_ROWS", 10)
    checkpoints: list[int] = []
    real = runner.Run.checkpoint

    def spy(self: runner.Run) -> None:
        real(self)
        checkpoints.append(ImportJob.objects.get(pk=self.job.pk).checkpoint)  # committed, seen from the table

    monkeypatch.setattr(runner.Run, "checkpoint", spy)
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, write_csv(tmp_path / "c.csv", 35)))
    assert (job.status, job.created, job.total_rows) == (ImportStatus.DONE, 35, 35)
    assert checkpoints == [11, 21, 31, 36]  # spreadsheet rows: the header is row 1
    assert ImportedRow.objects.count() == 0


def test_a_failure_in_a_later_chunk_undoes_the_earlier_ones(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHUNK_ROWS", 10)
    real = feedback_actions.create_feedback_batch
    calls: list[int] = []

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # the third chunk, after two were committed
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(feedback_actions, "create_feedback_batch", flaky)
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, write_csv(tmp_path / "c.csv", 35)))
    assert job.status == ImportStatus.FAILED and "nothing was imported" in job.failure
    assert world.alpha.feedback_items.count() == 0  # two committed chunks were undone by the ledger
    assert ImportedRow.objects.count() == 0 and job.created == 0


def test_undo_restores_updated_accounts(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bob = world.actor(world.bob)
    actions.run(bob, mapped(bob, EXAMPLES / "accounts.csv", "accounts"))
    before = {a.pk: (a.plan, a.arr) for a in world.alpha.accounts.all()}
    changed = tmp_path / "accounts.csv"
    text = (EXAMPLES / "accounts.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace("Enterprise", "Starter"), encoding="utf-8")
    job = mapped(bob, changed, "accounts")
    monkeypatch.setattr(runner, "CHUNK_ROWS", 3)
    monkeypatch.setattr(runner.Run, "checkpoint", _then_cancel(runner.Run.checkpoint))
    job = actions.run(bob, job)
    assert job.status == ImportStatus.FAILED and "cancelled" in job.failure
    assert {a.pk: (a.plan, a.arr) for a in world.alpha.accounts.all()} == before


def _then_cancel(real):  # type: ignore[no-untyped-def]
    def checkpoint(self: runner.Run) -> None:
        real(self)
        ImportJob.objects.filter(pk=self.job.pk).update(cancel_requested=True)

    return checkpoint


def test_a_killed_run_resumes_after_its_checkpoint(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker dies after two committed chunks; the retried task neither loses nor duplicates rows."""
    from harken.core.taskrun import run_pending_tasks

    monkeypatch.setattr(runner, "CHUNK_ROWS", 10)
    bob = world.actor(world.bob)
    job = actions.start_import(bob, mapped(bob, write_csv(tmp_path / "c.csv", 35)))
    real = runner.Run.checkpoint
    seen: list[int] = []

    def die_after_two(self: runner.Run) -> None:
        real(self)
        seen.append(1)
        if len(seen) == 3:  # inside the third chunk's transaction: that chunk is lost, as with a killed process
            raise SystemExit("SIGKILL")  # not an Exception: nothing gets to undo

    monkeypatch.setattr(runner.Run, "checkpoint", die_after_two)
    job.refresh_from_db()
    with pytest.raises(SystemExit):
        actions.run(bob, job)
    monkeypatch.setattr(runner.Run, "checkpoint", real)
    job.refresh_from_db()
    assert (job.status, job.checkpoint, job.created) == (ImportStatus.RUNNING, 21, 20)
    assert world.alpha.feedback_items.count() == 20
    assert actions.is_stalled(job) is False
    # progress reports (between commits) ran ahead of the last committed chunk before the kill
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=job.heartbeat_at - actions.STALE_AFTER * 2, processed_rows=27
    )
    job.refresh_from_db()
    assert actions.is_stalled(job)
    actions.start_import(bob, job)  # "Resume"
    run_pending_tasks(queues="default")
    job.refresh_from_db()
    assert (job.status, job.created, job.total_rows, job.skipped) == (ImportStatus.DONE, 35, 35, 0)
    assert world.alpha.feedback_items.count() == 35
    assert sorted(world.alpha.feedback_items.values_list("external_id", flat=True)) == sorted(
        f"T-{i}" for i in range(35)
    )


def test_a_stalled_run_can_be_discarded(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harken.core.taskrun import run_pending_tasks

    monkeypatch.setattr(runner, "CHUNK_ROWS", 10)
    bob = world.actor(world.bob)
    job = actions.start_import(bob, mapped(bob, write_csv(tmp_path / "c.csv", 35)))
    real = runner.Run.checkpoint

    calls: list[int] = []

    def die(self: runner.Run) -> None:
        real(self)
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("SIGKILL")

    monkeypatch.setattr(runner.Run, "checkpoint", die)
    job.refresh_from_db()
    with pytest.raises(SystemExit):
        actions.run(bob, job)
    monkeypatch.setattr(runner.Run, "checkpoint", real)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.started_at - actions.STALE_AFTER * 2)
    assert world.alpha.feedback_items.count() == 10
    client = world.client_for(world.bob)
    page = client.get(reverse("imports:detail", kwargs={"ws": "alpha", "pk": job.pk})).content.decode()
    assert "Resume" in page and "Discard" in page
    client.post(reverse("imports:cancel", kwargs={"ws": "alpha", "pk": job.pk}))
    run_pending_tasks(queues="default")
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and world.alpha.feedback_items.count() == 0


# --- hostile CSV (issue 15: defects 7 and 8) --------------------------------------------------------


def test_an_unterminated_quote_is_flagged_with_its_row_and_drops_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(
        'Ticket ID,Email,Feedback\nQ-1,a@q.test,first\nQ-2,b@q.test,"broken quote\nQ-3,c@q.test,third\nQ-4,d@q.test,fourth\n',
        encoding="utf-8",
    )
    bob = world.actor(world.bob)
    job = actions.run_dry(bob, mapped(bob, path))
    assert (job.status, job.created, job.errors) == (ImportStatus.PREVIEWED, 3, 1)
    error = queries.job_summary(job)["errors"][0]
    assert error.startswith("Row 3: a quoted cell starts here and is never closed"), error
    assert [r["row"] for r in queries.preview_table(job)["rows"]] == [2, 3, 4, 5]
    job = actions.run(bob, job)
    assert sorted(world.alpha.feedback_items.values_list("external_id", flat=True)) == ["Q-1", "Q-3", "Q-4"]


def test_bare_cr_line_endings_are_read_as_rows(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    data = b"Ticket ID,Email,Feedback\rR-1,a@cr.test,one\rR-2,b@cr.test,two\r"
    response = Client().post(
        "/api/imports/feedback",
        {"file": SimpleUploadedFile("mac.csv", data), "dry_run": "true"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["counts"]["created"] == 2 and response.json()["counts"]["errors"] == 0


def test_a_nul_byte_is_a_row_error_not_a_500(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    data = b"Ticket ID,Email,Feedback\nN-1,a@nul.test,fine\nN-2,b@nul.test,bad\x00byte\n"
    response = Client().post(
        "/api/imports/feedback",
        {"file": SimpleUploadedFile("nul.csv", data), "dry_run": "true"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"]["created"] == 1 and body["counts"]["errors"] == 1
    assert "Row 3: column 'Feedback' contains a NUL byte" in body["errors"][0]
    nul_only = Client().post(
        "/api/imports/feedback",
        {"file": SimpleUploadedFile("zeros.csv", b"\x00" * 64)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert nul_only.status_code == 422


def test_a_nul_byte_in_an_export_is_a_record_error(world: World) -> None:
    bob = world.actor(world.bob)
    data = b"Review ID,Rating,Title,Review,Nickname,Date\nA-1,5,Good,Lovely\x00app,z,2024-05-01\nA-2,4,Ok,Fine app,y,2024-05-02\n"
    job = actions.create_job(bob, "feedback", io.BytesIO(data), filename="r.csv", source="appstore")
    actions.start_import(bob, job)
    job = actions.run(bob, job)
    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 1)
    assert "NUL byte" in job.error_report[0]["message"]


@pytest.mark.slow
def test_a_200k_record_export_uploads_at_once_and_the_run_page_shows_progress(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request stores the file and reads only its start; the run happens in the worker, page by page."""
    path = tmp_path / "tickets.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(200_000):
            handle.write(json.dumps({"id": i, "subject": f"Ticket {i}", "description": f"Problem number {i}"}) + "\n")
    client = world.client_for(world.bob)
    with path.open("rb") as handle:
        response = client.post(reverse("imports:new", kwargs={"ws": "alpha"}) + "?source=zendesk", {"file": handle})
    job = world.alpha.imports.get()
    assert response.status_code == 302 and job.status == ImportStatus.VALIDATING
    assert world.alpha.feedback_items.count() == 0 and job.total_rows == 0  # nothing parsed in the request
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.MAPPED)  # skip the 200k-row preview
    client.post(reverse("imports:run", kwargs={"ws": "alpha", "pk": job.pk}))
    # Run the job in this process; cancel it after three chunks, as a person watching the page might.
    real = runner.Run.checkpoint
    pages: list[str] = []

    def watch(self: runner.Run) -> None:
        real(self)
        page = client.get(reverse("imports:progress", kwargs={"ws": "alpha", "pk": job.pk}))
        pages.append(page.content.decode())
        if len(pages) == 3:
            ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)

    monkeypatch.setattr(runner.Run, "checkpoint", watch)
    job.refresh_from_db()
    job = actions.run(world.actor(world.bob), job)
    assert "1500 rows read" in pages[2] and 'hx-trigger="every 1s"' in pages[2]
    assert "1000 created" in pages[1]
    assert job.status == ImportStatus.FAILED and "cancelled" in job.failure
    assert world.alpha.feedback_items.count() == 0


def test_the_demo_hook_runs_a_zendesk_export_through_the_pipeline(world: World) -> None:
    from harken.core.taskrun import run_pending_tasks
    from harken.imports.demo import after_demo_load

    assert after_demo_load(world.alpha) == 1
    run_pending_tasks(queues="default")
    job = world.alpha.imports.get()
    assert (job.source, job.status, job.created, job.ignored) == ("zendesk", ImportStatus.DONE, 11, 1)
    page = world.client_for(world.vera).get(reverse("channels:overview", kwargs={"ws": "alpha"})).content.decode()
    assert "zendesk-tickets.json" in page


def test_a_nul_in_a_json_export_is_a_record_error(world: World) -> None:
    bob = world.actor(world.bob)
    data = (
        b'[{"id": 1, "subject": "ok", "description": "fine"}, {"id": 2, "subject": "x", "description": "bad\\u0000"}]'
    )
    job = actions.create_job(bob, "feedback", io.BytesIO(data), filename="t.json", source="zendesk")
    actions.start_import(bob, job)
    job = actions.run(bob, job)
    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 1)
    assert "NUL byte" in job.error_report[0]["message"]
