"""The demo shows issue 12 populated in a browser: cadence with met and missed weeks, an account's
goals, jobs, process map and timeline, where it hurts, last week's digest and last month's pack.

"Last week" and "last month" come from one pinned clock: the demo is loaded with `now=` and the
digest and review pages are asked for that week and month by URL parameter, so a run that straddles
midnight at the end of a week or month reads the same period the demo filled.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.demo.loader import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo
from harken.digests import digest, review
from tests.browser.helpers import assert_accessible, login, screenshot

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py


def test_demo_shows_conversations_cadence_understanding_digest_and_pack(page: Page) -> None:
    now = timezone.now()
    ws = load_demo(items=300, now=now).workspace
    last_week = digest.week_of(review.local_today(ws, now)) - dt.timedelta(days=7)
    last_month = review.last_month(ws, now)
    run_pending_tasks()  # what the worker does after a demo load: themes, classification, trends
    login(page, DEMO_USER_EMAIL, DEMO_PASSWORD)
    base = f"/w/{ws.slug}"

    page.goto(f"{base}/cadence/")
    rows = page.get_by_test_id("cadence-row")
    expect(rows).to_have_count(3)
    expect(page.locator(".week-met").first).to_be_visible()
    expect(page.locator(".week-missed").first).to_be_visible()
    expect(page.get_by_test_id("who-next")).to_contain_text("no conversation")
    assert_accessible(page)
    screenshot(page, "demo-cadence")

    page.goto(f"{base}/conversations/")
    expect(page.get_by_role("row")).not_to_have_count(1)
    assert_accessible(page)

    account = (
        ws.accounts.filter(process_steps__isnull=False, conversations__isnull=False).distinct().order_by("-arr").first()
    )
    assert account is not None
    page.goto(f"{base}/accounts/{account.pk}/")
    expect(page.get_by_test_id("goals")).to_contain_text("Close the books in three days")
    expect(page.get_by_test_id("jobs")).to_contain_text("I want to")
    expect(page.get_by_test_id("process-map")).to_contain_text("Reconcile numbers")
    expect(page.get_by_test_id("timeline")).to_contain_text("Conversation")
    expect(page.get_by_test_id("account-conversations")).not_to_contain_text("Nobody has logged")
    assert_accessible(page)
    screenshot(page, "demo-account-understanding")

    page.goto(f"{base}/process-pain/")
    expect(page.get_by_test_id("pain-by-step")).to_contain_text("Reconcile numbers")
    assert_accessible(page)

    page.goto(f"{base}/digest/?week={last_week:%Y-%m-%d}")
    expect(page.get_by_test_id("digest-quotes")).to_be_visible()
    expect(page.get_by_test_id("digest-decisions")).to_contain_text("Planned")
    assert_accessible(page)
    screenshot(page, "demo-digest")

    page.goto(f"{base}/review/?month={last_month:%Y-%m}")
    expect(page.get_by_test_id("pack-theme").first).to_be_visible()
    expect(page.get_by_test_id("signoffs")).to_contain_text("Read it in the Monday review")
    assert_accessible(page)
    screenshot(page, "demo-review-pack")
