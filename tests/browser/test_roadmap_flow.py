"""Issue 9's done-when, in a real browser: a PM links feedback to a roadmap item, promises it to an
account for a date, the date passes (the slip job runs), the delay notice draft appears, is sent and
arrives at the customer's mailbox with the revised date; the item ships and every linked requester
gets exactly one email; the public roadmap and the Atom feed (parsed by feedparser) show it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import feedparser
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.insight.services import merge
from harken.roadmap import actions, promises
from harken.roadmap import statuses as st
from harken.workspaces.access import Actor
from tests.base import World
from tests.browser.helpers import assert_accessible, login, screenshot
from tests.notify.mailbox import Mailbox
from tests.roadmap.helpers import account, contact, feedback, run_due_tasks


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """The customers' mailbox: a real SMTP server (aiosmtpd) the outbox delivers to."""
    box = Mailbox()
    box.start()
    with box.settings():
        yield box
    box.stop()


@pytest.fixture(autouse=True)
def hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_EMBEDDER = "hashing"


def test_promise_slip_delay_notice_ship_and_public_roadmap(page: Page, world: World, mailbox: Mailbox) -> None:
    ws = world.alpha
    st.update_settings(world.actor(world.alice), public_roadmap=True)
    acme = account(ws, "Acme", arr=120_000, domain="acme.test")
    contact(ws, "pat@acme.test", "Pat Doe", acme)
    pat_item = feedback(
        ws, "Offline mode for the mobile app, please", email="pat@acme.test", title="Offline mode please"
    )
    sam_item = feedback(
        ws,
        "We lose work on the train without offline mode",
        email="sam@other.test",
        author_name="Sam Roe",
        title="Offline mode for trains",
    )
    kim_item = feedback(ws, "Offline please", email="kim@third.test", title="Offline too")
    merge(Actor.system(ws), sam_item, kim_item)  # Kim asked too; her item was merged into Sam's
    roadmap_item = actions.create_item(
        world.actor(world.bob),
        title="Offline mode",
        status="planned",
        public=True,
        public_description="Use the app **without a connection**.",
        product_line=world.alpha_line,
    )
    run_pending_tasks()

    login(page, world.bob.email)
    # 1. Link feedback from the feedback item's page (the roadmap panel), and a second one from the roadmap item.
    page.goto(f"/w/alpha/feedback/{pat_item.pk}/")
    panel = page.locator("#roadmap-panel")
    panel.get_by_label("Link to roadmap item").select_option(label="Offline mode")
    panel.get_by_role("button", name="Link to roadmap").click()
    expect(page.get_by_text("Linked to roadmap item “Offline mode”.")).to_be_visible()
    expect(page.locator("[data-roadmap-links]")).to_contain_text("Offline mode")
    assert_accessible(page)

    page.goto(f"/w/alpha/roadmap/{roadmap_item.pk}/")
    page.get_by_label("Link", exact=True).select_option("feedback")
    page.get_by_label("Number").fill(str(sam_item.pk))
    page.get_by_role("button", name="Link evidence").click()
    expect(page.locator('[data-evidence="feedback"] li')).to_have_count(2)
    expect(page.locator("[data-reach]")).to_have_text("3")  # Acme, Sam and Kim (merged into Sam's item)
    expect(page.locator("[data-arr]")).to_have_text("$120k")

    # 2. Promise it to Acme for today.
    today = timezone.localdate()
    page.locator("#promises").get_by_label("Account").select_option(label="Acme")
    page.get_by_label("Promised date").fill(today.isoformat())
    page.get_by_role("button", name="Record promise").click()
    expect(page.get_by_text("Promise recorded.")).to_be_visible()
    expect(page.locator("#promises tbody tr")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "roadmap-item")

    # 3. The date passes: the daily slip job runs (as it will tomorrow).
    (notice,) = promises.detect_slips(ws, today + dt.timedelta(days=1))
    page.goto("/w/alpha/roadmap/promises/")
    expect(page.locator("[data-drafts]")).to_have_text("1")
    page.get_by_role("link", name="Offline mode — Acme").click()
    expect(page.locator("h1")).to_have_text("Delay notice: Offline mode")
    assert_accessible(page)
    revised = today + dt.timedelta(days=30)
    page.get_by_label("Revised date").fill(revised.isoformat())
    page.get_by_role("button", name="Send delay notice").click()
    expect(page.get_by_text("Delay notice queued in the outbox for pat@acme.test.")).to_be_visible()
    run_pending_tasks()  # the worker
    assert mailbox.recipients() == [["pat@acme.test"]]
    (delay,) = mailbox.messages
    assert delay["Subject"] == "An update on Offline mode: new date"
    assert revised.strftime("%-d %B %Y") in delay.get_content()
    screenshot(page, "roadmap-promises")

    # 4. The item ships (a flip-flop first: in progress and back within minutes tells nobody).
    page.goto(f"/w/alpha/roadmap/{roadmap_item.pk}/")
    for status in ("In progress", "Planned", "Shipped"):
        page.get_by_label("Move to").select_option(label=status)
        page.get_by_role("button", name="Change status").click()
        expect(page.get_by_text("Status changed.")).to_be_visible()
    expect(page.locator("[data-pending-announcement]")).to_be_visible()
    run_due_tasks()  # the delay has passed: the worker announces the net change once
    run_due_tasks()
    shipped = [m for m in mailbox.messages if m["Subject"] == "Shipped: Offline mode"]
    assert Counter(m["To"] for m in shipped) == {"pat@acme.test": 1, "sam@other.test": 1, "kim@third.test": 1}
    assert len(mailbox.messages) == 4  # the delay notice + one per requester, nothing else

    # 5. Announce it on the changelog.
    page.goto("/w/alpha/roadmap/changelog/")
    page.get_by_label("Title").fill("Offline mode is here")
    page.get_by_label("Body").fill("Work **anywhere**.\n\n<script>alert('x')</script>")
    page.get_by_role("button", name="Publish and email").click()
    expect(page.get_by_text("Published and queued for subscribers.")).to_be_visible()

    # 6. The public roadmap and the feed show it.
    page.context.clear_cookies()
    page.goto("/roadmap/alpha/")
    expect(page.locator('[data-column="shipped"]')).to_contain_text("Offline mode")
    expect(page.locator('[data-column="shipped"] strong').filter(has_text="without a connection")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "roadmap-public")
    response = page.request.get("/roadmap/alpha/changelog/feed.atom")
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.body())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Offline mode is here"]
    assert "<strong>anywhere</strong>" in feed.entries[0].content[0].value
    assert "<script" not in feed.entries[0].content[0].value
    page.goto("/roadmap/alpha/changelog/")
    expect(page.get_by_role("heading", name="Offline mode is here")).to_be_visible()
    assert notice.pk


