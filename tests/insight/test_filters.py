"""The decision pages' evidence filter (harken.insight.filters): parsing, each restriction, pages and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from harken.customers.models import Account, LifecycleStage, Segment
from harken.feedback.models import Feedback
from harken.feedback.queries import overview
from harken.insight import filters
from harken.insight.themes import problems, services, trends
from harken.insight.themes.models import Theme, ThemeAssignment
from harken.workspaces.models import ProductLine
from tests.base import World, api_headers, make_token

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _item(theme: Theme | None, account: Account | None, days_ago: float, **kwargs: Any) -> Feedback:
    ws = theme.workspace if theme else kwargs.pop("workspace")
    f = Feedback.objects.create(
        workspace=ws, text="x", account=account, received_at=NOW - dt.timedelta(days=days_ago), **kwargs
    )
    if theme:
        ThemeAssignment.objects.create(workspace=ws, feedback=f, theme=theme)
    return f


@pytest.fixture
def data(world: World) -> dict[str, Any]:
    """Two accounts, two themes, six items (hand-countable)."""
    ws = world.alpha
    ent = Account.objects.create(
        workspace=ws, name="Ent", segment="Enterprise", plan="Enterprise", arr=Decimal("99000")
    )
    smb = Account.objects.create(
        workspace=ws, name="Smb", segment="SMB", plan="Starter", lifecycle_stage=LifecycleStage.AT_RISK
    )
    enterprise = Segment.objects.create(workspace=ws, name="Enterprise", filters={"segment": "Enterprise"}, weight=2)
    exports = Theme.objects.create(workspace=ws, name="Exports")
    login = Theme.objects.create(workspace=ws, name="Login")
    mobile = world.alpha_line
    items = {
        "exports_ent": _item(exports, ent, 1, product_line=mobile),
        "exports_smb": _item(exports, smb, 10),
        "exports_anon": _item(exports, None, 2),
        "login_smb_1": _item(login, smb, 3),
        "login_smb_2": _item(login, smb, 4, product_line=mobile),
        "login_ent_old": _item(login, ent, 100),
    }
    # Bravo's look-alikes must never count
    b_ent = Account.objects.create(workspace=world.bravo, name="B", segment="Enterprise", plan="Enterprise")
    b_theme = Theme.objects.create(workspace=world.bravo, name="Exports")
    _item(b_theme, b_ent, 1)
    return {"ws": ws, "ent": ent, "smb": smb, "segment": enterprise, "exports": exports, "login": login, **items}


def ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


# --- parsing -----------------------------------------------------------------------------------


def test_parse_accepts_ids_names_and_slugs(world: World, data: dict[str, Any]) -> None:
    ws = world.alpha
    by_id = filters.parse(ws, {"segment": str(data["segment"].pk)})
    by_name = filters.parse(ws, {"segment": "enterprise", "product_line": "MOBILE", "stage": "At risk"})
    assert by_id.segment == data["segment"] == by_name.segment
    assert by_name.product_line == world.alpha_line and by_name.stage == "at_risk"
    assert by_name.params() == {"segment": str(data["segment"].pk), "product_line": "mobile", "stage": "at_risk"}
    assert not filters.parse(ws, {}).active and filters.parse(ws, {"plan": "x"}).active


@pytest.mark.parametrize(
    "params, field",
    [
        ({"segment": "Nope"}, "segment"),
        ({"product_line": "web"}, "product_line"),  # Bravo's product line
        ({"stage": "sleeping"}, "stage"),
        ({"since": "2026-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until"),
    ],
)
def test_parse_rejects_bad_values(world: World, data: dict[str, Any], params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        filters.parse(world.alpha, params)
    assert field in exc.value.message_dict
    lenient = filters.parse_lenient(world.alpha, params)
    assert field in lenient.errors


def test_another_workspaces_segment_is_unknown(world: World, data: dict[str, Any]) -> None:
    theirs = Segment.objects.create(workspace=world.bravo, name="Theirs", filters={})
    with pytest.raises(ValidationError):
        filters.parse(world.alpha, {"segment": str(theirs.pk)})


# --- each restriction, hand-counted --------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, {"exports_ent", "exports_smb", "exports_anon", "login_smb_1", "login_smb_2", "login_ent_old"}),
        ({"segment": "Enterprise"}, {"exports_ent", "login_ent_old"}),
        ({"plan": "starter"}, {"exports_smb", "login_smb_1", "login_smb_2"}),
        ({"stage": "at_risk"}, {"exports_smb", "login_smb_1", "login_smb_2"}),
        ({"product_line": "mobile"}, {"exports_ent", "login_smb_2"}),
        (
            {"since": (NOW - dt.timedelta(days=5)).date().isoformat()},
            {"exports_ent", "exports_anon", "login_smb_1", "login_smb_2"},
        ),
        ({"until": (NOW - dt.timedelta(days=5)).date().isoformat()}, {"exports_smb", "login_ent_old"}),
        ({"segment": "Enterprise", "since": (NOW - dt.timedelta(days=30)).date().isoformat()}, {"exports_ent"}),
        ({"plan": "Starter", "product_line": "mobile"}, {"login_smb_2"}),
    ],
)
def test_each_filter_restricts_the_evidence(
    world: World, data: dict[str, Any], params: dict[str, str], expected: set[str]
) -> None:
    evidence = filters.parse(world.alpha, params)
    assert ids(evidence.feedback()) == {data[k].pk for k in expected}
    rows = services.member_rows(world.alpha, evidence=evidence)
    assert {r["feedback_id"] for r in rows} == {data[k].pk for k in expected}


def test_top_problems_for_enterprise_accounts(world: World, data: dict[str, Any]) -> None:
    actor = world.actor(world.alice)
    evidence = filters.parse(world.alpha, {"segment": "Enterprise"})
    ranked = problems.top_problems(actor, now=NOW, evidence=evidence)
    by = {p.theme.name: p for p in ranked}
    assert set(by) == {"Exports", "Login"}
    # only Ent's items count: Exports = revenue(99k)=3 × segment 2 × recency(1 day) × severity 1
    assert [c.label for c in by["Exports"].contributions] == ["Ent"]
    assert by["Exports"].score == pytest.approx(3.0 * 2.0 * problems.recency(NOW - dt.timedelta(days=1), NOW))
    assert by["Login"].items == 1 and by["Login"].accounts == 1
    assert by["Login"].score == pytest.approx(6.0 * problems.recency(NOW - dt.timedelta(days=100), NOW))
    # without the filter, Smb and the anonymous item count too
    unfiltered = {p.theme.name: p for p in problems.top_problems(actor, now=NOW)}
    assert unfiltered["Exports"].items == 3 and unfiltered["Login"].items == 3


def test_themes_summaries_drop_themes_without_matching_items(world: World, data: dict[str, Any]) -> None:
    actor = world.actor(world.alice)
    rows = services.summaries(actor, evidence=filters.parse(world.alpha, {"product_line": "mobile"}))
    assert {r.theme.name: r.size for r in rows} == {"Exports": 1, "Login": 1}
    rows = services.summaries(actor, evidence=filters.parse(world.alpha, {"stage": "active", "since": "2000-01-01"}))
    assert {r.theme.name: (r.size, r.accounts) for r in rows} == {"Exports": (1, 1), "Login": (1, 1)}
    rows = services.summaries(actor, evidence=filters.parse(world.alpha, {"plan": "Nobody"}))
    assert rows == []


def test_rate_tests_count_only_matching_items(world: World, data: dict[str, Any]) -> None:
    today = timezone.localdate() + dt.timedelta(days=7)  # this week's items fall in the recent window
    everything = {(t.theme_id, t.metric): t.recent + t.baseline for t in trends.rate_tests(world.alpha, today)}
    evidence = filters.parse(world.alpha, {"segment": "Enterprise"})
    ent = {(t.theme_id, t.metric): t.recent + t.baseline for t in trends.rate_tests(world.alpha, today, evidence)}
    exports = data["exports"].pk
    assert ent[(exports, "volume")] < everything[(exports, "volume")]
    assert ent[(exports, "volume")] <= 1


def test_overview_counts_only_matching_items(world: World, data: dict[str, Any]) -> None:
    _item(None, None, 0, workspace=world.alpha)  # unthemed, no account
    assert overview(world.alpha, now=NOW)["total"] == 7
    o = overview(world.alpha, now=NOW, evidence=filters.parse(world.alpha, {"segment": "Enterprise"}))
    assert o["total"] == 2 and o["accounts_heard"] == 1 and o["arr_represented"] == Decimal("99000")
    o = overview(world.alpha, now=NOW, evidence=filters.parse(world.alpha, {"plan": "Starter"}))
    assert o["total"] == 3 and o["this_week"] == 2 and o["arr_represented"] == 0
    assert [r["account"].name for r in o["top_by_arr"]] == ["Smb"]
    # an end date moves "now" there: the last 7 days end on `until`
    until = (NOW - dt.timedelta(days=5)).date()
    o = overview(world.alpha, now=NOW, evidence=filters.parse(world.alpha, {"until": until.isoformat()}))
    assert o["total"] == 2 and o["this_week"] == 1  # exports_smb (10 days ago) only


# --- API ---------------------------------------------------------------------------------------


def _api(world: World, path: str) -> Any:
    return Client().get(path, **api_headers(make_token(world.alpha, world.vera, can_write=False)))


def test_api_problems_segment_filter(world: World, data: dict[str, Any]) -> None:
    rows = _api(world, "/api/insight/problems?segment=Enterprise").json()
    assert {r["theme"]: r["items"] for r in rows} == {"Exports": 1, "Login": 1}
    assert all(c["label"] == "Ent" for r in rows for c in r["contributions"])
    assert rows[0]["filters"] == {"segment": str(data["segment"].pk)}
    rows = _api(world, "/api/insight/problems").json()
    assert {r["theme"]: r["items"] for r in rows} == {"Exports": 3, "Login": 3}


@pytest.mark.parametrize("path", ["problems", "themes", "trends", "overview"])
@pytest.mark.parametrize(
    "query, field",
    [
        ("stage=sleeping", "stage"),
        ("since=2026-02-30", "since"),
        ("segment=999999", "segment"),
        ("product_line=web", "product_line"),
    ],
)
def test_api_rejects_bad_filters_with_422(
    world: World, data: dict[str, Any], path: str, query: str, field: str
) -> None:
    response = _api(world, f"/api/insight/{path}?{query}")
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


def test_api_themes_and_overview_filters(world: World, data: dict[str, Any]) -> None:
    themes = _api(world, "/api/insight/themes?plan=Starter").json()
    assert {t["name"]: (t["size"], t["accounts"]) for t in themes} == {"Exports": (1, 1), "Login": (2, 1)}
    o = _api(world, "/api/insight/overview?segment=Enterprise").json()
    assert o["total"] == 2 and o["accounts_heard"] == 1 and o["arr_represented"] == 99000
    assert o["filters"] == {"segment": str(data["segment"].pk)} and len(o["weekly"]) == 52
    assert _api(world, "/api/insight/overview").json()["total"] == 6


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/w/alpha/insight/problems/", "/w/alpha/insight/themes/", "/w/alpha/insight/trends/", "/w/alpha/"]
)
def test_pages_show_the_filter_bar_and_apply_it(world: World, data: dict[str, Any], url: str) -> None:
    client = world.client_for(world.vera)
    page = client.get(url, {"segment": data["segment"].pk}).content.decode()
    assert 'data-testid="evidence-filter"' in page
    assert f'<option value="{data["segment"].pk}" selected>Enterprise</option>' in page
    assert "Counting only feedback matching: Segment: Enterprise" in page
    bad = client.get(url, {"stage": "sleeping"})
    assert bad.status_code == 200 and "Filter ignored: Unknown account stage" in bad.content.decode()


def test_problems_page_lists_only_enterprise_evidence(world: World, data: dict[str, Any]) -> None:
    client = world.client_for(world.vera)
    page = client.get("/w/alpha/insight/problems/", {"plan": "Enterprise"}).content.decode()
    assert "Ent" in page and ">Smb<" not in page and "Smb" not in page
    page = client.get("/w/alpha/insight/problems/").content.decode()
    assert "Smb" in page


def test_product_line_of_this_workspace_only(world: World, data: dict[str, Any]) -> None:
    ProductLine.objects.create(workspace=world.bravo, name="Desktop", slug="desktop")
    page = world.client_for(world.vera).get("/w/alpha/insight/problems/").content.decode()
    assert "Mobile" in page and "Desktop" not in page


@pytest.mark.parametrize("value", ["\x00Enterprise", "9" * 40, "é" * 500])
def test_hostile_values_are_refused_not_crashed(world: World, data: dict[str, Any], value: str) -> None:
    for key in ("segment", "product_line", "plan", "stage", "since"):
        response = world.client_for(world.vera).get("/w/alpha/insight/problems/", {key: value})
        assert response.status_code in (200, 400)  # 400: the request guard refuses NULs and huge numbers
        assert _api(world, f"/api/insight/problems?{key}={value[:60]}").status_code in (200, 400, 422)
    evidence = filters.parse_lenient(world.alpha, {"segment": value, "product_line": value})  # past the guard
    assert evidence.segment in (None, data["segment"]) and evidence.product_line is None


def test_cli_problems_takes_the_page_filters(world: World, data: dict[str, Any]) -> None:
    """`harken insight problems` narrows the evidence like the page and API: ?plan=Starter keeps only
    Smb's items (Exports: 1, Login: 2); a bad value is a usage error naming its option."""
    from typer.testing import CliRunner

    from harken.cli import app

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["insight", "problems", "-w", "alpha", *args], env={"COLUMNS": "220"})

    everything = run()
    assert everything.exit_code == 0, everything.output
    assert "Only:" not in everything.output
    result = run("--plan", "starter", "--stage", "at risk")
    assert result.exit_code == 0, result.output
    assert "Only: Plan: starter · Stage: At risk" in result.output
    by_theme = {line.split("│")[2].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert set(by_theme) == {"Exports", "Login"}
    assert by_theme["Exports"].split("│")[4].strip() == "1"  # accounts: Smb only, not Ent nor the anonymous item
    enterprise_mobile = run("--segment", "Enterprise", "--product-line", "mobile", "--until", NOW.date().isoformat())
    assert "Exports" in enterprise_mobile.output and "Login" not in enterprise_mobile.output
    nothing = run("--plan", "Nobody")
    assert nothing.exit_code == 0 and "No theme has items matching Plan: Nobody." in nothing.output
    bad = run("--since", "2026-13-01")
    assert bad.exit_code != 0 and "--since" in bad.output and "is not a date" in bad.output
    foreign = run("--segment", "Nope")
    assert foreign.exit_code != 0 and "No segment" in foreign.output
