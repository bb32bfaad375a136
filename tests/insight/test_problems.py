from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from harken.customers.models import Account, Segment
from harken.feedback.models import Feedback
from harken.insight.themes import problems
from harken.insight.themes.models import Category, ItemClassification, Sentiment, Theme, ThemeAssignment
from tests.base import make_token

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 11, 26, 12))


def item(
    theme: Theme,
    account: Account | None = None,
    days_ago: float = 0,
    category: str | None = None,
    sentiment: str | None = None,
) -> Feedback:
    f = Feedback.objects.create(
        workspace=theme.workspace, text="x", account=account, received_at=NOW - dt.timedelta(days=days_ago)
    )
    ThemeAssignment.objects.create(workspace=theme.workspace, feedback=f, theme=theme)
    if category:
        ItemClassification.objects.create(
            workspace=theme.workspace, feedback=f, category=category, sentiment=sentiment or Sentiment.NEUTRAL
        )
    return f


def test_component_functions() -> None:
    assert problems.recency(NOW, NOW) == 1.0
    assert problems.recency(NOW - dt.timedelta(days=60), NOW) == pytest.approx(0.5)
    assert problems.recency(NOW + dt.timedelta(days=1), NOW) == 1.0  # future dates do not boost
    assert problems.revenue(0) == 1.0 and problems.revenue(None) == 1.0
    assert problems.revenue(Decimal("99000")) == pytest.approx(3.0)
    assert problems.severity(Category.BUG, Sentiment.NEGATIVE) == pytest.approx(1.8)
    assert problems.severity(Category.PRAISE, Sentiment.POSITIVE) == pytest.approx(0.24)
    assert problems.severity(None, None) == 1.0


def test_score_is_the_sum_of_explained_contributions(world) -> None:  # type: ignore[no-untyped-def]
    ws = world.alpha
    big = Account.objects.create(workspace=ws, name="Big", arr=Decimal("99000"), segment="Enterprise")
    small = Account.objects.create(workspace=ws, name="Small", arr=Decimal("0"))
    Segment.objects.create(workspace=ws, name="Enterprise", filters={"segment": "Enterprise"}, weight=2.0)
    Segment.objects.create(workspace=ws, name="Everyone", filters={}, weight=0.5)
    theme = Theme.objects.create(workspace=ws, name="Exports")
    item(theme, big, days_ago=0, category=Category.BUG, sentiment=Sentiment.NEGATIVE)
    item(theme, big, days_ago=120, category=Category.PRAISE, sentiment=Sentiment.POSITIVE)  # weaker: ignored for Big
    item(theme, small, days_ago=60, category=Category.FEATURE)
    item(theme, None, days_ago=0)
    [p] = problems.top_problems(world.actor(world.vera), now=NOW)
    by = {c.label: c for c in p.contributions}
    assert (
        by["Big"].value == pytest.approx(3.0 * 2.0 * 1.0 * 1.8)
        and by["Big"].items == 2
        and by["Big"].segment_name == "Enterprise"
    )
    assert by["Small"].value == pytest.approx(1.0 * 0.5 * 0.5 * 1.0) and by["Small"].segment_name == "Everyone"
    anon = [c for c in p.contributions if c.account_id is None]
    assert len(anon) == 1 and anon[0].value == pytest.approx(0.5)
    assert p.score == pytest.approx(10.8 + 0.25 + 0.5)
    assert p.score == pytest.approx(sum(c.value for c in p.contributions))
    assert p.accounts == 2 and p.items == 4 and p.arr == pytest.approx(99000) and p.anonymous == 1
    assert p.contributions[0].label == "Big"
    d = p.as_dict()
    assert set(d["components"]) == {"revenue", "segment", "recency", "severity", "anonymous_items"}


def test_many_accounts_outrank_one_big_account(world) -> None:  # type: ignore[no-untyped-def]
    ws = world.alpha
    whale = Account.objects.create(workspace=ws, name="Whale", arr=Decimal("5000000"))
    loud = Theme.objects.create(workspace=ws, name="Whale wish")
    for _ in range(10):
        item(loud, whale)
    broad = Theme.objects.create(workspace=ws, name="Broad pain")
    for i in range(6):
        item(broad, Account.objects.create(workspace=ws, name=f"Mid {i}", arr=Decimal("20000")))
    ranked = problems.top_problems(world.actor(world.alice), now=NOW)
    assert [p.theme.name for p in ranked] == ["Broad pain", "Whale wish"]
    assert all(t.workspace_id == ws.pk for t in (p.theme for p in ranked))
    assert problems.top_problems(world.actor(world.charlie), now=NOW) == []


def test_problems_page_api_and_cli(world) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from harken.cli import app

    theme = Theme.objects.create(workspace=world.alpha, name="Exports break")
    item(theme, Account.objects.create(workspace=world.alpha, name="Acme", arr=Decimal("12000")), category=Category.BUG)
    page = world.client_for(world.vera).get("/w/alpha/insight/problems/").content.decode()
    assert "Exports break" in page and "Why this score" in page and "Acme" in page
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.vera, can_write=False)}"}
    rows = Client().get("/api/insight/problems", **headers).json()
    assert rows[0]["theme"] == "Exports break" and rows[0]["contributions"][0]["label"] == "Acme"
    assert rows[0]["components"]["severity"] == pytest.approx(1.5)
    result = CliRunner().invoke(app, ["insight", "problems", "--workspace", "alpha"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Exports break" in result.output
    assert not math.isnan(rows[0]["score"])
