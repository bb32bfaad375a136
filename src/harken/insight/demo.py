"""Demo hook (called by harken.demo.loader after the demo workspace is written)."""

from __future__ import annotations

from typing import Any


def after_demo_load(workspace: Any) -> int:
    """Queue the themes backfill: classification, themes and trends for the bulk-inserted feedback."""
    from harken.insight.themes.tasks import understand_workspace

    understand_workspace.enqueue(workspace.pk)
    return 1
