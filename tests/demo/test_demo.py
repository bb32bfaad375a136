"""The demo loader: promised counts, realistic shape, determinism, idempotency, CLI and command."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from typer.testing import CliRunner

from harken.cli import app
from harken.customers.models import Account, Contact
from harken.demo import DEMO_PASSWORD, DEMO_USER_EMAIL, TEAMMATES, load_demo
from harken.demo.generator import generate
from harken.feedback.models import Feedback
from harken.workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # slow: run first (tests/conftest.py)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SLOT_LEFT = re.compile(r"\{[a-z_]+\}")


def test_small_demo_has_the_promised_shape() -> None:
    result = load_demo(items=200, now=NOW)
    ws = result.workspace
    assert result.created
    assert (ws.name, ws.slug) == ("Acme Analytics", "acme-analytics")
    assert (result.accounts, result.contacts, result.feedback) == (42, 150, 200)

    owner = Membership.objects.get(workspace=ws, role=Role.OWNER).user
    assert owner.email == DEMO_USER_EMAIL
    assert authenticate(email=DEMO_USER_EMAIL, password=DEMO_PASSWORD) == owner
    assert ws.memberships.count() == 4
    lines = {line.name: [m.email for m in line.managers.all()] for line in ws.product_lines.all()}
    assert lines == {line: [email] for email, _, line in TEAMMATES}

    accounts = list(ws.accounts.all())
    assert {a.segment for a in accounts} == {"Enterprise", "Mid-market", "SMB"}
    for account in accounts:
        assert account.domain and account.plan and account.owner_id and account.renewal_date
        if account.lifecycle_stage == "churned":
            assert account.arr == 0 and "Churned on" in account.notes  # no ARR after churn
        elif account.lifecycle_stage != "trial":
            low, high = {"Enterprise": (100_000, 600_000), "Mid-market": (25_000, 100_000), "SMB": (3_000, 20_000)}[
                account.segment
            ]
            assert Decimal(low) <= account.arr <= Decimal(high), account
    from harken.customers.queries import segment_accounts

    segments = {s.name: s for s in ws.segments.all()}
    assert set(segments) == {"Enterprise", "Mid-market", "SMB", "At risk", "Renewing in 90 days"}
    assert segment_accounts(segments["Enterprise"]).count() == 10
    assert segment_accounts(segments["Renewing in 90 days"]).exists()
    contacts = list(ws.contacts.select_related("account"))
    assert all(c.email.endswith("@" + c.account.domain) and c.title and c.name for c in contacts)
    assert len({c.email for c in contacts}) == 150

    items = list(ws.feedback_items.filter(dedupe_key__startswith="demo:"))  # not conversation highlights
    linked = sum(1 for f in items if f.contact_id)
    assert 0.5 <= linked / len(items) <= 0.8
    assert all(f.account_id == f.contact.account_id for f in items if f.contact_id)
    assert sum(1 for f in items if f.product_line_id) > len(items) / 2
    assert Feedback.tags.through.objects.filter(feedback__workspace=ws).exists()
    assert {f.dedupe_key for f in items} == {f"demo:{n}" for n in range(1, 201)}
    assert len({f.channel for f in items}) >= 9
    assert all(NOW - timedelta(days=372) <= f.received_at <= NOW for f in items)
    assert not [f.pk for f in items if SLOT_LEFT.search(f.text + f.title)]
    assert all(json.loads(f.raw_payload)["source"] == "harken-demo" for f in items)


def test_loading_again_keeps_the_workspace_and_reset_rebuilds_it() -> None:
    first = load_demo(items=60, now=NOW)
    again = load_demo(items=60, now=NOW)
    assert not again.created
    assert again.workspace.pk == first.workspace.pk
    assert Workspace.objects.count() == 1
    assert Feedback.objects.filter(dedupe_key__startswith="demo:").count() == 60
    assert Account.objects.count() == 42

    rebuilt = load_demo(items=80, reset=True, now=NOW)
    assert rebuilt.created
    assert rebuilt.workspace.pk != first.workspace.pk
    assert Workspace.objects.count() == 1
    assert Feedback.objects.filter(dedupe_key__startswith="demo:").count() == 80
    assert Contact.objects.count() == 150


def test_the_login_is_restored_if_someone_changed_it() -> None:
    load_demo(items=20, now=NOW)
    user = Membership.objects.get(role=Role.OWNER).user
    user.set_password("something-else")
    user.save()
    load_demo(items=20, now=NOW)
    assert authenticate(email=DEMO_USER_EMAIL, password=DEMO_PASSWORD) == user


def test_generation_is_deterministic_and_needs_no_database() -> None:
    a = generate(150, now=NOW)
    b = generate(150, now=NOW)
    assert [(f.title, f.text, f.channel, f.received_at) for f in a.feedback] == [
        (f.title, f.text, f.channel, f.received_at) for f in b.feedback
    ]
    c = generate(150, now=NOW, seed=1)
    assert [f.text for f in a.feedback] != [f.text for f in c.feedback]


def test_default_data_set_has_themes_trends_and_duplicates() -> None:
    data = generate(now=NOW)
    items = data.feedback
    assert len(items) >= 2000
    themes = Counter(f.theme for f in items)
    for theme in (
        "export_csv",
        "sso_saml",
        "slow_dashboards",
        "offline_mode",
        "slack_integration",
        "pipeline_alerting",
        "pricing",
        "dark_mode",
        "praise_dashboards",
        "how_to_questions",
    ):
        assert themes[theme] >= 30, theme
    # More recent months carry more feedback than the oldest ones.
    recent = sum(1 for f in items if f.received_at > NOW - timedelta(days=120))
    oldest = sum(1 for f in items if f.received_at < NOW - timedelta(days=245))
    assert recent > oldest * 1.3
    # The emerging problem exists only in the last three weeks, and is big there.
    emerging = [f for f in items if f.theme == "scheduled_report_blank"]
    assert emerging and all(f.received_at >= NOW - timedelta(days=22) for f in emerging)
    last_weeks = [f for f in items if f.received_at >= NOW - timedelta(days=21)]
    assert len(emerging) / len(last_weeks) > 0.12
    # Exact copies and follow-ups (near-duplicates) point at earlier items.
    exact = [f for f in items if f.duplicate_of]
    follow = [f for f in items if f.follow_up_of]
    assert len(exact) >= 40 and len(follow) >= 100
    by_n = {f.n: f for f in items}
    assert all(f.duplicate_of and by_n[f.duplicate_of].text == f.text and f.duplicate_of < f.n for f in exact)
    assert all(f.follow_up_of and by_n[f.follow_up_of].theme == f.theme and f.follow_up_of < f.n for f in follow)
    # Mixed lengths: short reviews and chats next to long emails.
    lengths = sorted(len(f.text) for f in items)
    assert lengths[len(lengths) // 10] < 60 and lengths[-len(lengths) // 10] > 280
    assert sum(1 for f in items if f.contact_index is not None) / len(items) >= 0.55


def test_default_demo_loads_into_the_database() -> None:
    result = load_demo(now=NOW)
    assert result.feedback >= 2000
    assert result.workspace.feedback_items.filter(dedupe_key__startswith="demo:").count() == result.feedback
    assert result.workspace.feedback_items.filter(contact__isnull=False).count() >= 0.55 * result.feedback


def test_harken_demo_command_prints_the_login() -> None:
    output = CliRunner().invoke(app, ["demo", "--items", "40"], env={"COLUMNS": "200"})
    assert output.exit_code == 0, output.output
    assert DEMO_USER_EMAIL in output.output and DEMO_PASSWORD in output.output
    assert "http://127.0.0.1:8000" in output.output
    assert "40 feedback items" in " ".join(output.output.split())  # Rich may wrap the line
    again = CliRunner().invoke(app, ["demo", "--items", "40"], env={"COLUMNS": "200"})
    assert "already exists" in again.output
    assert Feedback.objects.filter(dedupe_key__startswith="demo:").count() == 40


def test_load_demo_management_command() -> None:
    out = StringIO()
    call_command("load_demo", "--items", "30", stdout=out)
    assert "Created demo workspace 'Acme Analytics'" in out.getvalue()
    out = StringIO()
    call_command("load_demo", "--items", "30", stdout=out)
    assert "Kept existing" in out.getvalue()
    assert Feedback.objects.filter(dedupe_key__startswith="demo:").count() == 30


def test_analysis_of_the_demo_is_left_to_the_worker() -> None:
    from django_tasks_db.models import DBTaskResult

    result = load_demo(items=30, now=NOW)
    assert result.queued_tasks >= 1
    # one job analyses the bulk-loaded items (embed → classify → themes → trends); nothing embeds twice
    queued = DBTaskResult.objects.get(task_path="harken.insight.themes.tasks.understand_workspace")
    assert queued.args_kwargs["args"] == [result.workspace.pk]
    assert queued.status == "READY"
    assert not DBTaskResult.objects.filter(task_path="harken.insight.tasks.embed_workspace").exists()
    # triage opened the demo items' rows when they were loaded, not when a page is first shown
    # (other apps' demo hooks add items of their own: conversation highlights, survey answers, ideas)
    items = result.workspace.feedback_items
    assert items.count() >= 30
    assert result.workspace.triage_items.count() == items.count()
