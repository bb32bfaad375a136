"""Signals of the workspace lifecycle, for apps `workspaces` must not know (it sits below them).

Sent inside the transaction of the write, so what a receiver writes commits with it.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: workspace (Workspace), owner (User). Receivers: triage (default SLA settings).
workspace_created = Signal()
