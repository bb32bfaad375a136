"""CSV import as a person does it: upload, check the guessed mapping, read the preview, run, find the items."""

from __future__ import annotations

import csv
from urllib.parse import quote

from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.feedback.models import Channel
from tests.base import World
from tests.browser.helpers import assert_accessible, example_csv, field, login, screenshot


def run_background_jobs(page: Page) -> str:
    """Run queued jobs while the browser is parked on a blank page, so its progress polling never
    races the worker on the test database; returns the URL to come back to."""
    url = page.url
    page.goto("about:blank")
    run_pending_tasks(queues="default")  # imports; embeddings and mail are not part of this flow
    return url


def count(page: Page, label: str) -> int:
    stat = page.get_by_role("group", name="Counts").locator(".stat").filter(has_text=label)
    return int(stat.locator(".value").inner_text().split("/")[0].strip())


def test_import_feedback_csv_with_preview(page: Page, world: World) -> None:
    rows = list(csv.DictReader(example_csv().open(encoding="utf-8")))
    first, last = rows[0], rows[-1]

    login(page, world.bob.email)
    page.goto(f"/w/{world.alpha.slug}/imports/new/")
    expect(page.locator("h1")).to_have_text("New import")
    assert_accessible(page)
    field(page, "What are you importing?").select_option("feedback")
    field(page, "CSV file").set_input_files(str(example_csv()))
    page.get_by_role("button", name="Upload and continue").click()

    # Step 2: the mapping was guessed from the headers.
    expect(page.locator("h1")).to_have_text("Map columns")
    assert_accessible(page)
    screenshot(page, "import-mapping")
    guessed = {
        column: page.get_by_label(column, exact=True).evaluate("el => el.options[el.selectedIndex].text")
        for column in ["Feedback", "Email", "Ticket ID", "Subject"]
    }
    assert all(not value.startswith("—") for value in guessed.values()), guessed
    page.get_by_role("button", name="Check all rows (dry run)").click()

    # The dry run is a background job; once it has run, the preview shows counts and rows.
    expect(page.locator("h1")).to_have_text("Preview")
    page.goto(run_background_jobs(page))
    expect(page.locator("h1")).to_have_text("Preview")
    assert_accessible(page)
    would_create = count(page, "Would create")
    errors = count(page, "Errors")
    assert would_create + errors == len(rows), (would_create, errors)
    assert would_create >= len(rows) - 2, f"the example file should import cleanly, {errors} errors"
    assert world.alpha.feedback_items.count() == 0, "a preview must not write anything"
    preview_rows = page.get_by_role("region", name="First rows as they will be imported").get_by_role("row")
    expect(preview_rows.filter(has_text=first["Subject"])).to_have_count(1)
    screenshot(page, "import-preview")

    page.get_by_role("button", name=f"Import {len(rows)} rows").click()
    expect(page.get_by_text("Import started")).to_be_visible()
    page.goto(run_background_jobs(page))
    expect(page.locator("#job-progress")).to_contain_text("Done")
    assert count(page, "Created") == would_create
    assert_accessible(page)
    screenshot(page, "import-done")

    assert world.alpha.feedback_items.filter(channel=Channel.CSV).count() == would_create
    assert world.bravo.feedback_items.count() == 0

    page.goto(f"/w/{world.alpha.slug}/feedback/?channel=csv")
    expect(page.get_by_role("main")).to_contain_text(f"{would_create} items match")  # the inbox's match count
    for row in (first, last):
        page.goto(f"/w/{world.alpha.slug}/feedback/?channel=csv&q={quote(row['Subject'])}")
        found = page.get_by_role("row").filter(has_text=row["Subject"])
        expect(found).to_have_count(1)
        expect(found).to_contain_text(row["Name"])
    found.get_by_role("link", name=last["Subject"]).click()
    expect(page.locator("h1")).to_have_text(last["Subject"])
    expect(page.get_by_role("main")).to_contain_text(last["Feedback"].splitlines()[0])

    # Importing the same file again creates nothing twice.
    page.goto(f"/w/{world.alpha.slug}/imports/new/")
    field(page, "CSV file").set_input_files(str(example_csv()))
    page.get_by_role("button", name="Upload and continue").click()
    page.get_by_role("button", name="Check all rows (dry run)").click()
    page.goto(run_background_jobs(page))
    assert count(page, "Would create") == 0


def test_import_a_zendesk_export_from_the_channels_page(page: Page, world: World) -> None:
    """Another tool's export runs through the same pipeline: upload → preview → background run → job page."""
    from tests.channels.test_importers import FIXTURES

    login(page, world.bob.email)
    page.goto(f"/w/{world.alpha.slug}/channels/")
    page.get_by_role("row").filter(has_text="Zendesk tickets").get_by_role("link", name="Upload").click()
    expect(page.locator("h1")).to_have_text("New import")
    expect(page.get_by_role("link", name="Zendesk tickets")).to_have_attribute("aria-current", "page")
    assert_accessible(page)
    field(page, "Export file").set_input_files(str(FIXTURES / "zendesk_tickets.json"))
    page.get_by_role("button", name="Upload and continue").click()

    expect(page.locator("h1")).to_have_text("Preview")
    page.goto(run_background_jobs(page))
    assert count(page, "Would create") == 3 and count(page, "Errors") == 2
    assert world.alpha.feedback_items.count() == 0, "a preview must not write anything"
    assert_accessible(page)
    page.get_by_role("button", name="Import 6 rows").click()
    expect(page.get_by_text("Import started")).to_be_visible()
    page.goto(run_background_jobs(page))
    expect(page.locator("#job-progress")).to_contain_text("Done")
    assert count(page, "Created") == 3
    expect(page.get_by_role("main")).to_contain_text("yesterday afternoon")  # the row error, with its reason
    assert world.alpha.feedback_items.filter(dedupe_key__startswith="zendesk:").count() == 3
    page.goto(f"/w/{world.alpha.slug}/channels/")
    expect(page.get_by_role("main")).to_contain_text("zendesk_tickets.json")
