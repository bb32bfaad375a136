"""Themes: re-clustering with stable identities, assignment of new items, user edits, summaries.

Re-clustering (`recluster`) computes everything first — vectors, clusters, the match to existing
themes, labels, centroids — and only then swaps the result in with one transaction. A crash before
or during the swap leaves the previous themes exactly as they were.

Identity: new clusters are matched one-to-one to the current themes by member overlap (Hungarian
assignment on the overlap matrix); a match counts when the new cluster holds at least half of the
old theme's members. A matched theme keeps its id and name; the rest are retired.

User edits survive: items a person placed (`source=user`: moves, merges, splits) never move;
pinned themes keep their members and name; a renamed theme keeps its name whenever it is matched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from harken.core import bulkinsert
from harken.feedback.models import Feedback
from harken.insight.embeddings import get_embedder, item_text, rows_from_bytes, text_hash, to_bytes
from harken.insight.themes import clustering, labeling
from harken.insight.themes import stats as theme_stats
from harken.insight.themes.models import (
    AssignmentSource,
    RunStatus,
    Theme,
    ThemeAssignment,
    ThemeEdit,
    ThemeGroup,
    ThemeRun,
    ThemeStatus,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

if TYPE_CHECKING:
    from harken.insight.filters import EvidenceFilter

log = logging.getLogger(__name__)

MATCH_SHARE = 0.5
LABEL_SAMPLE = 2000  # texts per theme read for its keywords and title (services.label_sample)
TREND_WEEKS = 12
Progress = Callable[[str, float], None]


def assign_threshold() -> float:
    return float(getattr(settings, "HARKEN_THEME_ASSIGN_THRESHOLD", clustering.ASSIGN_THRESHOLD))


# ---------------------------------------------------------------- vectors


@dataclass
class Vectors:
    ids: np.ndarray
    matrix: np.ndarray
    texts: list[str]

    def __len__(self) -> int:
        return len(self.ids)


def workspace_vectors(workspace: Workspace, ids: Iterable[int] | None = None) -> Vectors:
    """Current-embedder vectors of the workspace's live items (merged-away items excluded).

    Read as plain rows (no model instances) in large chunks; the vectors are joined into one
    float32 matrix in a single copy."""
    from harken.insight.services import hidden_ids

    embedder = get_embedder()
    rows = workspace.item_embeddings.filter(embedder=embedder.name)
    if ids is not None:
        rows = rows.filter(feedback_id__in=list(ids))
    hidden = hidden_ids(workspace)
    keys: list[int] = []
    blobs: list[bytes] = []
    texts: list[str] = []
    values = rows.order_by("feedback_id").values_list(
        "feedback_id", "feedback__title", "feedback__text", "vector", "dim", "text_hash"
    )
    for feedback_id, title, body, vector, row_dim, stored_hash in values.iterator(chunk_size=10000):
        if feedback_id in hidden:
            continue
        text = item_text(title, body)
        if stored_hash != text_hash(embedder.name, text):
            continue  # stale: the embed task will bring it back
        keys.append(feedback_id)
        blobs.append(bytes(vector)[: 4 * row_dim])
        texts.append(text)
    return Vectors(np.asarray(keys, dtype=np.int64), rows_from_bytes(blobs, embedder.dim).copy(), texts)


def centroid_of(theme: Theme) -> np.ndarray | None:
    if not theme.centroid:
        return None
    vector = np.frombuffer(bytes(theme.centroid), dtype=np.float32)
    return vector if len(vector) else None


# ---------------------------------------------------------------- re-clustering


@dataclass
class PlannedTheme:
    members: list[int]
    scores: list[float]
    centroid: np.ndarray
    keywords: list[str]
    quotes: list[int]
    name: str
    existing: Theme | None = None
    group: int = -1
    summary: str = ""


@dataclass
class PlannedGroup:
    name: str
    summary: str
    keywords: list[str]
    size: int
    existing: ThemeGroup | None = None


@dataclass
class Plan:
    themes: list[PlannedTheme] = field(default_factory=list)
    groups: list[PlannedGroup] = field(default_factory=list)
    retire_groups: list[ThemeGroup] = field(default_factory=list)
    retire: list[Theme] = field(default_factory=list)
    keep_user: dict[int, int | None] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


def label_sample(labels: np.ndarray, n_themes: int, cap: int | None = None, seed: int = 0) -> np.ndarray:
    """`labels` with all but `cap` members of each larger theme set to -1 (a seeded random sample):
    what the keywords and titles are read from. Themes up to `cap` items are read whole, so small
    workspaces label exactly as before; a 25,000-item theme is named from 2,000 of its texts instead
    of all of them (the c-TF-IDF and phrase passes are pure Python over every text)."""
    cap = cap or int(getattr(settings, "HARKEN_THEME_LABEL_SAMPLE", LABEL_SAMPLE))
    out = labels.copy()
    rng = np.random.default_rng(seed)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_themes + 1))
    for t in range(n_themes):
        members = order[bounds[t] : bounds[t + 1]]
        if len(members) > cap:
            out[rng.choice(members, len(members) - cap, replace=False)] = -1
    return out


def plan_reclustering(
    workspace: Workspace, params: clustering.Params | None = None, progress: Progress | None = None
) -> Plan:
    """Everything a re-clustering will write, computed without writing anything."""
    params = params or clustering.Params(
        min_size=int(getattr(settings, "HARKEN_THEME_MIN_SIZE", clustering.MIN_SIZE)),
        assign_threshold=assign_threshold(),  # the same bar for re-clustering's re-homing as for new items
    )
    say = progress or (lambda stage, share: None)
    say("loading vectors", 0.05)
    data = workspace_vectors(workspace)
    row_of = {int(k): i for i, k in enumerate(data.ids)}
    current = {t.pk: t for t in workspace.themes.filter(status=ThemeStatus.ACTIVE)}
    rows = list(workspace.theme_assignments.values_list("feedback_id", "theme_id", "source"))
    user_fixed: dict[int, int | None] = {
        f: t for f, t, s in rows if s == AssignmentSource.USER and (t is None or t in current)
    }
    pinned = {pk for pk, t in current.items() if t.pinned}
    fixed: dict[int, int | None] = dict(user_fixed)
    for f, t, s in rows:
        if s == AssignmentSource.AUTO and t in pinned:
            fixed[f] = t
    old_members: dict[int, set[int]] = defaultdict(set)
    for f, t, _ in rows:
        if t in current and f in row_of:
            old_members[t].add(f)

    say("clustering", 0.15)
    result = clustering.cluster(data.matrix, params, progress=lambda s, p: say(s, 0.15 + 0.55 * p))
    new_members: list[list[int]] = [[] for _ in range(result.n_themes)]
    for i, label in enumerate(result.labels.tolist()):
        fid = int(data.ids[i])
        if label >= 0 and fid not in fixed:
            new_members[label].append(fid)

    say("matching to current themes", 0.75)
    candidates = [pk for pk in current if pk not in pinned]
    match: dict[int, Theme] = {}
    if candidates and new_members:
        from scipy.optimize import linear_sum_assignment

        overlap = np.zeros((len(new_members), len(candidates)))
        for c, members in enumerate(new_members):
            ms = set(members)
            for j, pk in enumerate(candidates):
                overlap[c, j] = len(ms & old_members.get(pk, set()))
        rows_i, cols_j = linear_sum_assignment(-overlap)
        for c, j in zip(rows_i.tolist(), cols_j.tolist(), strict=True):
            old = old_members.get(candidates[j], set())
            if old and overlap[c, j] >= MATCH_SHARE * len(old):
                match[c] = current[candidates[j]]

    say("labelling", 0.85)
    members_by_theme: dict[int, list[int]] = defaultdict(list)
    for f, placed in fixed.items():
        if placed is not None and f in row_of:
            members_by_theme[placed].append(f)
    groups: list[tuple[list[int], Theme | None]] = []
    cluster_of: list[int] = []  # the new cluster each planned theme came from (-1: kept by a person)
    for c, members in enumerate(new_members):
        theme = match.get(c)
        extra = members_by_theme.pop(theme.pk, []) if theme else []
        if len(members) + len(extra) >= params.min_size or theme is not None:
            groups.append((members + extra, theme))
            cluster_of.append(c)
    survivors = {t.pk for _, t in groups if t is not None}
    for pk, extra in members_by_theme.items():  # pinned themes and themes that only keep user-placed items
        groups.append((extra, current[pk]))
        cluster_of.append(-1)
        survivors.add(pk)
    for pk in pinned:
        if pk not in survivors:
            groups.append(([], current[pk]))
            cluster_of.append(-1)
            survivors.add(pk)

    plan = Plan(keep_user=user_fixed)
    plan.retire = [t for pk, t in current.items() if pk not in survivors]
    label_rows = np.full(len(data), -1, dtype=np.int64)
    for g, (members, _) in enumerate(groups):
        for f in members:
            label_rows[row_of[f]] = g
    sampled = label_sample(label_rows, len(groups))
    keywords = labeling.keywords_per_theme(data.texts, sampled, len(groups))
    centroids = clustering.centroids_of(data.matrix, label_rows, len(groups)) if len(data) else np.zeros((0, 0))
    encode = get_embedder().encode
    phrases = (
        labeling.key_phrases(data.texts, sampled, len(groups), centroids, encode, own_names=workspace.name)
        if len(data)
        else []
    )
    titles = labeling.distinct_titles(
        phrases or [[] for _ in groups],
        [keywords[g] or (list(theme.keywords) if theme else []) for g, (_, theme) in enumerate(groups)],
        [len(members) for members, _ in groups],
        taken=[theme.name for _, theme in groups if theme is not None],
    )
    for g, (members, theme) in enumerate(groups):
        idx = np.asarray([row_of[f] for f in members], dtype=np.int64)
        if len(idx):
            centroid = clustering.normalise(data.matrix[idx].mean(axis=0, keepdims=True))[0]
            scores = (data.matrix[idx] @ centroid).tolist()
            quotes = labeling.representatives(data.matrix[idx], centroid, members, [data.texts[i] for i in idx])
        elif theme is not None and centroid_of(theme) is not None:
            centroid, scores, quotes = centroid_of(theme), [], list(theme.quote_ids)  # type: ignore[assignment]
        else:
            centroid, scores, quotes = np.zeros(data.matrix.shape[1], np.float32), [], []
        kws = keywords[g] or (list(theme.keywords) if theme else [])
        name = theme.name if theme is not None else titles[g]
        quote_texts = [data.texts[row_of[q]] for q in quotes if q in row_of]
        plan.themes.append(
            PlannedTheme(
                members,
                scores,
                centroid,
                kws,
                quotes,
                name,
                theme,
                summary=labeling.summary_from(quote_texts, len(members)),
            )
        )
    say("grouping themes", 0.9)
    _plan_groups(workspace, plan, result, cluster_of, data, row_of, old_members, encode)
    plan.stats = {
        "items": len(data),
        "themes": len(plan.themes),
        "kept": sum(1 for p in plan.themes if p.existing is not None),
        "new": sum(1 for p in plan.themes if p.existing is None),
        "retired": len(plan.retire),
        "top_level": len(plan.groups),
        "unassigned": len(data)
        - sum(len(p.members) for p in plan.themes)
        - sum(1 for t in user_fixed.values() if t is None),
        "user_placed": len(user_fixed),
    }
    return plan


def _plan_groups(
    workspace: Workspace,
    plan: Plan,
    result: clustering.Clustering,
    cluster_of: list[int],
    data: Vectors,
    row_of: dict[int, int],
    old_members: dict[int, set[int]],
    encode: Callable[[list[str]], np.ndarray],
) -> None:
    """Top-level themes: the clustering's groups of themes; themes kept by a person join the group
    with the nearest centroid. Groups are matched to the current ones by the items they hold."""
    cluster_groups = result.groups if result.groups is not None else np.arange(result.n_themes)
    index: dict[int, int] = {}
    for p, c in zip(plan.themes, cluster_of, strict=True):
        if c >= 0 and c < len(cluster_groups):
            p.group = index.setdefault(int(cluster_groups[c]), len(index))
    if not index and plan.themes:
        for p in plan.themes:
            p.group = 0
        index = {0: 0}
    n_groups = len(index)
    if not n_groups:
        return
    dim = data.matrix.shape[1] if len(data) else 0
    sums = np.zeros((n_groups, dim), dtype=np.float32)
    for p in plan.themes:
        if p.group >= 0 and len(p.centroid) == dim:
            sums[p.group] += p.centroid * max(len(p.members), 1)
    group_centroids = clustering.normalise(sums)
    for p in plan.themes:
        if p.group < 0:
            p.group = int(np.argmax(group_centroids @ p.centroid)) if len(p.centroid) == dim else 0
    members = [[f for p in plan.themes if p.group == g for f in p.members] for g in range(n_groups)]
    # Match to current groups by item overlap (same rule as themes).
    current = list(workspace.theme_groups.filter(status=ThemeStatus.ACTIVE))
    old_items: dict[int, set[int]] = defaultdict(set)
    for t_pk, g_pk in workspace.themes.filter(parent__in=current).values_list("pk", "parent_id"):
        old_items[g_pk] |= old_members.get(t_pk, set())
    match: dict[int, ThemeGroup] = {}
    if current:
        from scipy.optimize import linear_sum_assignment

        member_sets = [set(m) for m in members]
        overlap = np.array([[len(ms & old_items.get(c.pk, set())) for c in current] for ms in member_sets], dtype=float)
        rows_i, cols_j = linear_sum_assignment(-overlap)
        for g, j in zip(rows_i.tolist(), cols_j.tolist(), strict=True):
            old = old_items.get(current[j].pk, set())
            if old and overlap[g, j] >= MATCH_SHARE * len(old):
                match[g] = current[j]
    labels = np.full(len(data), -1, dtype=np.int64)
    for g, ms in enumerate(members):
        for f in ms:
            labels[row_of[f]] = g
    sampled = label_sample(labels, n_groups)
    parts = np.full(len(data), -1, dtype=np.int64)  # each item's sub-theme: what a group's title speaks for
    for k, p in enumerate(plan.themes):
        for f in p.members:
            parts[row_of[f]] = k
    keywords = labeling.keywords_per_theme(data.texts, sampled, n_groups)
    phrases = labeling.key_phrases(
        data.texts, sampled, n_groups, group_centroids, encode, parts=parts, own_names=workspace.name
    )
    titles = labeling.distinct_titles(
        phrases, keywords, [len(ms) for ms in members], taken=[m.name for m in match.values()]
    )
    for g, ms in enumerate(members):
        idx = np.asarray([row_of[f] for f in ms], dtype=np.int64)
        quotes = labeling.representatives(data.matrix[idx], group_centroids[g], ms, [data.texts[i] for i in idx], 5)
        existing = match.get(g)
        name = existing.name if existing is not None else titles[g]
        summary = labeling.summary_from([data.texts[row_of[q]] for q in quotes], len(ms))
        plan.groups.append(PlannedGroup(name, summary, keywords[g], len(ms), existing))
    plan.retire_groups = [c for c in current if c not in match.values()]


def apply_plan(workspace: Workspace, plan: Plan) -> dict[str, Any]:
    """Swap the planned themes in, in one transaction."""
    embedder = get_embedder().name
    with transaction.atomic():
        # The stored figures' lock first (as every write that changes them takes it, themes/stats.py).
        theme_stats.lock(workspace)
        workspace.theme_assignments.filter(source=AssignmentSource.AUTO).delete()
        retire_ids = [t.pk for t in plan.retire]
        workspace.themes.filter(pk__in=retire_ids).update(status=ThemeStatus.RETIRED, size=0, updated_at=timezone.now())
        workspace.theme_groups.filter(pk__in=[g.pk for g in plan.retire_groups]).update(
            status=ThemeStatus.RETIRED, size=0, updated_at=timezone.now()
        )
        group_rows: list[ThemeGroup] = []
        for pg in plan.groups:
            group = pg.existing or ThemeGroup(workspace=workspace)
            group.name, group.summary, group.keywords, group.size = pg.name, pg.summary, pg.keywords, pg.size
            group.status = ThemeStatus.ACTIVE
            group.save()
            group_rows.append(group)
        new_rows: list[tuple[int, int, float]] = []
        for p in plan.themes:
            theme = p.existing or Theme(workspace=workspace)
            theme.parent = group_rows[p.group] if 0 <= p.group < len(group_rows) else None
            theme.summary = p.summary
            theme.name = p.name
            theme.keywords = p.keywords
            theme.quote_ids = p.quotes
            theme.centroid = to_bytes(p.centroid)
            theme.embedder = embedder
            theme.status = ThemeStatus.ACTIVE
            theme.save()
            for f, s in zip(p.members, p.scores or [0.0] * len(p.members), strict=True):
                if f not in plan.keep_user:
                    new_rows.append((f, theme.pk, float(s)))
        insert_auto_assignments(workspace, new_rows)
        refresh_sizes(workspace)
        theme_stats.rebuild(workspace)  # the stored per-theme figures, recounted in the same transaction
    _analyze(ThemeAssignment)
    return plan.stats


def _analyze(model: type[Any]) -> None:
    """Fresh planner statistics after a re-clustering rewrote most of a table (PostgreSQL): with the
    old ones (a few rows) the theme list's grouped queries ran as 100k-row nested loops (~1.5 s
    instead of ~0.2 s at 100k items) until autovacuum came by."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


