"""Business-hours SLA maths: weekends, nights, day boundaries, DST and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from harken.triage import sla

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = sla.Schedule(target_hours=8, business_hours=True, tz="Europe/Berlin")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_wall_clock_target_without_business_hours() -> None:
    received = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # a Friday
    assert sla.due_at(received, sla.Schedule()) == received + timedelta(hours=24)


def test_friday_afternoon_rolls_over_the_weekend() -> None:
    # 1 h left on Friday, 7 h on Monday: due Monday 16:00 local.
    assert sla.due_at(local(2026, 11, 27, 16, 0), OFFICE) == local(2026, 11, 30, 16, 0)


def test_saturday_starts_counting_on_monday_morning() -> None:
    schedule = sla.Schedule(target_hours=24, business_hours=True, tz="Europe/Berlin")
    # 24 business hours = three 8-hour days: Mon, Tue, Wed until 17:00.
    assert sla.due_at(local(2026, 11, 28, 11, 0), schedule) == local(2026, 12, 2, 17, 0)


def test_before_opening_and_after_closing() -> None:
    four = sla.Schedule(target_hours=4, business_hours=True, tz="Europe/Berlin")
    assert sla.due_at(local(2026, 12, 1, 7, 0), four) == local(2026, 12, 1, 13, 0)
    assert sla.due_at(local(2026, 12, 1, 18, 0), four) == local(2026, 12, 2, 13, 0)


def test_a_target_that_ends_exactly_at_closing_time_is_due_that_day() -> None:
    assert sla.due_at(local(2026, 11, 30, 9, 0), OFFICE) == local(2026, 11, 30, 17, 0)


def test_due_time_is_returned_in_the_callers_zone_and_survives_dst_change() -> None:
    # Berlin leaves summer time on Sunday 25 Oct 2026: Friday is UTC+2, Monday UTC+1.
    received = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)  # Friday 16:00 CEST
    due = sla.due_at(received, OFFICE)
    assert due.tzinfo == UTC
    assert due == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)  # Monday 16:00 CET


def test_other_time_zone_and_custom_days() -> None:
    # A Sun–Thu team in Dubai, 08:00–16:00.
    schedule = sla.Schedule(
        target_hours=10, business_hours=True, tz="Asia/Dubai", days=(6, 0, 1, 2, 3), start=time(8), end=time(16)
    )
    dubai = ZoneInfo("Asia/Dubai")
    received = datetime(2026, 11, 26, 12, 0, tzinfo=dubai)  # Thursday: 4 h left that day
    assert sla.due_at(received, schedule) == datetime(2026, 11, 29, 14, 0, tzinfo=dubai)  # Sunday 14:00


def test_business_time_between_skips_nights_and_weekends() -> None:
    elapsed = sla.business_time_between(local(2026, 11, 27, 16, 0), local(2026, 11, 30, 10, 30), OFFICE)
    assert elapsed == timedelta(hours=2, minutes=30)
    assert sla.business_time_between(local(2026, 11, 28, 9), local(2026, 11, 29, 18), OFFICE) == timedelta(0)


def test_impossible_schedules_are_refused() -> None:
    with pytest.raises(ValueError, match="working day"):
        sla.due_at(local(2026, 11, 27, 9), sla.Schedule(business_hours=True, days=()))
    with pytest.raises(ValueError, match="working day"):
        sla.due_at(local(2026, 11, 27, 9), sla.Schedule(business_hours=True, start=time(17), end=time(9)))


def test_format_duration() -> None:
    assert sla.format_duration(timedelta(days=2, hours=3, minutes=5)) == "2d 3h"
    assert sla.format_duration(timedelta(hours=5, minutes=20)) == "5h 20m"
    assert sla.format_duration(timedelta(minutes=-12)) == "12m"
