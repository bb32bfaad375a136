"""Issue 13's scorecard "done when", in a real browser: on the demo workspace the scorecard shows every
metric computed from the demo data (NPS/CSAT from the demo's survey answers); a PM's
scope works; a PM fills in the growth self-assessment and sees it in their history."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harken.demo.loader import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo
from tests.browser.helpers import assert_accessible, login, screenshot

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

METRICS = [
    "conversations",
    "sla",
    "decided",
    "time_to_decision",
    "promises_kept",
    "notices_in_time",
    "evidence",
    "survey",
    "talk",
]


def test_demo_scorecard_shows_every_metric_and_the_growth_rubric(page: Page) -> None:
    ws = load_demo(items=150).workspace
    login(page, DEMO_USER_EMAIL, DEMO_PASSWORD)
    page.goto(f"/w/{ws.slug}/")
    page.get_by_role("link", name="Scorecard").click()
    expect(page.locator("h1")).to_have_text("Customer-focus scorecard")
    cards = page.get_by_test_id("metric")
    expect(cards).to_have_count(len(METRICS))
    for key in METRICS:
        card = page.locator(f'[data-metric="{key}"]')
        value = card.get_by_test_id("metric-value")
        expect(value).not_to_have_text("No data")  # computed from the demo data
        expect(card).to_contain_text("Suggested action")
        if key == "survey":
            expect(value).to_contain_text("NPS")  # from the demo's survey answers
    expect(page.locator("#talk-method")).to_contain_text("a customer cue")
    assert_accessible(page)
    screenshot(page, "scorecard-demo")

    # a PM's own scorecard
    options = page.locator("#scope-select option")
    pm_label = next(t for t in options.all_inner_texts() if t.startswith("PM: "))
    page.locator("#scope-select").select_option(label=pm_label)
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".page-head p").first).to_contain_text(pm_label)
    expect(page.get_by_test_id("metric")).to_have_count(len(METRICS))

    # the growth rubric: the demo's self-assessments, then the user's own
    nav = page.get_by_label("Main navigation")
    nav.locator("summary", has_text="More in Measure").click()  # less-used pages sit under the fold
    nav.get_by_role("link", name="PM growth").click()
    expect(page.locator("h1")).to_have_text("PM growth rubric")
    expect(page.get_by_test_id("growth-team")).to_be_visible()
    expect(page.get_by_test_id("evidence-talking")).to_contain_text("conversation")
    page.get_by_label("Talking to customers").select_option("4")
    page.get_by_label("Note (what you want to work on)").fill("More ride-alongs")
    page.get_by_role("button", name="Save self-assessment").click()
    expect(page.get_by_test_id("growth-history")).to_contain_text("More ride-alongs")
    assert_accessible(page)
    screenshot(page, "pm-growth-demo")
