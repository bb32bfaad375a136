"""Top problems for the enterprise segment, saved as a view and reopened: filter bar, htmx swap, saved views."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import Page, expect

from harken.customers.models import Account, Segment
from harken.feedback.models import Feedback
from harken.insight.themes.models import Theme, ThemeAssignment
from harken.savedviews.models import SavedView
from tests.base import World
from tests.browser.helpers import login, screenshot


def _data(world: World) -> Segment:
    ws = world.alpha
    ent = Account.objects.create(
        workspace=ws, name="Globex", segment="Enterprise", plan="Enterprise", arr=Decimal(250000)
    )
    smb = Account.objects.create(workspace=ws, name="Tiny Shop", segment="SMB", plan="Starter", arr=Decimal(1200))
    segment = Segment.objects.create(workspace=ws, name="Enterprise", filters={"segment": "Enterprise"}, weight=3)
    sso, dark = (
        Theme.objects.create(workspace=ws, name="SSO login"),
        Theme.objects.create(workspace=ws, name="Dark mode"),
    )
    now = timezone.now()
    for theme, account, n in [(sso, ent, 2), (dark, smb, 6)]:
        for i in range(n):
            f = Feedback.objects.create(
                workspace=ws, text=f"{theme.name} {i}", account=account, received_at=now - dt.timedelta(days=i)
            )
            ThemeAssignment.objects.create(workspace=ws, feedback=f, theme=theme)
    return segment


def test_top_problems_for_enterprise_saved_and_reopened(page: Page) -> None:
    world = World()
    segment = _data(world)
    login(page, "alice@alpha.test")
    page.goto("/w/alpha/insight/problems/")
    rows = page.locator("tr.problem-row td:nth-child(2) a")
    expect(rows).to_have_text(["SSO login", "Dark mode"])  # unfiltered: both themes

    # keyboard: pick the segment in the filter bar; htmx swaps the results and pushes the URL
    select = page.get_by_label("Segment", exact=True)
    select.focus()
    select.select_option(label="Enterprise")
    expect(page).to_have_url(re.compile(rf"/w/alpha/insight/problems/\?segment={segment.pk}$"))
    expect(rows).to_have_text(["SSO login"])
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("Segment: Enterprise")
    expect(select).to_be_focused()  # the bar itself was not replaced

    # save the view, by keyboard
    name = page.get_by_label("Name of this view")
    name.fill("Enterprise problems")
    name.press("Enter")
    expect(page.get_by_test_id("saved-view")).to_have_text(["Enterprise problems"])
    view = SavedView.objects.get(user=world.alice)
    assert view.query == f"segment={segment.pk}" and view.page == "problems"
    screenshot(page, "filters-top-problems-enterprise")

    # start over unfiltered, then reopen the saved view
    page.goto("/w/alpha/insight/problems/")
    expect(rows).to_have_text(["SSO login", "Dark mode"])
    page.get_by_test_id("saved-view").click()
    expect(rows).to_have_text(["SSO login"])
    expect(page.get_by_label("Segment", exact=True)).to_have_value(str(segment.pk))
    expect(page.get_by_test_id("saved-view")).to_have_attribute("aria-current", "page")


def test_trend_alert_card_reads_in_plain_language(page: Page) -> None:
    from harken.insight.themes import trends
    from tests.insight.test_trends import TODAY, place

    world = World()
    accounts = [Account.objects.create(workspace=world.alpha, name=f"Acct {i}") for i in range(4)]
    theme = Theme.objects.create(workspace=world.alpha, name="CSV export times out")
    place(theme, [2] * 12 + [9, 11], accounts)
    trends.detect_trends(world.alpha, TODAY)
    login(page, "alice@alpha.test")
    page.goto("/w/alpha/insight/trends/")
    card = page.get_by_test_id("trend-alert").first
    expect(card.get_by_test_id("trend-sentence")).to_contain_text(
        "5.0× its usual weekly volume, from 4 accounts, since"
    )
    expect(card.locator("svg.trend-chart rect.band")).to_have_count(1)
    expect(card.locator("svg.trend-chart rect.bar-recent")).to_have_count(2)
    summary = card.get_by_text("Statistics")
    summary.focus()
    page.keyboard.press("Enter")
    expect(card.get_by_text("Benjamini–Hochberg", exact=False)).to_be_visible()
    screenshot(page, "filters-trend-alert")
