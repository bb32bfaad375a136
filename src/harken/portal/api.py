"""Staff API at /api/portal/: portals, ideas (with demand), votes, and moderation actions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from harken.core.apierrors import ErrorOut
from harken.portal import actions, queries
from harken.portal.models import Idea, Importance, Portal, Vote
from harken.portal.status import shown_status
from harken.workspaces.access import Actor
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["portal"])


class PortalOut(Schema):
    id: int
    slug: str
    name: str
    visibility: str
    product_line_id: int | None
    approve_before_publish: bool


class IdeaOut(Schema):
    id: int
    portal_id: int
    title: str
    body: str
    status: str
    status_label: str
    status_source: str
    state: str
    vote_count: int
    demand_arr: Decimal
    comment_count: int
    feedback_id: int | None
    author_email: str | None
    created_at: datetime
    last_activity_at: datetime

    @staticmethod
    def of(idea: Idea) -> IdeaOut:
        shown = shown_status(idea)
        return IdeaOut(
            id=idea.pk,
            portal_id=idea.portal_id,
            title=idea.title,
            body=idea.body,
            status=shown.key,
            status_label=shown.label,
            status_source=shown.source,
            state=idea.state,
            vote_count=idea.vote_count,
            demand_arr=idea.demand_arr,
            comment_count=idea.comment_count,
            feedback_id=idea.feedback_id,
            author_email=idea.author.email if idea.author else None,
            created_at=idea.created_at,
            last_activity_at=idea.last_activity_at,
        )


class VoteOut(Schema):
    id: int
    voter_email: str
    contact_id: int | None
    account_id: int | None
    importance: str
    on_behalf: bool
    evidence: str
    flagged: bool
    created_at: datetime

    @staticmethod
    def of(v: Vote) -> VoteOut:
        contact = v.voter.contact
        return VoteOut(
            id=v.pk,
            voter_email=v.voter.email,
            contact_id=contact.pk if contact else None,
            account_id=contact.account_id if contact else None,
            importance=v.importance,
            on_behalf=v.on_behalf_by_id is not None,
            evidence=v.evidence,
            flagged=v.flagged,
            created_at=v.created_at,
        )


class IdeaQuery(Schema):
    portal: int | None = None
    q: str = ""
    status: str = ""
    tag: str = ""
    sort: str = "trending"
    limit: int = 50


class StatusIn(Schema):
    status: str


class ModerateIn(Schema):
    action: str  # approve | spam | delete


class ReplyIn(Schema):
    body: str


class BehalfIn(Schema):
    email: str
    name: str = ""
    importance: str = Importance.IMPORTANT
    evidence: str = ""


class MergeIn(Schema):
    into_id: int


class MergeOut(Schema):
    merge_id: int
    survivor: IdeaOut


def _idea(actor: Actor, idea_id: int) -> Idea:
    return get_object_or_404(Idea.objects.for_workspace(actor.workspace).select_related("author", "portal"), pk=idea_id)


def _portal_out(p: Portal) -> PortalOut:
    return PortalOut(
        id=p.pk,
        slug=p.slug,
        name=p.name,
        visibility=p.visibility,
        product_line_id=p.product_line_id,
        approve_before_publish=p.approve_before_publish,
    )


@router.get("/portals", response=list[PortalOut])
def portals(request: HttpRequest) -> list[PortalOut]:
    return [_portal_out(p) for p in actor_of(request).workspace.portals.all()]


def _board(portal: Portal, q: IdeaQuery) -> list[IdeaOut]:
    params = {"q": q.q, "status": q.status, "tag": q.tag, "sort": q.sort}
    data = queries.board(portal, params, staff=True, limit=max(1, min(q.limit, 200)))
    return [IdeaOut.of(row.idea) for row in data.rows]


@router.get("/ideas", response=list[IdeaOut])
def ideas(request: HttpRequest, q: Query[IdeaQuery]) -> list[IdeaOut]:
    """Published, unmerged ideas of every portal of the workspace (or `portal`), sorted like the board
    (`sort`: trending, top, newest, updated, demand)."""
    actor = actor_of(request)
    out: list[IdeaOut] = []
    for portal in actor.workspace.portals.all():
        if q.portal is None or q.portal == portal.pk:
            out += _board(portal, q)
    return out


@router.get("/portals/{portal_id}/ideas", response=list[IdeaOut])
def portal_ideas(request: HttpRequest, portal_id: int, q: Query[IdeaQuery]) -> list[IdeaOut]:
    actor = actor_of(request)
    return _board(get_object_or_404(actor.workspace.portals, pk=portal_id), q)


@router.get("/ideas/{idea_id}", response=IdeaOut)
def idea(request: HttpRequest, idea_id: int) -> IdeaOut:
    return IdeaOut.of(_idea(actor_of(request), idea_id))


@router.get("/ideas/{idea_id}/votes", response=list[VoteOut])
def votes(request: HttpRequest, idea_id: int) -> list[VoteOut]:
    item = _idea(actor_of(request), idea_id)
    return [VoteOut.of(v) for v in item.votes.select_related("voter__contact")[:1000]]


@router.post("/ideas/{idea_id}/status", response={200: IdeaOut, 422: ErrorOut})
def set_status(request: HttpRequest, idea_id: int, payload: StatusIn) -> IdeaOut:
    actor = actor_of(request)
    item = _idea(actor, idea_id)
    require_write(request)
    return IdeaOut.of(actions.set_status(actor, item, payload.status))


@router.post("/ideas/{idea_id}/moderate", response={200: IdeaOut, 422: ErrorOut})
def moderate(request: HttpRequest, idea_id: int, payload: ModerateIn) -> IdeaOut:
    actor = actor_of(request)
    item = _idea(actor, idea_id)
    require_write(request)
    handlers = {"approve": actions.approve_idea, "spam": actions.mark_spam, "delete": actions.delete_idea}
    handler = handlers.get(payload.action)
    if handler is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"action": "Use approve, spam or delete."})
    return IdeaOut.of(handler(actor, item))


@router.post("/ideas/{idea_id}/reply", response={201: IdeaOut, 422: ErrorOut})
def reply(request: HttpRequest, idea_id: int, payload: ReplyIn) -> Status:
    actor = actor_of(request)
    item = _idea(actor, idea_id)
    require_write(request)
    actions.official_reply(actor, item, payload.body)
    item.refresh_from_db()
    return Status(201, IdeaOut.of(item))


@router.post("/ideas/{idea_id}/votes", response={201: VoteOut, 422: ErrorOut})
def vote_on_behalf(request: HttpRequest, idea_id: int, payload: BehalfIn) -> Status:
    actor = actor_of(request)
    item = _idea(actor, idea_id)
    require_write(request)
    record = actions.vote_on_behalf(actor, item, payload.email, payload.importance, payload.evidence, payload.name)
    return Status(201, VoteOut.of(record))


@router.post("/ideas/{idea_id}/merge", response={200: MergeOut, 422: ErrorOut})
def merge(request: HttpRequest, idea_id: int, payload: MergeIn) -> MergeOut:
    """Merge this idea into `into_id` (undo through POST /api/insight/merges/{merge_id}/undo)."""
    actor = actor_of(request)
    item = _idea(actor, idea_id)
    require_write(request)
    survivor = _idea(actor, payload.into_id)
    record = actions.merge_ideas(actor, survivor, item)
    survivor.refresh_from_db()
    return MergeOut(merge_id=record.pk, survivor=IdeaOut.of(survivor))
