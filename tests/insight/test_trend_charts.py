"""Trends page: each alert's weekly chart with its baseline band, and its plain-language sentence."""

from __future__ import annotations

import datetime as dt

import pytest
from scipy.stats import poisson

from harken.customers.models import Account, Segment
from harken.insight import filters
from harken.insight.themes import trends
from harken.insight.themes.models import Theme
from tests.base import World, api_headers, make_token
from tests.insight.test_trends import TODAY, place

pytestmark = pytest.mark.django_db


def test_describe_in_plain_language() -> None:
    since = dt.date(2026, 11, 4)
    assert trends.describe(3.4, 24, 17, 12, since) == "3.4× its usual weekly volume, from 12 accounts, since 4 Nov"
    assert trends.describe(2.0, 10, 4, 1, since) == "2.0× its usual weekly volume, from 1 account, since 4 Nov"
    assert trends.describe(16.0, 0, 8, 0, since).startswith("New: 8 items with no earlier history, from no known")


def _spike(world: World) -> tuple[Theme, list[Account], list[Account]]:
    ent = [Account.objects.create(workspace=world.alpha, name=f"E{i}", segment="Enterprise") for i in range(3)]
    smb = [Account.objects.create(workspace=world.alpha, name=f"S{i}", segment="SMB") for i in range(2)]
    theme = Theme.objects.create(workspace=world.alpha, name="Spike")
    # baseline 2 a week (24 in 12 weeks), then 9 and 11: accounts cycle E0 E1 E2 S0 S1
    place(theme, [2] * 12 + [9, 11], ent + smb)
    return theme, ent, smb


def test_alert_view_chart_band_and_sentence(world: World) -> None:
    _spike(world)
    alert = next(a for a in trends.detect_trends(world.alpha, TODAY) if a.metric == "volume")
    [v] = trends.alert_views(world.alpha, [alert])
    assert (v.baseline, v.recent, v.accounts) == (24, 20, 5)
    assert v.ratio == pytest.approx((20 / 2) / (24 / 12))  # 5×
    assert v.sentence == f"5.0× its usual weekly volume, from 5 accounts, since {alert.window_start.day} Nov"
    assert [n for _, n in v.weekly] == [2] * 12 + [9, 11]
    assert (v.usual_low, v.usual_high) == (int(poisson.ppf(0.025, 2)), int(poisson.ppf(0.975, 2))) == (0, 5)
    band = v.chart["band"]
    # the band is drawn on the bars' scale: 5 sits at 5/top_tick of the plot height
    usable = v.chart["baseline"] - v.chart["top"]
    assert band["y"] == pytest.approx(v.chart["baseline"] - usable * 5 / v.chart["top_tick"], abs=0.1)
    assert [b["recent"] for b in v.chart["bars"]] == [False] * 12 + [True, True]


def test_alert_view_counts_only_filtered_items(world: World) -> None:
    _spike(world)
    Segment.objects.create(workspace=world.alpha, name="Enterprise", filters={"segment": "Enterprise"})
    alert = next(a for a in trends.detect_trends(world.alpha, TODAY) if a.metric == "volume")
    [v] = trends.alert_views(world.alpha, [alert], filters.parse(world.alpha, {"segment": "Enterprise"}))
    # accounts cycle E0 E1 E2 S0 S1 over the 44 items in order: 3 of every 5 are enterprise
    n_ent = sum(1 for i in range(44) if i % 5 < 3)
    assert v.baseline + v.recent == n_ent and v.accounts == 3


def test_trends_page_and_api_show_sentence_chart_and_fold(world: World) -> None:
    _spike(world)
    trends.detect_trends(world.alpha, TODAY)
    page = world.client_for(world.vera).get("/w/alpha/insight/trends/").content.decode()
    assert "5.0× its usual weekly volume, from 5 accounts" in page
    assert 'class="band"' in page and "bar-recent" in page
    assert "<details><summary" in page and "Benjamini" in page
    rows = Client_get(world, "/api/insight/trends")
    assert rows[0]["summary"].startswith("5.0× its usual weekly volume") and rows[0]["weekly"][-2:] == [9, 11]
    assert Client_get(world, "/api/insight/trends?plan=Nobody") == []


def Client_get(world: World, path: str):  # type: ignore[no-untyped-def]
    from django.test import Client

    return Client().get(path, **api_headers(make_token(world.alpha, world.vera, can_write=False))).json()
