"""The demo shows two surveys with months of answers, feedback from written answers, and advocacy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from harken.advocacy import queries as advocacy
from harken.demo import DEMO_USER_EMAIL, load_demo
from harken.feedback.models import Channel
from harken.surveys import queries

pytestmark = pytest.mark.django_db


def test_demo_populates_surveys_and_advocacy() -> None:
    ws = load_demo(items=300).workspace
    nps, csat = ws.surveys.get(kind="nps"), ws.surveys.get(kind="csat")
    r = queries.results(nps)
    assert r["score"].enough and 150 <= nps.responses.count() <= 300
    assert len([t for t in r["trend"] if t["score"].enough]) == 6
    first, last = r["trend"][0]["score"].value, r["trend"][-1]["score"].value
    assert last > first  # improving over the months
    assert queries.results(csat)["score"].enough
    assert ws.feedback_items.filter(channel=Channel.SURVEY, triage__isnull=False).count() > 50
    assert {b["key"] for b in r["breakdowns"]} >= {"segment", "plan", "product_line"}
    assert advocacy.queue(ws) and ws.advocacy_asks.filter(consent_given_at__isnull=False).exists()
    assert advocacy.case_study_candidates(ws)
    assert ws.advocacy_referrals.filter(outcome="won").exists() and ws.advocacy_rewards.exists()
    client = Client()
    client.force_login(ws.memberships.get(user__email=DEMO_USER_EMAIL).user)
    page = client.get(reverse("surveys:detail", kwargs={"ws": ws.slug, "pk": nps.pk}))
    assert page.status_code == 200 and b"95% CI" in page.content and b"<svg" in page.content
    for name in ("advocacy:queue", "advocacy:candidates", "advocacy:referrals", "surveys:list"):
        assert client.get(reverse(name, kwargs={"ws": ws.slug})).status_code == 200
