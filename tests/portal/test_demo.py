"""The demo workspace gets a populated portal: ideas with votes, comments, official replies, merges, a queue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from harken.demo import load_demo
from harken.portal import queries
from harken.portal.models import Idea, ModState

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # slow: run first (tests/conftest.py)


def test_demo_portal_is_populated() -> None:
    ws = load_demo(items=1200, now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC)).workspace
    portal = ws.portals.get()
    live = list(queries.live_ideas(portal))
    assert 25 <= len(live) <= 40
    assert all(i.feedback is not None and i.feedback.channel == "portal" for i in live)
    assert sum(i.vote_count for i in live) > 3 * len(live)
    assert any(i.demand_arr > 0 for i in live)
    assert portal.ideas.filter(state=ModState.PENDING).count() == 3
    assert portal.ideas.filter(state=ModState.SPAM).count() == 1
    assert Idea.objects.filter(portal=portal, comments__official=True).exists()
    assert ws.feedback_merges.filter(undone_at__isnull=True).count() >= 1
    assert {i.status for i in live} >= {"open", "planned", "done"}
    page = Client().get(f"/p/{portal.slug}/?sort=top").content.decode()
    assert live[0].title.split()[0] in page and "votes" in page
    from harken.workspaces.models import Membership, Role

    staff = Client()
    staff.force_login(Membership.objects.get(workspace=ws, role=Role.OWNER).user)
    moderation = staff.get(f"/w/{ws.slug}/portal/moderation/").content.decode()
    assert "Dark mode for the mobile app" in moderation and "Flagged votes (2)" in moderation
    demand = staff.get(f"/w/{ws.slug}/portal/ideas/?sort=demand")
    assert demand.status_code == 200
    survivor = Idea.objects.get(feedback_id=ws.feedback_merges.filter(undone_at__isnull=True).first().survivor_id)
    assert "Merged into this idea" in Client().get(f"/p/{portal.slug}/ideas/{survivor.pk}/").content.decode()


def test_demo_wires_portal_conversations_and_promises_to_the_roadmap() -> None:
    import datetime as dt

    from django.utils import timezone

    from harken.customers.timeline import timeline
    from harken.digests.digest import build, week_of
    from harken.portal.status import shown_status
    from harken.roadmap import queries as roadmap_queries

    ws = load_demo(items=1200, now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC)).workspace
    live = list(queries.live_ideas(ws.portals.get()))
    linked = [i for i in live if shown_status(i).source == "roadmap"]
    assert len(linked) >= 3 and len({shown_status(i).label for i in linked}) >= 3
    assert ws.roadmap_evidence.filter(kind="conversation").count() >= 8
    rows = roadmap_queries.rows(ws)
    assert any(r["score"].serves for r in rows)
    digest = build(ws, week_of(timezone.localdate()) - dt.timedelta(days=7))
    assert next(s for s in digest.sections if s["key"] == "promises")["rows"]
    promised = ws.roadmap_promises.filter(account__isnull=False).first()
    assert any(e.kind == "promise" for e in timeline(promised.account))