def test_roadmap_pages_are_accessible_and_work_on_a_phone(page: Page, world: World) -> None:
    from harken.notify import webhooks
    from harken.roadmap import public
    from tests.browser.helpers import MOBILE

    ws = world.alpha
    alice = world.actor(world.alice)
    st.update_settings(alice, public_roadmap=True)
    acme = account(ws, "Acme", arr=50_000, domain="acme.test")
    fb = feedback(ws, "Offline mode please", email="pat@acme.test", title="Offline mode please")
    it = actions.create_item(alice, title="Offline mode", status="planned", public=True)
    actions.link_evidence(alice, it, fb)
    promises.make_promise(alice, it, target_date=timezone.localdate() + dt.timedelta(days=3), account=acme)
    promises.detect_slips(ws)
    public.save_announcement(alice, title="Draft news", body="Soon.")
    webhooks.create_endpoint(alice, name="Slack", url="https://hooks.example/x", events=["roadmap.shipped"])
    login(page, world.alice.email)
    pages = [
        "/w/alpha/roadmap/",
        "/w/alpha/roadmap/?view=board",
        "/w/alpha/roadmap/priorities/",
        "/w/alpha/roadmap/promises/",
        f"/w/alpha/roadmap/notices/{ws.roadmap_delay_notices.get().pk}/",
        "/w/alpha/roadmap/settings/",
        "/w/alpha/roadmap/changelog/",
        "/w/alpha/roadmap/previews/",
        "/w/alpha/roadmap/subscribers/",
        "/w/alpha/roadmap/new/",
        f"/w/alpha/roadmap/{it.pk}/edit/",
        "/w/alpha/webhooks/outgoing/",
        f"/w/alpha/webhooks/outgoing/{ws.outgoing_webhooks.get().pk}/",
        "/roadmap/alpha/",
        "/roadmap/alpha/changelog/",
    ]
    for url in pages:
        page.goto(url)
        assert_accessible(page)
    page.goto("/w/alpha/roadmap/priorities/")
    expect(page.locator(".hbars")).to_contain_text("Offline mode")
    screenshot(page, "roadmap-priorities")
    page.set_viewport_size(MOBILE)
    page.goto("/w/alpha/roadmap/?view=board")
    expect(page.locator('[data-column="planned"]')).to_contain_text("Offline mode")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE["width"] + 1, f"the board scrolls sideways on a phone ({width}px)"
    screenshot(page, "roadmap-board-mobile")
