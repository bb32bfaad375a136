"""The sidebar, from every app's `nav.py` (`NAV`, collected through the registry).

An entry is `(section, label, url name[, attrs])`. Sections follow a product manager's loop —
Listen, Understand, Decide, Commit, Measure — and every configuration page goes in "Settings",
which the sidebar shows as one link to the Settings page (`workspaces:settings_hub`) listing them.
Attrs: `min_role` (hidden below that role), `order` (position in its section, default 50; ties keep
app order), `more` (under the section's "More" fold, so the
sidebar fits a laptop screen), `help` (the line shown on the Settings page); any other attr is
rendered on the link (e.g. `data-nav-inbox`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from harken.core.registry import collect

SECTIONS = ["Listen", "Understand", "Decide", "Commit", "Measure"]
SETTINGS = "Settings"
SETTINGS_HUB = "workspaces:settings_hub"


@dataclass
class NavLink:
    section: str
    label: str
    url: str
    more: bool = False
    help: str = ""
    order: int = 50
    attrs: dict[str, str] = field(default_factory=dict)
    current: bool = False


@dataclass
class NavSection:
    title: str
    links: list[NavLink]
    more: list[NavLink]

    @property
    def more_open(self) -> bool:
        return any(link.current for link in self.more)


# The links a (workspace, role) sees never change while the process runs (the apps' NAV and the URL
# configuration are fixed at start), so they are reversed once: ~60 `reverse()` calls were a few ms of
# every page. Bounded; `current` is marked on copies.
_built: dict[tuple[Any, ...], list[NavLink]] = {}
_BUILT_MAX = 2048


def links(workspace: Any, request: HttpRequest) -> list[NavLink]:
    """Every nav entry this person may use, in app order, with the current page marked."""
    actor = getattr(request, "actor", None)
    key = (workspace.slug, getattr(actor, "role", None), settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    built = _built.get(key)
    if built is None:
        built = _build(workspace, actor)
        if len(_built) >= _BUILT_MAX:
            _built.clear()
        _built[key] = built
    found = [replace(link, attrs=dict(link.attrs)) for link in built]
    # Highlight only the longest link that prefixes the current path (so /feedback/new/ is not also "Inbox").
    candidates = [
        link
        for link in found
        if request.path == link.url or (link.url.count("/") > 3 and request.path.startswith(link.url))
    ]
    if candidates:
        max(candidates, key=lambda link: len(link.url)).current = True
    return found


def _build(workspace: Any, actor: Any) -> list[NavLink]:
    found: list[NavLink] = []
    for raw in collect("nav", "NAV"):
        entry = cast("tuple[Any, ...]", raw)
        section, label, url_name = entry[:3]
        attrs = dict(entry[3]) if len(entry) > 3 else {}
        min_role = attrs.pop("min_role", None)
        if min_role and (actor is None or not actor.can(min_role)):
            continue  # e.g. "New feedback" is hidden from viewers, who could not use it
        try:
            url = reverse(url_name, kwargs={"ws": workspace.slug})
        except NoReverseMatch:
            continue
        order = int(attrs.pop("order", 50))
        more = bool(attrs.pop("more", False))
        help_text = str(attrs.pop("help", ""))
        found.append(NavLink(section, label, url, more=more, help=help_text, attrs=attrs, order=order))
    found.sort(key=lambda link: link.order)  # stable: app order within the same position
    return found


def sidebar(workspace: Any, request: HttpRequest) -> dict[str, Any]:
    """The sections in loop order, and the one Settings link (current on any settings page)."""
    found = links(workspace, request)
    sections = []
    for title in SECTIONS + sorted({link.section for link in found} - set(SECTIONS) - {SETTINGS}):
        own = [link for link in found if link.section == title]
        if own:
            primary = [link for link in own if not link.more]
            sections.append(NavSection(title, primary, [link for link in own if link.more]))
    hub = reverse(SETTINGS_HUB, kwargs={"ws": workspace.slug})
    settings_current = request.path == hub or any(link.current for link in found if link.section == SETTINGS)
    return {"sections": sections, "settings_url": hub, "settings_current": settings_current}


def settings_links(workspace: Any, request: HttpRequest) -> list[NavLink]:
    return [link for link in links(workspace, request) if link.section == SETTINGS]
