"""An admin creates an API token in the UI and a script uses it: what they copy must really work."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

from tests.base import World
from tests.browser.helpers import assert_accessible, field, login, screenshot


def call_api(base: str, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_token_created_in_the_ui_works_against_the_api(page: Page, world: World, server_url: str) -> None:
    login(page, world.alice.email)
    page.goto(f"/w/{world.alpha.slug}/api-tokens/")
    expect(page.locator("h1")).to_have_text("API tokens")
    assert_accessible(page)

    field(page, "Name").fill("Zapier sync")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_text("this is the only time it is shown")).to_be_visible()
    # Copy it the way a person does: the Copy button puts it on the clipboard.
    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    raw = str(page.evaluate("navigator.clipboard.readText()")).strip()
    assert raw.startswith("hk_"), raw
    assert raw == page.locator("#raw-token").inner_text().strip()
    expect(page.get_by_role("row").filter(has_text="Zapier sync")).to_contain_text("read & write")
    assert_accessible(page)
    screenshot(page, "api-token-created")

    status, created = call_api(
        server_url,
        "POST",
        "/api/feedback/",
        raw,
        {"text": "Please add SSO with Okta; our security team requires it.", "author_email": "ops@initech.test"},
    )
    assert status == 201, created
    assert created["text"].startswith("Please add SSO with Okta")

    status, listing = call_api(server_url, "GET", "/api/feedback/?q=Okta", raw)
    assert status == 200, listing
    assert [item["id"] for item in listing["items"]] == [created["id"]]

    # The token belongs to Alpha: Bravo's people never see the item.
    assert world.bravo.feedback_items.count() == 0

    page.goto(f"/w/{world.alpha.slug}/feedback/")
    row = page.get_by_role("row").filter(has_text="Please add SSO with Okta")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("API")
    expect(page.get_by_role("row").filter(has_text="Zapier sync")).to_have_count(0)

    # The page lists the token as used now.
    page.goto(f"/w/{world.alpha.slug}/api-tokens/")
    expect(page.get_by_role("row").filter(has_text="Zapier sync")).not_to_contain_text("never")


def test_read_only_token_cannot_create_feedback(page: Page, world: World, server_url: str) -> None:
    login(page, world.alice.email)
    page.goto(f"/w/{world.alpha.slug}/api-tokens/")
    field(page, "Name").fill("Dashboard")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Create token").click()
    raw = page.locator("#raw-token").inner_text().strip()

    status, body = call_api(server_url, "POST", "/api/feedback/", raw, {"text": "should not be stored"})
    assert status == 403, body
    status, listing = call_api(server_url, "GET", "/api/feedback/", raw)
    assert status == 200 and listing["count"] == 0
