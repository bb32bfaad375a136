"""Demo hook: the demo loader bulk-inserts its feedback, so triage opens their rows here, once."""

from __future__ import annotations

from typing import Any


def after_demo_load(workspace: Any) -> int:
    from harken.triage.actions import ensure_settings, open_missing

    ensure_settings(workspace)
    open_missing(workspace)
    return 0
