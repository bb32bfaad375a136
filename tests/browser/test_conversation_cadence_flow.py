"""Issue 12's done-when, in a real browser: a PM logs a conversation with highlights that appear as
feedback; the cadence dashboard shows the week met after the third conversation; the Monday reminder
and the weekly digest arrive at the test SMTP server; the monthly pack downloads and its CSV parses."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from harken.conversations import services as conversations
from harken.conversations.cadence import week_start
from harken.conversations.reminders import send_cadence_reminders
from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account, Contact
from harken.digests import services as digests
from tests.base import World
from tests.browser.helpers import assert_accessible, field, login, screenshot
from tests.notify.mailbox import Mailbox

UTC = dt.UTC


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    with box.settings():
        yield box
    box.stop()


def _log_in_browser(page: Page, title: str, when: dt.datetime, highlights: str = "") -> None:
    page.goto("/w/alpha/conversations/new/")
    expect(page.locator("h1")).to_have_text("Log a conversation")
    field(page, "Title").fill(title)
    field(page, "Kind").select_option(label="Interview")
    field(page, "When").fill(when.strftime("%Y-%m-%dT%H:%M"))
    field(page, "Contacts").select_option(label="Pat (Acme)")
    if highlights:
        field(page, "Highlights").fill(highlights)
    page.get_by_role("button", name="Log conversation").click()
    expect(page.locator("h1")).to_have_text(title)


def test_pm_logs_conversations_meets_the_week_and_gets_mail(page: Page, world: World, mailbox: Mailbox) -> None:
    world.alpha_line.managers.add(world.bob)
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test", arr=250000)
    Contact.objects.create(workspace=world.alpha, account=acme, name="Pat", email="pat@acme.test")
    Contact.objects.create(workspace=world.bravo, name="Eve", email="eve@bravo.test")  # never offered to Alpha
    now = timezone.now().astimezone(UTC)
    monday = week_start(now, UTC)
    start_of_week = dt.datetime.combine(monday, dt.time(0, 0), tzinfo=UTC)
    when = max(start_of_week + dt.timedelta(minutes=1), now - dt.timedelta(hours=2)).replace(second=0, microsecond=0)

    login(page, world.bob.email)
    page.goto("/w/alpha/conversations/new/")
    expect(field(page, "Contacts").locator("option", has_text="Eve")).to_have_count(0)
    assert_accessible(page)
    _log_in_browser(
        page,
        "Pat on month-end close",
        when,
        "Exports to Excel take forever every single month\nApprovals get lost in email threads",
    )
    highlights = page.get_by_test_id("highlights")
    expect(highlights).to_contain_text("Exports to Excel take forever")
    assert_accessible(page)
    screenshot(page, "conversation-detail")
    highlights.get_by_role("link", name="Feedback #").first.click()
    expect(page.locator("main")).to_contain_text("Exports to Excel take forever")
    expect(page.get_by_test_id("from-conversation")).to_contain_text("Pat on month-end close")

    page.goto("/w/alpha/feedback/?channel=conversation")
    expect(page.locator("main")).to_contain_text("Approvals get lost in email threads")

    # second conversation (logged through the service, as a calendar import would), then the dashboard
    conversations.create_conversation(
        world.actor(world.bob), title="Call with Acme", happened_at=when, product_line=world.alpha_line
    )
    page.goto("/w/alpha/cadence/")
    row = page.get_by_test_id("cadence-row").filter(has_text="Bob Member · Mobile")
    expect(row.get_by_test_id("this-week")).to_have_text("2 of 3 · in progress")
    _log_in_browser(page, "Shadowing Pat's close", when)
    page.goto("/w/alpha/cadence/")
    expect(row.get_by_test_id("this-week")).to_have_text("3 of 3 · met")
    expect(row.get_by_test_id("streak")).to_have_text("1")
    assert_accessible(page)
    screenshot(page, "cadence-dashboard")

    # Monday 09:00 next week: the reminder (last week met) and the weekly digest (this week's quotes)
    next_monday = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(9, 30), tzinfo=UTC)
    digests.add_recipient(world.actor(world.alice), email="lead@alpha.test", name="Lee", audience="leadership")
    digests.add_recipient(world.actor(world.alice), email="sales@alpha.test", name="Sal", audience="sales")
    assert send_cadence_reminders(next_monday) == 1
    assert digests.send_weekly_digests(next_monday) == 1
    run_pending_tasks()
    by_to = {m["To"]: m for m in mailbox.messages}
    assert set(by_to) == {"bob@alpha.test", "lead@alpha.test", "sales@alpha.test"}
    reminder = by_to["bob@alpha.test"].get_content()
    assert "Mobile: last week 3 of 3 (met)" in reminder
    assert "this week 0 so far, 3 to go" in reminder
    assert "3 conversations to go" in by_to["bob@alpha.test"]["Subject"]
    sales = by_to["sales@alpha.test"].get_body(("plain",)).get_content()
    assert "QUOTES OF THE WEEK" in sales and "Exports to Excel take forever" in sales
    assert "3 customer conversations" in sales
    leadership = by_to["lead@alpha.test"].get_body(("plain",)).get_content()
    assert "QUOTES OF THE WEEK" in leadership

    page.goto(f"/w/alpha/digest/?week={monday:%Y-%m-%d}&audience=sales")
    expect(page.get_by_test_id("digest-quotes")).to_contain_text("Exports to Excel take forever")

    # the monthly raw-data pack for this month: page, CSV download, sign-off
    page.goto(f"/w/alpha/review/?month={when:%Y-%m}")
    expect(page.locator("h1")).to_contain_text(f"{when:%B %Y}")
    assert_accessible(page)
    href = page.get_by_test_id("pack-csv").get_attribute("href")
    assert href
    download = page.request.get(href)
    assert download.ok and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text())))
    assert rows[0]["section"] == "total" and int(rows[0]["this_month"]) == 2
    assert {r["verbatim"] for r in rows if r["section"] == "verbatim"} == {
        "Exports to Excel take forever every single month",
        "Approvals get lost in email threads",
    }
    page.get_by_role("button", name="I reviewed this pack").click()
    expect(page.get_by_test_id("signoffs")).to_contain_text("Bob Member")
    screenshot(page, "review-pack")
