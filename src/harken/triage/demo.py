"""Demo hook: the demo loader bulk-inserts its feedback, so triage opens their rows here, once,
then writes the team's year of triage (assignments, decisions, template replies) from the story."""

from __future__ import annotations

from typing import Any


def after_demo_load(workspace: Any) -> int:
    from harken.demo.story import triage_story
    from harken.triage.actions import ensure_settings, open_missing

    ensure_settings(workspace)
    open_missing(workspace)
    triage_story(workspace)
    return 0
