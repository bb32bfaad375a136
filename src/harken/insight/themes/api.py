"""Themes API (mounted inside /api/insight/): themes, edits, re-clustering, top problems, trends, classification."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from harken.core.apierrors import ErrorOut as Error
from harken.insight.embeddings import item_text
from harken.insight.filters import EvidenceQuery
from harken.insight.themes import classify, problems, services, trends
from harken.insight.themes.models import ItemClassification, Theme, ThemeGroup, ThemeRun, ThemeStatus
from harken.workspaces.api_auth import actor_of, require_write, token_auth

router = Router(auth=token_auth, tags=["themes"])


class ThemeOut(Schema):
    id: int
    name: str
    keywords: list[str]
    quote_ids: list[int]
    size: int
    accounts: int
    arr: float
    weekly: list[int]
    emerging: bool
    pinned: bool
    user_named: bool
    status: str
    parent_id: int | None = None
    parent_name: str | None = None


class ThemeDetailOut(ThemeOut):
    item_ids: list[int]


class GroupOut(Schema):
    """A top-level theme (ThemeGroup) with the ids of its active sub-themes."""

    id: int
    name: str
    summary: str
    keywords: list[str]
    size: int
    user_named: bool
    theme_ids: list[int]


class GroupDetailOut(GroupOut):
    themes: list[ThemeOut]


class RenameIn(Schema):
    name: str


class PinIn(Schema):
    pinned: bool = True


class MergeIn(Schema):
    into: int


class SplitIn(Schema):
    name: str = ""


class MoveIn(Schema):
    theme_id: int | None = None


class RunOut(Schema):
    id: int
    status: str
    stage: str
    progress: float
    stats: dict
    error: str
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def of(run: ThemeRun) -> RunOut:
        return RunOut(
            id=run.pk,
            status=run.status,
            stage=run.stage,
            progress=run.progress,
            stats=run.stats,
            error=run.error,
            created_at=run.created_at,
            finished_at=run.finished_at,
        )


class ClassificationOut(Schema):
    item_id: int
    category: str
    category_score: float
    sentiment: str
    sentiment_score: float
    corrected_by_user: bool

    @staticmethod
    def of(row: ItemClassification) -> ClassificationOut:
        return ClassificationOut(
            item_id=row.feedback_id,
            category=row.category,
            category_score=round(row.category_score, 4),
            sentiment=row.sentiment,
            sentiment_score=round(row.sentiment_score, 4),
            corrected_by_user=row.corrected_by_user,
        )


class CorrectIn(Schema):
    category: str | None = None
    sentiment: str | None = None


class TrendAlertOut(Schema):
    id: int
    theme_id: int
    theme: str
    metric: str
    window_start: date
    window_end: date
    recent: int
    baseline: int
    ratio: float
    p_value: float
    q_value: float
    summary: str = ""
    accounts: int = 0
    weekly: list[int] = []
    usual_low: int = 0
    usual_high: int = 0


def _theme_out(
    theme: Theme, summary: services.ThemeSummary | None, parents: dict[int, ThemeGroup] | None = None
) -> dict:
    """`parents`: the workspace's active groups by id (one query for a list); else read through the FK."""
    if parents is not None:
        parent = parents.get(theme.parent_id) if theme.parent_id else None
    else:
        parent = theme.parent if theme.parent_id else None
        if parent is not None and (parent.status != ThemeStatus.ACTIVE or parent.workspace_id != theme.workspace_id):
            parent = None
    return {
        "parent_id": parent.pk if parent else None,
        "parent_name": parent.name if parent else None,
        "id": theme.pk,
        "name": theme.name,
        "keywords": list(theme.keywords),
        "quote_ids": list(theme.quote_ids),
        "size": summary.size if summary else theme.size,
        "accounts": summary.accounts if summary else 0,
        "arr": float(summary.arr) if summary else 0.0,
        "weekly": summary.weekly if summary else [],
        "emerging": summary.emerging if summary else False,
        "pinned": theme.pinned,
        "user_named": theme.user_named,
        "status": theme.status,
    }