INSERT_CHUNK = 20_000


def insert_auto_assignments(workspace: Workspace, rows: Sequence[tuple[int, int, float]]) -> None:
    """Write (feedback id, theme id, score) as automatic assignments: plain SQL with one row tuple
    per item (no model instances; re-clustering 100k items spent ~50 s in bulk_create's compiler).
    PostgreSQL gets one INSERT … SELECT FROM unnest(arrays) per chunk, SQLite an executemany."""
    from django.db import connection

    if not rows:
        return
    meta = ThemeAssignment._meta
    column_of = {f.name: str(f.column) for f in meta.concrete_fields}
    cols = [column_of[n] for n in ("created_at", "updated_at", "workspace", "feedback", "theme", "score", "source")]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in cols)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s, f, t, s, %s "  # noqa: S608 (names from _meta)
                    "FROM unnest(%s::bigint[], %s::bigint[], %s::float8[]) AS u(f, t, s)",
                    [now, now, workspace.pk, AssignmentSource.AUTO.value, [r[0] for r in chunk], [r[1] for r in chunk],
                     [r[2] for r in chunk]],
                )  # fmt: skip
            else:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
                    [(now, now, workspace.pk, f, t, sc, AssignmentSource.AUTO.value) for f, t, sc in chunk],
                )


