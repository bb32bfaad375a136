"""Demo hook (called by harken.demo.loader after the demo workspace is written).

Queues the themes backfill, folds the repeats the team already handled into their originals
through the real `merge` (so the merge history and undo work), corrects the category of a few dozen
items through the real `correct` action (so the backfill's classification learns from them: items
show "learned from N corrections"), and asks the worker for duplicate suggestions on the last weeks'
items (the Duplicates page is populated once the worker ran).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

SUGGEST_DAYS = 30
MERGE_AFTER_DAYS = 10
CORRECTIONS = 40  # items whose category a PM corrected (or confirmed) before the backfill
# The generator's kinds of feedback (demo/data/themes.json) as Harken's categories.
KIND_CATEGORY = {
    "bug": "bug",
    "request": "feature_request",
    "question": "question",
    "complaint": "complaint",
    "praise": "praise",
}


def after_demo_load(workspace: Any) -> int:
    """Queue the themes backfill: classification, themes and trends for the bulk-inserted feedback."""
    from harken.insight.tasks import understand_items
    from harken.insight.themes.tasks import understand_workspace

    _correct_some_categories(workspace)  # before the backfill, which classifies with what they teach
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


def _correct_some_categories(workspace: Any) -> int:
    """A PM corrected the category of items Harken's zero-shot guess got wrong, and confirmed some it got
    right, through the real `correct` action: the worker's classification then learns from them."""
    import random

    from harken.demo.story import current
    from harken.insight.themes.classify import correct, guess
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    story = current()
    owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user", "workspace").first()
    if story is None or owner is None:
        return 0
    items = list(
        workspace.feedback_items.filter(dedupe_key__startswith="demo:", merged_into__isnull=True).order_by("pk")
    )
    rng = random.Random(story.seed)
    sample = rng.sample(items, min(400, len(items)))
    truth = {}
    for item in sample:
        number = item.dedupe_key.removeprefix("demo:")
        draft = story.drafts.get(int(number)) if number.isdigit() else None
        if draft is not None and draft.kind in KIND_CATEGORY:
            truth[item.pk] = KIND_CATEGORY[draft.kind]
    sample = [i for i in sample if i.pk in truth]
    guesses = guess([f"{i.title}. {i.text}" for i in sample])
    wrong = [i for i, g in zip(sample, guesses, strict=True) if g.category != truth[i.pk]]
    right = [i for i, g in zip(sample, guesses, strict=True) if g.category == truth[i.pk]]
    # People mostly correct mistakes; they also confirm a guess now and then.
    chosen = wrong[: CORRECTIONS * 3 // 4] + right[: CORRECTIONS - min(len(wrong), CORRECTIONS * 3 // 4)]
    actor = Actor.for_member(owner)
    for item in chosen:
        correct(actor, item, category=truth[item.pk])
    return len(chosen)
