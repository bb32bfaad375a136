"""The sidebar on a laptop screen: every section and Settings visible without scrolling, keyboard-first."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.base import World
from tests.browser.helpers import login

SECTIONS = ["Listen", "Understand", "Decide", "Commit", "Measure"]


def test_every_section_fits_1440x900_and_works_from_the_keyboard(page: Page, world: World) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, world.alice.email)  # the owner sees the most links
    page.goto(f"/w/{world.alpha.slug}/")
    nav = page.get_by_label("Main navigation")
    for title in SECTIONS:
        heading = nav.locator(".nav-section", has_text=title)
        expect(heading).to_be_in_viewport(ratio=1)
    settings = nav.get_by_role("link", name="Settings", exact=True)
    expect(settings).to_be_in_viewport(ratio=1)
    box = settings.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900
    sidebar = page.locator("aside.sidebar")
    assert sidebar.evaluate("el => el.scrollHeight <= el.clientHeight"), "the sidebar needs scrolling at 1440×900"
    # Triage is a decision, not listening.
    expect(nav.get_by_role("group", name="Decide").get_by_role("link", name="Triage")).to_be_visible()

    # Keyboard: Tab reaches the "More" fold of Understand; Enter opens it; its links follow in tab order.
    more = nav.locator("summary", has_text="More in Understand")
    for _ in range(40):
        page.keyboard.press("Tab")
        if more.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the Understand section's More fold")
    trends = nav.get_by_role("link", name="Trends", exact=True)
    expect(trends).to_be_hidden()
    page.keyboard.press("Enter")
    expect(trends).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("group", name="Understand").locator("details a").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    # On a page in a fold, the fold starts open and marks the page.
    current = nav.locator('a[aria-current="page"]')
    expect(current).to_be_visible()
    expect(current).to_have_count(1)

    settings.click()
    expect(page.locator("h1")).to_have_text("Settings")
    expect(settings).to_have_attribute("aria-current", "page")
    for label in ("General", "Members", "API tokens", "Reply templates", "Outbox", "Audit log"):
        expect(page.get_by_role("main").get_by_role("link", name=label, exact=True)).to_be_visible()
