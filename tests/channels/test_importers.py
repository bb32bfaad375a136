"""Source kinds of the import pipeline on realistic export files: Zendesk (JSON lines and CSV), Intercom,
App Store Connect, Google Play (UTF-16) and the generic JSON/CSV mapper. Each is idempotent by the
source's own id. (These were the channel importers; they now run as import jobs.)"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from harken.channels.ingest import dig, parse_when
from harken.core.taskrun import run_pending_tasks
from harken.imports import actions
from harken.imports.models import ImportJob, ImportStatus
from harken.workspaces.access import Actor
from tests.base import World, make_token

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def run_import(actor: Actor, source: str, handle: Any, *, filename: str, options: Any = None) -> ImportJob:
    """Upload and run an export through the import pipeline, in this process."""
    job = actions.create_job(actor, "feedback", handle, filename=filename, options=options or {}, source=source)
    if job.status == ImportStatus.FAILED:
        return job
    actions.start_import(actor, job)
    return actions.run(actor, job)


def load(world: World, source: str, name: str, **options: Any) -> ImportJob:
    with (FIXTURES / name).open("rb") as handle:
        return run_import(world.actor(world.bob), source, handle, filename=name, options=options)


def reasons(run: ImportJob) -> dict[int, str]:
    return {p["row"]: p["message"] for p in run.error_report}


@pytest.mark.django_db
def test_zendesk_json_lines_export(world: World) -> None:
    run = load(world, "zendesk", "zendesk_tickets.json")
    assert (run.total_rows, run.created, run.errors, run.ignored) == (6, 3, 2, 1)
    assert run.status == ImportStatus.DONE and run.errors
    problems = reasons(run)
    assert "not a date" in problems[4] and "yesterday afternoon" in problems[4]
    assert "no subject or description" in problems[5]
    assert "line 6 is not valid JSON" in problems[6]

    item = world.alpha.feedback_items.get(external_id="35436")
    assert item.dedupe_key == "zendesk:35436"
    assert item.title == "CSV export cuts off at 10,000 rows"
    assert item.text.startswith("Hi team,\n\nWhen I export")
    assert (item.author_email, item.author_name, item.channel) == ("maria.lopez@globex.example", "Maria Lopez", "email")
    assert item.received_at.isoformat() == "2024-05-02T08:14:03+00:00"
    assert sorted(t.name for t in item.tags.all()) == ["enterprise", "export", "limits"]
    assert json.loads(item.raw_payload)["satisfaction_rating"] == {"score": "good"}  # the raw record, verbatim
    assert world.alpha.feedback_items.get(external_id="35438").channel == "chat"

    # The file is kept byte for byte.
    with run.file.open("rb") as stored:
        assert stored.read() == (FIXTURES / "zendesk_tickets.json").read_bytes()

    again = load(world, "zendesk", "zendesk_tickets.json")
    assert (again.created, again.skipped) == (0, 3)
    assert world.alpha.feedback_items.count() == 3


@pytest.mark.django_db
def test_zendesk_csv_shares_ids_with_the_json_export(world: World) -> None:
    load(world, "zendesk", "zendesk_tickets.json")
    run = load(world, "zendesk", "zendesk_tickets.csv")
    assert (run.total_rows, run.created, run.skipped, run.errors) == (3, 1, 1, 1)
    assert "not a valid email" in reasons(run)[4]  # spreadsheet row: header is 1, a quoted newline stays in its row
    rita = world.alpha.feedback_items.get(external_id="35441")
    assert rita.author_name == "Rita Gómez" and rita.author_email == "rita@soylent.example"
    assert rita.channel == "support" and rita.title.startswith("Mobile app crashes")
    assert sorted(t.name for t in rita.tags.all()) == ["crash", "ios", "mobile"]


@pytest.mark.django_db
def test_intercom_html_becomes_safe_text(world: World) -> None:
    run = load(world, "intercom", "intercom_conversations.json")
    assert (run.total_rows, run.created, run.ignored, run.errors) == (4, 2, 1, 1)
    assert "has no “id”" in reasons(run)[4]
    item = world.alpha.feedback_items.get(external_id="147")
    assert "bulk-edit" in item.text and "one by one" in item.text
    assert "<" not in item.text and "alert" not in item.text and "evil.example" not in item.text
    assert item.author_email == "priya@vandelay.example" and item.channel == "chat"
    assert item.received_at.timestamp() == 1714637643
    assert {"bulk-actions", "contacts"} <= {t.name for t in item.tags.all()}
    email = world.alpha.feedback_items.get(external_id="148")
    assert email.channel == "email" and email.title == "Pricing question"
    assert "non-profit" in email.text and "12 seats" in email.text
    assert load(world, "intercom", "intercom_conversations.json").created == 0


@pytest.mark.django_db
def test_app_store_reviews(world: World) -> None:
    run = load(world, "appstore", "appstore_reviews.csv")
    assert (run.total_rows, run.created, run.ignored, run.errors) == (4, 2, 1, 1)
    assert "rating only" in reasons(run)[4]
    assert "“02/05/2024” is not a date we can read" in reasons(run)[5]  # day/month order is ambiguous: refused
    item = world.alpha.feedback_items.get(external_id="00000045-9f4c-a1b3-5c21-0a71cd310000")
    assert item.channel == "review" and item.title == "Sync is broken" and item.author_name == "kitchen_chef_22"
    assert {t.name for t in item.tags.all()} == {"rating:2", "territory:USA", "version:4.12.0"}
    # "2024-05-01T18:22:41-07:00" in the export: the same instant, whatever zone it is read back in
    assert item.received_at.timestamp() == datetime.fromisoformat("2024-05-01T18:22:41-07:00").timestamp()
    assert world.alpha.feedback_items.get(external_id__endswith="0001").author_name == "Zoë M."
    assert load(world, "appstore", "appstore_reviews.csv").skipped == 2


@pytest.mark.django_db
def test_google_play_utf16_export(world: World) -> None:
    assert (FIXTURES / "reviews_com.example.notes_202405.csv").read_bytes()[:2] == b"\xff\xfe"
    run = load(world, "googleplay", "reviews_com.example.notes_202405.csv")
    assert (run.total_rows, run.created, run.ignored, run.errors) == (4, 3, 1, 0), run.error_report
    german = world.alpha.feedback_items.get(external_id="gp:AOqpTOH8kLq9sYp2a1bXc3dE4fG5hI6jK7lM8nO9pQr")
    assert "Größe der Schrift" in german.text
    assert {t.name for t in german.tags.all()} == {"rating:4", "version:4.12.0", "lang:de", "device:beyond1"}
    assert german.dedupe_key == "googleplay:gp:AOqpTOH8kLq9sYp2a1bXc3dE4fG5hI6jK7lM8nO9pQr"
    assert world.alpha.feedback_items.filter(text="同期が時々失敗します。").exists()
    assert load(world, "googleplay", "reviews_com.example.notes_202405.csv").created == 0


@pytest.mark.django_db
def test_google_play_file_resaved_in_cp1252_still_reads_and_dedupes(world: World) -> None:
    with (FIXTURES / "reviews_cp1252_wrong.csv").open("rb") as handle:
        fresh = run_import(world.actor(world.charlie), "googleplay", handle, filename="cp1252.csv")
    assert (fresh.created, fresh.errors) == (3, 0)
    assert world.bravo.feedback_items.filter(text__contains="Größe der Schrift").count() == 1
    load(world, "googleplay", "reviews_com.example.notes_202405.csv")
    run = load(world, "googleplay", "reviews_cp1252_wrong.csv")
    assert (run.created, run.skipped, run.errors) == (0, 3, 0)  # same review ids, whatever the encoding


@pytest.mark.django_db
def test_wrong_source_for_a_file_is_a_clear_failure(world: World) -> None:
    run = load(world, "googleplay", "appstore_reviews.csv")
    assert run.status == ImportStatus.FAILED
    assert "does not look like a Google Play reviews export" in run.failure and "Review Text" in run.failure
    assert world.alpha.feedback_items.count() == 0
    assert run.file  # the upload is kept even when it cannot be read


@pytest.mark.django_db
def test_garbage_bytes_and_broken_json(world: World) -> None:
    actor = world.actor(world.bob)
    run = run_import(actor, "intercom", io.BytesIO(b"\x00\x81\xfe" * 200), filename="x.json")
    assert run.status == ImportStatus.FAILED and "could not read" in run.failure.lower()
    run = run_import(actor, "intercom", io.BytesIO(b'[{"id": 1,'), filename="cut.json")
    assert run.status == ImportStatus.FAILED and "not valid JSON" in run.failure
    empty = run_import(actor, "zendesk", io.BytesIO(b""), filename="empty.json")
    assert empty.status == ImportStatus.FAILED and "empty" in empty.failure
    assert world.alpha.feedback_items.count() == 0


@pytest.mark.django_db
def test_generic_json_lines_with_dotted_mapping(world: World) -> None:
    mapping = {
        "text": "answers.why",
        "external_id": "uuid",
        "author_email": "respondent.email",
        "author_name": "respondent.name",
        "received_at": "submitted_at",
        "tags": "labels",
        "product_line": "product",
    }
    run = load(world, "json", "generic_feedback.jsonl", mapping=mapping, channel="survey")
    assert (run.total_rows, run.created, run.errors) == (5, 3, 2)
    assert "no text at “answers.why”" in reasons(run)[3] and "not valid JSON" in reasons(run)[5]
    ann = world.alpha.feedback_items.get(external_id="nps-001")
    assert ann.dedupe_key == "json:nps-001" and ann.channel == "survey"
    assert ann.product_line == world.alpha_line and ann.author_name == "Ann"
    assert {t.name for t in ann.tags.all()} == {"onboarding", "import"}
    assert world.alpha.feedback_items.get(external_id="nps-002").received_at.timestamp() == 1714651200
    assert {t.name for t in world.alpha.feedback_items.get(external_id="nps-004").tags.all()} == {"security", "sso"}
    assert load(world, "json", "generic_feedback.jsonl", mapping=mapping).created == 0


@pytest.mark.django_db
def test_generic_csv_with_column_mapping_and_unknown_fields(world: World) -> None:
    mapping = {"text": "comment", "external_id": "ticket", "author_email": "Customer Email", "received_at": "when"}
    run = load(world, "json", "generic_feedback.csv", mapping=mapping)
    assert (run.created, run.errors) == (2, 0)
    item = world.alpha.feedback_items.get(external_id="T-2")
    assert item.author_email == "hal@example.com" and {t.name for t in item.tags.all()} == {"pricing", "api"}
    with pytest.raises(ValidationError, match="Unknown field"):
        load(world, "json", "generic_feedback.csv", mapping={"body": "comment"})
    run = run_import(world.actor(world.bob), "json", io.BytesIO(b'[{"foo": "bar"}]'), filename="x.json")
    assert run.status == ImportStatus.FAILED and "No field for the feedback text" in run.failure


@pytest.mark.django_db
def test_viewer_cannot_import_and_runs_are_per_workspace(world: World) -> None:
    with pytest.raises(PermissionDenied):
        load_as(world, world.vera)
    load(world, "appstore", "appstore_reviews.csv")
    assert world.bravo.imports.count() == 0 and world.bravo.feedback_items.count() == 0


def load_as(world: World, user: Any) -> ImportJob:
    with (FIXTURES / "appstore_reviews.csv").open("rb") as handle:
        return run_import(world.actor(user), "appstore", handle, filename="a.csv")


def test_dig_and_dates() -> None:
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}, "tags": {"tags": [{"name": "x"}, {"name": "y"}]}}
    assert dig(doc, "a.b.1.c") == 2 and dig(doc, "tags.tags.name") == ["x", "y"] and dig(doc, "a.z.q") is None
    assert parse_when("1714637643").timestamp() == 1714637643  # type: ignore[union-attr]
    assert parse_when(1714637643000).timestamp() == 1714637643  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        parse_when("soon")


@pytest.mark.django_db
def test_upload_page_previews_then_runs_in_the_background(world: World) -> None:
    client = world.client_for(world.bob)
    url = reverse("imports:new", kwargs={"ws": "alpha"}) + "?source=zendesk"
    assert "Zendesk" in client.get(url).content.decode()
    old = client.get(reverse("channels:import_new", kwargs={"ws": "alpha"}) + "?source=zendesk")
    assert old.status_code == 302 and old["Location"] == url
    upload = SimpleUploadedFile("tickets.json", (FIXTURES / "zendesk_tickets.json").read_bytes())
    response = client.post(url, {"file": upload, "product_line": world.alpha_line.pk})
    job = world.alpha.imports.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/imports/{job.pk}/preview/")
    assert (job.source, job.status) == ("zendesk", ImportStatus.VALIDATING)
    assert world.alpha.feedback_items.count() == 0  # nothing is read in the request
    run_pending_tasks(queues="default")
    preview = client.get(response["Location"]).content.decode()
    assert "Would create" in preview and "CSV export cuts off at 10,000 rows" in preview
    assert world.alpha.feedback_items.count() == 0
    started = client.post(reverse("imports:run", kwargs={"ws": "alpha", "pk": job.pk}), {})
    assert started.status_code == 302
    run_pending_tasks(queues="default")
    assert world.alpha.feedback_items.filter(product_line=world.alpha_line).count() == 3
    page = client.get(reverse("imports:detail", kwargs={"ws": "alpha", "pk": job.pk})).content.decode()
    assert "yesterday afternoon" in page and "Zendesk tickets import" in page and ">3<" in page
    overview = client.get(reverse("channels:overview", kwargs={"ws": "alpha"})).content.decode()
    assert "tickets.json" in overview and "Google Play" in overview
    download = client.get(reverse("imports:download", kwargs={"ws": "alpha", "pk": job.pk}))
    assert b"".join(download.streaming_content) == (FIXTURES / "zendesk_tickets.json").read_bytes()  # type: ignore[attr-defined]
    assert client.get(reverse("imports:new", kwargs={"ws": "alpha"}) + "?source=nope").status_code == 404
    bad = client.post(url.replace("zendesk", "json"), {"file": SimpleUploadedFile("a.json", b"[]"), "mapping": "{oops"})
    assert client.get(reverse("channels:import_new", kwargs={"ws": "alpha"})).status_code == 302
    assert "Not valid JSON" in bad.content.decode()


@pytest.mark.django_db
def test_api_upload_list_and_detail(world: World) -> None:
    token = make_token(world.alpha, world.alice)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with (FIXTURES / "intercom_conversations.json").open("rb") as handle:
        response = client.post("/api/imports/feedback", {"source": "intercom", "file": handle}, **headers)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "running" and body["source"] == "intercom"
    run_pending_tasks(queues="default")
    body = client.get(f"/api/imports/{body['id']}", **headers).json()
    assert (body["counts"]["created"], body["counts"]["ignored"], body["counts"]["errors"]) == (2, 1, 1)
    assert client.get("/api/imports/?source=intercom", **headers).json()[0]["id"] == body["id"]
    assert body["errors"][0].startswith("Row 4: ")
    mapping = json.dumps({"text": "answers.why", "external_id": "uuid"})
    with (FIXTURES / "generic_feedback.jsonl").open("rb") as handle:  # the deprecated address still works
        response = client.post(
            "/api/channels/imports", {"source": "json", "file": handle, "mapping": mapping}, **headers
        )
    assert response.status_code == 202
    run_pending_tasks(queues="default")
    assert client.get(f"/api/channels/imports/{response.json()['id']}", **headers).json()["counts"]["created"] == 3
    assert client.post("/api/channels/imports", {"source": "intercom"}, **headers).status_code == 422
    assert "source=" in client.post("/api/channels/imports", {"source": "nope"}, **headers).json()["detail"]
    bravo_token = make_token(world.bravo, world.charlie)
    assert client.get(f"/api/imports/{body['id']}", HTTP_AUTHORIZATION=f"Bearer {bravo_token}").status_code == 404
    assert client.get("/api/channels/imports", HTTP_AUTHORIZATION=f"Bearer {bravo_token}").json() == []


@pytest.mark.django_db
def test_api_step_by_step_create_preview_start(world: World) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}
    client = Client()
    with (FIXTURES / "appstore_reviews.csv").open("rb") as handle:
        created = client.post("/api/imports/", {"source": "appstore", "file": handle}, **headers)
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]
    assert created.json()["status"] == "mapped"
    assert client.post(f"/api/imports/{job_id}/preview", **headers).status_code == 202
    run_pending_tasks(queues="default")
    previewed = client.get(f"/api/imports/{job_id}", **headers).json()
    assert (previewed["status"], previewed["dry_run"], previewed["counts"]["created"]) == ("previewed", True, 2)
    assert world.alpha.feedback_items.count() == 0
    assert client.post(f"/api/imports/{job_id}/start", **headers).status_code == 202
    again = client.post(f"/api/imports/{job_id}/start", **headers)
    assert again.status_code == 422 and "already running" in again.json()["detail"]
    run_pending_tasks(queues="default")
    done = client.get(f"/api/imports/{job_id}", **headers).json()
    assert (done["status"], done["counts"]["created"], done["progress"]) == ("done", 2, 100)
    assert world.alpha.feedback_items.count() == 2
    with (FIXTURES / "appstore_reviews.csv").open("rb") as handle:
        wrong = client.post("/api/imports/", {"source": "googleplay", "file": handle}, **headers)
    assert wrong.status_code == 422 and "does not look like a Google Play" in wrong.json()["detail"]


@pytest.mark.django_db
def test_system_actor_can_import(world: World) -> None:
    with (FIXTURES / "appstore_reviews.csv").open("rb") as handle:
        run = run_import(Actor.system(world.alpha), "appstore", handle, filename="a.csv")
    assert run.created == 2 and run.created_by is None


@pytest.mark.django_db
def test_cli_import_with_progress_and_exit_codes(world: World) -> None:
    from typer.testing import CliRunner

    from harken.cli import app

    runner = CliRunner()
    clean = runner.invoke(
        app, ["import", "feedback", str(FIXTURES / "appstore_reviews.csv"), "--source", "appstore", "-w", "alpha"]
    )
    assert clean.exit_code == 1, clean.output  # one row has an unreadable date
    assert "unchanged (already present)" in clean.output and "02/05/2024" in clean.output
    assert world.alpha.feedback_items.count() == 2
    mapping = '{"text": "answers.why", "external_id": "uuid"}'
    result = runner.invoke(  # the old command is kept
        app,
        ["channels", "import", "json", str(FIXTURES / "generic_feedback.jsonl"), "-w", "alpha", "--mapping", mapping],
    )
    assert "3" in result.output and world.alpha.feedback_items.count() == 5
    again = runner.invoke(
        app,
        [
            *("import", "feedback", str(FIXTURES / "generic_feedback.jsonl"), "-s", "json", "-w", "alpha"),
            *("-m", "text=answers.why", "-m", "external_id=uuid"),
        ],
    )
    assert world.alpha.feedback_items.count() == 5 and again.exit_code == 1  # nothing new; the bad lines still fail
    missing = runner.invoke(
        app, ["import", "feedback", str(FIXTURES / "zendesk_tickets.json"), "--source", "zendesk", "-w", "nope"]
    )
    assert missing.exit_code == 2 and "No workspace" in missing.output
    assert world.alpha.imports.count() == 3
