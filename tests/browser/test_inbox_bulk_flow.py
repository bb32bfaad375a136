"""The inbox at volume, in a real browser: select ten items (keyboard and "select all"), decide them
in one go with a reason (the list is swapped in place, no page load, focus on the result), mark two
as duplicates of a third picked by its number, then download the current view as CSV and as JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect

from harken.customers.models import Account
from harken.feedback import actions
from harken.triage.models import Triage
from tests.base import World
from tests.browser.helpers import assert_accessible, login, screenshot


def test_select_ten_decide_and_export(download_page: Page, world: World) -> None:
    from django.utils import timezone

    page = download_page
    big = Account.objects.create(workspace=world.alpha, name="Bigco", domain="big.co", arr=Decimal("250000"))
    actor = world.actor(world.bob)
    now = timezone.now()
    for i in range(12):
        actions.create_feedback(
            actor,
            text=f"Item {i:02d}: SSO with Okta please" if i != 3 else '=HYPERLINK("http://x") in a ticket',
            account=big if i % 2 else None,
            received_at=now - timedelta(hours=i),
        )

    login(page, world.bob.email)
    page.goto("/w/alpha/feedback/")
    expect(page.locator("h1")).to_have_text("Inbox")
    expect(page.locator("[data-match-count]")).to_contain_text("12 items match")
    for head in ("Decision", "Assignee", "ARR", "Theme"):
        expect(page.get_by_role("columnheader", name=head)).to_be_visible()
    assert_accessible(page)

    # "select all on this page" ticks all twelve, then the keyboard unticks two (space on a focused box)
    select_all = page.get_by_label("Select all 12 items on this page")
    select_all.check()
    expect(page.locator("[data-bulk-count]")).to_have_text("12 selected")
    boxes = page.locator("[data-bulk-item]")
    for i in (10, 11):
        boxes.nth(i).focus()
        page.keyboard.press("Space")
    expect(page.locator("[data-bulk-count]")).to_have_text("10 selected")

    page.evaluate("window.harkenSamePage = true")  # gone if the browser loads a new page
    bulk = page.get_by_role("form", name="Bulk actions on the selected items")
    bulk.get_by_label("Decision", exact=True).select_option("not_now")
    bulk.get_by_label("Reason", exact=True).fill("After the Q3 platform work")
    bulk.get_by_role("button", name="Decide", exact=True).click()
    flash = page.locator("[data-inbox-flash]")
    expect(flash).to_contain_text("Decided “Not now” on 10 items.")
    expect(flash).to_be_focused()  # the keyboard continues from the result
    expect(page.locator("td[data-col=decision]").filter(has_text="Not now")).to_have_count(10)
    assert page.evaluate("window.harkenSamePage === true"), "the bulk action reloaded the whole page"
    expect(page.locator("[data-bulk-count]")).to_have_text("Tick items below, then choose what to do with them.")
    screenshot(page, "inbox-bulk-decided")
    assert Triage.objects.filter(workspace=world.alpha, decision="not_now").count() == 10

    # the two left undecided are duplicates of the first row: picked by its number, keyboard only
    original = int(page.locator("[data-bulk-item]").first.get_attribute("value") or 0)
    boxes = page.locator("[data-bulk-item]")
    for i in (10, 11):
        boxes.nth(i).focus()
        page.keyboard.press("Space")
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    bulk = page.get_by_role("form", name="Bulk actions on the selected items")
    bulk.get_by_label("Decision", exact=True).select_option("duplicate")
    bulk.get_by_label("Duplicate of item #", exact=True).fill(f"#{original}")
    bulk.get_by_label("Duplicate of item #", exact=True).press("Enter")  # Enter runs this field's own action
    expect(page.locator("[data-inbox-flash]")).to_contain_text("Decided “Duplicate” on 2 items.")
    expect(page.locator("td[data-col=decision]").filter(has_text="Duplicate")).to_have_count(2)
    assert page.evaluate("window.harkenSamePage === true")
    assert_accessible(page)
    dups = Triage.objects.filter(workspace=world.alpha, decision="duplicate")
    assert sorted(dups.values_list("duplicate_of_id", flat=True)) == [original, original]

    # export the view: ARR sort, items with an account only
    page.goto("/w/alpha/feedback/?sort=arr&has_account=yes")
    expect(page.locator("[data-match-count]")).to_contain_text("6 items match")
    with page.expect_download() as info:
        page.locator("[data-export-csv]").click()
    download = info.value
    assert download.suggested_filename.startswith("harken-alpha-feedback-") and download.suggested_filename.endswith(
        ".csv"
    )
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and {r["account"] for r in rows} == {"Bigco"}
    assert sum(1 for r in rows if r["decision"] == "not_now") == 5
    assert any(r["text"].startswith("'=HYPERLINK") for r in rows)  # formula-safe
    with page.expect_download() as info:
        page.locator("[data-export-json]").click()
    payload = json.loads(open(info.value.path(), encoding="utf-8").read())  # noqa: SIM115
    assert payload["count"] == 6 and payload["filters"] == {"has_account": "yes", "sort": "arr"}
