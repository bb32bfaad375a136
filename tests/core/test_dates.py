"""One way of writing dates, in the member's time zone (else the workspace's, else TIME_ZONE)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from harken.conversations.services import set_my_time_zone
from harken.insight import services as insight
from tests.base import World
from tests.insight.helpers import add

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 11, 30, 20, 57, tzinfo=dt.UTC)  # 15:57 in New York, 21:57 in Berlin


def pages(world: World) -> dict[str, str]:
    survivor = add(world.alpha, "Exports to PDF time out", received_at=MOMENT)
    merged = add(world.alpha, "PDF export times out", received_at=MOMENT)
    record = insight.merge(world.actor(world.bob), survivor, merged)
    type(record).objects.filter(pk=record.pk).update(created_at=MOMENT)
    client = world.client_for(world.bob)
    return {
        "item": client.get(reverse("feedback:detail", kwargs={"ws": "alpha", "pk": survivor.pk})).content.decode(),
        "merges": client.get(reverse("insight:merges", kwargs={"ws": "alpha"})).content.decode(),
    }


def test_two_pages_write_a_moment_the_same_way_in_the_workspace_time_zone(world: World) -> None:
    world.alpha.timezone = "America/New_York"
    world.alpha.save(update_fields=["timezone"])
    for name, html in pages(world).items():
        assert "Nov 30, 2026 15:57" in html, name
        assert "p.m." not in html and "Nov. 30" not in html and "2026-11-30 15:57" not in html, name


def test_the_members_own_time_zone_wins(world: World) -> None:
    world.alpha.timezone = "America/New_York"
    world.alpha.save(update_fields=["timezone"])
    set_my_time_zone(world.actor(world.bob), "Europe/Berlin")
    for name, html in pages(world).items():
        assert "Nov 30, 2026 21:57" in html, name
    # Another member without a preference still sees the workspace's zone.
    survivor = world.alpha.feedback_items.order_by("pk").first()
    assert survivor is not None
    html = world.client_for(world.vera).get(reverse("feedback:detail", kwargs={"ws": "alpha", "pk": survivor.pk}))
    assert "Nov 30, 2026 15:57" in html.content.decode()


def test_the_named_formats_and_no_leak_between_requests(world: World) -> None:
    assert formats.date_format(MOMENT, "DATETIME_FORMAT") == "Nov 30, 2026 20:57"
    assert formats.date_format(MOMENT.date(), "DATE_FORMAT") == "Nov 30, 2026"
    world.alpha.timezone = "Asia/Tokyo"
    world.alpha.save(update_fields=["timezone"])
    world.client_for(world.bob).get(reverse("feedback:overview", kwargs={"ws": "alpha"}))
    assert timezone.get_current_timezone_name() == "UTC"  # the middleware reset it after the request
