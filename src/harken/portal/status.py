"""What status an idea shows: the one seam the roadmap will plug into.

Today an idea's status is its own `Idea.status`. When ideas link to roadmap items, the roadmap app
registers a provider (`register_provider(fn)` from its `AppConfig.ready`): `fn(idea)` returns a
`ShownStatus` for ideas it knows (a linked roadmap item's status), or None to fall back. Every page,
email, filter label and API response asks `shown_status(idea)`, never `idea.status` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harken.portal.models import IdeaStatus

TONES = {
    IdeaStatus.OPEN: "",
    IdeaStatus.UNDER_REVIEW: "badge-info",
    IdeaStatus.PLANNED: "badge-brand",
    IdeaStatus.IN_PROGRESS: "badge-warn",
    IdeaStatus.DONE: "badge-ok",
    IdeaStatus.DECLINED: "badge-bad",
}


@dataclass(frozen=True)
class ShownStatus:
    key: str
    label: str
    tone: str
    source: str = "portal"  # "roadmap" when a linked roadmap item decides
    url: str = ""


Provider = Callable[[Any], "ShownStatus | None"]
_providers: list[Provider] = []


def register_provider(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def unregister_provider(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def of_key(key: str) -> ShownStatus:
    status = IdeaStatus(key) if key in IdeaStatus.values else IdeaStatus.OPEN
    return ShownStatus(status.value, str(status.label), TONES[status])


def shown_status(idea: Any) -> ShownStatus:
    for provider in _providers:
        shown = provider(idea)
        if shown is not None:
            return shown
    return of_key(idea.status)
