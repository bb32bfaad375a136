"""Issue 13's surveys done-when, in a real browser: an NPS survey goes out, recipients answer from
the link in the email the test SMTP server received, the score and the feedback item appear, the
detractor waits in triage and the promoter is in the advocacy queue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from tests.base import World
from tests.browser.helpers import assert_accessible, field, login, screenshot
from tests.notify.mailbox import Mailbox
from tests.surveys.helpers import make_contact


@pytest.fixture
def inbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    with box.settings():
        yield box
    box.stop()


def _link_for(box: Mailbox, to: str) -> str:
    for message in reversed(box.messages):
        if to in str(message["To"]):
            found = re.search(r"https?://\S+/s/[A-Za-z0-9_\-]+/", message.get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"no survey mail to {to}: {[m['Subject'] for m in box.messages]}")


def _answer(page: Page, link: str, score: int, comment: str) -> None:
    page.goto(link)
    expect(page.get_by_text("How likely are you to recommend us")).to_be_visible()
    assert_accessible(page)
    page.locator(f"#score-{score}").check()
    page.get_by_label("What is the main reason for your answer?").fill(comment)
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()


def test_nps_survey_goes_out_and_answers_land_in_triage_and_advocacy(
    page: Page, world: World, inbox: Mailbox, server_url: str, settings: Any
) -> None:
    settings.SITE_URL = server_url
    make_contact(world.alpha, "dana@grumpy.test")
    make_contact(world.alpha, "pia@happy.test")

    login(page, world.bob.email)
    page.goto("/w/alpha/surveys/")
    page.get_by_role("link", name="New survey").click()
    field(page, "Name").fill("Autumn NPS")
    field(page, "Kind").select_option("nps")
    page.get_by_role("button", name="Create survey").click()
    expect(page.locator("h1")).to_have_text("Autumn NPS")
    page.get_by_test_id("send-survey").click()
    expect(page.get_by_text("Invited 2")).to_be_visible()

    run_pending_tasks()  # the outbox delivers to the SMTP server
    answerer = page.context.browser.new_context(base_url=server_url)  # type: ignore[union-attr]
    visitor = answerer.new_page()
    _answer(visitor, _link_for(inbox, "dana@grumpy.test"), 3, "Pipelines failed twice and nobody told us.")
    _answer(visitor, _link_for(inbox, "pia@happy.test"), 10, "Support is superb.")
    visitor.goto("/s/forged-link-000/")
    expect(visitor.get_by_text("This link is not valid")).to_be_visible()
    answerer.close()

    page.reload()
    # one promoter, one detractor: NPS 100 × (1/2 − 1/2) = 0
    expect(page.get_by_test_id("survey-score").get_by_test_id("score-value").first).to_have_text("0")
    expect(page.get_by_test_id("survey-score")).to_contain_text("not enough data (n=2)")
    answers = page.get_by_test_id("survey-answers")
    expect(answers).to_contain_text("Pipelines failed twice")
    screenshot(page, "survey-results")
    answers.locator("[data-band=detractor]").get_by_role("link", name=re.compile("Feedback item")).click()
    expect(page.locator("main")).to_contain_text("Pipelines failed twice and nobody told us.")

    page.goto("/w/alpha/triage/")
    expect(page.locator("main")).to_contain_text("Pipelines failed twice")
    page.goto("/w/alpha/advocacy/")
    queue = page.get_by_test_id("advocacy-queue")
    expect(queue.locator("[data-testid=promoter]")).to_have_count(1)
    expect(queue).to_contain_text("Pia")
    assert_accessible(page)
    queue.get_by_role("button", name="Ask").click()
    expect(page.locator("h1")).to_contain_text("Testimonial from")

    # the scorecard's NPS / CSAT card reads the same answers
    page.goto("/w/alpha/scorecard/")
    card = page.locator('[data-metric="survey"]')
    expect(card.get_by_test_id("metric-value")).to_have_text("NPS +0")
    expect(card).to_contain_text("from 2 answers")
    expect(card).to_contain_text("Call back the detractors (1)")
