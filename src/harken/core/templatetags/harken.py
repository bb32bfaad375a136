from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

register = template.Library()


@register.filter
def nav_sidebar(workspace: Any, request: HttpRequest) -> dict[str, Any]:
    """The sidebar's sections and Settings link, from every app's `nav.py` (see harken.core.navigation)."""
    from harken.core.navigation import sidebar

    return sidebar(workspace, request)


@register.filter
def money(value: Any) -> str:
    """$1.2M / $350k / $900 — compact currency for tables and cards."""
    try:
        amount = float(value or 0)
    except (TypeError, ValueError):
        return "—"
    if abs(amount) >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    if abs(amount) >= 10_000:
        return f"${amount / 1000:.0f}k"
    if abs(amount) >= 1_000:
        return f"${amount / 1000:.1f}k"
    return f"${amount:,.0f}"


@register.filter
def ago(value: Any) -> str:
    """'3 hours ago' — one unit only, for lists where 'x hours, y minutes' is noise."""
    if not value:
        return ""
    from django.utils.timesince import timesince

    text = timesince(value, depth=1)
    return "just now" if text.startswith("0\xa0minutes") else f"{text} ago"
