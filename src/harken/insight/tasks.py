from __future__ import annotations

import numpy as np
from django_tasks import task

from harken.feedback.models import Feedback
from harken.insight import services


@task(queue_name="insight")
def understand_items(feedback_ids: list[int], suggest: bool = True) -> str:
    """The insight half of the path of new (or re-worded) items, for one item or one import chunk.

    One job, in this order: embed once (one embedding batch) → duplicate suggestions (one batch for
    the chunk: `services.suggest_duplicates_many`) → category and sentiment → theme assignment
    (one pass); the vectors of the embed stage are passed on, not read back. Enqueued by `feedback.actions.create_feedback`,
    `create_feedback_batch` (once per chunk) and `update_feedback` (text changes, no suggestions).
    """
    from harken.insight.themes import classify
    from harken.insight.themes.services import assign_items

    items = list(Feedback.objects.select_related("workspace").filter(pk__in=feedback_ids).order_by("pk"))
    if not items:
        return "gone"
    by_workspace: dict[int, list[Feedback]] = {}
    for item in items:
        by_workspace.setdefault(item.workspace_id, []).append(item)
    embedded = suggested = placed = 0
    for group in by_workspace.values():
        workspace = group[0].workspace
        # Every item's current vector (just computed or still current in the database) is handed to
        # the later stages: none of them re-reads or re-decodes it.
        vectors: dict[int, np.ndarray] = {}
        embedded += services.embed_items(group, vectors_out=vectors)
        if suggest:
            suggested += len(services.suggest_duplicates_many(workspace, group, vectors=vectors))
        classify.classify_items(workspace, group, vectors=vectors)
        assigned = assign_items(workspace, group, vectors=vectors)
        placed += sum(1 for row in assigned.values() if row is not None and row.theme_id)
    return f"{len(items)} item(s): {embedded} embedded; {suggested} duplicate suggestion(s); {placed} in a theme"


@task(queue_name="insight")
def embed_workspace(workspace_id: int, force: bool = False) -> int:
    """Backfill a whole workspace (after switching HARKEN_EMBEDDER, or for imported history)."""
    from harken.insight.embeddings import get_embedder
    from harken.insight.index import refresh_index
    from harken.workspaces.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    embedded = services.embed_workspace(workspace, force=force)
    embedder = get_embedder()
    refresh_index(workspace.pk, embedder.name, embedder.dim)  # large workspaces: update the index file
    return embedded


@task(queue_name="insight")
def embed_feedback(feedback_id: int, suggest: bool = True) -> str:
    """Jobs queued before `understand_items` existed still run (same path, one item)."""
    return understand_items.call([feedback_id], suggest=suggest)
