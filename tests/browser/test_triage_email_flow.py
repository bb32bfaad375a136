"""Issue 4's done-when, in a real browser: an item arrives by email to the SMTP receiver, shows in
triage with its SLA clock, a member replies from a template, the customer's mailbox (aiosmtpd)
receives it, the clock stops, and a decision with its reason shows in the item's history."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from harken.channels.email.smtp import make_controller
from harken.core.taskrun import run_pending_tasks
from harken.triage import actions
from tests.base import World
from tests.browser.helpers import assert_accessible, login, screenshot
from tests.notify.mailbox import Mailbox, free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


@pytest.fixture
def customer_mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    with box.settings():
        yield box
    box.stop()


@pytest.fixture
def mail_in(settings: Any, tmp_path: Path) -> Iterator[int]:
    settings.MEDIA_ROOT = tmp_path
    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def test_email_in_triage_reply_from_template_and_decision(
    page: Page, world: World, customer_mailbox: Mailbox, mail_in: int
) -> None:
    actions.create_template(
        world.actor(world.alice),
        name="Thanks, considering",
        subject="",
        body="Hi {{name}},\n\nThanks for writing to the {{product}} team. We are looking into it.",
    )
    with smtplib.SMTP("127.0.0.1", mail_in, timeout=10) as smtp:
        smtp.sendmail("pat@acme.test", ["feedback+alpha@harken.test"], (FIXTURES / "plain.eml").read_bytes())

    login(page, world.bob.email)
    page.goto("/w/alpha/triage/")
    expect(page.locator("h1")).to_have_text("Triage")
    row = page.get_by_role("row").filter(has_text="Export to CSV is missing")
    expect(row).to_have_count(1)
    expect(row.locator("[data-clock]")).to_have_attribute("data-clock", "running")
    expect(row.locator("[data-clock]")).to_contain_text("left")
    assert_accessible(page)
    screenshot(page, "triage-inbox")

    # Keyboard: j selects the first row, r opens it at the reply form.
    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.locator("h1")).to_have_text("Export to CSV is missing")
    expect(page.locator("#triage-reply-body")).to_be_focused()
    assert_accessible(page)

    page.get_by_label("Template").select_option(label="Thanks, considering")
    expect(page.locator("#triage-reply-body")).to_have_value(
        "Hi Pat,\n\nThanks for writing to the Alpha team. We are looking into it."
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("queued in the outbox")).to_be_visible()

    run_pending_tasks()  # the worker
    assert customer_mailbox.recipients() == [["pat@acme.test"]]
    (message,) = customer_mailbox.messages
    assert message["Subject"] == "Re: Export to CSV is missing"
    assert message["In-Reply-To"] == "<plain-1@acme.test>"

    page.reload()
    expect(page.locator("#assign [data-clock]")).to_have_attribute("data-clock", "met")
    expect(page.locator("[data-email-status]").first).to_have_attribute("data-email-status", "sent")

    page.get_by_role("combobox", name="Decision").select_option(label="Not now")
    page.get_by_label("Reason").fill("We focus on the mobile app until March.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    history = page.locator(".triage-history")
    expect(history.locator('[data-event="decided"]')).to_contain_text(
        "Undecided → Not now — We focus on the mobile app until March."
    )
    expect(history.locator('[data-event="decided"]')).to_contain_text("Bob Member")
    expect(history.locator('[data-event="replied"]')).to_contain_text("Re: Export to CSV is missing")
    assert_accessible(page)
    screenshot(page, "triage-item")

    page.get_by_label("Main navigation").get_by_role("link", name="Response times").click()
    expect(page.locator("h1")).to_have_text("Response times")
    expect(page.get_by_role("main")).to_contain_text("Bob Member")
    assert_accessible(page)
    screenshot(page, "triage-metrics")


def test_reply_waits_in_the_outbox_while_smtp_is_down_and_retry_sends_it_once(
    page: Page, world: World, customer_mailbox: Mailbox, mail_in: int
) -> None:
    with smtplib.SMTP("127.0.0.1", mail_in, timeout=10) as smtp:
        smtp.sendmail("pat@acme.test", ["feedback+alpha@harken.test"], (FIXTURES / "plain.eml").read_bytes())
    item = world.alpha.feedback_items.get()
    customer_mailbox.stop()

    login(page, world.bob.email)
    page.goto(f"/w/alpha/triage/{item.pk}/")
    page.get_by_label("Reply", exact=True).fill("Thanks Pat, we are on it.")
    page.get_by_role("button", name="Send reply").click()
    run_pending_tasks()  # the worker tries, the server is down

    # The outbox is for owners and admins: the owner takes it from here.
    page.context.clear_cookies()
    login(page, world.alice.email)
    page.goto("/w/alpha/outbox/?status=problems")
    row = page.get_by_role("row").filter(has_text="Re: Export to CSV is missing")
    expect(row.locator("[data-email-status]")).to_have_attribute("data-email-status", "failed")
    expect(row).to_contain_text("Connection refused")
    assert_accessible(page)
    screenshot(page, "outbox-failed")

    customer_mailbox.start()
    row.get_by_role("button", name="Retry Re: Export to CSV is missing").click()
    expect(page.get_by_text("queued again")).to_be_visible()
    run_pending_tasks()
    run_pending_tasks()
    assert [m["Subject"] for m in customer_mailbox.messages] == ["Re: Export to CSV is missing"]
    page.goto("/w/alpha/outbox/")
    expect(page.get_by_role("row").filter(has_text="Re: Export").locator("[data-email-status]")).to_have_attribute(
        "data-email-status", "sent"
    )
