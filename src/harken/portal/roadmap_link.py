"""The portal's side of the roadmap: ideas linked to roadmap items, their status and audience.

The link is roadmap evidence: an idea is linked to a roadmap item when the idea's feedback item is
evidence of the item (`roadmap.actions.link_evidence`), whichever page made the link (the idea's
moderation page, the roadmap item page or the feedback item page). The portal depends on roadmap,
never the reverse: `PortalConfig.ready()` registers

- `roadmap_status` with `portal.status.register_provider`: a linked idea shows its roadmap item's
  status (label from roadmap, badge tone from the status kind);
- `idea_audience` with `roadmap.audience.register`: voters and followers of linked ideas (and of
  ideas merged into them) hear about the item's changes in roadmap's one email per change.

Because a linked idea's shown status comes from roadmap, the portal's own status email is not
sent for it (`actions.set_status` checks `shown_status(idea).source`): followers hear once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from harken.portal.models import Idea, IdeaStatus, ModState
from harken.portal.status import TONES, ShownStatus
from harken.workspaces.access import Actor

# Roadmap status kind → the portal's badge (and the IdeaStatus key it stands for).
KIND_TO_KEY = {
    "done": IdeaStatus.DONE,
    "declined": IdeaStatus.DECLINED,
    "active": IdeaStatus.IN_PROGRESS,
}
OPEN_KEYS = {"idea": IdeaStatus.OPEN, "under_consideration": IdeaStatus.UNDER_REVIEW}


def linked_items(idea: Idea) -> list[Any]:
    """Live roadmap items the idea's feedback is evidence for, most recently moved first."""
    if idea.feedback_id is None:
        return []
    from harken.roadmap.models import Evidence

    rows = (
        Evidence.objects.filter(
            workspace_id=idea.workspace_id, feedback_id=idea.feedback_id, item__deleted_at__isnull=True
        )
        .select_related("item", "item__workspace")
        .order_by("-item__status_changed_at", "-item__id")
    )
    seen: dict[int, Any] = {}
    for e in rows:
        seen.setdefault(e.item_id, e.item)
    return list(seen.values())


def key_for(status: Any) -> str:
    """The portal status a roadmap status stands for (for the badge tone)."""
    if status.kind in KIND_TO_KEY:
        return str(KIND_TO_KEY[status.kind])
    if status.key in OPEN_KEYS:
        return str(OPEN_KEYS[status.key])
    return str(IdeaStatus.PLANNED if status.on_roadmap else IdeaStatus.OPEN)


def _public_url(item: Any) -> str:
    from harken.roadmap import statuses as st

    if not item.public or not st.settings_for(item.workspace).public_roadmap:
        return ""
    return reverse("roadmap_public:roadmap", kwargs={"ws": item.workspace.slug})


def roadmap_status(idea: Idea) -> ShownStatus | None:
    """`shown_status` provider: the linked roadmap item's status, or None for unlinked ideas."""
    items = linked_items(idea)
    if not items:
        return None
    from harken.roadmap import statuses as st

    item = items[0]
    status = st.status_of(item.workspace, item.status)
    key = key_for(status)
    return ShownStatus(key, status.label, TONES[IdeaStatus(key)], source="roadmap", url=_public_url(item))


def ideas_for_item(item: Any) -> list[Idea]:
    """Live ideas whose feedback is evidence of `item`."""
    feedback_ids = item.evidence.filter(feedback__isnull=False).values("feedback_id")
    return list(
        Idea.objects.for_workspace(item.workspace_id)
        .filter(feedback_id__in=feedback_ids, state=ModState.PUBLISHED)
        .select_related("portal")
        .order_by("-vote_count", "title")
    )


def idea_audience(item: Any) -> Iterable[Any]:
    """`roadmap.audience` provider: voters (counted votes) and followers of linked ideas and their merged ideas."""
    from harken.portal.actions import family
    from harken.roadmap.audience import Recipient

    for idea in ideas_for_item(item):
        ideas = family(idea)
        votes = idea.votes.model.objects.filter(
            idea__in=ideas, flagged=False, voter__blocked_at__isnull=True
        ).select_related("voter")
        for vote in votes:
            yield Recipient(vote.voter.email, vote.voter.name, "you voted for it on the ideas portal")
        follows = idea.follows.model.objects.filter(idea__in=ideas, user__blocked_at__isnull=True).select_related(
            "user"
        )
        for follow in follows:
            yield Recipient(follow.user.email, follow.user.name, "you follow it on the ideas portal")


def link_idea(actor: Actor, idea: Idea, item: Any) -> Any:
    """Link the idea (its feedback item) as evidence of a roadmap item; audited on the portal."""
    from harken.portal.actions import _audit, _owned
    from harken.roadmap import actions as roadmap_actions

    _owned(actor, idea)
    if idea.feedback is None:
        raise ValidationError("Only published ideas (with a feedback item) can be linked to the roadmap.")
    evidence = roadmap_actions.link_evidence(actor, item, idea.feedback, note="ideas portal")
    _audit(actor, idea.portal, "roadmap_link", f"Linked to roadmap item “{item.title}”", idea, item=item.pk)
    return evidence


def unlink_idea(actor: Actor, idea: Idea, item: Any) -> None:
    from harken.portal.actions import _audit, _owned
    from harken.roadmap import actions as roadmap_actions

    _owned(actor, idea)
    evidence = item.evidence.filter(feedback_id=idea.feedback_id).first() if idea.feedback_id else None
    if evidence is None:
        raise ValidationError("This idea is not linked to that roadmap item.")
    roadmap_actions.unlink_evidence(actor, evidence)
    _audit(actor, idea.portal, "roadmap_unlink", f"Unlinked from roadmap item “{item.title}”", idea, item=item.pk)
