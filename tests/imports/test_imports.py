"""The import engine end to end against the real services: writes, idempotency, dry runs, failures."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from harken.customers.models import Account, Contact
from harken.feedback import actions as feedback_actions
from harken.feedback.models import Feedback
from harken.imports import actions, queries, runner
from harken.imports.models import ImportJob, ImportStatus
from harken.workspaces.access import Actor
from tests.base import World
from tests.imports.helpers import EXAMPLES, FIXTURES, mapped, upload


def problems(job: ImportJob, level: str = "error") -> list[str]:
    return [queries.describe(p) for p in job.error_report if p["level"] == level]


@pytest.mark.parametrize(
    "name",
    [
        "feedback_utf8.csv",
        "feedback_utf8_bom.csv",
        "feedback_utf16le.csv",
        "feedback_utf16be.csv",
        "feedback_latin1.csv",
        "feedback_cp1252.csv",
        "feedback_semicolon.csv",
        "feedback_tab.tsv",
    ],
)
def test_feedback_import_in_every_encoding_and_delimiter(world: World, name: str) -> None:
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, name, channel="support"))
    assert job.status == ImportStatus.DONE, job.failure
    assert (job.created, job.errors, job.total_rows) == (3, 0, 3)
    items = {f.external_id: f for f in world.alpha.feedback_items.all()}
    assert items["T-1"].text.startswith("Crème brûlée export is broken")
    assert items["T-2"].text == "Søk etter kunder fungerer ikke"
    assert items["T-1"].channel == "support"
    assert items["T-1"].dedupe_key == "ext:support:T-1"
    assert sorted(t.name for t in items["T-1"].tags.all()) == ["bug", "export"]
    assert items["T-1"].product_line == world.alpha_line
    assert items["T-3"].product_line == world.alpha_line  # "mobile": matched case-insensitively
    assert items["T-1"].author_email == "zoe@acme.test"
    assert items["T-2"].received_at.isoformat() == "2026-01-06T10:30:00+00:00"
    assert items["T-1"].created_by == world.bob
    assert '"row": 2' in items["T-1"].raw_payload
    assert world.bravo.feedback_items.count() == 0


def test_quoted_newlines_are_kept_in_feedback_text(world: World) -> None:
    bob = world.actor(world.bob)
    actions.run(bob, mapped(bob, "feedback_quoted_newlines.csv"))
    item = world.alpha.feedback_items.get(external_id="Q-1")
    assert item.text == 'First line\nSecond line, with comma\n"Quoted" third line'


def test_duplicate_rows_within_a_file_are_counted_once(world: World) -> None:
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, "feedback_duplicates.csv"))
    assert (job.created, job.duplicates, job.errors) == (2, 2, 0)
    assert world.alpha.feedback_items.count() == 2
    assert problems(job, "warning") == ["Row 4: duplicate of row 2; skipped", "Row 5: duplicate of row 2; skipped"]
    assert all(key.startswith("hash:") for key in world.alpha.feedback_items.values_list("dedupe_key", flat=True))


def test_reimporting_the_same_file_creates_nothing(world: World) -> None:
    bob = world.actor(world.bob)
    first = actions.run(bob, mapped(bob, "feedback_utf8.csv"))
    again = actions.run(bob, mapped(bob, "feedback_utf8.csv"))
    assert (first.created, again.created, again.skipped) == (3, 0, 3)
    hashed = actions.run(bob, mapped(bob, "feedback_duplicates.csv"))
    hashed_again = actions.run(bob, mapped(bob, "feedback_duplicates.csv"))
    assert (hashed.created, hashed_again.created, hashed_again.skipped) == (2, 0, 2)
    assert world.alpha.feedback_items.count() == 5


def test_the_same_rows_in_another_workspace_are_separate(world: World) -> None:
    actions.run(world.actor(world.bob), mapped(world.actor(world.bob), "feedback_utf8.csv"))
    charlie = world.actor(world.charlie)
    job = actions.run(charlie, mapped(charlie, "feedback_utf8.csv"))
    assert job.created == 3
    assert world.bravo.feedback_items.count() == 3
    # Bravo has no "Mobile" line; Alpha's is never used for Bravo's feedback.
    assert not world.bravo.feedback_items.filter(product_line=world.alpha_line).exists()
    assert "No product line" in problems(job, "warning")[0]


def test_accounts_upsert_and_reimport(world: World, tmp_path: Path) -> None:
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, EXAMPLES / "accounts.csv", "accounts"))
    assert (job.created, job.updated, job.errors) == (8, 0, 0), problems(job)
    northwind = world.alpha.accounts.get(external_id="ACC-1001")
    assert (northwind.name, northwind.domain, str(northwind.arr)) == (
        "Northwind Traders",
        "northwind.example",
        "184000.00",
    )
    assert northwind.lifecycle_stage == "active"
    again = actions.run(bob, mapped(bob, EXAMPLES / "accounts.csv", "accounts"))
    assert (again.created, again.updated, again.skipped) == (0, 0, 8)

    changed = tmp_path / "accounts.csv"
    text = (EXAMPLES / "accounts.csv").read_text().replace('"$184,000"', '"$200,000"')
    changed.write_text(text)
    third = actions.run(bob, mapped(bob, changed, "accounts"))
    assert (third.created, third.updated, third.skipped) == (0, 1, 7)
    northwind.refresh_from_db()
    assert str(northwind.arr) == "200000.00"
    assert world.alpha.accounts.count() == 8


def test_contacts_link_to_their_accounts(world: World) -> None:
    bob = world.actor(world.bob)
    actions.run(bob, mapped(bob, EXAMPLES / "accounts.csv", "accounts"))
    job = actions.run(bob, mapped(bob, EXAMPLES / "contacts.csv", "contacts"))
    assert (job.created, job.errors) == (13, 0), problems(job)
    maya = world.alpha.contacts.get(email="maya@northwind.example")
    assert maya.account is not None and maya.account.name == "Northwind Traders"
    assert actions.run(bob, mapped(bob, EXAMPLES / "contacts.csv", "contacts")).skipped == 13


def test_contact_with_unknown_company_is_a_row_error(world: World, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Email,Company\nnew@x.test,Nobody Inc\n")
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, path, "contacts"))
    assert job.errors == 1
    assert problems(job) == [
        "Row 2, column 'Company': No account named 'Nobody Inc'; import accounts first or fix the name."
    ]


def test_example_feedback_links_to_customers(world: World) -> None:
    bob = world.actor(world.bob)
    for kind in ("accounts", "contacts"):
        actions.run(bob, mapped(bob, EXAMPLES / f"{kind}.csv", kind))
    job = actions.run(bob, mapped(bob, EXAMPLES / "feedback.csv"))
    assert (job.created, job.errors, job.total_rows) == (30, 0, 30)
    item = world.alpha.feedback_items.get(external_id="FB-3003")
    assert item.account is not None and item.account.name == "Bluebird Logistics"
    assert item.contact is not None and item.contact.email == "priya@bluebird-logistics.example"
    assert item.title == "Route map is slow on mobile"
    assert "\n" in item.text
    assert item.product_line == world.alpha_line
    # "Web" is not a product line of Alpha: imported without one, with a note.
    assert any("No product line" in p for p in problems(job, "warning"))


def test_per_row_errors_name_row_and_column(world: World) -> None:
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, "accounts_errors.csv", "accounts"))
    assert (job.created, job.errors, job.total_rows) == (17, 2, 19)
    assert problems(job) == [
        "Row 17, column 'ARR': ARR must be a number, got 'abc'",
        "Row 20, column 'Company': An account needs a name; this cell is empty.",
    ]
    assert not world.alpha.accounts.filter(name="Company 17").exists()

    job = actions.run(bob, mapped(bob, "feedback_errors.csv"))
    assert (job.created, job.errors) == (2, 3)
    assert problems(job) == [
        "Row 3, column 'Email': must be an email address, got 'not-an-email'",
        "Row 4, column 'Feedback': the feedback text is empty",
        "Row 5, column 'Date': must be a date or date and time (e.g. 2024-03-17 14:05), got 'yesterday-ish'",
    ]


def test_stop_on_first_error_writes_nothing(world: World) -> None:
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, "feedback_errors.csv", stop_on_first_error=True))
    assert job.status == ImportStatus.FAILED
    assert "Row 3, column 'Email'" in job.failure and "nothing was imported" in job.failure
    assert world.alpha.feedback_items.count() == 0  # row 2 was valid but is rolled back too


def test_dry_run_writes_nothing_and_counts_what_would_happen(world: World) -> None:
    bob = world.actor(world.bob)
    actions.run(bob, mapped(bob, "feedback_utf8.csv"))
    job = actions.run_dry(bob, mapped(bob, "feedback_duplicates.csv"))
    assert job.status == ImportStatus.PREVIEWED and job.dry_run
    assert (job.created, job.duplicates) == (2, 2)
    assert world.alpha.feedback_items.count() == 3
    again = actions.run_dry(bob, mapped(bob, "feedback_utf8.csv"))
    assert (again.created, again.skipped) == (0, 3)
    assert [row["result"] for row in again.preview] == ["skipped"] * 3
    accounts = actions.run_dry(bob, mapped(bob, "accounts_errors.csv", "accounts"))
    assert (accounts.created, accounts.errors) == (17, 2)
    assert world.alpha.accounts.count() == 0
    table = queries.preview_table(accounts)
    assert table["headers"] == ["Account name", "Domain", "ARR", "Renewal date"]
    assert table["rows"][0]["cells"] == ["Company 2", "company2.test", "2000", "2027-01-31"]
    assert table["rows"][15]["result"] == "error" and "Row 17" in table["rows"][15]["message"]


def test_an_unexpected_failure_leaves_nothing_and_keeps_the_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    bob = world.actor(world.bob)
    real = feedback_actions.create_feedback_batch
    calls = []

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(feedback_actions, "create_feedback_batch", flaky)
    job = actions.run(bob, mapped(bob, "feedback_utf8.csv"))
    assert job.status == ImportStatus.FAILED
    assert "disk on fire" in job.failure and "nothing was imported" in job.failure
    assert Feedback.objects.count() == 0  # its one chunk was rolled back
    assert Path(job.file.path).read_bytes() == (FIXTURES / "feedback_utf8.csv").read_bytes()
    monkeypatch.setattr(feedback_actions, "create_feedback_batch", real)
    actions.start_import(bob, job)  # a failed job can be run again
    job.refresh_from_db()
    assert actions.run(bob, job).created == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "The file is empty."),
        ("header_only.csv", "The file has a header row but no data rows."),
        ("binary.csv", "We could not read this file as text."),
    ],
)
def test_unreadable_files_fail_but_are_kept(world: World, name: str, message: str) -> None:
    bob = world.actor(world.bob)
    job = upload(bob, name)
    assert job.status == ImportStatus.FAILED
    assert job.failure.startswith(message)
    assert Path(job.file.path).read_bytes() == (FIXTURES / name).read_bytes()
    assert f"imports/alpha/{name.split('.')[0]}" in job.file.name
    with pytest.raises(ValidationError):
        actions.start_import(bob, job)


def test_missing_required_columns_block_the_import(world: World) -> None:
    bob = world.actor(world.bob)
    job = upload(bob, "feedback_missing_columns.csv")
    assert job.status == ImportStatus.UPLOADED and job.header == ["Ticket", "Who", "When"]
    with pytest.raises(ValidationError, match=r"Missing required column: Feedback text \(text\)"):
        actions.set_mapping(bob, job, job.mapping)
    with pytest.raises(ValidationError, match="Missing required column"):
        actions.start_import(bob, job)


def test_viewers_cannot_import_and_jobs_stay_in_their_workspace(world: World) -> None:
    vera = world.actor(world.vera)
    with pytest.raises(PermissionDenied):
        upload(vera, "feedback_utf8.csv")
    job = mapped(world.actor(world.bob), "feedback_utf8.csv")
    for action in (actions.start_import, actions.start_preview, actions.run, actions.run_dry):
        with pytest.raises(PermissionDenied):
            action(vera, job)
    charlie = world.actor(world.charlie)
    with pytest.raises(ValidationError, match="another workspace"):
        actions.run(charlie, job)
    assert world.bravo.imports.count() == 0
    assert Feedback.objects.count() == 0


def test_tasks_run_preview_then_import_with_the_uploader_as_actor(world: World) -> None:
    from harken.core.taskrun import run_pending_tasks

    bob = world.actor(world.bob)
    job = actions.start_preview(bob, mapped(bob, "feedback_utf8.csv"))
    assert job.status == ImportStatus.VALIDATING
    run_pending_tasks()
    job.refresh_from_db()
    assert (job.status, job.created, job.progress) == (ImportStatus.PREVIEWED, 3, 100)
    assert Feedback.objects.count() == 0
    actions.start_import(bob, job)
    run_pending_tasks()
    job.refresh_from_db()
    assert (job.status, job.created, job.dry_run) == (ImportStatus.DONE, 3, False)
    assert set(world.alpha.feedback_items.values_list("created_by", flat=True)) == {world.bob.pk}
    with pytest.raises(ValidationError, match="done"):
        actions.start_import(bob, job)


def test_error_report_is_capped_but_counts_stay_exact(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "MAX_REPORT", 5)
    path = tmp_path / "bad.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Feedback", "Email"])
        writer.writerows([[f"text {i}", "bad"] for i in range(12)])
    bob = world.actor(world.bob)
    job = actions.run_dry(bob, mapped(bob, path))
    assert job.errors == 12 and len(job.error_report) == 5


def test_account_rows_are_not_touched_in_other_workspaces(world: World) -> None:
    Account.objects.create(
        workspace=world.bravo, name="Northwind Traders", domain="northwind.example", external_id="ACC-1001"
    )
    bob = world.actor(world.bob)
    job = actions.run(bob, mapped(bob, EXAMPLES / "accounts.csv", "accounts"))
    assert job.created == 8
    assert world.bravo.accounts.get().arr == 0
    assert Contact.objects.count() == 0
    assert isinstance(Actor.system(world.alpha), Actor)


def test_a_job_another_worker_has_claimed_is_not_run_again(world: World) -> None:
    from django.utils import timezone

    from harken.core.taskrun import run_pending_tasks

    bob = world.actor(world.bob)
    job = actions.start_import(bob, mapped(bob, "feedback_utf8.csv"))
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())  # a first worker is on it
    run_pending_tasks()
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    assert world.alpha.feedback_items.count() == 0


def test_files_over_the_size_limit_are_refused(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_MAX_IMPORT_BYTES = 100
    with pytest.raises(ValidationError, match="the limit is 100"):
        upload(world.actor(world.bob), "feedback_utf8.csv")
    assert world.alpha.imports.count() == 0
