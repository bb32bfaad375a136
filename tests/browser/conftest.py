"""The browser-test rig: a live Django server, Debian's Chromium driven by Playwright, helpers.

Every test under tests/browser/ is marked `browser`. Chromium must be installed
(`make browser-deps` or `apt-get install chromium`); a missing browser is a loud failure, not a skip,
so a CI run without it cannot look green.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser.helpers import DESKTOP, HERE

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
# `expect(...)` waits as long as every other page action (its own default is 5 s): with two xdist workers
# per core (scripts/run-pytest) a busy machine once took longer than 5 s to render Swagger UI.
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`, so `-m "not browser"` deselects exactly these."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "Browser tests need Debian's Chromium, which is not installed. "
            "Run `make browser-deps` (or `apt-get install chromium` as root), "
            "or deselect them with `-m 'not browser'`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    # Playwright's sync API runs an event loop in this thread; Django's async-safety check would then
    # refuse the ORM calls the tests make themselves (fixtures, assertions on the database). Set only
    # once a browser test runs, so a session without browser tests keeps the protection.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        yield pw
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


class PageProblems:
    """JavaScript errors and failed same-origin requests seen while a test ran."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.errors: list[str] = []

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"JavaScript error: {error}")

    def on_console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP violation: {message.text}")

    def on_response(self, response: Any) -> None:
        if response.url.startswith(self.origin) and response.status >= 500:
            self.errors.append(f"HTTP {response.status} for {response.url}")
        if response.url.startswith(f"{self.origin}/static/") and response.status >= 400:
            self.errors.append(f"Static file missing: HTTP {response.status} for {response.url}")


@pytest.fixture
def server_url(live_server: Any) -> str:
    return str(live_server.url)


def _checked_page(browser: Browser, server_url: str, *, downloads: bool) -> Iterator[Page]:
    context = browser.new_context(base_url=server_url, viewport=DESKTOP, accept_downloads=downloads)
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    page = context.new_page()
    problems = PageProblems(server_url)
    page.on("pageerror", problems.on_page_error)
    page.on("response", problems.on_response)
    page.on("console", problems.on_console)
    yield page
    context.close()
    assert not problems.errors, "The browser saw problems:\n" + "\n".join(problems.errors)


@pytest.fixture
def page(browser: Browser, server_url: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, desktop-sized, failing on JS errors and 5xx."""
    yield from _checked_page(browser, server_url, downloads=False)


@pytest.fixture
def download_page(browser: Browser, server_url: str) -> Iterator[Page]:
    """Like `page`, but downloads are accepted (exports are files)."""
    yield from _checked_page(browser, server_url, downloads=True)
