"""Signals for apps `feedback` must not know (none in this repository today).

The path of a new item is explicit in `feedback.actions.create_feedback` (triage, insight); do not
hang a pipeline on these. They are sent inside the transaction of the write, so a listener that
enqueues a task commits or rolls back together with the feedback itself.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: feedback (Feedback), actor (Actor)
feedback_created = Signal()
# kwargs: feedback (Feedback), actor (Actor), changed (frozenset[str] of field names, "tags" included)
feedback_updated = Signal()
