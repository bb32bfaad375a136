from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from harken.core.registry import HARKEN_APPS

register = template.Library()

SECTION_ORDER = ["Listen", "Customers", "Understand", "Decide", "Measure", "Workspace"]


@register.filter
def nav_sections(workspace: Any, request: HttpRequest) -> list[dict[str, Any]]:
    """Collect each app's `nav.NAV` entries: (section, label, url name, extra attrs)."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for app in HARKEN_APPS:
        if not find_spec(f"harken.{app}.nav"):
            continue
        for entry in import_module(f"harken.{app}.nav").NAV:
            section, label, url_name = entry[:3]
            try:
                url = reverse(url_name, kwargs={"ws": workspace.slug})
            except NoReverseMatch:
                continue
            attrs = dict(entry[3]) if len(entry) > 3 else {}
            min_role = attrs.pop("min_role", None)
            actor = getattr(request, "actor", None)
            if min_role and (actor is None or not actor.can(min_role)):
                continue  # e.g. "New feedback" is hidden from viewers, who could not use it
            sections.setdefault(section, []).append({"label": label, "url": url, "current": False, "attrs": attrs})
    # Highlight only the longest link that prefixes the current path (so /feedback/new/ is not also "Inbox").
    candidates = [
        item
        for items in sections.values()
        for item in items
        if request.path == item["url"] or (item["url"].count("/") > 3 and request.path.startswith(item["url"]))
    ]
    if candidates:
        max(candidates, key=lambda item: len(item["url"]))["current"] = True
    ordered = sorted(sections.items(), key=lambda kv: SECTION_ORDER.index(kv[0]) if kv[0] in SECTION_ORDER else 99)
    return [{"title": title, "items": items} for title, items in ordered]


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