def recluster(
    workspace: Workspace, params: clustering.Params | None = None, progress: Progress | None = None, embed: bool = True
) -> dict[str, Any]:
    """Compute new themes and swap them in (identity-preserving). Safe to re-run; safe to crash."""
    say = progress or (lambda stage, share: None)
    if embed:
        from harken.insight.services import embed_workspace

        say("embedding", 0.0)
        embed_workspace(workspace)
    plan = plan_reclustering(workspace, params, progress)
    say("saving", 0.95)
    stats = apply_plan(workspace, plan)
    say("done", 1.0)
    return stats


def refresh_sizes(workspace: Workspace) -> None:
    from django.db.models import Count

    counts = dict(
        workspace.theme_assignments.filter(theme__isnull=False)
        .values_list("theme_id")
        .annotate(n=Count("id"))
        .values_list("theme_id", "n")
    )
    themes = list(workspace.themes.filter(status=ThemeStatus.ACTIVE))
    for t in themes:
        t.size = counts.get(t.pk, 0)
    Theme.objects.bulk_update(themes, ["size"], batch_size=500)


def start_recluster(actor: Actor) -> ThemeRun:
    """Queue a background re-clustering; the job page follows its progress."""
    actor.require(Role.MEMBER)
    from harken.insight.themes.tasks import recluster_workspace

    busy = actor.workspace.theme_runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
    if busy is not None:
        return busy
    with transaction.atomic():
        run = ThemeRun.objects.create(workspace=actor.workspace, requested_by=actor.user)
        recluster_workspace.enqueue(run.pk)
    return run


