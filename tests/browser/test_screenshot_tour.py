"""A screenshot tour of the key pages on the demo data, at desktop and phone widths.

The PNGs land in tests/browser/screenshots/ for people to look at; the test itself checks what a
machine can: every page renders with one <h1>, labelled fields, and nothing wider than the screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.demo.loader import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo
from tests.browser.helpers import DESKTOP, MOBILE, accessibility_problems, example_csv, field, login, screenshot

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    // Content inside a horizontally scrollable box (tables in .table-wrap) is fine, unless it is
    // absolutely positioned against something outside that box (then the box does not clip it).
    const absolute = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
    let scroller = absolute ? el.offsetParent : el.parentElement, contained = false;
    while (scroller && scroller !== document.body) {
      const style = getComputedStyle(scroller);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) { contained = true; break; }
      scroller = scroller.parentElement;
    }
    if (!contained) wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''} ends at ${Math.round(box.right)}px`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}
"""


def previewed_import(page: Page, ws: str) -> str:
    page.goto(f"/w/{ws}/imports/new/")
    field(page, "What are you importing?").select_option("feedback")
    field(page, "CSV file").set_input_files(str(example_csv()))
    page.get_by_role("button", name="Upload and continue").click()
    page.get_by_role("button", name="Check all rows (dry run)").click()
    expect(page.locator("h1")).to_have_text("Preview")
    url = page.url
    page.goto("about:blank")
    run_pending_tasks(queues="default")  # imports; embeddings and mail are not part of this flow
    return url


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_screenshot_tour(browser: Browser, server_url: str, size: str) -> None:
    demo = load_demo(items=120, contacts=60)
    ws = demo.workspace
    account = ws.accounts.order_by("-arr", "pk").first()
    item = ws.feedback_items.exclude(account=None).order_by("-received_at").first()
    assert account is not None and item is not None

    context = browser.new_context(base_url=server_url, viewport=MOBILE if size == "mobile" else DESKTOP)
    page = context.new_page()
    try:
        login(page, DEMO_USER_EMAIL, DEMO_PASSWORD)
        preview_url = previewed_import(page, ws.slug)
        pages = [
            ("overview", f"/w/{ws.slug}/"),
            ("inbox", f"/w/{ws.slug}/feedback/"),
            ("item", f"/w/{ws.slug}/feedback/{item.pk}/"),
            ("accounts", f"/w/{ws.slug}/accounts/"),
            ("account", f"/w/{ws.slug}/accounts/{account.pk}/"),
            ("import-preview", preview_url),
            ("members", f"/w/{ws.slug}/members/"),
            ("api-tokens", f"/w/{ws.slug}/api-tokens/"),
        ]
        problems: list[str] = []
        for name, url in pages:
            response = page.goto(url)
            assert response is not None and response.status == 200, f"{name} {url}: HTTP {response and response.status}"
            page.wait_for_load_state("networkidle")
            screenshot(page, f"tour-{size}-{name}")
            screenshot(page, f"tour-{size}-{name}-top", full_page=False)  # the first screen, as people see it
            problems += [f"{name}: {p}" for p in accessibility_problems(page)]
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow["scrollWidth"] > overflow["width"] + 1:
                problems.append(
                    f"{name}: the page scrolls sideways ({overflow['scrollWidth']}px wide on a {overflow['width']}px screen); "
                    f"widest: {', '.join(overflow['wide'])}"
                )
        assert not problems, "\n".join(problems)
    finally:
        context.close()
