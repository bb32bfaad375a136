"""Demo hook: digest recipients for each audience, a few decisions last week, and last month's pack reviewed.

"Last week" and "last month" are read off the demo's own clock (`story.now`, the `now` the load was
given), in the workspace's time zone, the same way the digest and review pages pick their defaults;
a caller that pins the clock can then ask the pages for exactly that week and month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from harken.digests.digest import zone


def demo_now() -> dt.datetime:
    """The demo load's clock (what `load_demo(now=...)` was given), or the wall clock outside a load."""
    from harken.demo import story

    current = story.current()
    return current.now if current is not None else timezone.now()


def after_demo_load(workspace: Any) -> int:
    from harken.digests import review, services
    from harken.digests.models import ReviewSignoff
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user").first()
    if owner is None:
        return 0
    actor = Actor.for_member(owner)
    services.add_recipient(actor, email=owner.user.email, name=owner.user.display_name, audience="team")
    others = list(workspace.memberships.exclude(pk=owner.pk).select_related("user").order_by("user__email"))
    for membership, audience in zip(others, ["leadership", "sales", "marketing"], strict=False):
        services.add_recipient(actor, email=membership.user.email, name=membership.user.display_name, audience=audience)
    _decisions_last_week(workspace, actor)
    last_month = review.last_month(workspace, demo_now())
    for membership in others[:2]:
        ReviewSignoff.objects.get_or_create(
            workspace=workspace,
            month=last_month,
            user=membership.user,
            defaults={"note": "Read it in the Monday review."},
        )
    return 0


def _decisions_last_week(workspace: Any, actor: Any) -> None:
    """Record a handful of triage decisions and date them last week, so last week's digest lists them."""
    try:
        from harken.triage import actions as triage
        from harken.triage.models import Triage
    except ImportError:
        return
    now = demo_now().astimezone(zone(workspace))
    monday = (now - dt.timedelta(days=now.weekday() + 7)).replace(hour=10, minute=0, second=0, microsecond=0)
    choices = [
        ("planned", "Scheduled exports to PDF are on the Q1 roadmap."),
        ("under_consideration", "Several enterprise accounts asked; sizing it next sprint."),
        ("not_now", "Dark-mode charts wait until the mobile redesign."),
        ("answered", "Read-only roles already exist under Settings → Members."),
    ]
    # Items that had arrived by then: a decision never predates the feedback it answers.
    items = list(
        workspace.feedback_items.filter(account__isnull=False, received_at__lt=monday).order_by("-received_at")[:40:10]
    )
    for (decision, reason), feedback in zip(choices, items, strict=False):
        item = triage.open_triage(feedback, actor)
        triage.decide(actor, item, decision, reason=reason)
        Triage.objects.filter(pk=item.pk).update(decided_at=monday + dt.timedelta(days=len(reason) % 4))
