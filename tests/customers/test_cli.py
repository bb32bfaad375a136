from __future__ import annotations

from typer.testing import CliRunner

from harken.cli import app
from harken.customers.models import Account, Segment
from tests.base import HarkenTestCase


class CliTests(HarkenTestCase):
    def test_accounts_and_match(self) -> None:
        Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com", segment="Enterprise", arr=120000)
        Account.objects.create(workspace=self.alpha, name="Tiny", arr=10)
        Segment.objects.create(workspace=self.alpha, name="Ent", filters={"segment": "Enterprise"})
        runner = CliRunner()
        result = runner.invoke(app, ["customers", "accounts", "-w", "alpha", "--segment", "ent"])
        self.assertEqual(result.exit_code, 0, result.output)
        self.assertIn("Acme", result.output)
        self.assertNotIn("Tiny", result.output)
        self.assertIn("1 accounts", result.output)
        result = runner.invoke(app, ["customers", "match", "kim@acme.com", "-w", "alpha"])
        self.assertIn("Account: Acme", result.output)
        result = runner.invoke(app, ["customers", "accounts", "-w", "nope"])
        self.assertEqual(result.exit_code, 1)
        self.assertIn("No workspace with the slug 'nope'", result.output)
