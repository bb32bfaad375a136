"""Issue 14's "Done when": a product manager's Monday morning on the demo, in a real browser.

Overview → top problems for the enterprise segment → a theme → one of its items → decide and reply
with a template → bulk-triage ten items in the inbox → export that view. Every page must be populated
(the screenshots in tests/browser/screenshots/monday-*.png are for people to look at).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.demo.loader import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo
from harken.notify.models import OutboundEmail
from harken.triage.models import Triage
from tests.browser.helpers import assert_accessible, login, screenshot

pytestmark = pytest.mark.slow


def _count(text: str) -> int:
    match = re.search(r"([\d,]+) items? match", text)
    assert match, f"no match count in {text!r}"
    return int(match.group(1).replace(",", ""))


def test_a_pm_monday_morning_on_the_demo(download_page: Page, settings: Any) -> None:
    page = download_page
    demo = load_demo(items=400)
    ws = demo.workspace
    run_pending_tasks()  # what the worker does after a demo load: embed, classify, themes, trends
    enterprise = ws.segments.get(name="Enterprise")
    login(page, DEMO_USER_EMAIL, DEMO_PASSWORD)

    # 1. Overview: numbers, the weekly chart, where feedback comes from
    page.goto(f"/w/{ws.slug}/")
    main = page.get_by_role("main")
    expect(main).to_contain_text("New this week")
    expect(main).to_contain_text("ARR represented")
    assert page.locator("main svg").count() >= 1, "the overview has no chart"
    assert_accessible(page)
    screenshot(page, "monday-1-overview")

    # 2. Top problems, restricted to the enterprise segment with the filter bar
    page.get_by_label("Main navigation").get_by_role("link", name="Top problems").click()
    expect(page.locator("h1")).to_contain_text("Top problems")
    page.get_by_label("Segment", exact=True).select_option(label="Enterprise")
    expect(page).to_have_url(re.compile(rf"segment={enterprise.pk}"))
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("Segment: Enterprise")
    problems = page.locator("tr.problem-row td:nth-child(2) a")
    expect(problems.first).to_be_visible()
    assert problems.count() >= 3, "too few top problems for the enterprise segment"
    screenshot(page, "monday-2-top-problems-enterprise")

    # 3. The top problem's theme: quotes and items
    theme_name = problems.first.inner_text().strip()
    problems.first.click()
    expect(page.locator("h1")).to_contain_text(theme_name)
    item_links = page.locator("main a[href*='/feedback/']").filter(has_text=re.compile(r"^#\d+"))
    expect(item_links.first).to_be_visible()
    screenshot(page, "monday-3-theme")

    # 4. One of its items from a customer we can write to: decide, and reply with a template
    pks = [int(m.group(1)) for h in item_links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
           if (m := re.search(r"/feedback/(\d+)/", h or ""))]  # fmt: skip
    target = next(
        (t for t in Triage.objects.filter(feedback_id__in=pks).select_related("feedback__contact")
         if t.feedback.contact_id or t.feedback.author_email),
        None,
    )  # fmt: skip
    assert target is not None, "no item of the theme has a customer to answer"
    page.locator(f"main a[href$='/feedback/{target.feedback_id}/']").first.click()
    expect(page.locator("#triage-reply-body")).to_be_visible()
    page.get_by_role("combobox", name="Decision").select_option(label="Under consideration")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    template = page.get_by_label("Template")
    template.select_option(index=1)
    expect(page.locator("#triage-reply-body")).not_to_have_value("")
    sent_before = OutboundEmail.objects.filter(workspace=ws).count()
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("queued in the outbox")).to_be_visible()
    target.refresh_from_db()
    assert target.decision == "under_consideration"
    assert OutboundEmail.objects.filter(workspace=ws).count() == sent_before + 1
    assert_accessible(page)
    screenshot(page, "monday-4-item-decided-and-answered")

    # 5. Bulk-triage ten of this week's items from the inbox
    page.get_by_label("Main navigation").get_by_role("link", name="Inbox").click()
    expect(page.locator("h1")).to_have_text("Inbox")
    assert _count(page.locator("[data-match-count]").inner_text()) >= 10
    boxes = page.locator("[data-bulk-item]")
    chosen = [int(boxes.nth(i).get_attribute("value") or 0) for i in range(10)]
    for i in range(10):
        boxes.nth(i).check()
    expect(page.locator("[data-bulk-count]")).to_have_text("10 selected")
    bulk = page.get_by_role("form", name="Bulk actions on the selected items")
    bulk.get_by_label("Decision", exact=True).select_option("not_now")
    bulk.get_by_label("Reason", exact=True).fill("After the reporting fixes ship")
    bulk.get_by_role("button", name="Decide", exact=True).click()
    expect(page.get_by_text("on 10 items.")).to_be_visible()
    assert Triage.objects.filter(feedback_id__in=chosen, decision="not_now").count() == 10
    screenshot(page, "monday-5-inbox-bulk-triaged")

    # 6. Export the view: the file holds exactly what the filter matched
    page.goto(f"/w/{ws.slug}/feedback/?sort=arr&has_account=yes")
    matched = _count(page.locator("[data-match-count]").inner_text())
    assert matched > 0
    with page.expect_download() as info:
        page.locator("[data-export-csv]").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == matched and all(r["account"] for r in rows)
    screenshot(page, "monday-6-inbox-export")
