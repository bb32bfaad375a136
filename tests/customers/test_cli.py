from __future__ import annotations

import pytest
from typer.testing import CliRunner

from harken.cli import app
from harken.customers.models import Account, Segment
from tests.base import World

pytestmark = pytest.mark.django_db


def test_accounts_and_match(world: World) -> None:
    Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com", segment="Enterprise", arr=120000)
    Account.objects.create(workspace=world.alpha, name="Tiny", arr=10)
    Segment.objects.create(workspace=world.alpha, name="Ent", filters={"segment": "Enterprise"})
    runner = CliRunner()
    result = runner.invoke(app, ["customers", "accounts", "-w", "alpha", "--segment", "ent"])
    assert result.exit_code == 0, result.output
    assert "Acme" in result.output
    assert "Tiny" not in result.output
    assert "1 accounts" in result.output
    result = runner.invoke(app, ["customers", "match", "kim@acme.com", "-w", "alpha"])
    assert "Account: Acme" in result.output
    result = runner.invoke(app, ["customers", "accounts", "-w", "nope"])
    assert result.exit_code == 1
    assert "No workspace with the slug 'nope'" in result.output
