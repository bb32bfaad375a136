"""Signals other apps listen to (insight embeds new items, triage opens a clock, …).

They are sent inside the transaction of the write, so a listener that enqueues a task
(`my_task.enqueue(...)`) commits or rolls back together with the feedback itself.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: feedback (Feedback), actor (Actor)
feedback_created = Signal()
# kwargs: feedback (Feedback), actor (Actor), changed (frozenset[str] of field names, "tags" included)
feedback_updated = Signal()
# kwargs: feedback (Feedback, still saved when sent), actor (Actor)
feedback_deleted = Signal()