def run_recluster(run: ThemeRun) -> ThemeRun:
    """Worker side of `start_recluster`: records progress on the run, and the error if it fails."""
    run.status, run.started_at, run.stage, run.progress = RunStatus.RUNNING, timezone.now(), "starting", 0.0
    run.save(update_fields=["status", "started_at", "stage", "progress", "updated_at"])

    def progress(stage: str, share: float) -> None:
        ThemeRun.objects.filter(pk=run.pk).update(stage=stage[:60], progress=round(share, 3), updated_at=timezone.now())

    try:
        stats = recluster(run.workspace, progress=progress)
    except Exception as exc:  # recorded for the job page; the previous themes are untouched
        log.exception("Re-clustering workspace %s failed", run.workspace_id)
        run.refresh_from_db()
        run.status, run.error, run.finished_at = RunStatus.FAILED, f"{type(exc).__name__}: {exc}", timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
        return run
    run.refresh_from_db()
    run.status, run.stats, run.progress, run.stage, run.finished_at = RunStatus.DONE, stats, 1.0, "done", timezone.now()
    run.save(update_fields=["status", "stats", "progress", "stage", "finished_at", "updated_at"])
    return run


# ---------------------------------------------------------------- new items


def assign_item(feedback: Feedback) -> ThemeAssignment | None:
    """Put a newly embedded item into the nearest theme if it is close enough (worker side)."""
    return assign_items(feedback.workspace, [feedback]).get(feedback.pk)


def _chunk_vectors(workspace: Workspace, ids: list[int], vectors: Mapping[int, np.ndarray] | None) -> Vectors:
    """`workspace_vectors(workspace, ids)` (ids sorted), taking the vectors the caller already has.

    The insight job hands over what `embed_items` just computed for its chunk (current by
    construction); merged-away items are left out as `workspace_vectors` does, and ids the caller
    has no vector for are read from the database.
    """
    if not vectors:
        return workspace_vectors(workspace, ids=ids)
    from harken.insight.services import hidden_ids

    unread = [pk for pk in ids if pk not in vectors]
    read = workspace_vectors(workspace, ids=unread) if unread else None
    from_db = {int(k): read.matrix[n] for n, k in enumerate(read.ids)} if read is not None else {}
    hidden = hidden_ids(workspace)
    keys = [pk for pk in ids if pk not in hidden and (pk in vectors or pk in from_db)]
    rows = [vectors[pk] if pk in vectors else from_db[pk] for pk in keys]
    matrix = (
        np.vstack(rows).astype(np.float32, copy=False) if rows else np.zeros((0, get_embedder().dim), dtype=np.float32)
    )
    return Vectors(np.asarray(keys, dtype=np.int64), matrix, [])


