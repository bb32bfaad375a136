"""The time zone pages are shown in: the member's own preference, else the workspace's, else TIME_ZONE.

`workspace_view` calls `activate_for(workspace, user)` once it knows both; `TimeZoneMiddleware`
resets the zone around every request, so a thread never carries one person's zone into the next
request. A member's preference comes from any app's `prefs.py` `user_time_zone(workspace, user)`
(today: conversations' "my time zone"), so core and workspaces name no later app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for(workspace: Any, user: Any) -> ZoneInfo:
    """Memoised by data version within a request (harken/core/memo.py): the preference is product data."""
    from harken.core import memo

    if getattr(workspace, "pk", None) is None:
        return _zone_for(workspace, user)
    user_key = user.pk if getattr(user, "is_authenticated", False) else None
    key = (workspace.pk, getattr(workspace, "timezone", ""), user_key)
    zone: ZoneInfo = memo.remember("zone", key, lambda: _zone_for(workspace, user))
    return zone


def _zone_for(workspace: Any, user: Any) -> ZoneInfo:
    from harken.core.registry import collect

    for lookup in collect("prefs", "USER_TIME_ZONE"):
        zone = _zone(lookup(workspace, user))  # type: ignore[operator]
        if zone is not None:
            return zone
    return _zone(getattr(workspace, "timezone", "")) or ZoneInfo(settings.TIME_ZONE)


def activate_for(workspace: Any, user: Any) -> ZoneInfo:
    zone = zone_for(workspace, user)
    timezone.activate(zone)
    return zone


class TimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()  # TIME_ZONE until a workspace page knows better
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
