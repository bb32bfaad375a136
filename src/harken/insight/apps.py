from __future__ import annotations

from django.apps import AppConfig


class InsightConfig(AppConfig):
    """New and re-worded items reach insight through the one job `feedback.actions` enqueues
    (`insight.tasks.understand_items`), not through signal receivers."""

    name = "harken.insight"
    label = "insight"
    verbose_name = "Insight"