@router.get("/themes", response={200: list[ThemeOut], 422: Error})
def list_themes(request: HttpRequest, filters: Query[EvidenceQuery]) -> list[dict]:
    """Active themes, largest first, with accounts, ARR and 12 weeks of volume.

    The filters (segment, plan, product_line, stage, since, until) count only matching items and
    leave out themes with none."""
    actor = actor_of(request)
    evidence = filters.evidence(actor.workspace)
    parents = _active_groups(actor.workspace)
    return [_theme_out(s.theme, s, parents) for s in services.summaries(actor, evidence=evidence)]


def _active_groups(workspace: object) -> dict[int, ThemeGroup]:
    return {g.pk: g for g in workspace.theme_groups.filter(status=ThemeStatus.ACTIVE)}  # type: ignore[attr-defined]


def _group_out(section: services.GroupSection) -> dict:
    group = section.group
    assert group is not None
    return {
        "id": group.pk,
        "name": group.name,
        "summary": group.summary,
        "keywords": list(group.keywords),
        "size": section.size,
        "user_named": group.user_named,
        "theme_ids": [r.theme.pk for r in section.rows],
    }


@router.get("/themes/groups", response=list[GroupOut])
def list_groups(request: HttpRequest) -> list[dict]:
    """Top-level themes, largest first, each with its sub-themes' ids (themes without a group are left out)."""
    actor = actor_of(request)
    return [_group_out(s) for s in services.grouped_summaries(actor) if s.group is not None]


@router.get("/themes/groups/{group_id}", response=GroupDetailOut)
def group_detail(request: HttpRequest, group_id: int) -> dict:
    """One top-level theme with its sub-themes in full."""
    actor = actor_of(request)
    group = get_object_or_404(actor.workspace.theme_groups.filter(status=ThemeStatus.ACTIVE), pk=group_id)
    section = next(
        (s for s in services.grouped_summaries(actor) if s.group is not None and s.group.pk == group.pk),
        services.GroupSection(group, []),
    )
    parents = {group.pk: group}
    return {**_group_out(section), "themes": [_theme_out(r.theme, r, parents) for r in section.rows]}


@router.post("/themes/recluster", response={202: RunOut, 422: Error})
def recluster(request: HttpRequest) -> Status:
    """Queue a re-clustering; poll /themes/runs/{id} for progress."""
    actor = require_write(request)
    return Status(202, RunOut.of(services.start_recluster(actor)))


@router.get("/themes/{theme_id}", response=ThemeDetailOut)
def theme_detail(request: HttpRequest, theme_id: int) -> dict:
    actor = actor_of(request)
    theme = get_object_or_404(actor.workspace.themes, pk=theme_id)
    summary = next((s for s in services.summaries(actor) if s.theme.pk == theme.pk), None)
    return {**_theme_out(theme, summary), "item_ids": list(theme.assignments.values_list("feedback_id", flat=True))}


@router.get("/themes/runs/{run_id}", response=RunOut)
def run(request: HttpRequest, run_id: int) -> RunOut:
    actor = actor_of(request)
    return RunOut.of(get_object_or_404(actor.workspace.theme_runs, pk=run_id))


@router.post("/themes/{theme_id}/rename", response={200: ThemeOut, 422: Error})
def rename(request: HttpRequest, theme_id: int, payload: RenameIn) -> dict | Status:
    actor = require_write(request)
    theme = get_object_or_404(actor.workspace.themes, pk=theme_id)
    services.rename_theme(actor, theme, payload.name)
    return _theme_out(theme, None)


@router.post("/themes/{theme_id}/pin", response={200: ThemeOut, 422: Error})
def pin(request: HttpRequest, theme_id: int, payload: PinIn) -> dict | Status:
    actor = require_write(request)
    theme = get_object_or_404(actor.workspace.themes, pk=theme_id)
    services.set_pinned(actor, theme, payload.pinned)
    return _theme_out(theme, None)


@router.post("/themes/{theme_id}/merge", response={200: ThemeOut, 422: Error})
def merge(request: HttpRequest, theme_id: int, payload: MergeIn) -> dict | Status:
    """Merge theme `theme_id` into theme `into`."""
    actor = require_write(request)
    source = get_object_or_404(actor.workspace.themes, pk=theme_id)
    target = get_object_or_404(actor.workspace.themes, pk=payload.into)
    services.merge_themes(actor, target, source)
    target.refresh_from_db()
    return _theme_out(target, None)