def assign_items(
    workspace: Workspace, items: Sequence[Feedback], vectors: Mapping[int, np.ndarray] | None = None
) -> dict[int, ThemeAssignment | None]:
    """Place newly embedded items (one item or one import chunk) in their nearest themes: one pass.

    Items a person placed by hand keep their theme. Returns feedback id → assignment (or None).
    `vectors`: the items' current vectors if the caller has them (not re-read from the database).
    """
    ids = [f.pk for f in items]
    existing = {a.feedback_id: a for a in workspace.theme_assignments.filter(feedback_id__in=ids)}
    result: dict[int, ThemeAssignment | None] = {pk: existing.get(pk) for pk in ids}
    todo = {pk for pk in ids if not (pk in existing and existing[pk].source == AssignmentSource.USER)}
    data = _chunk_vectors(workspace, sorted(todo), vectors) if todo else None
    if data is None or not len(data):
        return result
    embedder = get_embedder().name
    themes = [
        t for t in workspace.themes.filter(status=ThemeStatus.ACTIVE, embedder=embedder) if centroid_of(t) is not None
    ]
    themes = [t for t in themes if len(centroid_of(t)) == data.matrix.shape[1]]  # type: ignore[arg-type]
    if not themes:
        return result
    centroids = np.vstack([centroid_of(t) for t in themes])  # type: ignore[misc]
    labels, scores = clustering.assign(data.matrix, centroids, assign_threshold())
    new_rows: list[ThemeAssignment] = []
    rescored: list[ThemeAssignment] = []
    size_change: dict[int, int] = {}
    gone: list[int] = []
    now = timezone.now()
    for row_no, (pk, label, score) in enumerate(zip(data.ids.tolist(), labels.tolist(), scores.tolist(), strict=True)):
        if not np.any(data.matrix[row_no]):
            continue  # nothing to compare (empty text)
        current = existing.get(pk)
        theme = themes[int(label)] if label >= 0 else None
        if current is not None and theme is not None and current.theme_id == theme.pk:
            current.score, current.updated_at = float(score), now
            rescored.append(current)  # one UPDATE for the chunk (was a save() per item)
            continue
        if current is not None:
            size_change[current.theme_id] = size_change.get(current.theme_id, 0) - 1
            gone.append(current.pk)
            result[pk] = None
        if theme is not None:
            row = ThemeAssignment(workspace=workspace, feedback_id=pk, theme=theme, score=float(score))
            new_rows.append(row)
            result[pk] = row
            size_change[theme.pk] = size_change.get(theme.pk, 0) + 1
    touched = [row.feedback_id for row in new_rows] + [pk for pk, a in existing.items() if a.pk in set(gone)]
    with transaction.atomic(), theme_stats.tracking(workspace, touched):
        if gone:
            ThemeAssignment.objects.filter(pk__in=gone).delete()
        bulkinsert.insert(ThemeAssignment, new_rows)
        ThemeAssignment.objects.bulk_update(rescored, ["score", "updated_at"], batch_size=500)
        changes = {theme_id: change for theme_id, change in size_change.items() if change}
        if changes:  # one UPDATE for every theme touched (was one per theme)
            delta = Case(*(When(pk=t, then=Value(c)) for t, c in changes.items()), output_field=IntegerField())
            Theme.objects.filter(pk__in=list(changes)).update(size=F("size") + delta)
    return result


# ---------------------------------------------------------------- user edits


def _same_workspace(actor: Actor, *objs: Any) -> None:
    for obj in objs:
        if obj is not None and obj.workspace_id != actor.workspace.pk:
            raise ValidationError("That belongs to another workspace.")


def _log(actor: Actor, theme: Theme | None, action: str, **details: Any) -> None:
    ThemeEdit.objects.create(workspace=actor.workspace, theme=theme, user=actor.user, action=action, details=details)


def _active(theme: Theme) -> None:
    if theme.status != ThemeStatus.ACTIVE:
        raise ValidationError(f"“{theme.name}” is no longer an active theme.")


def rename_theme(actor: Actor, theme: Theme, name: str) -> Theme:
    actor.require(Role.MEMBER)
    _same_workspace(actor, theme)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A theme needs a name.")
    if len(name) > 200:
        raise ValidationError("Keep the theme name under 200 characters.")
    with transaction.atomic():
        _log(actor, theme, "rename", before=theme.name, after=name)
        theme.name, theme.user_named = name, True
        theme.save(update_fields=["name", "user_named", "updated_at"])
    return theme


def set_pinned(actor: Actor, theme: Theme, pinned: bool) -> Theme:
    actor.require(Role.MEMBER)
    _same_workspace(actor, theme)
    _active(theme)
    with transaction.atomic():
        _log(actor, theme, "pin" if pinned else "unpin")
        theme.pinned = pinned
        theme.save(update_fields=["pinned", "updated_at"])
    return theme


def _place(actor: Actor, feedback_ids: Sequence[int], theme: Theme | None) -> int:
    """Make these items a person's placement (source=user) in `theme` (None: in no theme)."""
    ws = actor.workspace
    ids = list(feedback_ids)
    existing = {a.feedback_id: a for a in ws.theme_assignments.filter(feedback_id__in=ids)}
    new = []
    for fid in ids:
        row = existing.get(fid)
        if row is None:
            new.append(
                ThemeAssignment(workspace=ws, feedback_id=fid, theme=theme, source=AssignmentSource.USER, score=1.0)
            )
        else:
            row.theme, row.source, row.score = theme, AssignmentSource.USER, 1.0
    ThemeAssignment.objects.bulk_update(
        list(existing.values()), ["theme", "source", "score", "updated_at"], batch_size=500
    )
    ThemeAssignment.objects.bulk_create(new, batch_size=500)
    return len(ids)


