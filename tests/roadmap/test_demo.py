"""The demo workspace shows a populated roadmap: items across statuses, evidence, promises, notices, changelog."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harken.core.taskrun import run_pending_tasks
from harken.demo import load_demo
from harken.roadmap import queries
from harken.roadmap.models import NoticeStatus, PromiseStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_roadmap_is_believable(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HARKEN_EMBEDDER = "hashing"
    ws = load_demo(items=400, now=datetime.now(UTC)).workspace
    run_pending_tasks()
    items = list(queries.live_items(ws))
    assert len(items) >= 20
    assert {i.status for i in items} >= {"idea", "under_consideration", "planned", "in_progress", "shipped", "wont_do"}
    assert {i.product_line.name for i in items if i.product_line} == {"Dashboards", "Data Pipelines", "Mobile App"}
    rows = queries.rows(ws)
    assert sum(1 for r in rows if r["reach"].customers > 0) >= 15
    assert any(r["reach"].arr > 0 for r in rows)
    assert ws.roadmap_promises.filter(status=PromiseStatus.KEPT, kept_on_time=True).exists()
    assert ws.roadmap_delay_notices.filter(status=NoticeStatus.SENT).exists()
    assert ws.roadmap_delay_notices.filter(status=NoticeStatus.DRAFT).exists()
    assert ws.roadmap_announcements.filter(published_at__isnull=False).count() == 3
    assert ws.outgoing_webhooks.get().deliveries.count() == 4
    assert ws.roadmap_previews.count() == 1
    # changelog subscribers: three confirmed, one public sign-up waiting for its confirmation link
    assert ws.roadmap_subscribers.filter(confirmed_at__isnull=False).count() == 3
    assert ws.roadmap_subscribers.filter(confirmed_at__isnull=True, confirm_sent_at__isnull=False).count() == 1
    assert ws.roadmap_settings.public_roadmap
