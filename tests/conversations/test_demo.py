"""The demo shows conversations, cadence (met and missed weeks), understanding, a digest and a review pack."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from harken.conversations import cadence
from harken.customers import understanding
from harken.demo import DEMO_USER_EMAIL, load_demo
from harken.digests import digest, review

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # slow: run first (tests/conftest.py)


def test_demo_populates_conversations_understanding_digest_and_pack() -> None:
    ws = load_demo(items=300).workspace
    rows = cadence.cadence(ws)
    assert len(rows) == 3
    for row in rows:
        statuses = {w.status for w in row.finished}
        assert statuses == {"met", "missed"}, statuses
    assert ws.conversation_highlights.filter(feedback__isnull=False).exists()
    accounts = [a for a in ws.accounts.all() if a.process_steps.exists()]
    assert len(accounts) >= 5
    assert understanding.pain_by_step(ws)[0]["accounts"]
    assert all(a.goals.exists() and a.jobs.exists() for a in accounts)
    today = timezone.now().astimezone(digest.zone(ws)).date()
    built = digest.build(ws, digest.week_of(today) - dt.timedelta(days=7))
    assert not built.empty and built.conversations > 0
    keys = {s["key"] for s in built.sections if s["rows"]}
    assert {"decisions", "quotes"} <= keys
    pack = review.pack(ws, review.parse_month("", today))
    assert pack["total"] > 0 and pack["sampled"] > 0 and pack["signoffs"]
    client = Client()
    client.force_login(ws.memberships.get(user__email=DEMO_USER_EMAIL).user)
    for name in (
        "conversations:list",
        "conversations:cadence",
        "customers:process_pain",
        "digests:digest",
        "digests:review",
    ):
        assert client.get(reverse(name, kwargs={"ws": ws.slug})).status_code == 200
    account = accounts[0]
    page = client.get(reverse("customers:account_detail", kwargs={"ws": ws.slug, "pk": account.pk})).content.decode()
    assert "Process map" in page and "Reconcile numbers" in page