def move_item(actor: Actor, feedback: Feedback, theme: Theme | None) -> ThemeAssignment:
    """A person puts one item into `theme` (or takes it out of every theme). Re-clustering keeps it."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, feedback, theme)
    if theme is not None:
        _active(theme)
    with transaction.atomic(), theme_stats.tracking(actor.workspace, [feedback.pk]):
        before = ThemeAssignment.objects.filter(feedback=feedback).values_list("theme_id", flat=True).first()
        _place(actor, [feedback.pk], theme)
        _log(actor, theme, "move", feedback=feedback.pk, before=before, after=theme.pk if theme else None)
        refresh_sizes(actor.workspace)
    return ThemeAssignment.objects.get(feedback=feedback)


def move_items(actor: Actor, items: Sequence[Feedback], theme: Theme | None) -> int:
    """`move_item` for many items at once (the inbox's bulk "move to theme"): the same checks and one
    "move" edit per item, with the placements written in bulk and the theme sizes refreshed once."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, theme, *items)
    if theme is not None:
        _active(theme)
    if not items:
        return 0
    ids = [item.pk for item in items]
    with transaction.atomic(), theme_stats.tracking(actor.workspace, ids):
        before = dict(
            ThemeAssignment.objects.filter(workspace=actor.workspace, feedback_id__in=ids).values_list(
                "feedback_id", "theme_id"
            )
        )
        _place(actor, ids, theme)
        ThemeEdit.objects.bulk_create(
            [
                ThemeEdit(
                    workspace=actor.workspace,
                    theme=theme,
                    user=actor.user,
                    action="move",
                    details={"feedback": fid, "before": before.get(fid), "after": theme.pk if theme else None},
                )
                for fid in ids
            ]
        )
        refresh_sizes(actor.workspace)
    return len(ids)


def merge_themes(actor: Actor, target: Theme, source: Theme) -> Theme:
    """Fold `source` into `target`: its items become person-placed members of `target`."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, target, source)
    if target.pk == source.pk:
        raise ValidationError("Pick two different themes to merge.")
    _active(target)
    _active(source)
    with transaction.atomic():
        theme_stats.lock(actor.workspace)  # before reading the members, so none arrives unseen
        ids = list(source.assignments.values_list("feedback_id", flat=True))
        with theme_stats.tracking(actor.workspace, ids):
            _place(actor, ids, target)
        source.status, source.merged_into, source.size, source.pinned = ThemeStatus.MERGED, target, 0, False
        source.save(update_fields=["status", "merged_into", "size", "pinned", "updated_at"])
        _log(actor, target, "merge", source=source.pk, source_name=source.name, items=len(ids))
        _refresh_label(target)
        refresh_sizes(actor.workspace)
    target.refresh_from_db()
    return target


def split_theme(actor: Actor, theme: Theme, name: str = "") -> Theme:
    """Split a theme in two (2-means on its members); both halves become person-placed."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, theme)
    _active(theme)
    ids = list(theme.assignments.values_list("feedback_id", flat=True))
    data = workspace_vectors(actor.workspace, ids=ids)
    if len(data) < 4:
        raise ValidationError("A theme needs at least 4 embedded items to be split.")
    halves = _two_means(data.matrix)
    if halves.min() == halves.max():
        raise ValidationError(
            "The items of this theme are too alike to split automatically; move items by hand instead."
        )
    with transaction.atomic(), theme_stats.tracking(actor.workspace, [int(k) for k in data.ids]):
        other = Theme.objects.create(workspace=actor.workspace, name="(new theme)", embedder=get_embedder().name)
        _place(actor, [int(k) for k in data.ids[halves == 0]], theme)
        _place(actor, [int(k) for k in data.ids[halves == 1]], other)
        _refresh_label(theme)
        _refresh_label(other, rename=True)
        if name.strip():
            other.name, other.user_named = " ".join(name.split())[:200], True
            other.save(update_fields=["name", "user_named"])
        _log(actor, theme, "split", new_theme=other.pk, moved=int((halves == 1).sum()))
        refresh_sizes(actor.workspace)
    theme.refresh_from_db()
    other.refresh_from_db()
    return other


def _two_means(x: np.ndarray, iterations: int = 20) -> np.ndarray:
    """Deterministic spherical 2-means seeded with the two most distant members."""
    a = int(np.argmin(x @ x.mean(axis=0)))
    b = int(np.argmin(x @ x[a]))
    centres = x[[a, b]]
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iterations):
        labels = (x @ centres.T).argmax(axis=1)
        if labels.min() == labels.max():
            break
        centres = clustering.normalise(np.vstack([x[labels == k].mean(axis=0) for k in (0, 1)]))
    # The half that holds more of the members keeps the theme's identity.
    return labels if (labels == 0).sum() >= (labels == 1).sum() else 1 - labels


def _refresh_label(theme: Theme, rename: bool = False) -> None:
    """Recompute centroid, keywords and quotes of one theme after an edit (name kept unless asked)."""
    ids = list(theme.assignments.values_list("feedback_id", flat=True))
    data = workspace_vectors(theme.workspace, ids=ids)
    if not len(data):
        return
    centroid = clustering.normalise(data.matrix.mean(axis=0, keepdims=True))[0]
    others = list(
        theme.workspace.themes.filter(status=ThemeStatus.ACTIVE)
        .exclude(pk=theme.pk)
        .values_list("keywords", flat=True)[:200]
    )
    texts = list(data.texts) + [" ".join(k) for k in others]
    labels = np.concatenate([np.zeros(len(data), np.int64), np.arange(1, len(others) + 1)])
    kws = labeling.keywords_per_theme(texts, labels, 1 + len(others))[0]
    theme.keywords = kws or theme.keywords
    theme.quote_ids = labeling.representatives(data.matrix, centroid, [int(k) for k in data.ids], data.texts)
    theme.centroid = to_bytes(centroid)
    if rename and not theme.user_named:
        theme.name = labeling.name_from(theme.keywords)
    theme.save()