@router.post("/themes/{theme_id}/split", response={201: ThemeOut, 422: Error})
def split(request: HttpRequest, theme_id: int, payload: SplitIn) -> Status:
    actor = require_write(request)
    theme = get_object_or_404(actor.workspace.themes, pk=theme_id)
    other = services.split_theme(actor, theme, payload.name)
    other.refresh_from_db()
    return Status(201, _theme_out(other, None))


@router.post("/items/{item_id}/theme", response={200: dict, 422: Error})
def move(request: HttpRequest, item_id: int, payload: MoveIn) -> dict | Status:
    """Put an item into a theme (theme_id null: out of every theme). Re-clustering keeps it there."""
    actor = require_write(request)
    item = get_object_or_404(actor.workspace.feedback_items, pk=item_id)
    theme = get_object_or_404(actor.workspace.themes, pk=payload.theme_id) if payload.theme_id is not None else None
    row = services.move_item(actor, item, theme)
    return {"item_id": item.pk, "theme_id": row.theme_id, "source": row.source}


@router.get("/problems", response={200: list[dict], 422: Error})
def top_problems(
    request: HttpRequest, filters: Query[EvidenceQuery], limit: int = 20, weight: str = "arr"
) -> list[dict]:
    """Themes by revenue-weighted evidence, each with the components of its score.

    `weight`: `arr` (default) or `clv` — weigh each account by its customer lifetime value instead.
    The filters restrict the evidence: `segment=Enterprise` ranks what enterprise accounts said.
    """
    actor = actor_of(request)
    evidence = filters.evidence(actor.workspace)
    rows = problems.top_problems(actor, limit=max(1, min(limit, 100)), weight=weight, evidence=evidence)
    return [{**p.as_dict(), "weight": weight, "filters": evidence.params()} for p in rows]


@router.get("/trends", response={200: list[TrendAlertOut], 422: Error})
def trend_alerts(request: HttpRequest, filters: Query[EvidenceQuery]) -> list[TrendAlertOut]:
    """Trend alerts, newest first, each with its plain-language summary and weekly volume.

    Alerts are detected on all feedback; with filters, only alerts whose theme has matching items are
    listed, and `summary`, `weekly` and `accounts` count those items only."""
    actor = actor_of(request)
    evidence = filters.evidence(actor.workspace)
    alerts = list(actor.workspace.trend_alerts.select_related("theme")[:200])
    views = trends.alert_views(actor.workspace, alerts, evidence)
    if evidence.active:
        views = [v for v in views if v.recent or v.baseline]
    return [
        TrendAlertOut(
            id=a.pk,
            theme_id=a.theme_id,
            theme=a.theme.name,
            metric=a.metric,
            window_start=a.window_start,
            window_end=a.window_end,
            recent=a.recent,
            baseline=a.baseline,
            ratio=a.ratio,
            p_value=a.p_value,
            q_value=a.q_value,
            summary=v.sentence,
            accounts=v.accounts,
            weekly=[n for _, n in v.weekly],
            usual_low=v.usual_low,
            usual_high=v.usual_high,
        )
        for v in views
        for a in [v.alert]
    ]


@router.get("/items/{item_id}/classification", response=ClassificationOut)
def classification(request: HttpRequest, item_id: int) -> ClassificationOut:
    """The stored category/sentiment, or a fresh guess (not stored) if the worker has not run yet."""
    actor = actor_of(request)
    item = get_object_or_404(actor.workspace.feedback_items, pk=item_id)
    row = actor.workspace.item_classifications.filter(feedback=item).first()
    if row is not None:
        return ClassificationOut.of(row)
    g = classify.guess([item_text(item.title, item.text)])[0]
    return ClassificationOut(
        item_id=item.pk,
        category=g.category,
        category_score=round(g.category_score, 4),
        sentiment=g.sentiment,
        sentiment_score=round(g.sentiment_score, 4),
        corrected_by_user=False,
    )


@router.post("/items/{item_id}/classification", response={200: ClassificationOut, 422: Error})
def correct(request: HttpRequest, item_id: int, payload: CorrectIn) -> ClassificationOut | Status:
    """Correct an item's category and/or sentiment; kept for good and used to classify similar items."""
    actor = require_write(request)
    item = get_object_or_404(actor.workspace.feedback_items, pk=item_id)
    row = classify.correct(actor, item, payload.category, payload.sentiment)
    return ClassificationOut.of(row)
