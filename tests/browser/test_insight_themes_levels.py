"""Issue 11 in a browser: top-level themes with their sub-themes, and categories learned from corrections."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.insight.themes import classify, services
from harken.insight.themes.models import Category, ThemeStatus
from tests.base import World
from tests.browser.helpers import login, screenshot
from tests.insight.helpers import add
from tests.insight.theme_data import seed


def test_themes_page_shows_top_level_themes_with_sub_themes(page: Page, world: World) -> None:
    seed(world.alpha)
    services.recluster(world.alpha)
    groups = list(world.alpha.theme_groups.filter(status=ThemeStatus.ACTIVE))
    themes = list(world.alpha.themes.filter(status=ThemeStatus.ACTIVE))
    assert groups and themes

    login(page, world.vera.email)
    page.goto(f"/w/{world.alpha.slug}/insight/themes/")
    expect(page.locator("h1")).to_have_text("Themes")
    sections = page.locator("section.theme-group")
    expect(sections).to_have_count(len(groups))
    for group in groups:
        section = page.locator("section.theme-group", has=page.get_by_role("heading", name=group.name))
        expect(section).to_be_visible()
        expect(section.get_by_text(group.summary)).to_be_visible()
        for theme in group.themes.filter(status=ThemeStatus.ACTIVE):
            expect(section.get_by_role("link", name=theme.name, exact=True)).to_be_visible()
    screenshot(page, "insight-top-level-themes")

    first = themes[0]
    page.get_by_role("link", name=first.name, exact=True).first.click()
    expect(page.locator("h1")).to_contain_text(first.name)
    assert first.parent is not None
    expect(page.get_by_text(first.parent.name).first).to_be_visible()  # breadcrumb names the top-level theme


def test_item_page_says_its_category_was_learned_from_corrections(page: Page, world: World) -> None:
    taught = []
    for i in range(12):
        taught.append((add(world.alpha, f"pipeline stage {i} colour blue widget"), Category.USABILITY))
        taught.append((add(world.alpha, f"ledger entry {i} amber total column"), Category.QUESTION))
    run_pending_tasks()
    for item, category in taught:
        classify.correct(world.actor(world.bob), item, category=category)
    fresh = add(world.alpha, "pipeline blue widget overview")
    run_pending_tasks()

    login(page, world.bob.email)
    page.goto(f"/w/{world.alpha.slug}/feedback/{fresh.pk}/")
    badge = page.get_by_text("learned from 24 corrections")
    expect(badge).to_be_visible()
    expect(page.get_by_text("Usability").first).to_be_visible()
    screenshot(page, "insight-learned-category")


def test_inbox_search_forgives_typos(page: Page, world: World) -> None:
    add(world.alpha, "The dashboard is slow since Monday")
    add(world.alpha, "Please add a dark mode")
    run_pending_tasks()
    login(page, world.vera.email)
    page.goto(f"/w/{world.alpha.slug}/feedback/?q=dashbaord+slow")
    expect(page.get_by_text("The dashboard is slow since Monday").first).to_be_visible()
    expect(page.get_by_text("Please add a dark mode")).to_have_count(0)
    screenshot(page, "insight-inbox-typo-search")