# ---------------------------------------------------------------- reading


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class ThemeSummary:
    theme: Theme
    size: int
    accounts: int
    arr: Decimal
    weekly: list[int]
    emerging: bool = False
    spark: dict[str, Any] = field(default_factory=dict)


def member_rows(
    workspace: Workspace, theme_ids: Iterable[int] | None = None, evidence: EvidenceFilter | None = None
) -> list[dict[str, Any]]:
    """One row per themed item: theme, item, account, ARR, received date, category, sentiment.

    Items merged into another (duplicates) are left out: they count through their survivor.
    `evidence` (harken.insight.filters) keeps only the items it selects (segment, plan, dates…).
    """
    merged_away = workspace.feedback_merges.filter(undone_at__isnull=True).values("merged_id")
    qs = workspace.theme_assignments.filter(theme__status=ThemeStatus.ACTIVE).exclude(feedback_id__in=merged_away)
    if evidence is not None:
        qs = evidence.restrict(qs, "feedback__")
    if theme_ids is not None:
        qs = qs.filter(theme_id__in=list(theme_ids))
    return list(
        qs.values(
            "theme_id",
            "feedback_id",
            "feedback__account_id",
            "feedback__account__arr",
            "feedback__received_at",
            "feedback__classification__category",
            "feedback__classification__sentiment",
        )
    )


def _week_bounds(now: dt.datetime, weeks: int) -> tuple[dt.date, dt.datetime]:
    """The first Monday of the window and that day's local midnight (the lower bound of the query)."""
    this_week = week_start(timezone.localdate(now))
    first_week = this_week - dt.timedelta(weeks=weeks - 1)
    return first_week, timezone.make_aware(dt.datetime.combine(first_week, dt.time.min))


def weekly_counts(
    qs: QuerySet[Any], field: str, first_week: dt.date, since: dt.datetime, weeks: int, key: str = ""
) -> dict[Any, list[int]]:
    """Items per local week (Monday first, oldest week first) counted in the database: one row per
    (key, week). `field` is the datetime path, `key` the grouping column ("" = one series under None)."""
    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    grouped = qs.filter(**{f"{field}__gte": since}).annotate(_week=TruncWeek(field))
    values = grouped.values(*([key] if key else []), "_week").annotate(_n=Count("pk")).order_by()
    out: dict[Any, list[int]] = defaultdict(lambda: [0] * weeks)
    for row in values:
        week = row["_week"]
        day = timezone.localdate(week) if isinstance(week, dt.datetime) else week
        i = (day - first_week).days // 7
        if 0 <= i < weeks:
            out[row[key] if key else None][i] += row["_n"]
    return out


def summaries(
    actor: Actor, now: dt.datetime | None = None, weeks: int = TREND_WEEKS, evidence: EvidenceFilter | None = None
) -> list[ThemeSummary]:
    """Every active theme with size, distinct accounts, their ARR and weekly volume (oldest week first).

    With an active `evidence` filter the numbers count only the items it keeps, and themes left
    without any are dropped.

    Without a filter, read from the figures stored at write time (themes/stats.py: items per theme
    and week, per theme and account; ARR from the accounts). Otherwise (a filter, a viewer in another
    time zone than the workspace's, nothing stored yet) counted by the database in two grouped
    queries (items per theme and account, with the account's ARR; items per theme and week)."""
    from django.db.models import Count

    from harken.core.charts import sparkline

    now = now or timezone.now()
    first_week, since = _week_bounds(now, weeks)
    workspace = actor.workspace
    themes = list(workspace.themes.filter(status=ThemeStatus.ACTIVE))
    merged_away = workspace.feedback_merges.filter(undone_at__isnull=True).values("merged_id")
    filtered = evidence is not None and evidence.active
    held = None if filtered else theme_stats.read_summaries(workspace, first_week, weeks)
    sizes: dict[int, int] = defaultdict(int)
    n_accounts: dict[int, int] = {}
    arr_of: dict[int, Decimal] = {}
    if held is not None:  # the figures stored at write time (themes/stats.py)
        sizes.update(held.sizes)
        n_accounts, arr_of, weekly = held.accounts, held.arr, held.weekly
    else:  # filtered, another time zone, or nothing stored yet: counted from the items
        # The active themes by id (already read), not a join on their status: PostgreSQL's estimate
        # for that join was a few rows, whatever the workspace's size.
        qs = workspace.theme_assignments.filter(theme_id__in=[t.pk for t in themes]).exclude(
            feedback_id__in=merged_away
        )
        if evidence is not None:
            qs = evidence.restrict(qs, "feedback__")
        # One row per (theme, account) with its item count: sizes, distinct accounts and their ARR.
        accounts: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for theme_id, account_id, arr, n in (
            qs.values("theme_id", "feedback__account_id", "feedback__account__arr")
            .annotate(_n=Count("pk"))
            .order_by()
            .values_list("theme_id", "feedback__account_id", "feedback__account__arr", "_n")
        ):
            sizes[theme_id] += n
            if account_id:
                accounts[theme_id][account_id] = arr or Decimal(0)
        n_accounts = {k: len(v) for k, v in accounts.items()}
        arr_of = {k: sum(v.values(), Decimal(0)) for k, v in accounts.items()}
        weekly = weekly_counts(qs, "feedback__received_at", first_week, since, weeks, key="theme_id")
    if filtered:
        themes = [t for t in themes if sizes.get(t.pk)]
    recent = timezone.now() - dt.timedelta(days=14)
    emerging = set(workspace.trend_alerts.filter(created_at__gte=recent).values_list("theme_id", flat=True))
    out = []
    for t in themes:
        series = list(weekly[t.pk]) if t.pk in weekly else [0] * weeks
        out.append(
            ThemeSummary(
                t,
                sizes.get(t.pk, 0),
                n_accounts.get(t.pk, 0),
                arr_of.get(t.pk, Decimal(0)),
                series,
                t.pk in emerging,
                sparkline(series, title=f"Items per week, last {weeks} weeks: {', '.join(map(str, series))}"),
            )
        )
    out.sort(key=lambda s: (-s.size, s.theme.pk))
    return out


