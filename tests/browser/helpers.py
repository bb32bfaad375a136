"""Helpers for browser tests: screenshots, signing in through the real forms, an accessibility smoke check."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, ViewportSize

from tests.base import PASSWORD

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
REPO = HERE.parent.parent
DESKTOP = ViewportSize(width=1366, height=900)
MOBILE = ViewportSize(width=375, height=812)


def field(page: Page, label: str) -> Locator:
    """The form control labelled exactly `label` (ignoring the required-field asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save tests/browser/screenshots/<name>.png (gitignored) for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form, as a person would."""
    page.goto("/accounts/login/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"Login as {email} failed; still on {page.url}"


def signup(page: Page, name: str, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    field(page, "Your name").fill(name)
    field(page, "Work email").fill(email)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert "Check your email" in page.inner_text("main"), f"Sign-up failed on {page.url}: {page.inner_text('main')}"
    # Open the confirmation link from the email, as the mailbox owner would.
    from tests.accounts.test_signin_signup import confirmation_link

    page.goto(confirmation_link(email.lower()))
    page.get_by_role("button", name="Confirm and sign in").click()
    page.wait_for_load_state()
    assert "/accounts/signup/" not in page.url, f"Confirmation failed; still on {page.url}: {page.inner_text('main')}"


ACCESSIBILITY_JS = """
() => {
  const problems = [];
  const h1s = [...document.querySelectorAll('h1')];
  if (h1s.length !== 1) problems.push(`expected exactly one <h1>, found ${h1s.length}`);
  if (!document.documentElement.getAttribute('lang')) problems.push('<html> has no lang attribute');
  if (!document.title.trim()) problems.push('the page has no <title>');
  const fields = document.querySelectorAll('input, select, textarea');
  for (const el of fields) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const named = (el.labels && el.labels.length > 0 && [...el.labels].some(l => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => id && document.getElementById(id))
      || (el.getAttribute('title') || '').trim();
    if (!named) problems.push(`form field without a label: <${el.tagName.toLowerCase()} name="${el.name}" id="${el.id}">`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    const name = (el.textContent || '').trim() || el.getAttribute('aria-label') || el.getAttribute('title')
      || [...el.querySelectorAll('img[alt]')].map(i => i.alt).join('');
    if (!name) problems.push(`${el.tagName.toLowerCase()} without an accessible name: ${el.outerHTML.slice(0, 120)}`);
  }
  for (const img of document.querySelectorAll('img:not([alt])')) problems.push(`<img> without alt: ${img.src}`);
  return problems;
}
"""


def accessibility_problems(page: Page) -> list[str]:
    """A smoke check, not an audit: one <h1>, labelled fields, named buttons and links, alt text."""
    return list(page.evaluate(ACCESSIBILITY_JS))


def assert_accessible(page: Page) -> None:
    problems = accessibility_problems(page)
    assert not problems, f"Accessibility problems on {page.url}:\n" + "\n".join(problems)


def example_csv() -> Path:
    return REPO / "docs" / "examples" / "feedback.csv"
