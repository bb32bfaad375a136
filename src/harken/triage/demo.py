"""Demo hook: the demo loader bulk-inserts its feedback, so triage opens their rows here, once,
then writes the team's year of triage (assignments, decisions, template replies) from the story."""

from __future__ import annotations

from typing import Any


def after_demo_load(workspace: Any) -> int:
    from harken.demo.story import triage_story
    from harken.triage.actions import ensure_settings, open_missing

    ensure_settings(workspace)
    triage_story(workspace)  # the demo's year of triage (when a demo load is running)
    open_missing(workspace)
    return 0