@dataclass
class GroupSection:
    """A top-level theme with its sub-themes (the list page's two-level view)."""

    group: ThemeGroup | None
    rows: list[ThemeSummary]

    @property
    def size(self) -> int:
        return sum(r.size for r in self.rows)

    @property
    def emerging(self) -> bool:
        return any(r.emerging for r in self.rows)

    @property
    def weekly(self) -> list[int]:
        return [sum(week) for week in zip(*(r.weekly for r in self.rows), strict=True)] if self.rows else []


def grouped_summaries(actor: Actor, rows: list[ThemeSummary] | None = None) -> list[GroupSection]:
    """Active themes under their top-level theme, biggest first; themes without one come last."""
    rows = rows if rows is not None else summaries(actor)
    groups = {g.pk: g for g in actor.workspace.theme_groups.filter(status=ThemeStatus.ACTIVE)}
    by_group: dict[int | None, list[ThemeSummary]] = defaultdict(list)
    for r in rows:
        by_group[r.theme.parent_id if r.theme.parent_id in groups else None].append(r)
    sections = [GroupSection(groups[pk], items) for pk, items in by_group.items() if pk is not None]
    sections.sort(key=lambda s: (-s.size, s.group.pk if s.group else 0))
    if by_group.get(None):
        sections.append(GroupSection(None, by_group[None]))
    return sections


def theme_detail(actor: Actor, theme: Theme, weeks: int = 26) -> dict[str, Any]:
    """What the theme page shows: quotes, volume chart, segment split, members."""
    from harken.core.charts import bar_chart

    _same_workspace(actor, theme)
    items: QuerySet[Feedback] = (
        actor.workspace.feedback_items.filter(theme_assignment__theme=theme)
        .select_related("account", "theme_assignment", "classification")
        .order_by("-received_at", "-pk")
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        # Also `id = ANY(ARRAY(the theme's member ids))`: PostgreSQL then fetches the members by id and
        # sorts them (work ~ the theme's size). Without it, it walked the workspace's date (or id)
        # index until a page of members turned up: 100k rows read for a 2,600-item theme at 200k items.
        table = connection.ops.quote_name(Feedback._meta.db_table)
        assignments = connection.ops.quote_name(ThemeAssignment._meta.db_table)
        items = items.extra(  # noqa: S610 (table names from _meta, the theme id a parameter)
            where=[f"{table}.id = ANY(ARRAY(SELECT feedback_id FROM {assignments} WHERE theme_id = %s))"],  # noqa: S608
            params=[theme.pk],
        )
    first, since = _week_bounds(timezone.now(), weeks)
    held = theme_stats.read_theme(actor.workspace, theme.pk, first, weeks)
    if held is not None:  # stored at write time (themes/stats.py)
        counts, accounts = held["weekly"], held["accounts"]
    else:  # another time zone than the workspace's, or nothing stored yet: counted from the items
        # Merged-away duplicates count through their survivor, as on the theme list.
        members = actor.workspace.feedback_items.filter(theme_assignment__theme=theme, merged_into__isnull=True)
        counts = weekly_counts(members, "received_at", first, since, weeks).get(None, [0] * weeks)
        # One row per distinct account (the database does the distinct), not one per member.
        accounts = {}
        for account_id, segment, arr in (
            members.filter(account__isnull=False)
            .values_list("account_id", "account__segment", "account__arr")
            .order_by()
            .distinct()
        ):
            accounts[account_id] = (segment or "", arr or Decimal(0))
    seg_counts: dict[str, int] = defaultdict(int)
    for segment, _ in accounts.values():
        seg_counts[segment or "No segment"] += 1
    points = [((first + dt.timedelta(weeks=i)).isoformat(), float(counts[i])) for i in range(weeks)]
    chart = bar_chart(points, f"Items per week in “{theme.name}”")
    top = max(seg_counts.values(), default=1)
    seg_rows = [
        {"label": k, "value": v, "pct": round(100 * v / top), "display": f"{v} account{'s' if v != 1 else ''}"}
        for k, v in sorted(seg_counts.items(), key=lambda p: -p[1])
    ]
    quotes = actor.workspace.feedback_items.in_bulk(theme.quote_ids or [])
    return {
        "items": items,
        # The members' number for the paginator, from the assignment index (the same rows as `items`:
        # one assignment per item, in the theme's workspace), not a join over the workspace's items.
        "count": theme.assignments.count(),
        "chart": chart,
        "segments": seg_rows,
        "quotes": [quotes[q] for q in theme.quote_ids or [] if q in quotes],
        "accounts": len(accounts),
        "arr": sum((arr for _, arr in accounts.values()), Decimal(0)),
        "edits": theme.edits.select_related("user")[:20],
        "others": actor.workspace.themes.filter(status=ThemeStatus.ACTIVE).exclude(pk=theme.pk).order_by("name"),
        "alerts": theme.trend_alerts.all()[:5],
    }
