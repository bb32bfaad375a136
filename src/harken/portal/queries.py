"""Every read of the ideas portal: who may see what, the board, an idea page, similar ideas, queues.

Reads never write. Access to a portal is decided once here (`can_read`), so private and closed
portals leak nothing through any page, partial or feed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from harken.portal.actions import is_staff_user, may_sign_in
from harken.portal.markup import render
from harken.portal.models import Comment, Idea, IdeaStatus, ModState, Portal, PortalUser, Visibility, Vote
from harken.portal.status import ShownStatus, of_key, shown_status
from harken.workspaces.models import Membership, Role

log = logging.getLogger(__name__)

SORTS = {
    "trending": "Trending",
    "top": "Top",
    "newest": "Newest",
    "updated": "Recently updated",
}
STAFF_SORTS = {**SORTS, "demand": "Revenue-weighted demand"}
TRENDING_DAYS = 14
PAGE_SIZE = 30
SIMILAR_MIN_SCORE = 0.375  # embedding cosine; chosen on clinc150 validation by bench/portal_similar.py
SIMILAR_LIMIT = 5


def accent_ink(color: str) -> str:
    """Black or white text on the portal's accent colour, whichever contrasts more (WCAG luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    try:
        r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    except ValueError:
        return "#ffffff"
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def staff_role(portal: Portal, user: Any) -> Role | None:
    if not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.filter(workspace=portal.workspace, user=user).first()
    return Role(membership.role) if membership else None


def can_read(portal: Portal, portal_user: PortalUser | None, staff: Role | None) -> bool:
    """Public: everyone. Private: allowed portal users and staff. Closed: staff only."""
    if staff is not None:
        return True
    if portal.visibility == Visibility.PUBLIC:
        return portal_user is None or portal_user.blocked_at is None
    if portal.visibility == Visibility.CLOSED or portal_user is None:
        return False
    return portal_user.blocked_at is None and (may_sign_in(portal, portal_user.email) or is_staff_user(portal_user))


def live_ideas(portal: Portal) -> QuerySet[Idea]:
    """Published ideas not merged into another."""
    return portal.ideas.filter(state=ModState.PUBLISHED).filter(
        Q(feedback__isnull=True) | Q(feedback__merged_into__isnull=True)
    )


@dataclass
class BoardFilters:
    q: str = ""
    status: str = ""
    tag: str = ""
    sort: str = "trending"

    @classmethod
    def from_params(cls, params: Any, staff: bool = False) -> BoardFilters:
        sorts = STAFF_SORTS if staff else SORTS
        sort = str(params.get("sort") or "trending")
        status = str(params.get("status") or "")
        return cls(
            q=" ".join(str(params.get("q") or "").split())[:200],
            status=status if status in IdeaStatus.values else "",
            tag=str(params.get("tag") or "")[:60],
            sort=sort if sort in sorts else "trending",
        )


@dataclass
class IdeaRow:
    idea: Idea
    status: ShownStatus
    voted: bool = False


