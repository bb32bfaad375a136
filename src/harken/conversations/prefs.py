"""Member preferences other apps read through the registry (see harken.core.timezones)."""

from __future__ import annotations

from typing import Any


def user_time_zone(workspace: Any, user: Any) -> str | None:
    """The member's own time zone for this workspace ("My time zone" on the cadence page), if set."""
    from harken.conversations.models import MemberPreference

    if not getattr(user, "is_authenticated", False):
        return None
    return (
        MemberPreference.objects.filter(workspace=workspace, user=user).values_list("time_zone", flat=True).first()
        or None
    )


USER_TIME_ZONE = [user_time_zone]
