"""Conversations API and the `harken conversations import-ics` command."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client
from typer.testing import CliRunner

from harken.cli import app
from harken.conversations.models import Conversation
from harken.customers.models import Account, Contact
from tests.base import World, make_token
from tests.conversations.test_ics import CALENDAR


def _api(token: str, method: str, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return Client().generic(
        method,
        "/api" + path,
        data=json.dumps(body or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_api_logs_conversation_with_highlights_and_refuses_foreign_contacts(world: World) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    pat = Contact.objects.create(workspace=world.alpha, account=acme, name="Pat", email="pat@acme.test")
    eve = Contact.objects.create(workspace=world.bravo, name="Eve", email="eve@bravo.test")
    token = make_token(world.alpha, world.bob)
    bad = _api(token, "POST", "/conversations/", {"title": "x", "contact_ids": [eve.pk]})
    assert bad.status_code == 422 and "another workspace" in bad.json()["detail"]
    ok = _api(
        token,
        "POST",
        "/conversations/",
        {"title": "Pat call", "contact_ids": [pat.pk], "highlights": ["Export is slow"], "kind": "sales_call"},
    )
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["account_id"] == acme.pk and body["highlights"][0]["feedback_id"]
    listed = _api(token, "GET", "/conversations/").json()
    assert listed["count"] == 1
    assert _api(make_token(world.bravo, world.charlie), "GET", "/conversations/").json()["count"] == 0
    unknown = _api(token, "POST", "/conversations/", {"title": "x", "kind": "party"})
    assert unknown.status_code == 422
    assert _api(token, "GET", "/conversations/cadence").status_code == 200


def test_cli_import_ics(world: World, tmp_path: Path) -> None:
    Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    Account.objects.create(workspace=world.alpha, name="Globex", domain="globex.test")
    path = tmp_path / "cal.ics"
    path.write_text(CALENDAR)
    result = CliRunner().invoke(
        app,
        [
            "conversations",
            "import-ics",
            str(path),
            "--workspace",
            "alpha",
            "--as",
            "bob@alpha.test",
            "--since",
            "2026-01-01",
            "--until",
            "2026-11-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output and Conversation.objects.count() == 4
    missing = CliRunner().invoke(
        app, ["conversations", "import-ics", str(tmp_path / "nope.ics"), "--workspace", "alpha"]
    )
    assert missing.exit_code != 0
    bad_ws = CliRunner().invoke(app, ["conversations", "import-ics", str(path), "--workspace", "nope"])
    assert bad_ws.exit_code == 1 and "No workspace" in bad_ws.output
