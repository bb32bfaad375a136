from __future__ import annotations

from django_tasks import task

from harken.feedback.models import Feedback
from harken.insight import services


@task(queue_name="insight")
def embed_feedback(feedback_id: int, suggest: bool = True) -> str:
    """Embed one new or edited item, then look for duplicates of it (worker side)."""
    feedback = Feedback.objects.select_related("workspace").filter(pk=feedback_id).first()
    if feedback is None:
        return "gone"
    services.embed_items([feedback])
    found = services.suggest_duplicates(feedback) if suggest else []
    return f"embedded; {len(found)} duplicate suggestion(s)"


@task(queue_name="insight")
def embed_workspace(workspace_id: int, force: bool = False) -> int:
    """Backfill a whole workspace (after switching HARKEN_EMBEDDER, or for imported history)."""
    from harken.workspaces.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return services.embed_workspace(workspace, force=force) if workspace else 0
