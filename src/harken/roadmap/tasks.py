from __future__ import annotations

from django_tasks import task

from harken.workspaces.models import Workspace


@task()
def announce_change(change_id: int) -> str:
    """Close the loop for one status change (debounced: see roadmap.loop)."""
    from harken.roadmap import loop

    notification = loop.announce(change_id)
    return f"sent to {len(notification.recipients)}" if notification else "nothing to send"


@task()
def detect_all_slips() -> int:
    """Daily: draft delay notices for every workspace's slipped promises."""
    from harken.roadmap.promises import detect_slips

    count = 0
    for ws in Workspace.objects.filter(roadmap_promises__status="open").distinct():
        count += len(detect_slips(ws))
    return count


@task()
def email_announcement(announcement_id: int) -> int:
    """Queue one outbox email per active changelog subscriber, once per announcement."""
    from harken.roadmap.public import email_subscribers

    return email_subscribers(announcement_id)


@task()
def link_demo_themes(workspace_id: int) -> int:
    """Demo: link roadmap items to the themes insight built (runs after the themes backfill)."""
    from harken.roadmap.demo import link_themes

    ws = Workspace.objects.filter(pk=workspace_id).first()
    return link_themes(ws) if ws else 0
