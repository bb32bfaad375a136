"""Shared feedback fixtures: accounts and a contact in Alpha, and a same-domain account in Bravo."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from harken.customers.models import Account, Contact
from tests.base import World


@pytest.fixture
def feedback_data(world: World) -> SimpleNamespace:
    feedback_data = SimpleNamespace()
    feedback_data.acme = Account.objects.create(
        workspace=world.alpha, name="Acme", domain="acme.com", arr=Decimal("120000"), segment="Enterprise"
    )
    feedback_data.globex = Account.objects.create(
        workspace=world.alpha, name="Globex", domain="globex.io", arr=Decimal("8000"), segment="SMB"
    )
    feedback_data.wile = Contact.objects.create(
        workspace=world.alpha, account=feedback_data.acme, name="Wile E.", email="wile@acme.com"
    )
    feedback_data.bravo_acme = Account.objects.create(workspace=world.bravo, name="Acme (Bravo's)", domain="acme.com")
    return feedback_data
