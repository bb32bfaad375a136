"""Signals for apps that attach things to feedback (votes, roadmap links) and must follow merges.

`feedback_merged(sender, merge, actor)` is sent inside the merge transaction. A listener that
moves its rows onto `merge.survivor` records what it moved in `merge.details["<app>"]` (saved
after all listeners ran), so that on `feedback_unmerged(sender, merge, actor, survivor, merged)`
it can move exactly those rows back.
"""

from __future__ import annotations

from django.dispatch import Signal

feedback_merged = Signal()
feedback_unmerged = Signal()
