"""Keyboard shortcuts and an accessibility smoke check over every page of the main flows."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from harken.feedback import actions as feedback_actions
from tests.base import World
from tests.browser.helpers import accessibility_problems, login


def seed_feedback(world: World) -> list[int]:
    actor = world.actor(world.bob)
    texts = [
        ("Dark mode please", "The dashboard is blinding at night; a dark theme would help our on-call team."),
        ("Slack alerts are late", "Alerts reach our Slack channel 10 minutes after the incident started."),
        ("Invoices as PDF", "Finance needs invoices as PDF attachments, not links."),
    ]
    return [
        feedback_actions.create_feedback(actor, title=title, text=text, author_email="kim@globex.test")[0].pk
        for title, text in texts
    ]


def test_slash_focuses_the_inbox_search_and_typing_filters(page: Page, world: World) -> None:
    seed_feedback(world)
    login(page, world.bob.email)
    page.goto(f"/w/{world.alpha.slug}/feedback/")
    search = page.get_by_role("searchbox", name="Search feedback")
    expect(search).not_to_be_focused()

    page.locator("body").press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the "/" itself is not typed into the box

    page.keyboard.type("slack")
    rows = page.get_by_role("row").filter(has=page.get_by_role("link"))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Slack alerts are late")
    expect(page).to_have_url(re.compile(r"[?&]q=slack(&|$)"))  # the filtered inbox is a shareable URL

    # Typing in a field never triggers shortcuts: "n" stays text.
    page.keyboard.type(" n")
    expect(page.locator("h1")).to_have_text("Inbox")


def test_n_opens_the_new_feedback_form_from_the_inbox(page: Page, world: World) -> None:
    login(page, world.bob.email)
    page.goto(f"/w/{world.alpha.slug}/feedback/")
    page.locator("body").press("n")
    expect(page.locator("h1")).to_have_text("New feedback")


def test_main_flow_pages_have_one_h1_and_labelled_fields(page: Page, world: World) -> None:
    ids = seed_feedback(world)
    ws = world.alpha.slug
    anonymous = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    signed_in = [
        "/workspaces/?all=1",
        "/workspaces/new/",
        f"/w/{ws}/",
        f"/w/{ws}/feedback/",
        f"/w/{ws}/feedback/new/",
        f"/w/{ws}/feedback/{ids[0]}/",
        f"/w/{ws}/feedback/{ids[0]}/edit/",
        f"/w/{ws}/imports/",
        f"/w/{ws}/imports/new/",
        f"/w/{ws}/accounts/",
        f"/w/{ws}/contacts/",
        f"/w/{ws}/members/",
        f"/w/{ws}/api-tokens/",
        f"/w/{ws}/settings/",
        f"/w/{ws}/product-lines/",
    ]
    problems: dict[str, list[str]] = {}
    for url in anonymous:
        page.goto(url)
        problems[url] = accessibility_problems(page)
    login(page, world.alice.email)
    for url in signed_in:
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
        problems[url] = accessibility_problems(page)
    found = {url: p for url, p in problems.items() if p}
    assert not found, "\n".join(f"{url}:\n  " + "\n  ".join(p) for url, p in found.items())
