"""The browser flow through Django's test client: upload → mapping → preview → run → job page."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.imports.models import ImportJob, ImportStatus
from tests.base import World
from tests.imports.helpers import EXAMPLES, FIXTURES, mapped


def url(name: str, **kwargs: object) -> str:
    return reverse(f"imports:{name}", kwargs={"ws": "alpha", **kwargs})


def import_through_pages(world: World, path: Path, kind: str) -> ImportJob:
    client = world.client_for(world.bob)
    response = client.post(
        url("new"), {"kind": kind, "channel": "csv", "file": SimpleUploadedFile(path.name, path.read_bytes())}
    )
    job = world.alpha.imports.latest("id")
    assert response.status_code == 302 and response["Location"] == url("mapping", pk=job.pk)

    page = client.get(url("mapping", pk=job.pk)).content.decode()
    assert "(required)" in page and "Sample values" in page
    data = {}
    for i, column in enumerate(job.header):
        data[f"col_{i}"] = next((f for f, c in job.mapping.items() if c == column), "")
    response = client.post(url("mapping", pk=job.pk), data)
    assert response.status_code == 302 and response["Location"] == url("preview", pk=job.pk)
    run_pending_tasks()

    page = client.get(url("preview", pk=job.pk)).content.decode()
    assert "First rows as they will be imported" in page
    response = client.post(url("run", pk=job.pk), {"set_options": "1"})
    assert response.status_code == 302 and response["Location"] == url("detail", pk=job.pk)
    assert 'hx-trigger="every 1s"' in client.get(url("detail", pk=job.pk)).content.decode()
    run_pending_tasks()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.failure
    return job


def test_a_new_user_imports_the_examples(world: World) -> None:
    assert import_through_pages(world, EXAMPLES / "accounts.csv", "accounts").created == 8
    assert import_through_pages(world, EXAMPLES / "contacts.csv", "contacts").created == 13
    job = import_through_pages(world, EXAMPLES / "feedback.csv", "feedback")
    assert job.created == 30
    assert world.alpha.feedback_items.filter(account__isnull=False).count() == 30

    client = world.client_for(world.vera)  # viewers see history and results
    history = client.get(url("list")).content.decode()
    assert "feedback.csv" in history and "accounts.csv" in history
    assert "New import" not in history
    detail = client.get(url("detail", pk=job.pk)).content.decode()
    assert "Created" in detail and ">30<" in detail
    download = client.get(url("download", pk=job.pk))
    assert b"".join(download.streaming_content) == (EXAMPLES / "feedback.csv").read_bytes()


def test_preview_page_shows_counts_and_row_errors(world: World) -> None:
    bob = world.actor(world.bob)
    from harken.imports import actions

    job = actions.run_dry(bob, mapped(bob, "accounts_errors.csv", "accounts"))
    page = world.client_for(world.bob).get(url("preview", pk=job.pk)).content.decode()
    assert "Would create" in page
    assert "Row 17, column &#x27;ARR&#x27;: ARR must be a number, got &#x27;abc&#x27;" in page
    assert "Import 19 rows" in page
    report = world.client_for(world.vera).get(url("errors_csv", pk=job.pk)).content.decode()
    assert "17,ARR,error,\"ARR must be a number, got 'abc'\"" in report


def test_upload_of_an_empty_file_shows_the_reason_and_keeps_the_file(world: World) -> None:
    client = world.client_for(world.bob)
    response = client.post(url("new"), {"kind": "feedback", "file": SimpleUploadedFile("empty.csv", b"")}, follow=True)
    # Django refuses empty uploads at the form level: nothing is stored, the form says why.
    assert "The submitted file is empty." in response.content.decode()
    response = client.post(
        url("new"), {"kind": "feedback", "file": SimpleUploadedFile("blank.csv", b"\n\n")}, follow=True
    )
    assert "The file is empty." in response.content.decode()
    job = world.alpha.imports.get()
    assert job.status == ImportStatus.FAILED and Path(job.file.path).exists()


def test_mapping_page_refuses_a_mapping_without_required_fields(world: World) -> None:
    client = world.client_for(world.bob)
    path = FIXTURES / "feedback_missing_columns.csv"
    client.post(url("new"), {"kind": "feedback", "file": SimpleUploadedFile(path.name, path.read_bytes())})
    job = world.alpha.imports.get()
    response = client.post(
        url("mapping", pk=job.pk), {"col_0": "external_id", "col_1": "author_email", "col_2": "received_at"}
    )
    assert response.status_code == 200
    assert "Missing required column: Feedback text (text)" in response.content.decode()
    response = client.post(url("mapping", pk=job.pk), {"col_0": "text", "col_1": "text"})
    assert "already mapped" in response.content.decode()


def test_progress_partial_asks_htmx_to_reload_when_the_job_is_over(world: World) -> None:
    bob = world.actor(world.bob)
    job = mapped(bob, "feedback_utf8.csv")
    client = world.client_for(world.vera)
    job.status = ImportStatus.RUNNING
    job.save()
    running = client.get(url("progress", pk=job.pk), HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in running and 'hx-trigger="every 1s"' in running.content.decode()
    job.status = ImportStatus.DONE
    job.save()
    assert client.get(url("progress", pk=job.pk), HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def test_viewers_cannot_reach_import_actions(world: World) -> None:
    job = mapped(world.actor(world.bob), "feedback_utf8.csv")
    client = world.client_for(world.vera)
    assert client.get(url("new")).status_code == 403
    assert client.get(url("mapping", pk=job.pk)).status_code == 403
    assert client.post(url("run", pk=job.pk)).status_code == 403
    assert client.get(url("detail", pk=job.pk)).status_code == 200
    assert world.client_for(world.charlie).get(url("list")).status_code == 404


def test_nav_has_imports_under_listen(world: World) -> None:
    page = world.client_for(world.vera).get(url("list")).content.decode()
    assert f'href="{url("list")}" aria-current="page">Imports</a>' in page


def test_preview_shows_file_wide_notes_first_with_counts(world: World, tmp_path: Path) -> None:
    """Regression: notes about unknown companies and product lines hid below a very tall preview table."""
    from harken.imports import actions

    lines = ["text,company,product"]
    lines += [f"Export number {i} times out,Ghost Corp,Mobile" for i in range(25)]
    lines += [f"Dark mode request {i},Nobody Ltd,Mobile" for i in range(3)]
    csv_path = tmp_path / "notes.csv"
    csv_path.write_text("\n".join(lines) + "\n")
    bob = world.actor(world.bob)
    job = actions.run_dry(bob, mapped(bob, csv_path, "feedback"))
    page = world.client_for(world.bob).get(url("preview", pk=job.pk)).content.decode()
    notes_at = page.index("data-import-notes")
    assert notes_at < page.index("First rows as they will be imported")
    notes = page[notes_at : page.index("</section>", notes_at)]
    assert "25 rows" in notes and "Ghost Corp" in notes and "3 rows" in notes and "Nobody Ltd" in notes
    assert "28 rows" in notes  # the unknown product line, once, for every row
    assert notes.index("28 rows") < notes.index("25 rows") < notes.index("3 rows")  # most rows first
    detail = world.client_for(world.vera).get(url("detail", pk=job.pk)).content.decode()
    assert "data-import-notes" in detail and "25 rows" in detail
