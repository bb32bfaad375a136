"""Issue 5's "Done when": the demo workspace shows meaningful themes, duplicates and top problems in a browser.

Insight is computed in the test process with the product's default embedder, int8 MiniLM (the test
settings default to the hashing one), through the apps' own tasks and services, then checked page by page in Chromium.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from harken.core.taskrun import run_pending_tasks
from harken.demo.loader import DEMO_PASSWORD, DEMO_USER_EMAIL, load_demo
from harken.insight import services
from harken.insight.themes.models import Theme
from harken.workspaces.access import Actor
from tests.browser.helpers import login, screenshot

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

# Words of the recurring demo themes; a meaningful theme name contains at least one of them.
DEMO_THEME_WORDS = {
    "export", "csv", "sso", "saml", "okta", "slow", "dashboard", "dashboards", "offline", "slack",
    "dark", "report", "reports", "email", "emails", "scheduled", "integration", "mobile", "api",
}  # fmt: skip
WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def compute_insight(workspace: Any) -> None:
    """What a worker does after a demo load, plus the duplicate scan `harken insight duplicates --scan` runs."""
    run_pending_tasks()  # the demo's backfill: embed, classify, re-cluster themes, trends
    assert workspace.feedback_items.filter(embedding__isnull=True).count() == 0, "not every item was embedded"
    embedders = set(workspace.item_embeddings.values_list("embedder", flat=True))
    assert embedders == {"minilm-int8"}, f"expected (int8) MiniLM vectors, got {embedders}"
    items = list(workspace.feedback_items.order_by("pk").only("pk", "workspace_id", "title", "text"))
    for start in range(0, len(items), 200):  # the CLI's chunks
        services.suggest_duplicates_many(workspace, items[start : start + 200])
    run_pending_tasks()


def test_demo_workspace_shows_meaningful_insight(page: Page, settings: Any) -> None:
    settings.HARKEN_EMBEDDER = "minilm-int8"  # the product default
    demo = load_demo(items=400)
    ws = demo.workspace
    compute_insight(ws)
    base = f"/w/{ws.slug}/insight"
    login(page, DEMO_USER_EMAIL, DEMO_PASSWORD)

    # Themes: several, named after what the demo customers actually ask for.
    page.goto(f"{base}/themes/")
    expect(page.locator("h1")).to_have_text("Themes")
    links = page.locator("table.table tbody tr td:first-child > a")
    names = [n.strip() for n in links.all_inner_texts()]
    assert len(names) >= 5, f"expected at least 5 themes, got {names}"
    meaningful = [n for n in names if words(n) & DEMO_THEME_WORDS]
    assert len(meaningful) >= 3, f"too few themes are named after known demo themes: {names}"
    screenshot(page, "insight-demo-themes")

    # One theme: keywords, representative quotes, its items.
    theme = Theme.objects.filter(workspace=ws, name=meaningful[0]).first()
    assert theme is not None
    page.get_by_role("link", name=meaningful[0], exact=True).first.click()
    expect(page.locator("h1")).to_contain_text(meaningful[0])
    assert theme.keywords, "the theme has no keywords"
    for keyword in theme.keywords[:3]:
        expect(page.locator(".badge", has_text=keyword).first).to_be_visible()
    quotes = page.locator("section[aria-labelledby=quotes-h] blockquote")
    assert quotes.count() >= 2, "a theme page should show representative quotes"
    quote_words = words(" ".join(quotes.all_inner_texts()))
    assert quote_words & (words(meaningful[0]) | {k.lower() for k in theme.keywords}), (
        "the quotes share no words with the theme's name or keywords"
    )
    item_rows = page.locator("section[aria-labelledby=items-h] tbody tr")
    assert item_rows.count() >= 3, "a theme page should list its items"
    screenshot(page, "insight-demo-theme")

    # Top problems: themes ranked by score, with the components of the score visible.
    page.goto(f"{base}/problems/")
    headers = " ".join(page.locator("thead").first.all_text_contents())
    for component in ("Score", "Accounts", "ARR", "Revenue", "Recency", "Severity"):
        assert component in headers, f"top problems does not show {component}: {headers}"
    ranked = page.locator("tr.problem-row")
    assert ranked.count() >= 3, "top problems should rank several themes"
    scores = [float(s.replace(",", "")) for s in ranked.locator("td:nth-child(3)").all_inner_texts() if s.strip()]
    assert len(scores) >= 3 and scores == sorted(scores, reverse=True) and scores[0] > 0, scores
    why = page.locator("tr.problem-why").first
    why.locator("summary", has_text="Why this score").click()
    evidence = why.locator("details tbody tr")
    expect(evidence.first).to_be_visible()
    assert evidence.count() >= 3, "the top problem's score should be explained by its evidence"
    screenshot(page, "insight-demo-problems")

    # Duplicates: a suggested pair whose texts visibly overlap; merge it, then undo.
    suggestion = services.open_suggestions(Actor.system(ws)).first()
    assert suggestion is not None, "the duplicate scan found no pair in the demo"
    page.goto(f"{base}/duplicates/")
    card = page.locator("section.card").first
    texts = card.locator(".feedback-text").all_inner_texts()
    assert len(texts) == 2
    shared = (words(texts[0]) & words(texts[1])) - {"the", "a", "to", "and", "of", "in", "is", "it", "for", "we"}
    assert len(shared) >= 3, f"the top duplicate pair does not look alike: {texts}"
    screenshot(page, "insight-demo-duplicates")
    new_id = int(re.search(r"#(\d+)", card.locator(".grid div.small.muted").first.inner_text()).group(1))  # type: ignore[union-attr]
    new_item = ws.feedback_items.get(pk=new_id)
    inbox = f"/w/{ws.slug}/feedback/?" + urlencode({"q": " ".join(new_item.text.split()[:6])})
    in_inbox = page.locator(f"main a[href$='/feedback/{new_id}/']")
    page.goto(inbox)
    expect(in_inbox.first).to_be_visible()
    page.goto(f"{base}/duplicates/")
    page.locator("section.card").first.get_by_role("button", name="Merge new into earlier").click()
    expect(page.locator("body")).to_contain_text(f"#{new_id}")
    new_item.refresh_from_db()
    assert new_item.merged_into_id is not None
    page.goto(inbox)
    expect(in_inbox).to_have_count(0)
    page.goto(f"{base}/merges/")
    page.get_by_role("button", name=re.compile(rf"Undo merge of item {new_id}\b")).click()
    expect(page.locator("body")).to_contain_text("separate item again")
    new_item.refresh_from_db()
    assert new_item.merged_into_id is None
    page.goto(inbox)
    expect(in_inbox.first).to_be_visible()

    # An item page: "Similar feedback" with scores, related by topic.
    # The theme's most central item: deterministic on every database.
    item = theme.assignments.select_related("feedback").order_by("-score", "pk").first().feedback  # type: ignore[union-attr]
    page.goto(f"/w/{ws.slug}/feedback/{item.pk}/")
    panel = page.locator(f"#similar-panel-{item.pk}")
    expect(panel.locator("h3")).to_have_text("Similar feedback")
    badges = panel.locator("li .badge.num")
    expect(badges.first).to_be_visible()
    values = [float(v) for v in badges.all_inner_texts()]
    assert len(values) >= 3 and all(0 < v <= 1 for v in values), values
    assert values == sorted(values, reverse=True) and values[0] >= 0.5, values
    similar_ids = {
        int(h.rsplit("/", 2)[-2]) for h in panel.locator("li .row > a").evaluate_all("els => els.map(e => e.href)")
    }
    same_theme = set(theme.assignments.values_list("feedback_id", flat=True))
    assert similar_ids & same_theme, "none of the similar items is about the same theme"
    screenshot(page, "insight-demo-item")
