"""The API (multipart upload, dry run, polling) and the `harken import` command."""

from __future__ import annotations

import json

from django.test import Client
from typer.testing import CliRunner

from harken.cli import app
from harken.core.taskrun import run_pending_tasks
from harken.imports.models import ImportJob, ImportStatus
from tests.base import World, make_token
from tests.imports.helpers import EXAMPLES, FIXTURES


def post(token: str, path: str, name: str, **data: str):  # type: ignore[no-untyped-def]
    with (FIXTURES / name).open("rb") as handle:
        return Client().post(f"/api/imports/{path}", {"file": handle, **data}, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_api_dry_run_returns_counts_and_row_errors(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    response = post(token, "feedback", "feedback_errors.csv", dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "previewed" and body["dry_run"] is True
    assert body["counts"] == {"created": 2, "updated": 0, "skipped": 0, "duplicates": 0, "errors": 3, "ignored": 0}
    assert body["errors"][0] == "Row 3, column 'Email': must be an email address, got 'not-an-email'"
    assert world.alpha.feedback_items.count() == 0


def test_api_import_runs_in_the_background_and_can_be_polled(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    response = post(
        token, "feedback", "feedback_missing_columns.csv", mapping=json.dumps({"Ticket": "text", "Who": "author_email"})
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["mapping"] == {"text": "Ticket", "author_email": "Who"}
    run_pending_tasks()
    polled = Client().get(f"/api/imports/{job_id}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert polled["status"] == "done" and polled["counts"]["created"] == 1
    listed = Client().get("/api/imports/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [j["id"] for j in listed] == [job_id]
    other = make_token(world.bravo, world.charlie)
    assert Client().get(f"/api/imports/{job_id}", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404
    assert Client().get("/api/imports/", HTTP_AUTHORIZATION=f"Bearer {other}").json() == []


def test_api_explains_bad_requests(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    missing = post(token, "feedback", "feedback_missing_columns.csv")
    assert missing.status_code == 422
    assert "Missing required column: Feedback text (text)" in missing.json()["detail"]
    assert post(token, "feedback", "empty.csv").json()["errors"]["file"][0].startswith("The file is empty")
    assert (
        "mapping must be a JSON object" in post(token, "feedback", "feedback_utf8.csv", mapping="[1]").json()["detail"]
    )
    no_file = Client().post("/api/imports/feedback", {}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert no_file.status_code == 422 and "field named 'file'" in no_file.json()["errors"]["file"][0]
    read_only = make_token(world.alpha, world.vera, can_write=False)
    assert post(read_only, "feedback", "feedback_utf8.csv").status_code == 403
    assert ImportJob.objects.filter(workspace=world.alpha, status=ImportStatus.DONE).count() == 0


def test_api_imports_accounts(world: World) -> None:
    token = make_token(world.alpha, world.alice)
    with (EXAMPLES / "accounts.csv").open("rb") as handle:
        response = Client().post("/api/imports/accounts", {"file": handle}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 202
    run_pending_tasks()
    assert world.alpha.accounts.count() == 8


def test_cli_dry_run_then_import(world: World) -> None:
    runner = CliRunner()
    path = str(FIXTURES / "feedback_errors.csv")
    result = runner.invoke(app, ["import", "feedback", path, "--workspace", "alpha", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing written" in result.output
    assert "Row 4, column 'Feedback': the feedback text is empty" in result.output
    assert world.alpha.feedback_items.count() == 0

    result = runner.invoke(
        app,
        [
            "import",
            "feedback",
            path,
            "-w",
            "alpha",
            "--map",
            "Id=title",
            "--channel",
            "support",
            "--user",
            "bob@alpha.test",
        ],
    )
    assert result.exit_code == 0, result.output
    item = world.alpha.feedback_items.get(text="Fine row")
    assert (item.title, item.external_id, item.channel, item.created_by) == ("E-1", "", "support", world.bob)
    again = runner.invoke(app, ["import", "feedback", path, "-w", "alpha", "--map", "Id=title", "--channel", "support"])
    assert "unchanged (already present)" in again.output
    assert world.alpha.feedback_items.count() == 2


def test_cli_reports_problems_and_fails(world: World) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["import", "feedback", str(FIXTURES / "feedback_missing_columns.csv"), "-w", "alpha"])
    assert result.exit_code == 1 and "Missing required column" in result.output
    result = runner.invoke(app, ["import", "feedback", str(FIXTURES / "empty.csv"), "-w", "alpha"])
    assert result.exit_code == 1 and "The file is empty" in result.output
    result = runner.invoke(app, ["import", "accounts", str(EXAMPLES / "accounts.csv"), "-w", "nope"])
    assert result.exit_code == 2 and "No workspace" in result.output
    result = runner.invoke(
        app, ["import", "feedback", str(FIXTURES / "feedback_utf8.csv"), "-w", "alpha", "--map", "Comment"]
    )
    assert result.exit_code == 2 and "COLUMN=FIELD" in result.output
    result = runner.invoke(
        app, ["import", "feedback", str(FIXTURES / "feedback_utf8.csv"), "-w", "alpha", "--user", "charlie@bravo.test"]
    )
    assert result.exit_code == 2 and "not a member" in result.output