@dataclass
class Board:
    rows: list[IdeaRow]
    filters: BoardFilters
    total: int
    statuses: list[tuple[str, str, int]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sorts: dict[str, str] = field(default_factory=dict)
    has_more: bool = False


def search(qs: QuerySet[Idea], q: str) -> QuerySet[Idea]:
    for word in q.split()[:8]:
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return qs


def board(
    portal: Portal, params: Any, portal_user: PortalUser | None = None, staff: bool = False, limit: int = PAGE_SIZE
) -> Board:
    filters = BoardFilters.from_params(params, staff)
    qs = live_ideas(portal)
    status_counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if filters.q:
        qs = search(qs, filters.q)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.tag:
        qs = qs.filter(feedback__tags__name=filters.tag)
    if filters.sort == "trending":
        since = timezone.now() - timedelta(days=TRENDING_DAYS)
        qs = qs.annotate(recent=Count("votes", filter=Q(votes__created_at__gte=since, votes__flagged=False))).order_by(
            "-recent", "-vote_count", "-created_at"
        )
    elif filters.sort == "top":
        qs = qs.order_by("-vote_count", "-created_at")
    elif filters.sort == "newest":
        qs = qs.order_by("-created_at", "-id")
    elif filters.sort == "updated":
        qs = qs.order_by("-last_activity_at", "-id")
    elif filters.sort == "demand":
        qs = qs.order_by("-demand_arr", "-vote_count", "-created_at")
    total = qs.count()
    ideas = list(qs.select_related("author")[: limit + 1])
    voted: set[int] = set()
    if portal_user is not None:
        voted = set(Vote.objects.filter(voter=portal_user, idea__in=ideas).values_list("idea_id", flat=True))
    tags = sorted(
        set(
            live_ideas(portal)
            .filter(feedback__tags__isnull=False)
            .values_list("feedback__tags__name", flat=True)
            .distinct()[:40]
        )
    )
    return Board(
        rows=[IdeaRow(i, shown_status(i), i.pk in voted) for i in ideas[:limit]],
        filters=filters,
        total=total,
        statuses=[(s.value, str(s.label), status_counts.get(s.value, 0)) for s in IdeaStatus],
        tags=tags,
        sorts=STAFF_SORTS if staff else SORTS,
        has_more=len(ideas) > limit,
    )


@dataclass
class CommentView:
    comment: Comment
    html: str
    author: str


@dataclass
class IdeaPage:
    idea: Idea
    status: ShownStatus
    body_html: str
    comments: list[CommentView]
    my_vote: Vote | None
    following: bool
    merged: list[Idea]
    staff_votes: list[Vote]
    importance_counts: list[tuple[str, int]]


def idea_page(idea: Idea, portal_user: PortalUser | None) -> IdeaPage:
    from harken.portal.actions import family
    from harken.portal.models import Importance

    comments = [
        CommentView(c, render(c.body), c.author.display_name if c.author else "Team")
        for c in idea.comments.filter(state=ModState.PUBLISHED).select_related("author")
    ]
    ideas = family(idea)
    votes = Vote.objects.filter(idea__in=ideas, flagged=False)
    counts = dict(votes.values_list("importance").annotate(n=Count("id")).values_list("importance", "n"))
    my_vote = idea.votes.filter(voter=portal_user).first() if portal_user else None
    following = bool(portal_user and idea.follows.filter(user=portal_user).exists())
    return IdeaPage(
        idea=idea,
        status=shown_status(idea),
        body_html=render(idea.body),
        comments=comments,
        my_vote=my_vote,
        following=following,
        merged=[i for i in ideas if i.pk != idea.pk],
        staff_votes=list(votes.filter(on_behalf_by__isnull=False).select_related("voter")),
        importance_counts=[(str(imp.label), counts.get(imp.value, 0)) for imp in Importance],
    )


def similar_ideas(portal: Portal, text: str, limit: int = SIMILAR_LIMIT) -> list[Idea]:
    """Ideas like `text` (a title being typed): embedding similarity when vectors exist, words otherwise."""
    text = " ".join((text or "").split())[:500]
    if len(text) < 4:
        return []
    live = live_ideas(portal).filter(feedback__isnull=False)
    found = _similar_by_embedding(portal, text, live, limit)
    if found:
        return found
    return _similar_by_words(text, live, limit)


def _similar_by_embedding(portal: Portal, text: str, live: QuerySet[Idea], limit: int) -> list[Idea]:
    """Cosine between the typed text and the stored vectors of the portal's live ideas only.

    Compared with the ideas' own vectors, not the workspace index, so thousands of other feedback
    items cannot crowd the portal's ideas out of the nearest neighbours.
    """
    try:
        import numpy as np

        from harken.insight.embeddings import from_bytes, get_embedder
        from harken.insight.models import ItemEmbedding

        embedder = get_embedder()
        rows = list(
            ItemEmbedding.objects.for_workspace(portal.workspace)
            .filter(embedder=embedder.name, feedback_id__in=live.values("feedback_id"))
            .values_list("feedback_id", "vector", "dim")[:20_000]
        )
        if not rows:
            return []
        vector = embedder.encode([text])[0]
        if not np.any(vector):
            return []
        matrix = np.stack([from_bytes(blob, dim) for _, blob, dim in rows])
        scores = matrix @ vector
    except Exception:  # no model available: fall back to words
        log.debug("Similar ideas: embedding search unavailable", exc_info=True)
        return []
    order = np.argsort(-scores)[: limit * 2]
    hits = [(int(rows[i][0]), float(scores[i])) for i in order if float(scores[i]) >= SIMILAR_MIN_SCORE]
    if not hits:
        return []
    by_feedback = {i.feedback_id: i for i in live.filter(feedback_id__in=[k for k, _ in hits])}
    return [by_feedback[k] for k, _ in hits if k in by_feedback][:limit]


def _similar_by_words(text: str, live: QuerySet[Idea], limit: int) -> list[Idea]:
    from harken.insight import lexical

    words = [w for w in lexical.tokens(text) if len(w) > 2][:8]
    if not words:
        return []
    q = Q()
    for w in words:
        q |= Q(title__icontains=w)
    candidates = list(live.filter(q)[:200])
    if not candidates:
        return []
    stats = lexical.CorpusStats.from_texts(f"{i.title} {i.body}" for i in candidates)
    scored = [(lexical.bm25_normalised(words, lexical.tokens(f"{i.title} {i.body}"), stats), i) for i in candidates]
    scored.sort(key=lambda pair: -pair[0])
    return [i for score, i in scored if score > 0][:limit]


# ---------------------------------------------------------------- staff reads


@dataclass
class Queues:
    pending: list[Idea]
    spam: list[Idea]
    flagged_votes: list[Vote]
    comments: list[Comment]
    blocked: list[PortalUser]


def queues(portal: Portal) -> Queues:
    return Queues(
        pending=list(portal.ideas.filter(state=ModState.PENDING).select_related("author").order_by("created_at")),
        spam=list(portal.ideas.filter(state=ModState.SPAM).select_related("author").order_by("-updated_at")[:50]),
        flagged_votes=list(
            Vote.objects.filter(idea__portal=portal, flagged=True)
            .select_related("idea", "voter")
            .order_by("-created_at")[:100]
        ),
        comments=list(
            Comment.objects.filter(idea__portal=portal, state__in=[ModState.SPAM, ModState.PENDING])
            .select_related("idea", "author")
            .order_by("-created_at")[:50]
        ),
        blocked=list(portal.users.filter(blocked_at__isnull=False)),
    )


def status_choices() -> list[ShownStatus]:
    return [of_key(s.value) for s in IdeaStatus]
