"""Who hears about a roadmap item's changes: a small registry other apps extend.

A provider is `fn(item) -> Iterable[Recipient]`. roadmap registers the requesters of linked
feedback (and of items merged into them) and the promised contacts. The portal adds voters and
followers from its own `AppConfig.ready()`:

    from harken.roadmap import audience
    audience.register(portal_voters)   # def portal_voters(item): yield audience.Recipient(...)

Recipients are merged by address (case-insensitive): one person gets one email per change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    reason: str = ""  # "you asked for this", "we promised it to you", "you voted for it", …


Provider = Callable[[Any], Iterable[Recipient]]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider (idempotent); usable as a decorator."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def unregister(provider: Provider) -> None:
    if provider in _PROVIDERS:
        _PROVIDERS.remove(provider)


def providers() -> list[Provider]:
    return list(_PROVIDERS)


def _valid(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def recipients(item: Any) -> list[Recipient]:
    """Everyone linked to `item`, one entry per address, unsubscribed addresses removed."""
    seen: dict[str, Recipient] = {}
    for provider in _PROVIDERS:
        for r in provider(item):
            email = (r.email or "").strip().lower()
            if email and _valid(email) and email not in seen:
                seen[email] = Recipient(email=email, name=r.name, reason=r.reason)
    if not seen:
        return []
    gone = set(item.workspace.roadmap_unsubscribes.filter(email__in=list(seen)).values_list("email", flat=True))
    return [r for e, r in seen.items() if e not in gone]


# ---------------------------------------------------------------- roadmap's own providers


def feedback_requesters(item: Any) -> Iterable[Recipient]:
    """Requesters of linked feedback and of every item merged into them (themes are too broad to email)."""
    frontier = set(item.evidence.filter(feedback__isnull=False).values_list("feedback_id", flat=True))
    seen: set[int] = set()
    ws = item.workspace
    while frontier:
        rows = list(
            ws.feedback_items.filter(pk__in=frontier).values(
                "id", "author_email", "author_name", "contact__email", "contact__name"
            )
        ) + list(
            ws.feedback_items.filter(merged_into_id__in=frontier).values(
                "id", "author_email", "author_name", "contact__email", "contact__name"
            )
        )
        frontier = set()
        for row in rows:
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            frontier.add(row["id"])
            email = row["contact__email"] or row["author_email"]
            if email:
                yield Recipient(email, row["contact__name"] or row["author_name"] or "", "you asked for this")


def promised_contacts(item: Any) -> Iterable[Recipient]:
    from harken.roadmap.models import PromiseStatus

    for promise in item.promises.exclude(status=PromiseStatus.WITHDRAWN).select_related("contact", "account"):
        email, name = promise_address(promise)
        if email:
            yield Recipient(email, name, "we promised it to you")


def promise_address(promise: Any) -> tuple[str, str]:
    """The contact's address, or for an account promise the first contact of the account with one."""
    if promise.contact_id and promise.contact and promise.contact.email:
        return promise.contact.email, promise.contact.name
    if promise.account_id:
        contact = promise.account.contacts.exclude(email="").order_by("id").first()
        if contact is not None:
            return contact.email, contact.name
    return "", ""


register(feedback_requesters)
register(promised_contacts)
