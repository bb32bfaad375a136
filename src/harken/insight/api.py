"""Insight API at /api/insight/: similar items, duplicate suggestions, merges (and their undo)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from harken.core.apierrors import ErrorOut as Error
from harken.feedback.models import Feedback
from harken.insight import services
from harken.insight.models import FeedbackMerge
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["insight"])


class ItemRef(Schema):
    id: int
    headline: str
    account: str | None = None

    @staticmethod
    def of(item: Feedback) -> ItemRef:
        return ItemRef(
            id=item.pk, headline=item.headline, account=item.account.name if item.account_id and item.account else None
        )


class SimilarOut(Schema):
    item: ItemRef
    score: float


class CandidateOut(Schema):
    item: ItemRef
    score: float
    signals: dict[str, float]


class SuggestionOut(Schema):
    id: int
    item: ItemRef
    candidate: ItemRef
    score: float
    signals: dict[str, float]
    status: str
    created_at: datetime


class MergeIn(Schema):
    survivor_id: int
    merged_id: int


class MergeOut(Schema):
    id: int
    survivor: ItemRef
    merged: ItemRef
    created_at: datetime
    undone_at: datetime | None
    added_tag_ids: list[int]

    @staticmethod
    def of(m: FeedbackMerge) -> MergeOut:
        return MergeOut(
            id=m.pk,
            survivor=ItemRef.of(m.survivor),
            merged=ItemRef.of(m.merged),
            created_at=m.created_at,
            undone_at=m.undone_at,
            added_tag_ids=list(m.added_tag_ids),
        )


class RequestersOut(Schema):
    item_id: int
    merged_item_ids: list[int]
    account_ids: list[int]
    contact_ids: list[int]
    emails: list[str]


class LimitQuery(Schema):
    limit: int = 10


def _limit(value: int) -> int:
    return max(1, min(int(value), 50))


@router.get("/items/{item_id}/similar", response=list[SimilarOut])
def similar(request: HttpRequest, item_id: int, q: Query[LimitQuery]) -> list[SimilarOut]:
    actor = actor_of(request)
    item = get_object_or_404(actor.workspace.feedback_items, pk=item_id)
    return [
        SimilarOut(item=ItemRef.of(s.feedback), score=round(s.score, 4))
        for s in services.similar_items(actor, item, _limit(q.limit))
    ]


@router.get("/items/{item_id}/duplicates", response=list[CandidateOut])
def duplicate_candidates(request: HttpRequest, item_id: int, q: Query[LimitQuery]) -> list[CandidateOut]:
    """Live duplicate scores for one item (the same finder that files suggestions), best first."""
    actor = actor_of(request)
    item = get_object_or_404(actor.workspace.feedback_items, pk=item_id)
    return [
        CandidateOut(item=ItemRef.of(c.feedback), score=round(c.score, 4), signals=c.signals.as_dict())
        for c in services.duplicate_candidates(actor.workspace, item, _limit(q.limit))
    ]


@router.get("/items/{item_id}/requesters", response=RequestersOut)
def requesters(request: HttpRequest, item_id: int) -> RequestersOut:
    actor = actor_of(request)
    item = get_object_or_404(actor.workspace.feedback_items, pk=item_id)
    r = services.requesters(item)
    return RequestersOut(
        item_id=item.pk,
        merged_item_ids=[m.pk for m in services.merged_items(item)],
        account_ids=[a.pk for a in r.accounts],
        contact_ids=[c.pk for c in r.contacts],
        emails=r.emails,
    )


@router.get("/duplicates", response=list[SuggestionOut])
def suggestions(request: HttpRequest) -> list[SuggestionOut]:
    actor = actor_of(request)
    return [
        SuggestionOut(
            id=s.pk,
            item=ItemRef.of(s.item),
            candidate=ItemRef.of(s.candidate),
            score=round(s.score, 4),
            signals=s.signals,
            status=s.status,
            created_at=s.created_at,
        )
        for s in services.open_suggestions(actor)[:200]
    ]


class DuplicateModelOut(Schema):
    """How the workspace's duplicate finder currently ranks and draws the line (learned from its decisions)."""

    decisions: int
    merges: int
    ranking_decisions: int
    ranking_reweighted: bool
    threshold: float
    threshold_calibrated: bool
    precision_target: float


@router.get("/duplicates/model", response=DuplicateModelOut)
def duplicate_model(request: HttpRequest) -> DuplicateModelOut:
    model = services.duplicate_model(actor_of(request).workspace)
    return DuplicateModelOut(
        decisions=model.labels,
        merges=model.merges,
        ranking_decisions=model.ranking_decisions,
        ranking_reweighted=model.learned,
        threshold=round(model.threshold, 4),
        threshold_calibrated=model.calibrated,
        precision_target=model.target,
    )


@router.post("/duplicates/{suggestion_id}/dismiss", response={200: dict, 422: Error})
def dismiss(request: HttpRequest, suggestion_id: int) -> dict | Status:
    actor = require_write(request)
    suggestion = get_object_or_404(actor.workspace.duplicate_suggestions, pk=suggestion_id)
    services.dismiss_suggestion(actor, suggestion)
    return {"id": suggestion.pk, "status": suggestion.status}


@router.get("/merges", response=list[MergeOut])
def merges(request: HttpRequest) -> list[MergeOut]:
    actor = actor_of(request)
    return [MergeOut.of(m) for m in services.merge_history(actor)[:200]]


@router.post("/merges", response={201: MergeOut, 422: Error})
def merge(request: HttpRequest, payload: MergeIn) -> MergeOut | Status:
    actor = require_write(request)
    survivor = get_object_or_404(actor.workspace.feedback_items, pk=payload.survivor_id)
    merged = get_object_or_404(actor.workspace.feedback_items, pk=payload.merged_id)
    record = services.merge(actor, survivor, merged)
    return Status(201, MergeOut.of(record))


@router.post("/merges/{merge_id}/undo", response={200: MergeOut, 422: Error})
def undo(request: HttpRequest, merge_id: int) -> MergeOut | Status:
    actor = require_write(request)
    record = get_object_or_404(actor.workspace.feedback_merges.select_related("survivor", "merged"), pk=merge_id)
    services.undo_merge(actor, record)
    return MergeOut.of(record)


from harken.insight.themes.api import router as themes_router  # noqa: E402  (themes sub-package)

router.add_router("", themes_router)

from harken.insight.overview_api import router as overview_router  # noqa: E402

router.add_router("", overview_router)
