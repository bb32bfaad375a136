"""Demo hook (called by harken.demo.loader after the demo workspace is written).

Queues the themes backfill, folds the repeats the team already handled into their originals
through the real `merge` (so the merge history and undo work), and asks the worker for duplicate
suggestions on the last weeks' items (the Duplicates page is populated once the worker ran).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

SUGGEST_DAYS = 30
MERGE_AFTER_DAYS = 10


def after_demo_load(workspace: Any) -> int:
    """Queue the themes backfill: classification, themes and trends for the bulk-inserted feedback."""
    from harken.insight.tasks import understand_items
    from harken.insight.themes.tasks import understand_workspace

    understand_workspace.enqueue(workspace.pk)
    queued = 1
    merged = _merge_handled_repeats(workspace)
    from harken.demo.story import current

    story = current()
    if story is not None:
        # After the backfill (same queue, enqueued later): suggestions for the recent, unmerged items.
        recent = list(
            workspace.feedback_items.filter(
                dedupe_key__startswith="demo:",
                merged_into__isnull=True,
                received_at__gte=story.now - timedelta(days=SUGGEST_DAYS),
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        recent = [pk for pk in recent if pk not in merged]
        if recent:
            understand_items.enqueue(recent, suggest=True)
            queued += 1
    return queued


def _merge_handled_repeats(workspace: Any) -> set[int]:
    """Repeats decided as duplicates more than a few days ago were merged by whoever decided them."""
    from harken.demo.story import current
    from harken.insight.models import FeedbackMerge
    from harken.insight.services import merge
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership

    story = current()
    if story is None:
        return set()
    members = {m.user_id: m for m in Membership.objects.filter(workspace=workspace).select_related("user", "workspace")}
    rows = (
        workspace.triage_items.filter(
            decision="duplicate",
            duplicate_of__isnull=False,
            decided_at__lt=story.now - timedelta(days=MERGE_AFTER_DAYS),
            feedback__dedupe_key__startswith="demo:",
        )
        .select_related("feedback", "duplicate_of")
        .order_by("decided_at", "pk")
    )
    merged: set[int] = set()
    for row in rows:
        member = members.get(row.decided_by_id)
        if member is None or row.duplicate_of is None:
            continue
        record = merge(Actor.for_member(member), row.duplicate_of, row.feedback)
        at = row.decided_at
        FeedbackMerge.objects.filter(pk=record.pk).update(created_at=at, updated_at=at)
        merged.add(row.feedback_id)
    return merged
