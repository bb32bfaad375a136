"""A new person's first minutes: sign up, make a workspace, record feedback, find it again."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.base import World
from tests.browser.helpers import assert_accessible, field, login, screenshot, signup


def sidebar_link(page: Page, label: str) -> Locator:
    return page.get_by_label("Main navigation").get_by_role("link", name=label, exact=True)


def test_sign_up_create_workspace_add_feedback_and_find_it(page: Page) -> None:
    signup(page, "Nina Newcomer", "nina@acme.test")
    assert_accessible(page)

    page.get_by_role("link", name="Create a workspace").click()
    expect(page.locator("h1")).to_have_text("New workspace")
    assert_accessible(page)
    field(page, "Workspace name").fill("Acme Product")
    page.get_by_role("button", name="Create workspace").click()

    expect(page.locator("h1")).to_have_text("Acme Product")
    assert re.search(r"/w/[\w-]+/$", page.url), page.url
    assert_accessible(page)

    sidebar_link(page, "Inbox").click()
    expect(page.locator("h1")).to_have_text("Inbox")
    expect(page.get_by_text("The inbox is empty")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="New feedback").first.click()
    expect(page.locator("h1")).to_have_text("New feedback")
    assert_accessible(page)
    field(page, "What did the customer say?").fill(
        "Exporting the quarterly report to CSV times out for us every Monday morning."
    )
    field(page, "Title").fill("CSV export times out")
    field(page, "Contact email").fill("dana@globex.test")
    field(page, "Contact name").fill("Dana Scully")
    field(page, "Tags").fill("export, performance")
    page.get_by_role("button", name="Save feedback", exact=True).click()

    # Saving lands on the item page.
    expect(page.locator("h1")).to_have_text("CSV export times out")
    expect(page.get_by_text("Exporting the quarterly report to CSV times out")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "manual-feedback-item")
    item_url = page.url

    sidebar_link(page, "Inbox").click()
    row = page.get_by_role("row").filter(has_text="CSV export times out")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Dana Scully")
    expect(row).to_contain_text("Manual")

    row.get_by_role("link", name="CSV export times out").click()
    expect(page).to_have_url(item_url)
    expect(page.locator("h1")).to_have_text("CSV export times out")
    details = page.get_by_role("complementary", name="Details")
    expect(details).to_contain_text("dana@globex.test")
    expect(details).to_contain_text("export")
    expect(details).to_contain_text("performance")


def test_a_viewer_sees_the_inbox_but_not_the_new_feedback_button(page: Page, world: World) -> None:
    login(page, world.vera.email)
    page.goto(f"/w/{world.alpha.slug}/feedback/")
    expect(page.locator("h1")).to_have_text("Inbox")
    expect(page.get_by_role("main").get_by_role("link", name="New feedback")).to_have_count(0)
    # Opening the form anyway is refused.
    response = page.goto(f"/w/{world.alpha.slug}/feedback/new/")
    assert response is not None and response.status == 403
