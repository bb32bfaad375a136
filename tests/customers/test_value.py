"""Customer lifetime value: the formula, unknown revenue, settings, the account page, and the
"weight by CLV" option of top problems (page and API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from harken.customers import value
from harken.customers.models import Account, ValueSettings
from harken.feedback.models import Feedback
from harken.insight.themes import problems
from harken.insight.themes.models import Theme, ThemeAssignment
from tests.base import World, make_token

pytestmark = pytest.mark.django_db


def test_clv_formula_with_defaults_and_settings(world: World) -> None:
    defaults = value.inputs(world.alpha)
    assert (defaults.gross_margin, defaults.annual_churn) == (Decimal(80), Decimal(10))
    assert not ValueSettings.objects.exists()  # reading the defaults saved nothing
    # 50 000 × 0.80 × (1 / 0.10 = 10 years) = 400 000
    assert value.clv(Decimal("50000"), defaults) == Decimal("400000.00")
    custom = value.Inputs(Decimal("70"), Decimal("25"))  # lifetime 4 years
    assert value.clv(12000, custom) == Decimal("33600.00")  # 12 000 × 0.7 × 4
    assert custom.lifetime_years == Decimal("4.00")
    assert "1 / churn 25 % = 4 years" in custom.formula


def test_no_revenue_means_unknown_not_zero(world: World) -> None:
    settings = value.inputs(world.alpha)
    assert value.clv(0, settings) is None
    assert value.clv(None, settings) is None
    assert value.clv(Decimal("-5"), settings) is None
    free = Account.objects.create(workspace=world.alpha, name="Free Co")  # ARR defaults to 0
    assert value.account_value(free)["clv_known"] is False
    page = world.client_for(world.vera).get(f"/w/alpha/accounts/{free.pk}/").content.decode()
    assert "Unknown" in page and "not zero" in page


def test_settings_are_admin_only_and_validated(world: World) -> None:
    with pytest.raises(PermissionDenied):
        value.update_settings(world.actor(world.bob), 70, 20)
    with pytest.raises(ValidationError) as e:
        value.update_settings(world.actor(world.alice), "lots", 0)
    assert set(e.value.message_dict) == {"gross_margin", "annual_churn"}
    with pytest.raises(ValidationError):
        value.update_settings(world.actor(world.alice), 120, 10)
    value.update_settings(world.actor(world.alice), "60%", "20")
    assert value.inputs(world.alpha) == value.Inputs(Decimal("60.00"), Decimal("20.00"))
    assert value.inputs(world.bravo).gross_margin == Decimal(80)  # Bravo keeps its own


def test_account_page_shows_clv_and_formula_and_admin_form_saves(world: World) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", arr=Decimal("10000"))
    client = world.client_for(world.alice)
    page = client.get(f"/w/alpha/accounts/{acme.pk}/").content.decode()
    assert "$80k" in page or "80,000" in page or "80000" in page
    assert "CLV = ARR × gross margin (80 %)" in page
    url = "/w/alpha/accounts/value-settings/"
    bad = client.post(url, {"gross_margin": "x", "annual_churn": "0", "next": f"/w/alpha/accounts/{acme.pk}/"})
    assert bad.status_code == 400 and b"percentage" in bad.content
    ok = client.post(url, {"gross_margin": "50", "annual_churn": "50", "next": "https://evil.test/"})
    assert ok.status_code == 302 and ok["Location"] == "/w/alpha/accounts/"
    assert value.clv(acme.arr, value.inputs(world.alpha)) == Decimal("10000.00")  # 10 000 × 0.5 × 2
    assert world.client_for(world.bob).post(url, {"gross_margin": "1", "annual_churn": "1"}).status_code == 403


def test_top_problems_weight_by_clv(world: World) -> None:
    now = timezone.now()
    ws = world.alpha
    big = Account.objects.create(workspace=ws, name="Big", arr=Decimal("100000"))
    unknown = Account.objects.create(workspace=ws, name="No revenue")
    theme = Theme.objects.create(workspace=ws, name="Exports")
    other = Theme.objects.create(workspace=ws, name="Login")
    for t in (theme, other):
        for account in (big, unknown):
            f = Feedback.objects.create(workspace=ws, text="x", account=account, received_at=now - dt.timedelta(days=1))
            ThemeAssignment.objects.create(workspace=ws, feedback=f, theme=t)
    actor = world.actor(world.alice)
    ranked = problems.top_problems(actor, now=now, weight="clv")
    assert ranked[0].score == pytest.approx(ranked[1].score)  # every theme weighed by CLV, not just the first
    by_clv = ranked[0]
    contributions = {c.label: c for c in by_clv.contributions}
    # CLV of Big = 100 000 × 0.8 × 10 = 800 000 → revenue = 1 + log10(1 + 800) ; unknown CLV → 1
    assert contributions["Big"].revenue == pytest.approx(1 + __import__("math").log10(801))
    assert contributions["No revenue"].revenue == pytest.approx(1.0)
    by_arr = problems.top_problems(actor, now=now)[0]
    assert by_clv.score > by_arr.score
    with pytest.raises(ValidationError):
        problems.top_problems(actor, weight="vibes")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(ws, world.vera, can_write=False)}"}
    rows = Client().get("/api/insight/problems?weight=clv", **headers).json()
    assert rows[0]["weight"] == "clv" and rows[0]["score"] == pytest.approx(by_clv.score, rel=1e-3)
    assert Client().get("/api/insight/problems?weight=vibes", **headers).status_code == 422
    page = world.client_for(world.vera).get("/w/alpha/insight/problems/?weight=clv").content.decode()
    assert 'value="clv" selected' in page and "CLV/1000" in page
