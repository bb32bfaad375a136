"""Demo hook: a populated ideas portal for the demo workspace.

The demo's "Ideas portal" feedback items become the portal's ideas (they already are feedback, so
nothing is written to the feedback record here), with votes from demo contacts, comments, official
replies, statuses, a few merges (through insight's merge), ideas awaiting approval and a spam idea.
Deterministic: a fixed seed, so every demo looks the same.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from harken.feedback.models import Channel
from harken.portal import actions
from harken.portal.models import Comment, Follow, Idea, IdeaStatus, Importance, ModState, Portal, PortalUser, Vote
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, Role

SEED = 1010
IDEAS = 38
WELCOME = (
    "Tell us what would make Acme Analytics better for you. Search first: if someone had the idea already, "
    "vote for it and say how important it is. We read everything and post updates here."
)
COMMENTS = [
    "Same here, this would save our team a lot of time.",
    "We would use this **every week**.",
    "+1, this is the main thing missing for us.",
    "Any workaround until this ships?",
    "This matters a lot for our month-end close.",
    "Please keep the current behaviour as an option.",
]
OFFICIAL = [
    "Thanks everyone! We're looking into this and will share a design soon.",
    "This is planned for next quarter. Follow the idea to hear when it ships.",
    "We shipped a first version, available on all plans today.",
    "We won't build this for now: it conflicts with how permissions work. Thanks for the input.",
]
PENDING = [
    ("Dark mode for the mobile app", "The white background at night is painful."),
    ("Let viewers subscribe to a dashboard by email", "Weekly PDF in the inbox would be enough."),
    ("Slack alerts when a sync fails", ""),
]
STATUS_MIX = (
    [IdeaStatus.OPEN] * 10
    + [IdeaStatus.UNDER_REVIEW] * 4
    + [IdeaStatus.PLANNED] * 4
    + [IdeaStatus.IN_PROGRESS] * 3
    + [IdeaStatus.DONE] * 3
    + [IdeaStatus.DECLINED]
)


def _unique_slug(workspace: Any) -> str:
    base = f"{workspace.slug}-ideas"[:55]
    slug, n = base, 2
    while Portal.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def after_demo_load(workspace: Any) -> int:
    owner_membership = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user").first()
    if owner_membership is None or workspace.portals.exists():
        return 0
    owner = Actor.for_member(owner_membership)
    rng = random.Random(SEED)
    now = timezone.now()
    with transaction.atomic():
        portal = actions.save_portal(
            owner,
            {
                "name": f"{workspace.name} ideas",
                "slug": _unique_slug(workspace),
                "welcome_text": WELCOME,
                "accent_color": "#4f46e5",
                "visibility": "public",
                "allow_staff_sign_in": True,
            },
        )
        contacts = list(workspace.contacts.exclude(email="").select_related("account").order_by("pk")[:160])
        voters = [
            PortalUser.objects.get_or_create(
                workspace=workspace,
                portal=portal,
                email=c.email.lower(),
                defaults={"name": c.name[:120], "contact": c},
            )[0]
            for c in contacts
        ]
        if not voters:
            return 0
        items = list(
            workspace.feedback_items.filter(channel=Channel.PORTAL, merged_into__isnull=True)
            .exclude(title="")
            .order_by("-received_at")[:IDEAS]
        )
        by_email = {v.email: v for v in voters}
        ideas: list[Idea] = []
        for n, item in enumerate(items):
            author = by_email.get((item.author_email or "").lower()) or voters[n % len(voters)]
            idea = Idea.objects.create(
                workspace=workspace,
                portal=portal,
                feedback=item,
                author=author,
                title=item.title[:200],
                body=item.text,
                status=STATUS_MIX[n % len(STATUS_MIX)],
                last_activity_at=item.received_at,
            )
            Idea.objects.filter(pk=idea.pk).update(created_at=item.received_at)
            ideas.append(idea)
        votes: list[Vote] = []
        follows: list[Follow] = []
        for n, idea in enumerate(ideas):
            count = max(1, int(rng.paretovariate(1.3) * 2)) if n % 5 else rng.randint(12, 30)
            chosen = {idea.author_id or voters[0].pk, *(v.pk for v in rng.sample(voters, min(count, len(voters))))}
            for voter_id in chosen:
                votes.append(
                    Vote(
                        workspace=workspace,
                        idea=idea,
                        voter_id=voter_id,
                        importance=rng.choice(
                            [Importance.NICE, Importance.IMPORTANT, Importance.IMPORTANT, Importance.CRITICAL]
                        ),
                        ip=f"198.51.100.{rng.randint(1, 254)}",
                    )
                )
                if rng.random() < 0.3 or voter_id == idea.author_id:
                    follows.append(Follow(workspace=workspace, idea=idea, user_id=voter_id))
        Vote.objects.bulk_create(votes, ignore_conflicts=True)
        Follow.objects.bulk_create(follows, ignore_conflicts=True)
        # Spread vote times over the weeks since each idea, so "trending" differs from "top".
        for vote in Vote.objects.filter(idea__portal=portal).select_related("idea"):
            age = max(1, (now - vote.idea.created_at).days)
            Vote.objects.filter(pk=vote.pk).update(created_at=now - timedelta(days=rng.randint(0, age)))
        comments = []
        for n, idea in enumerate(ideas):
            for _ in range(rng.randint(0, 3) if n % 3 else 0):
                comments.append(
                    Comment(workspace=workspace, idea=idea, author=rng.choice(voters), body=rng.choice(COMMENTS))
                )
        Comment.objects.bulk_create(comments)
        for n, idea in enumerate(ideas):
            if idea.status != IdeaStatus.OPEN and n % 2 == 0:
                text = {
                    IdeaStatus.PLANNED: OFFICIAL[1],
                    IdeaStatus.DONE: OFFICIAL[2],
                    IdeaStatus.DECLINED: OFFICIAL[3],
                }.get(IdeaStatus(idea.status), OFFICIAL[0])
                Comment.objects.create(workspace=workspace, idea=idea, staff_user=owner.user, body=text, official=True)
        # Votes the team recorded from calls, visibly marked.
        for idea in ideas[:4]:
            contact = rng.choice(contacts)
            actions.vote_on_behalf(
                owner, idea, contact.email, Importance.CRITICAL, "Raised on the quarterly business review call."
            )
        for idea in ideas:
            actions.refresh_counts(idea)
        # Duplicates merged by the team (reversible from the idea's page).
        merged = 0
        folded: set[int] = set()
        for i, a in enumerate(ideas):
            if merged >= 3:
                break
            if a.pk in folded:
                continue
            tags = set(a.feedback.tags.values_list("pk", flat=True)) if a.feedback else set()
            for b in ideas[i + 1 :]:
                shared = b.feedback and tags and tags & set(b.feedback.tags.values_list("pk", flat=True))
                if shared and b.pk not in folded:
                    actions.merge_ideas(owner, a, b)
                    folded |= {a.pk, b.pk}
                    merged += 1
                    break
        # The moderation queue: ideas awaiting approval, a spam post, a flagged vote.
        for n, (title, body) in enumerate(PENDING):
            Idea.objects.create(
                workspace=workspace,
                portal=portal,
                author=voters[(n * 7) % len(voters)],
                title=title,
                body=body,
                state=ModState.PENDING,
            )
        Idea.objects.create(
            workspace=workspace,
            portal=portal,
            author=voters[-1],
            title="Cheap watches and free followers!!!",
            body="Visit my site",
            state=ModState.SPAM,
        )
        if ideas:
            stuffed = list(
                ideas[0].votes.exclude(voter=ideas[0].author).order_by("-pk").values_list("pk", flat=True)[:2]
            )
            Vote.objects.filter(pk__in=stuffed).update(flagged=True, ip="203.0.113.66")
            actions.refresh_counts(ideas[0])
        _link_roadmap(owner, workspace)
    return 0


def _link_roadmap(owner: Actor, workspace: Any) -> None:
    """Link the most-voted ideas to roadmap items of different statuses: the portal shows their status."""
    from harken.portal import roadmap_link
    from harken.roadmap import statuses as st
    from harken.roadmap.queries import live_items

    by_kind: dict[str, list[Any]] = {}
    for item in live_items(workspace).order_by("pk"):
        by_kind.setdefault(st.status_of(workspace, item.status).kind, []).append(item)
    targets = [items[0] for kind in ("open", "active", "done") if (items := by_kind.get(kind))]
    targets += by_kind.get("active", [])[1:2] + by_kind.get("open", [])[1:2]
    top = (
        Idea.objects.for_workspace(workspace)
        .filter(state=ModState.PUBLISHED, feedback__isnull=False, feedback__merged_into__isnull=True)
        .order_by("-vote_count", "pk")[: len(targets)]
    )
    for idea, item in zip(top, targets, strict=False):
        roadmap_link.link_idea(owner, idea, item)
