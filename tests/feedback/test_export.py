"""Export of the inbox view: CSV safe against formula injection, the JSON shape, the view's filters
and sort, streaming, the audit entry, and who may export (UI and API)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from harken.customers.models import Account
from harken.feedback import actions
from harken.feedback.export import COLUMNS, safe_cell
from harken.feedback.models import Feedback
from harken.insight.themes.models import Theme, ThemeAssignment
from harken.triage import actions as triage_actions
from harken.workspaces.models import AuditAction, AuditEvent
from tests.base import World, api_headers, make_token

pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://evil")', "+SUM(A1)", "-2+3", "@cmd", "\tTabbed", "\rReturn"]


def export_url(ws: str = "alpha") -> str:
    return reverse("feedback:export", kwargs={"ws": ws})


def body(response: StreamingHttpResponse) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")  # type: ignore[arg-type]


@pytest.fixture
def data(world: World) -> SimpleNamespace:
    ns = SimpleNamespace()
    actor = world.actor(world.bob)
    now = timezone.now()
    ns.acme = Account.objects.create(workspace=world.alpha, name="=Acme", domain="acme.com", arr=Decimal("50000"))
    ns.evil, _ = actions.create_feedback(
        actor,
        title=DANGEROUS[0],
        text=DANGEROUS[1],
        author_name=DANGEROUS[3],
        channel="email",
        account=ns.acme,
        tags=["-minus"],
        received_at=now - timedelta(days=2),
    )
    ns.plain, _ = actions.create_feedback(
        actor, text="Plain words, no formula", channel="email", received_at=now - timedelta(days=1)
    )
    ns.manual, _ = actions.create_feedback(actor, text="-2+3", received_at=now)
    # the form trims titles; an old import or the database may still hold a leading tab or CR
    Feedback.objects.filter(pk=ns.manual.pk).update(title="\tTabbed", author_name="\rReturn")
    ns.bravo, _ = actions.create_feedback(world.actor(world.charlie), text="Bravo secret", channel="email")
    triage_actions.decide(actor, ns.evil.triage, "wont_do", reason="@not now")
    triage_actions.assign(actor, ns.evil.triage, world.alice)
    theme = Theme.objects.create(workspace=world.alpha, name="Exports")
    ThemeAssignment.objects.create(workspace=world.alpha, feedback=ns.evil, theme=theme)
    return ns


def test_safe_cell() -> None:
    for value in DANGEROUS:
        assert safe_cell(value) == "'" + value
    assert safe_cell("plain = fine") == "plain = fine" and safe_cell(None) == "" and safe_cell(12) == "12"


def test_csv_export_is_formula_safe(world: World, data: SimpleNamespace) -> None:
    response = world.client_for(world.bob).post(export_url(), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="harken-alpha-feedback-')
    text = body(response)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == COLUMNS and len(rows) == 3
    by_id = {int(r["id"]): r for r in rows}
    evil = by_id[data.evil.pk]
    assert evil["title"] == "'" + DANGEROUS[0] and evil["text"] == "'" + DANGEROUS[1]
    assert evil["author_name"] == "'@cmd" and evil["account"] == "'=Acme" and evil["tags"] == "'-minus"
    assert evil["decision"] == "wont_do" and evil["decision_reason"] == "'@not now"
    assert evil["assignee"] == "alice@alpha.test" and evil["theme"] == "Exports" and evil["account_arr"] == "50000.0"
    manual = by_id[data.manual.pk]
    assert manual["text"] == "'-2+3" and manual["title"] == "'\tTabbed" and manual["author_name"] == "'\rReturn"
    assert by_id[data.plain.pk]["text"] == "Plain words, no formula"
    # no cell of the whole file starts with a formula character
    for row in rows:
        for column, value in row.items():
            if column not in ("id", "account_arr"):
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
    assert "Bravo secret" not in text


def test_json_export_shape(world: World, data: SimpleNamespace) -> None:
    response = world.client_for(world.vera).post(export_url(), {"format": "json", "channel": "email"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    payload = json.loads(body(response))
    assert set(payload) == {"workspace", "exported_at", "filters", "count", "items"}
    assert payload["workspace"] == "alpha" and payload["filters"] == {"channel": "email"} and payload["count"] == 2
    assert [i["id"] for i in payload["items"]] == [data.plain.pk, data.evil.pk]  # newest first
    evil = payload["items"][1]
    assert list(evil) == COLUMNS
    assert evil["title"] == DANGEROUS[0]  # JSON keeps the text as it is (nothing runs it)
    assert evil["tags"] == ["-minus"] and evil["account_arr"] == 50000.0 and evil["decision"] == "wont_do"
    assert evil["url"].endswith(f"/w/alpha/feedback/{data.evil.pk}/")
    assert payload["items"][0]["decision"] is None and payload["items"][0]["theme"] is None


def test_export_follows_the_views_filters_and_sort(world: World, data: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    payload = json.loads(body(client.post(export_url(), {"format": "json", "sort": "oldest"})))
    assert [i["id"] for i in payload["items"]] == [data.evil.pk, data.plain.pk, data.manual.pk]
    payload = json.loads(body(client.post(export_url(), {"format": "json", "sort": "arr", "has_account": "yes"})))
    assert [i["id"] for i in payload["items"]] == [data.evil.pk]
    payload = json.loads(body(client.post(export_url(), {"format": "json", "q": "plain"})))
    assert [i["id"] for i in payload["items"]] == [data.plain.pk]
    # the inbox's export form carries the view's filters
    html = client.get(reverse("feedback:inbox", kwargs={"ws": "alpha"}), {"channel": "email", "sort": "arr"})
    page = html.content.decode()
    assert '<input type="hidden" name="channel" value="email">' in page
    assert '<input type="hidden" name="sort" value="arr">' in page


def test_export_is_audited_and_post_only(world: World, data: SimpleNamespace) -> None:
    client = world.client_for(world.vera)  # viewers may export what they can read
    assert client.get(export_url(), {"format": "csv"}).status_code == 405
    body(client.post(export_url(), {"format": "csv", "channel": "email"}))
    event = AuditEvent.objects.get(workspace=world.alpha, action=AuditAction.EXPORTED)
    assert event.actor == world.vera and "csv, 2 items" in event.target and "channel=email" in event.target
    assert client.post(export_url(), {"format": "xlsx"}).status_code == 400
    assert world.client_for(world.charlie).post(export_url(), {"format": "csv"}).status_code == 404


def test_api_export(world: World, data: SimpleNamespace) -> None:
    token = make_token(world.alpha, world.vera, can_write=False)  # read-only tokens may export
    response = Client().post("/api/feedback/export?format=json&channel=email&sort=oldest", **api_headers(token))
    assert response.status_code == 200
    payload = json.loads(body(response))
    assert payload["count"] == 2 and [i["id"] for i in payload["items"]] == [data.evil.pk, data.plain.pk]
    response = Client().post("/api/feedback/export?format=csv", **api_headers(token))
    assert body(response).count("\n") == 4  # header + 3 rows, Bravo's item not among them
    response = Client().post("/api/feedback/export?format=pdf", **api_headers(token))
    assert response.status_code == 422 and response.json()["errors"] == {"format": ["Export as csv or json."]}
    assert AuditEvent.objects.filter(workspace=world.alpha, action=AuditAction.EXPORTED).count() == 2
    bravo = make_token(world.bravo, world.charlie)
    response = Client().post("/api/feedback/export?format=json", **api_headers(bravo))
    assert [i["id"] for i in json.loads(body(response))["items"]] == [data.bravo.pk]
