"""Issue 10's done-when, in a real browser against the live server.

An anonymous visitor asks for a magic link, signs in from the email the test SMTP server received,
starts typing an idea and sees a similar one suggested, votes on it instead, comments and follows;
a staff member changes its status and the follower receives the notification. Then: a private
portal shows anonymous visitors nothing, and sign-in links are rate limited with a 429.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.portal import actions
from harken.portal.models import Idea, Visibility
from tests.base import World
from tests.browser.helpers import MOBILE, assert_accessible, login, screenshot
from tests.notify.mailbox import Mailbox
from tests.portal.helpers import make_idea, make_portal


@pytest.fixture
def inbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    with box.settings():
        yield box
    box.stop()


@pytest.fixture(autouse=True)
def clean_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _link_in(box: Mailbox, to: str, pattern: str) -> str:
    for message in reversed(box.messages):
        if to in str(message["To"]):
            found = re.search(pattern, message.get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"no mail to {to} matching {pattern}: {[m['Subject'] for m in box.messages]}")


def test_visitor_signs_in_by_magic_link_votes_on_a_suggested_idea_and_hears_about_the_status(
    page: Page, world: World, inbox: Mailbox, server_url: str, settings: Any
) -> None:
    settings.SITE_URL = server_url
    portal = make_portal(world.alpha, welcome_text="What should we build next?")
    existing = make_idea(world.alpha, "Export dashboards to PDF", email="first@acme.test")
    make_idea(world.alpha, "Single sign-on with Okta", email="second@acme.test")
    run_pending_tasks()  # embeddings of the ideas (the insight worker)

    page.goto(f"/p/{portal.slug}/")
    expect(page.locator("h1")).to_have_text(portal.name)
    expect(page.get_by_text("What should we build next?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("pat@customer.test")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()

    run_pending_tasks()  # the outbox delivers to the SMTP server
    link = _link_in(inbox, "pat@customer.test", r"https?://\S+/signin/\S+/")
    page.goto(link)
    page.get_by_label("Your name").fill("Pat Customer")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as pat@customer.test")).to_be_visible()

    page.get_by_role("link", name="Share an idea").click()
    page.get_by_label("Title").press_sequentially("export dashboard as pdf", delay=40)
    suggestion = page.locator("#similar").get_by_role("link", name="Export dashboards to PDF")
    expect(suggestion).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-similar-ideas")
    suggestion.click()  # vote instead of posting a duplicate
    expect(page.locator("h1")).to_have_text("Export dashboards to PDF")

    page.get_by_label("How important is this to you?").select_option(label="Critical")
    page.get_by_role("button", name="Vote", exact=True).click()
    expect(page.locator("#vote-box").get_by_text("You voted")).to_be_visible()
    expect(page.locator("#vote-box .vote-count")).to_contain_text("2")
    page.get_by_label("Add a comment").fill("We export **every Monday** for the board.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment strong").get_by_text("every Monday")).to_be_visible()
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-idea")
    assert not Idea.objects.filter(title__icontains="export dashboard as pdf").exists()
    assert existing.votes.get(voter__email="pat@customer.test").importance == "critical"

    # A staff member changes the status from the moderation page.
    staff = page.context.browser.new_context(base_url=server_url)  # type: ignore[union-attr]
    staff_page = staff.new_page()
    login(staff_page, world.bob.email)
    staff_page.goto(f"/w/alpha/portal/ideas/{existing.pk}/")
    assert_accessible(staff_page)
    expect(staff_page.get_by_role("cell", name="pat@customer.test")).to_be_visible()
    screenshot(staff_page, "portal-staff-idea")
    staff_page.get_by_label("Portal status").select_option(label="Planned")
    staff_page.get_by_role("button", name="Change status").click()
    expect(staff_page.get_by_text("followers are notified")).to_be_visible()
    staff.close()

    run_pending_tasks()  # notify_followers queues the emails
    run_pending_tasks()  # the outbox delivers them
    subjects = [m["Subject"] for m in inbox.messages if "pat@customer.test" in str(m["To"])]
    assert any("is now planned" in s for s in subjects), subjects
    page.reload()
    expect(page.locator("[data-status]")).to_have_text("Planned")

    # Works on a phone.
    page.set_viewport_size(MOBILE)
    page.goto(f"/p/{portal.slug}/")
    expect(page.get_by_role("link", name="Export dashboards to PDF")).to_be_visible()
    screenshot(page, "portal-board-mobile")


def test_private_portal_shows_anonymous_visitors_nothing(page: Page, world: World) -> None:
    portal = make_portal(world.alpha, visibility=Visibility.PRIVATE, allowed_domains="acme.test")
    idea = make_idea(world.alpha, "Confidential pricing idea", email="cfo@acme.test")
    for path in ["", f"ideas/{idea.pk}/", "?q=Confidential", "feed.atom"]:
        response = page.goto(f"/p/{portal.slug}/{path}")
        assert response is not None and response.status in (403, 404), path
        assert "Confidential" not in page.content()
    page.goto(f"/p/{portal.slug}/")
    expect(page.locator("h1")).to_have_text("This portal is private")
    assert_accessible(page)
    similar = page.request.get(f"/p/{portal.slug}/similar/?title=Confidential+pricing")
    assert similar.status == 403 and "Confidential" not in similar.text()


def test_sign_in_links_are_rate_limited(page: Page, world: World, settings: Any) -> None:
    settings.HARKEN_PORTAL_RATES = {**settings.HARKEN_PORTAL_RATES, "signin": "2/3600"}
    portal = make_portal(world.alpha)
    statuses = []
    for n in range(3):
        page.goto(f"/p/{portal.slug}/signin/")
        page.get_by_label("Email").fill(f"spam{n}@x.test")
        with page.expect_response(lambda r: r.request.method == "POST") as info:
            page.get_by_role("button", name="Email me a sign-in link").click()
        statuses.append(info.value.status)
    assert statuses == [200, 200, 429]
    expect(page.get_by_role("heading", name="Too many requests")).to_be_visible()
    expect(page.get_by_text("Too many sign-in links were requested")).to_be_visible()
    assert portal.magic_links.count() == 2
    assert actions.lookup_magic_link(portal, "nope") is None
