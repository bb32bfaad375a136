"""Background work for themes: re-clustering runs, new-item assignment + classification, daily trends."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="insight")
def recluster_workspace(run_id: int) -> str:
    """Re-cluster one workspace; progress and outcome go on the ThemeRun row (the job page)."""
    from harken.insight.themes.models import ThemeRun
    from harken.insight.themes.services import run_recluster

    run = ThemeRun.objects.select_related("workspace").filter(pk=run_id).first()
    if run is None:
        return "gone"
    run = run_recluster(run)
    return f"{run.status}: {run.stats or run.error}"


@task(queue_name="insight")
def understand_feedback(feedback_id: int) -> str:
    """Jobs queued before `insight.tasks.understand_items` existed still run (same path, one item)."""
    from harken.insight.tasks import understand_items

    return understand_items.call([feedback_id])


@task(queue_name="insight")
def detect_all_trends() -> int:
    """Daily: run the trend test in every workspace that has themes."""
    from harken.insight.themes.trends import detect_trends
    from harken.workspaces.models import Workspace

    found = 0
    for workspace in Workspace.objects.filter(themes__isnull=False).distinct():
        found += len(detect_trends(workspace))
    return found


@task(queue_name="insight")
def understand_workspace(workspace_id: int) -> str:
    """Backfill a whole workspace (demo load, imports): embed, classify, re-cluster, look for trends."""
    from harken.insight.services import embed_workspace
    from harken.insight.themes import classify, services
    from harken.insight.themes.models import ThemeRun
    from harken.insight.themes.trends import detect_trends
    from harken.workspaces.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return "gone"
    embed_workspace(workspace)
    items = list(workspace.feedback_items.order_by("pk").only("pk", "workspace_id", "title", "text"))
    for start in range(0, len(items), 512):
        classify.classify_items(workspace, items[start : start + 512])
    run = services.run_recluster(ThemeRun.objects.create(workspace=workspace))
    alerts = detect_trends(workspace)
    return f"{len(items)} items; themes {run.status} {run.stats}; {len(alerts)} trend alert(s)"
