from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _on_merge_changed(sender: Any, merge: Any, **kwargs: Any) -> None:
    """Insight merges feedback without knowing the portal: keep idea counts true after a (un)merge."""
    from harken.portal.actions import refresh_counts_for_feedback

    refresh_counts_for_feedback(merge.workspace, [merge.survivor_id, merge.merged_id])


class PortalConfig(AppConfig):
    name = "harken.portal"
    label = "portal"
    verbose_name = "Ideas portal"

    def ready(self) -> None:
        from harken.insight.signals import feedback_merged, feedback_unmerged
        from harken.portal import roadmap_link, status
        from harken.roadmap import audience

        status.register_provider(roadmap_link.roadmap_status)
        audience.register(roadmap_link.idea_audience)
        feedback_merged.connect(_on_merge_changed, dispatch_uid="portal.counts_on_merge")
        feedback_unmerged.connect(_on_merge_changed, dispatch_uid="portal.counts_on_unmerge")
