"""First-response SLA arithmetic: pure functions, no database, so the maths is unit-tested alone.

With business hours the clock only runs inside the working windows of the workspace's time
zone (e.g. Mon–Fri 09:00–17:00 Europe/Berlin): an item received Friday 16:00 with an 8-hour
target is due Monday 16:00 local time, across DST changes, because every step is taken in
local wall-clock time and converted back to UTC at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TARGET_HOURS = 24
DEFAULT_NEAR_BREACH_HOURS = 4


@dataclass(frozen=True)
class Schedule:
    target_hours: float = DEFAULT_TARGET_HOURS
    business_hours: bool = False
    tz: str = "UTC"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz or "UTC")

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays


def _window(schedule: Schedule, day: date) -> tuple[datetime, datetime]:
    zone = schedule.zone
    return datetime.combine(day, schedule.start, zone), datetime.combine(day, schedule.end, zone)


def due_at(received_at: datetime, schedule: Schedule) -> datetime:
    """When the first response is due for something received at `received_at` (aware)."""
    target = timedelta(hours=schedule.target_hours)
    if not schedule.business_hours:
        return received_at + target
    if not schedule.days or schedule.start >= schedule.end:
        raise ValueError("Business hours need at least one working day and a start before the end.")
    zone = schedule.zone
    local = received_at.astimezone(zone)
    remaining = target
    day = local.date()
    for _ in range(3660):  # ten years of days: a target can never need more
        if schedule.is_workday(day):
            start, end = _window(schedule, day)
            begin = max(start, local) if day == local.date() else start
            if begin < end:
                available = end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(received_at.tzinfo)
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("The SLA target does not fit in ten years of business hours.")


def business_time_between(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """Working time elapsed between two instants (wall-clock time without business hours)."""
    if end <= start:
        return timedelta(0)
    if not schedule.business_hours:
        return end - start
    zone = schedule.zone
    a, b = start.astimezone(zone), end.astimezone(zone)
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if schedule.is_workday(day):
            w_start, w_end = _window(schedule, day)
            lo, hi = max(w_start, a), min(w_end, b)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def format_duration(delta: timedelta) -> str:
    """ "2d 3h", "5h 20m", "12m": compact, for tables and badges."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes}m"
    else:
        text = f"{minutes}m"
    return text
